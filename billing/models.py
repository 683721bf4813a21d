"""The host product's billing domain. Derived amounts are written only by billing.services."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from .amount_limits import MONEY, TolerantDecimalField
from .choices import (
    ApprovalStatus,
    InvoiceNumbering,
    InvoiceStatus,
    PaymentSource,
    PaymentStatus,
    Plan,
    PurchaseOrderStatus,
    Role,
)
from .money import CURRENCY_CHOICES, ZERO, format_money, format_percentage
from .receipts import receipt_path, validate_receipt

DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 365


class Organization(models.Model):
    """A tenant: one agency. Every other billing row belongs to exactly one."""

    name = models.CharField(max_length=200)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.ESSENTIAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="unique_membership")]
        ordering = ["organization", "user__email"]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


class ApiToken(models.Model):
    """A REST API key (`Authorization: Token <key>`). Only the key's SHA-256 digest is stored: the key itself is
    shown once, when billing.api_tokens issues it, and can never be read back. Revoked, not deleted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What uses it, e.g. “Zapier” or “Power BI export”.")
    prefix = models.CharField(max_length=8, editable=False, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        # The admin's titles, messages and "Recent actions" (LogEntry.object_repr) show this: never the key.
        return f"{self.name} ({self.prefix}…)"


class OrganizationOwned(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class Subsidiary(OrganizationOwned):
    """A bill-from entity: its own legal name, VAT number, currency and invoice numbering."""

    name = models.CharField(max_length=200)
    legal_name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 code, e.g. GB, NL")
    vat_number = models.CharField(max_length=40, blank=True)
    default_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)",
        default=DEFAULT_PAYMENT_TERMS_DAYS,
        validators=[MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)],
        help_text="Days from an invoice's date to its due date, unless the company has its own terms.",
    )
    invoice_number_prefix = models.CharField(max_length=20, blank=True, default="INV-")
    next_invoice_number = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    # Changed only by billing.services.subsidiary_set_invoice_numbering (the accounting connection's setup calls it).
    invoice_numbering = models.CharField(
        max_length=20, choices=InvoiceNumbering.choices, default=InvoiceNumbering.APP, editable=False
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "subsidiaries"

    def __str__(self):
        return self.name


class Company(OrganizationOwned):
    """A client (billed) or a supplier (vendor of expenses and purchase orders)."""

    name = models.CharField(max_length=200)
    billing_email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    country = models.CharField(max_length=2, blank=True)
    vat_number = models.CharField(max_length=40, blank=True)
    default_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    is_client = models.BooleanField(default=True)
    is_supplier = models.BooleanField(default=False)
    payment_terms_days = models.PositiveSmallIntegerField(
        "payment terms (days)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_PAYMENT_TERMS_DAYS)],
        help_text="Days this client has to pay an invoice; empty: the subsidiary's terms.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self):
        return self.name


class ServiceType(OrganizationOwned):
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="unique_service_type")]

    def __str__(self):
        return self.name


