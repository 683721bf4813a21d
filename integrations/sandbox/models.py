"""State of the Xero sandbox, in its own tables so the web process and the worker see the same sandbox.

Nothing here belongs to a tenant of the app: a sandbox organisation is a pretend Xero organisation.
Money is Decimal; timestamps are stored at millisecond precision, as Xero reports them.
"""

import uuid

from django.db import models


class XeroOrg(models.Model):
    tenant_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=255)
    legal_name = models.CharField(max_length=255)
    base_currency = models.CharField(max_length=3)
    country_code = models.CharField(max_length=2)
    version = models.CharField(max_length=10)
    timezone = models.CharField(max_length=60)
    short_code = models.CharField(max_length=12)
    tax_number = models.CharField(max_length=40, blank=True)
    currencies = models.JSONField(default=list, help_text="Currencies the organisation is subscribed to.")
    next_invoice_number = models.PositiveIntegerField(default=1)
    next_purchase_order_number = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class XeroAccount(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="accounts")
    account_id = models.UUIDField(default=uuid.uuid4, unique=True)
    code = models.CharField(max_length=10)
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20)
    tax_type = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, default="ACTIVE")
    bank_account_number = models.CharField(max_length=40, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="sandbox_xero_account_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"


class XeroTaxRate(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="tax_rates")
    tax_type = models.CharField(max_length=30)
    name = models.CharField(max_length=100)
    rate = models.DecimalField(max_digits=7, decimal_places=4)
    report_tax_type = models.CharField(max_length=30)
    can_apply_to_revenue = models.BooleanField(default=False)
    can_apply_to_expenses = models.BooleanField(default=False)
    status = models.CharField(max_length=10, default="ACTIVE")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "tax_type"], name="sandbox_xero_tax_type_unique")]

    def __str__(self):
        return self.name


class XeroItem(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="items")
    item_id = models.UUIDField(default=uuid.uuid4, unique=True)
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=50)
    description = models.CharField(max_length=4000, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, default=0)
    account_code = models.CharField(max_length=10, blank=True)
    tax_type = models.CharField(max_length=30, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["org", "code"], name="sandbox_xero_item_code_unique")]

    def __str__(self):
        return self.code


class XeroContact(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="contacts")
    contact_id = models.UUIDField(default=uuid.uuid4, unique=True)
    name = models.CharField(max_length=255)
    first_name = models.CharField(max_length=255, blank=True)
    last_name = models.CharField(max_length=255, blank=True)
    email = models.CharField(max_length=255, blank=True)
    contact_number = models.CharField(max_length=50, blank=True)
    account_number = models.CharField(max_length=50, blank=True)
    tax_number = models.CharField(max_length=50, blank=True)
    default_currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=10, default="ACTIVE")
    is_customer = models.BooleanField(default=False)
    is_supplier = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class XeroDocument(models.Model):
    """Shared by invoices and purchase orders: a contact, dated lines and Xero-computed totals."""

    reference = models.CharField(max_length=255, blank=True)
    date = models.DateField()
    line_amount_types = models.CharField(max_length=10, default="Exclusive")
    currency_code = models.CharField(max_length=3)
    status = models.CharField(max_length=12)
    # Lines as Xero returns them (numbers as strings of Decimals), computed by the sandbox services.
    line_items = models.JSONField(default=list)
    sub_total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total_tax = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    total = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True


class XeroInvoice(XeroDocument):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="invoices")
    contact = models.ForeignKey(XeroContact, on_delete=models.PROTECT, related_name="invoices")
    invoice_id = models.UUIDField(default=uuid.uuid4, unique=True)
    type = models.CharField(max_length=12)
    number = models.CharField(max_length=255, blank=True)
    due_date = models.DateField(null=True, blank=True)
    url = models.CharField(max_length=2000, blank=True)
    amount_paid = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    amount_due = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    fully_paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-date", "-created_at"]

    def __str__(self):
        return self.number or str(self.invoice_id)


