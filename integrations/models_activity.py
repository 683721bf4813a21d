"""What a connection did and what reached it: sync runs, the sync log, webhook events, and the admins' daily
attention e-mail switch. Imported by integrations.models (split out for size); the Activity and Needs attention
pages read these."""

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.models import Expense, Invoice, Organization, PurchaseOrder

from .models import Connection


class SyncKind(models.TextChoices):
    PAYMENTS = "payments", "Payment sync"
    INVOICE_COPY = "invoice_copy", "Invoice copy"
    BULK_COPY = "bulk_copy", "Bulk invoice copy"
    RECONCILIATION = "reconciliation", "Reconciliation"


class SyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class SyncRun(models.Model):
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="sync_runs")
    kind = models.CharField(max_length=20, choices=SyncKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=SyncOutcome.choices, default=SyncOutcome.RUNNING)
    counts = models.JSONField(default=dict, blank=True)
    api_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # At most one running sync of a kind per connection at a time.
            models.UniqueConstraint(
                fields=["connection", "kind"], condition=Q(outcome="running"), name="one_running_sync"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.connection} at {self.started_at:%Y-%m-%d %H:%M}"


class LogLevel(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"


class SyncLogEntry(models.Model):
    """Per-record log: every write to a provider and every payment applied. Shown on the document it is about
    (an invoice, an expense, a purchase order) and in the admin."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="log_entries")
    run = models.ForeignKey(SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="entries")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_log")
    # The document an entry is about, beside `invoice`: an expense exported as a bill, a purchase order.
    expense = models.ForeignKey(Expense, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_log")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_log"
    )
    level = models.CharField(max_length=10, choices=LogLevel.choices, default=LogLevel.INFO)
    action = models.CharField(max_length=60, help_text="e.g. invoice.create, contact.create, payment.recorded")
    message = models.TextField()
    remote_id = models.CharField(max_length=100, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    provider_response = models.TextField(
        blank=True, help_text="The provider's raw answer to a failed call, trimmed: for support, never shown to users."
    )
    # The HTTP write log's line ("Xero refused PUT /Invoices (HTTP 400)"): for support in the admin; the invoice
    # page shows the service's own entry for the same event instead, so each event reads once.
    is_http_call = models.BooleanField(
        default=False, help_text="A raw provider call from the write log: shown in the admin, not on the invoice."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "sync log entries"
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self):
        return f"[{self.level}] {self.action}: {self.message[:60]}"


class WebhookResult(models.TextChoices):
    SYNC_QUEUED = "sync_queued", "Payment sync queued"
    SYNC_PENDING = "sync_pending", "A payment sync was already queued or running"
    SYNC_SKIPPED = "sync_skipped", "The connection does not sync payments now"
    NOT_OURS = "not_ours", "Not a document we copied"
    NO_SYNC = "no_sync", "Nothing to sync for this event"
    UNKNOWN_TENANT = "unknown_tenant", "No live connection for this tenant"


class WebhookEvent(models.Model):
    """One event of a signed webhook delivery, stored once (redeliveries are acknowledged and ignored).
    A hint that something changed: the payment sync it may queue reads the provider."""

    provider = models.CharField(max_length=30)
    dedupe_key = models.CharField(max_length=255, help_text="The provider's identity of the event.")
    # The connection the event concerns (the one holding the copied document, else the tenant's first); None for a
    # tenant no live connection of ours has.
    connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_events"
    )
    remote_tenant_id = models.CharField(max_length=100, blank=True)
    resource_kind = models.CharField(max_length=40, blank=True)
    resource_id = models.CharField(max_length=100, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(max_length=20, choices=WebhookResult.choices)
    processed_at = models.DateTimeField(
        null=True, blank=True, help_text="When a payment sync covering it finished (or at once when it asked none)."
    )
    payload_excerpt = models.JSONField(default=dict, blank=True, help_text="A few fields of the event, no secrets.")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "dedupe_key"], name="unique_webhook_event")]
        indexes = [models.Index(fields=["connection", "processed_at"])]

    def __str__(self):
        return f"{self.provider} {self.resource_kind} {self.event_type} {self.resource_id}"


class AttentionDigest(models.Model):
    """An admin's switch for the daily e-mail of what needs attention on the organization's connections (off
    unless switched on; services.attention_digest sends it only while the user is still an admin)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=False)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="unique_attention_digest")]

    def __str__(self):
        return f"{self.user} @ {self.organization}: {'on' if self.enabled else 'off'}"
