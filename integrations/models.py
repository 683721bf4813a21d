"""Installed connections to accounting tools and the records of what was sent and received.

A provider (integrations.providers.<key>) is a stateless description; a Connection is one installed
instance of it for one subsidiary and one remote tenant, and hands out an API client.
"""

import secrets
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from billing.amount_limits import TolerantDecimalField
from billing.models import (
    MONEY,
    Company,
    Expense,
    Invoice,
    Organization,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)

from . import document_kinds
from .fields import EncryptedDateTimeField, EncryptedTextField


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    ERROR = "error", "Error"
    DISCONNECTED = "disconnected", "Disconnected"


class Grant(models.Model):
    """One consent at a provider: the credentials, shared by every connection (remote tenant) it grants.

    One Xero consent can grant several organisations, one Exact user's grant covers several divisions: their
    connections share this row, so a token is refreshed once for all of them and a rotating refresh token has
    one owner. Credentials are encrypted at rest and never shown in pages, admin, API, logs or task arguments.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="grants")
    provider = models.CharField(max_length=30, help_text="Registry key, e.g. xero.")
    granted_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    token_expires_at = EncryptedDateTimeField(null=True, blank=True)
    # When the current access token was obtained: some providers refuse a refresh before it is old enough.
    access_token_obtained_at = models.DateTimeField(null=True, blank=True)
    # Token-endpoint calls made on token_calls_day (UTC): some providers cap them per user and day.
    token_calls_day = models.DateField(null=True, blank=True)
    token_calls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "pk"]

    def __str__(self):
        return f"{self.provider} grant #{self.pk}"

    def __repr__(self):  # never print credentials, not even in a traceback
        return f"<Grant {self.pk} {self.provider}>"

    @property
    def has_credentials(self) -> bool:
        return bool(self.access_token or self.refresh_token)


class Connection(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="connections")
    subsidiary = models.ForeignKey(Subsidiary, on_delete=models.PROTECT, related_name="connections")
    provider = models.CharField(max_length=30, help_text="Registry key, e.g. xero.")
    name = models.CharField(max_length=100)
    # The remote tenant: Xero tenant id, QuickBooks realm id, Exact division, e-conomic agreement number.
    remote_tenant_id = models.CharField(max_length=100, blank=True)
    remote_tenant_name = models.CharField(max_length=200, blank=True)
    # Provider-side id of the grant itself when it has one (Xero's connection id, used to disconnect).
    remote_connection_id = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=10, blank=True, help_text="Host region where it matters (Exact: nl/be/de).")
    is_sandbox = models.BooleanField(default=False, help_text="Talks to the built-in provider sandbox.")
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # The credentials it uses; shared with the other tenants of the same consent. None once disconnected.
    grant = models.ForeignKey(Grant, null=True, blank=True, on_delete=models.SET_NULL, related_name="connections")
    settings = models.JSONField(default=dict, blank=True, help_text="Provider-specific setup choices.")
    payment_sync_enabled_at = models.DateTimeField(
        null=True, blank=True, help_text="Payments dated before this are not synced."
    )
    sync_cursors = models.JSONField(default=dict, blank=True)
    paused_until = models.DateTimeField(null=True, blank=True, help_text="Throttled by the provider until then.")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Webhooks (services/webhooks.py): a webhook said something changed (due at the schedule's next tick, whatever
    # the poll interval; cleared by the run that covers it), and when a sync was last queued (the debounce).
    sync_requested_at = models.DateTimeField(null=True, blank=True, help_text="A webhook said something changed.")
    sync_queued_at = models.DateTimeField(null=True, blank=True, help_text="When a payment sync was last queued.")
    # A disconnected connection the admin removed from the marketplace list: its rows stay (invoice history).
    removed_at = models.DateTimeField(null=True, blank=True, help_text="Removed from the list (disconnected).")
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [
            # One live connection per provider, subsidiary and remote tenant.
            models.UniqueConstraint(
                fields=["provider", "subsidiary", "remote_tenant_id"],
                condition=~Q(status="disconnected"),
                name="unique_live_connection",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE

    @property
    def is_paused(self) -> bool:
        return bool(self.paused_until and self.paused_until > timezone.now())


def _state_token() -> str:
    return secrets.token_urlsafe(32)


class AuthorizationState(models.Model):
    """One OAuth (or install-URL) round trip: single-use, expiring, bound to a user, session and organization."""

    LIFETIME = timedelta(minutes=10)

    state = models.CharField(max_length=64, unique=True, default=_state_token)
    provider = models.CharField(max_length=30)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    subsidiary = models.ForeignKey(Subsidiary, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key_hash = models.CharField(max_length=64)
    connection_name = models.CharField(max_length=100)
    reconnect = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Provider-specific choices made before leaving for the provider (e.g. Exact Online's region), no secrets.
    options = models.JSONField(default=dict, blank=True)
    code_verifier = EncryptedTextField(blank=True)
    # Between the callback and the tenant choice: the token and the tenants it grants.
    pending_token = EncryptedTextField(blank=True)
    pending_tenants = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.provider} authorization for {self.organization}"

    @property
    def is_expired(self) -> bool:
        return self.created_at + self.LIFETIME < timezone.now()


class CopyStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # The provider asked us to slow down (429): nothing was refused, the attempt runs again at waiting_until.
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Copied"
    FAILED = "failed", "Failed"


UNFINISHED_COPY_STATUSES = (CopyStatus.PENDING, CopyStatus.WAITING)


class CopyErrorKind(models.TextChoices):
    """Whose move a failed attempt is: only a refusal names something to correct."""

    REFUSED = "refused", "Refused: the data needs correcting"
    TRANSIENT = "transient", "Not reached: nothing to correct"
    RECONNECT = "reconnect", "The connection needs reconnecting"


class DocumentKind(models.TextChoices):
    """What kind of our documents a remote document copies (integrations.documents has an adapter per kind)."""

    INVOICE = document_kinds.INVOICE, "Invoice"
    BILL = document_kinds.BILL, "Bill"  # a budget expense, exported as the supplier's bill
    PURCHASE_ORDER = document_kinds.PURCHASE_ORDER, "Purchase order"


# The document field of RemoteDocument (and SyncLogEntry) that each kind sets.
DOCUMENT_FIELDS = {
    DocumentKind.INVOICE: "invoice",
    DocumentKind.BILL: "expense",
    DocumentKind.PURCHASE_ORDER: "purchase_order",
}


class MappingPurpose(models.TextChoices):
    """Which side of the books a mapping serves: sales documents (revenue accounts, sales tax codes) or purchase
    documents (expense accounts, purchase tax codes)."""

    SALES = document_kinds.SALES, "Sales"
    PURCHASE = document_kinds.PURCHASE, "Purchase"


class ContactRole(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"


class RemoteState(models.TextChoices):
    """The document's state in the provider where it matters to us; "" when the provider did not say."""

    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"  # approved / authorised: still changeable where the provider allows it
    BOOKED = "booked", "Booked"  # e-conomic booked, Exact processed: it can no longer change
    VOIDED = "voided", "Voided"