class XeroPurchaseOrder(XeroDocument):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="purchase_orders")
    contact = models.ForeignKey(XeroContact, on_delete=models.PROTECT, related_name="purchase_orders")
    purchase_order_id = models.UUIDField(default=uuid.uuid4, unique=True)
    number = models.CharField(max_length=255)
    delivery_date = models.DateField(null=True, blank=True)
    delivery_address = models.CharField(max_length=500, blank=True)
    attention_to = models.CharField(max_length=255, blank=True)
    telephone = models.CharField(max_length=50, blank=True)
    delivery_instructions = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-date", "-created_at"]

    def __str__(self):
        return self.number


class XeroPayment(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="payments")
    payment_id = models.UUIDField(default=uuid.uuid4, unique=True)
    invoice = models.ForeignKey(XeroInvoice, on_delete=models.PROTECT, related_name="payments")
    account = models.ForeignKey(XeroAccount, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reference = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, default="AUTHORISED")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["updated_at", "created_at"]

    def __str__(self):
        return f"{self.amount} on {self.invoice}"


# --- OAuth --------------------------------------------------------------------------------------------------


class XeroAuthCode(models.Model):
    """A consent: single use, valid five minutes, bound to the client, redirect URI and PKCE challenge."""

    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=100)
    redirect_uri = models.CharField(max_length=2000)
    scope = models.CharField(max_length=2000)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    orgs = models.ManyToManyField(XeroOrg, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"code for {self.client_id} ({self.created_at:%Y-%m-%d %H:%M})"


class XeroGrant(models.Model):
    """One token set (one consent): the refresh-token chain and the organisations it covers."""

    auth_event_id = models.UUIDField(default=uuid.uuid4, unique=True)
    client_id = models.CharField(max_length=100)
    scope = models.CharField(max_length=2000)
    orgs = models.ManyToManyField(XeroOrg, related_name="grants")
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"grant {self.auth_event_id}"


class XeroConnection(models.Model):
    """What GET /connections lists: the app's access to one organisation (kept across re-consents)."""

    connection_id = models.UUIDField(default=uuid.uuid4, unique=True)
    client_id = models.CharField(max_length=100)
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="connections")
    auth_event_id = models.UUIDField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "org"], name="sandbox_xero_connection_unique")]

    def __str__(self):
        return f"{self.client_id} → {self.org_id}"


class TokenKind(models.TextChoices):
    ACCESS = "access"
    REFRESH = "refresh"


class XeroToken(models.Model):
    """Only a SHA-256 of each token is stored."""

    grant = models.ForeignKey(XeroGrant, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    # Refresh tokens: when it was exchanged for a new one (it stays usable for the grace period after that).
    rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    def __str__(self):
        return f"{self.kind} token of grant {self.grant_id}"


# --- Limits, faults, idempotency, log ----------------------------------------------------------------------


class XeroRateCounter(models.Model):
    """Per-tenant fixed windows; also the row locked to serialise admission of calls for a tenant."""

    org = models.OneToOneField(XeroOrg, on_delete=models.CASCADE, related_name="rate_counter")
    window_started_at = models.DateTimeField(null=True, blank=True)
    window_count = models.PositiveIntegerField(default=0)
    day = models.DateField(null=True, blank=True)
    day_count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"limits of org {self.org_id}"


class XeroInFlight(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="in_flight")
    started_at = models.DateTimeField()

    def __str__(self):
        return f"call in flight for org {self.org_id}"


class FaultKind(models.TextChoices):
    TIMEOUT = "timeout", "Next call times out"
    SERVER_ERROR = "server_error", "Next call returns 500"
    THROTTLE = "throttle", "Next call returns 429"


class XeroFault(models.Model):
    """A one-shot switch: the next API call for the organisation consumes it."""

    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="faults")
    kind = models.CharField(max_length=20, choices=FaultKind.choices)
    created_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind} for org {self.org_id}"


class XeroIdempotentResponse(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    status_code = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "key"], name="sandbox_xero_idempotency_unique")]

    def __str__(self):
        return f"{self.method} {self.path} [{self.key}]"


class XeroApiCall(models.Model):
    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, null=True, blank=True, related_name="api_calls")
    at = models.DateTimeField()
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    status_code = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.method} {self.path} → {self.status_code}"
