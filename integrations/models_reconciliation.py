"""Reconciliation's records: each difference a run found between a document we sent and what the provider holds
now (the run itself is a SyncRun of kind "reconciliation"). Imported by integrations.models."""

from django.conf import settings as django_settings
from django.db import models

from billing.models import Organization


class MismatchField(models.TextChoices):
    TOTAL = "total", "Total"
    CURRENCY = "currency", "Currency"
    NUMBER = "number", "Number"
    STATUS = "status", "Status"
    AMOUNT_PAID = "amount_paid", "Amount paid"


class MismatchAction(models.TextChoices):
    """What a mismatch suggests; each goes through the service that does it anywhere else."""

    UPDATE_EXISTING = "update_existing", "Update existing"  # document_export, mode update
    COPY_AGAIN = "copy_again", "Copy again as new"  # document_export, mode new
    RESYNC_PAYMENTS = "resync_payments", "Re-sync payments"  # payments_sync
    VOID_IN_PROVIDER = "void_in_provider", "Void it there too"  # remote_void.copy_void_remote
    MARK_RECONCILED = "mark_reconciled", "Mark as reconciled"


class MismatchResolution(models.TextChoices):
    UPDATED = "updated", "Updated in the provider"
    COPIED_AGAIN = "copied_again", "Copied again"
    PAYMENTS_RESYNCED = "payments_resynced", "Payments re-synced"
    VOIDED_THERE = "voided_there", "Voided in the provider"
    RECONCILED = "reconciled", "Marked as reconciled"
    SUPERSEDED = "superseded", "Checked again by a later run"


class ReconciliationMismatch(models.Model):
    """One field of one copy that differs: both values as text (money in the copy's currency), the suggested
    action, and once acted on who resolved it, how and why. A run resolves the open ones of earlier runs as
    superseded: open mismatches are always the latest run's. Marked as reconciled, the same difference (same
    values) is not reported again."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey("integrations.Connection", on_delete=models.CASCADE, related_name="mismatches")
    run = models.ForeignKey("integrations.SyncRun", on_delete=models.CASCADE, related_name="mismatches")
    remote_document = models.ForeignKey(
        "integrations.RemoteDocument", on_delete=models.CASCADE, related_name="mismatches"
    )
    field = models.CharField(max_length=20, choices=MismatchField.choices)
    ours = models.CharField(max_length=200, blank=True)
    theirs = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3, blank=True, help_text="The currency of money values.")
    suggested_action = models.CharField(max_length=20, choices=MismatchAction.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=MismatchResolution.choices, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["remote_document_id", "field", "id"]
        indexes = [models.Index(fields=["connection", "resolved_at"])]

    def __str__(self):
        return f"{self.remote_document_id} {self.field}: ours {self.ours!r}, theirs {self.theirs!r}"