def _exactly_the_kinds_document() -> Q:
    """Each kind sets its own document field and none of the others."""
    condition = Q()
    for kind, name in DOCUMENT_FIELDS.items():
        only = Q(kind=kind, **{f"{name}__isnull": False})
        for other in DOCUMENT_FIELDS.values():
            if other != name:
                only &= Q(**{f"{other}__isnull": True})
        condition |= only
    return condition


class RemoteDocument(models.Model):
    """One copy of one of our documents (an invoice, an expense as a bill, a purchase order) in an accounting
    tool. The latest successful copy is what "Update existing" changes."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.INVOICE)
    # Exactly the one field of `kind` is set (check constraint remote_document_kind_matches).
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="copies")
    expense = models.ForeignKey(Expense, null=True, blank=True, on_delete=models.PROTECT, related_name="copies")
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="copies"
    )
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="remote_documents")
    # Sent as the provider's idempotency key: retries of one attempt reuse it, a new attempt gets a new one.
    idempotency_key = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=10, choices=CopyStatus.choices, default=CopyStatus.PENDING)
    remote_id = models.CharField(max_length=100, blank=True)
    # Before success: the number this attempt sends ("" = the provider numbers it); after: the provider's answer.
    remote_number = models.CharField(max_length=100, blank=True)
    remote_url = models.URLField(max_length=500, blank=True)
    # The provider's version of the document an update must name (QuickBooks' SyncToken); "" where there is none.
    remote_version = models.CharField(max_length=100, blank=True)
    remote_state = models.CharField(max_length=20, choices=RemoteState.choices, blank=True)
    # The provider's own status word as it last answered ("AUTHORISED", "BILLED"), shown beside the copy.
    remote_status = models.CharField(max_length=30, blank=True)
    # What the copy prompt asked for this attempt (the provider's CopyPrompt fields), so a retry or a deferred
    # attempt sends the same; {} for a bulk copy (the setup's values apply).
    options = models.JSONField(default=dict, blank=True)
    is_latest = models.BooleanField(default=False)
    # The document's total as the provider computed it when it accepted this copy (in the document's currency).
    remote_total = TolerantDecimalField(**MONEY, null=True, blank=True)  # as the provider answered it, however wide
    error = models.TextField(blank=True)
    # "" for errors recorded before kinds were kept (integrations 0017): the panel cannot tell whose move they are.
    error_kind = models.CharField(max_length=10, choices=CopyErrorKind.choices, blank=True)
    # A try may have reached the provider without an answer: the next try looks the document up before creating.
    outcome_unknown = models.BooleanField(default=False)
    waiting_until = models.DateTimeField(null=True, blank=True, help_text="Waiting: when the attempt runs again.")
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="When another remote document became the latest copy of this document."
    )
    remote_voided_at = models.DateTimeField(null=True, blank=True, help_text="When it was voided in the provider.")
    # A failed attempt an admin chose to ignore under Needs attention (services.attention): who, when, why.
    ignored_at = models.DateTimeField(null=True, blank=True)
    ignored_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ignored_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=_exactly_the_kinds_document(), name="remote_document_kind_matches"),
            models.UniqueConstraint(
                fields=["invoice", "connection"], condition=Q(is_latest=True), name="one_latest_copy"
            ),
            models.UniqueConstraint(
                fields=["expense", "connection"], condition=Q(is_latest=True), name="one_latest_bill_copy"
            ),
            models.UniqueConstraint(
                fields=["purchase_order", "connection"],
                condition=Q(is_latest=True),
                name="one_latest_purchase_order_copy",
            ),
        ]
        indexes = [models.Index(fields=["connection", "remote_id"])]

    # Not stored: the contact (a RemoteContact) this attempt sent the document to, set by the copy service while
    # sending and remembered as the company's ContactLink once the provider accepted the document.
    contact_sent = None

    def __str__(self):
        return f"{self.document} → {self.connection} ({self.status})"

    @property
    def document_field(self) -> str:
        return DOCUMENT_FIELDS[self.kind]

    @property
    def document(self):
        """Our invoice, expense or purchase order this is a copy of."""
        return getattr(self, self.document_field)

    @property
    def is_booked(self) -> bool:
        """Booked in the provider (e-conomic, Exact processed): it can no longer be changed there, only replaced."""
        return self.remote_state == RemoteState.BOOKED

    @property
    def error_refused(self) -> bool:
        """The failure is the provider's refusal, so something it named is to be corrected (also an error kept
        before kinds were, which cannot tell); a network error, timeout, throttle or lost grant is not."""
        return self.error_kind in (CopyErrorKind.REFUSED, "")

    @property
    def total_mismatch(self) -> bool:
        """The provider's total for this copy is not ours: paying its amount due would not settle our document."""
        return self.remote_total is not None and self.remote_total != self.document.total