class TaxRate(OrganizationOwned):
    name = models.CharField(max_length=100)
    percentage = TolerantDecimalField(max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        ordering = ["percentage", "name"]

    def __str__(self):
        return f"{self.name} ({self.percentage_display})"

    @property
    def percentage_display(self) -> str:
        return format_percentage(self.percentage)


class Budget(OrganizationOwned):
    """A project or deal of a client, billed from one subsidiary."""

    name = models.CharField(max_length=200)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="budgets")
    subsidiary = models.ForeignKey(Subsidiary, on_delete=models.PROTECT, related_name="budgets")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PricedLine(models.Model):
    """A line of an invoice or purchase order. `amount` and `tax_amount` are derived from the rest."""

    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=500)
    quantity = TolerantDecimalField(max_digits=12, decimal_places=3, default=Decimal("1"))
    unit_price = TolerantDecimalField(max_digits=14, decimal_places=4)
    service_type = models.ForeignKey(ServiceType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    tax_rate = models.ForeignKey(TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    amount = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    tax_amount = TolerantDecimalField(**MONEY, default=ZERO, editable=False)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self):
        return self.description

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax_amount


class Invoice(OrganizationOwned):
    subsidiary = models.ForeignKey(Subsidiary, on_delete=models.PROTECT, related_name="invoices")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="invoices")
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(
        max_length=40,
        blank=True,
        help_text="Assigned when the invoice is finalized, or by the accounting tool when it numbers the invoices.",
    )
    issue_date = models.DateField()
    due_date = models.DateField()
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    subject = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    po_number = models.CharField("PO number", max_length=60, blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT)
    finalized_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # Derived by billing.services from the lines and the active payments; never edited directly.
    subtotal = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    tax_total = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    total = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    amount_paid = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID, editable=False
    )
    # When what a copy to an accounting tool carries last changed (header, lines, status), set by billing.services;
    # payments change updated_at but not this, so a paid invoice is not "updated since copied".
    content_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subsidiary", "number"], condition=~Q(number=""), name="unique_invoice_number"
            ),
            models.CheckConstraint(condition=Q(due_date__gte=models.F("issue_date")), name="due_after_issue"),
        ]
        indexes = [
            models.Index(fields=["organization", "status", "-issue_date"]),
            models.Index(fields=["organization", "payment_status"]),
        ]

    def __str__(self):
        if self.number:
            return self.number
        return f"Draft #{self.pk}" if self.is_draft else f"Invoice #{self.pk} (number pending)"

    def get_absolute_url(self):
        return reverse("billing:invoice-detail", args=[self.pk])

    @property
    def awaits_number(self) -> bool:
        """Issued without a number of ours: the accounting tool that numbers its subsidiary gives it one."""
        return not self.number and not self.is_draft

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.amount_paid

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def is_finalized(self) -> bool:
        return self.status == InvoiceStatus.FINALIZED


class InvoiceLine(PricedLine):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        pass


class PaymentRecord(models.Model):
    """A payment received (invoice) or made (expense). Deleted ones are kept but no longer count."""

    amount = TolerantDecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    date = models.DateField()
    reference = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, choices=PaymentSource.choices, default=PaymentSource.MANUAL)
    external_id = models.CharField(max_length=100, blank=True, help_text="The payment's id in the source.")
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["date", "id"]

    def __str__(self):
        return f"{format_money(self.amount, self.currency)} on {self.date}"


class Payment(OrganizationOwned, PaymentRecord):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")

    class Meta(PaymentRecord.Meta):
        indexes = [models.Index(fields=["invoice", "is_deleted"])]


class Expense(OrganizationOwned):
    """A budget expense: a supplier's cost, later sent to the accounting tool as a bill."""

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="expenses")
    service_type = models.ForeignKey(ServiceType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Optional: a cost may be booked before its supplier is known; it is sent to the accounting tool only with one.
    vendor = models.ForeignKey(Company, null=True, blank=True, on_delete=models.PROTECT, related_name="expenses")
    description = models.CharField(max_length=500)
    amount = TolerantDecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    tax_rate = models.ForeignKey(TaxRate, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    approval_status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    # The supplier's receipt or bill (a PDF or an image), attached to the bill in the accounting tool. Stored in the
    # default storage under MEDIA_ROOT, never served publicly: billing:expense-receipt streams it to members.
    receipt = models.FileField(upload_to=receipt_path, blank=True, max_length=255, validators=[validate_receipt])
    # Derived by billing.services from the lines and the active payments.
    tax_amount = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    amount_paid = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    payment_status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self):
        return self.description

    def get_absolute_url(self):
        return reverse("billing:expense-detail", args=[self.pk])

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax_amount


class ExpensePayment(OrganizationOwned, PaymentRecord):
    expense = models.ForeignKey(Expense, on_delete=models.PROTECT, related_name="payments")


class PurchaseOrder(OrganizationOwned):
    subsidiary = models.ForeignKey(Subsidiary, on_delete=models.PROTECT, related_name="purchase_orders")
    vendor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="purchase_orders")
    budget = models.ForeignKey(Budget, null=True, blank=True, on_delete=models.PROTECT, related_name="purchase_orders")
    number = models.CharField(max_length=40)
    issue_date = models.DateField()
    delivery_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.DRAFT)
    subtotal = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    tax_total = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    total = TolerantDecimalField(**MONEY, default=ZERO, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [models.UniqueConstraint(fields=["organization", "number"], name="unique_purchase_order_number")]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("billing:purchaseorder-detail", args=[self.pk])


class PurchaseOrderLine(PricedLine):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")

    class Meta(PricedLine.Meta):
        pass
