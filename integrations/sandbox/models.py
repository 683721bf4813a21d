"""State of the provider sandboxes, in their own tables so the web process and the worker see the same sandbox.

The kit's tables (consents, token sets, limits, faults, replays, the call log) are shared by every provider and
keyed by provider; below them, each provider's resources (here Xero's). Nothing here belongs to a tenant of the
app: a sandbox organisation is a pretend Xero organisation. Money is Decimal; timestamps are stored at
millisecond precision, as Xero reports them.
"""

import uuid

from django.db import models

from .economic.models import EcoAgreement, EcoDocument, EcoPayment  # noqa: F401 (e-conomic's, found here)
from .exact.models import ExactDivision, ExactEntity  # noqa: F401 (Exact's entities, found by Django here)
from .kit.models import (  # noqa: F401 (the app's models module is where Django finds the kit's models)
    ApiCall,
    AuthCode,
    CallDirection,
    Connection,
    Fault,
    FaultKind,
    Grant,
    IdempotentResponse,
    InFlight,
    RateCounter,
    Sequence,
    Token,
    TokenKind,
)
from .quickbooks.models import QboCompany, QboEntity  # noqa: F401 (QuickBooks' entities, found by Django here)


def default_payment_terms() -> dict:
    return {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}}


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
    # Invoice settings' default due dates, as Organisation.PaymentTerms: {"Sales"|"Bills": {"Day", "Type"}}.
    # Without one for a document's side, an approved document must carry its DueDate.
    payment_terms = models.JSONField(default=default_payment_terms)
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
    sent_to_contact = models.BooleanField(default=False)

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


class XeroAttachment(models.Model):
    """A file attached to an invoice or bill (Xero keys them by file name per document)."""

    org = models.ForeignKey(XeroOrg, on_delete=models.CASCADE, related_name="attachments")
    invoice = models.ForeignKey(XeroInvoice, on_delete=models.CASCADE, related_name="attachments")
    attachment_id = models.UUIDField(default=uuid.uuid4, unique=True)
    file_name = models.CharField(max_length=255)
    mime_type = models.CharField(max_length=100)
    content = models.BinaryField()
    content_length = models.PositiveIntegerField()
    include_online = models.BooleanField(default=False)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "file_name"], name="sandbox_xero_attachment_name_unique")
        ]

    def __str__(self):
        return self.file_name