class ContactLink(models.Model):
    """Our company ↔ the provider's contact, remembered per connection and role: the customer our invoices go to,
    the supplier our bills and purchase orders come from (one provider contact may be both)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="contact_links")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=ContactRole.choices, default=ContactRole.CUSTOMER)
    remote_id = models.CharField(max_length=100)
    remote_name = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "company", "role"], name="unique_contact_link_role")
        ]

    def __str__(self):
        return f"{self.company} ↔ {self.remote_name or self.remote_id} ({self.role})"


class ServiceTypeMapping(models.Model):
    """Service type → the provider's account / item / ledger code: a revenue one for sales documents, an expense
    (purchase) one for bills and purchase orders."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="service_type_mappings")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=MappingPurpose.choices, default=MappingPurpose.SALES)
    remote_code = models.CharField(max_length=100)
    remote_name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "service_type", "purpose"], name="unique_service_type_mapping_purpose"
            )
        ]

    def __str__(self):
        return f"{self.service_type} → {self.remote_code} ({self.purpose})"


class TaxRateMapping(models.Model):
    """Our tax rate → the provider's tax type / VAT code, for sales or for purchases (they differ: Xero's INPUT vs
    OUTPUT types, Exact's VAT codes per side)."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="tax_rate_mappings")
    tax_rate = models.ForeignKey(TaxRate, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=MappingPurpose.choices, default=MappingPurpose.SALES)
    remote_code = models.CharField(max_length=100)
    remote_name = models.CharField(max_length=255, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "tax_rate", "purpose"], name="unique_tax_rate_mapping_purpose"
            )
        ]

    def __str__(self):
        return f"{self.tax_rate} → {self.remote_code} ({self.purpose})"


from .models_activity import (  # noqa: E402, F401 - runs, the sync log and webhook events, split out for size
    AttentionDigest,
    LogLevel,
    SyncKind,
    SyncLogEntry,
    SyncOutcome,
    SyncRun,
    WebhookEvent,
    WebhookResult,
)
from .models_limits import ErrorBudgetHit  # noqa: E402, F401 - limits' shared state, split out for size
from .models_payments import PendingPaymentChange, RemotePayment  # noqa: E402, F401 - split out for size
from .models_reconciliation import (  # noqa: E402, F401 - reconciliation's records, split out for size
    MismatchAction,
    MismatchField,
    MismatchResolution,
    ReconciliationMismatch,
)
