"""Page forms. They check shape and types and limit every choice to the request's organization;
the rules (and the writes) live in billing.services, whose ValidationErrors are mapped back by `add_service_error`.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from .choices import ApprovalStatus, InvoiceStatus, PaymentStatus, PurchaseOrderStatus
from .list_extensions import invoice_list_columns
from .models import (
    Budget,
    Company,
    Expense,
    Organization,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)
from .money import CURRENCY_CHOICES, format_number
from .selectors import invoice_due_date
from .services import LineInput

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: field messages on their fields, the rest on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class OrganizationFormMixin:
    """Takes `organization=` and limits every model choice field to that organization's rows."""

    scoped_fields: dict[str, type] = {}

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        for name, model in self.scoped_fields.items():
            if name in self.fields:
                self.fields[name].queryset = model.objects.filter(organization=organization)


# --- Invoices ---------------------------------------------------------------------------------------------


def plain_decimal(value: Decimal) -> Decimal:
    """Drop trailing zeros without going to exponent notation (100.0000 → 100, not 1E+2)."""
    return Decimal(format_number(value))


def parse_custom_fields(text: str) -> dict[str, str]:
    """One `key: value` per line → a dict of text."""
    fields = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition(":")
        if not sep or not key.strip():
            raise ValidationError(f'Line {number}: write custom fields as "key: value".')
        fields[key.strip()] = value.strip()
    return fields


def format_custom_fields(fields: dict | None) -> str:
    return "\n".join(f"{key}: {value}" for key, value in (fields or {}).items())


class CurrencyHintSelect(forms.Select):
    """A select whose options carry their object's default currency and payment terms (the page pre-fills the
    currency and the due date)."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-currency"] = instance.default_currency
            if instance.payment_terms_days is not None:
                option["attrs"]["data-payment-terms"] = instance.payment_terms_days
        return option


class InvoiceForm(OrganizationFormMixin, forms.Form):
    scoped_fields = {"subsidiary": Subsidiary, "company": Company, "budget": Budget}

    subsidiary = forms.ModelChoiceField(
        queryset=Subsidiary.objects.none(), widget=CurrencyHintSelect(attrs={"data-sets-due-date": "id_due_date"})
    )
    company = forms.ModelChoiceField(
        queryset=Company.objects.none(),
        widget=CurrencyHintSelect(attrs={"data-sets-currency": "id_currency", "data-sets-due-date": "id_due_date"}),
        help_text="Its default currency and payment terms are proposed.",
    )
    budget = forms.ModelChoiceField(queryset=Budget.objects.none(), required=False)
    issue_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date", "data-sets-due-date": "id_due_date"}, format="%Y-%m-%d")
    )
    due_date = forms.DateField(
        widget=DATE_WIDGET,
        required=False,
        help_text="Empty: the invoice date plus the payment terms (the company's, else the subsidiary's).",
    )
    currency = forms.ChoiceField(choices=CURRENCY_CHOICES)
    subject = forms.CharField(max_length=200, required=False)
    po_number = forms.CharField(label="PO number", max_length=60, required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    custom_fields = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Project code: ACME-42"}),
        required=False,
        help_text='One per line, as "key: value".',
    )

    def clean_custom_fields(self):
        return parse_custom_fields(self.cleaned_data["custom_fields"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("due_date") and cleaned.get("issue_date") and cleaned.get("subsidiary"):
            cleaned["due_date"] = invoice_due_date(
                issue_date=cleaned["issue_date"], subsidiary=cleaned["subsidiary"], company=cleaned.get("company")
            )
        return cleaned

    @classmethod
    def initial_for(cls, invoice) -> dict:
        return {
            "subsidiary": invoice.subsidiary_id,
            "company": invoice.company_id,
            "budget": invoice.budget_id,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "currency": invoice.currency,
            "subject": invoice.subject,
            "po_number": invoice.po_number,
            "note": invoice.note,
            "custom_fields": format_custom_fields(invoice.custom_fields),
        }


class LineForm(OrganizationFormMixin, forms.Form):
    scoped_fields = {"service_type": ServiceType, "tax_rate": TaxRate}

    description = forms.CharField(max_length=500)
    quantity = forms.DecimalField(max_digits=12, decimal_places=3, initial=Decimal("1"))
    unit_price = forms.DecimalField(max_digits=14, decimal_places=4)
    service_type = forms.ModelChoiceField(queryset=ServiceType.objects.none(), required=False)
    tax_rate = forms.ModelChoiceField(queryset=TaxRate.objects.none(), required=False)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise ValidationError("The quantity must be greater than zero.")
        return quantity

    def clean_unit_price(self):
        price = self.cleaned_data["unit_price"]
        if price < 0:
            raise ValidationError("The unit price cannot be negative.")
        return price

    def to_line(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            description=data["description"],
            quantity=data["quantity"],
            unit_price=data["unit_price"],
            service_type=data.get("service_type"),
            tax_rate=data.get("tax_rate"),
        )

    @staticmethod
    def initial_for(line) -> dict:
        return {
            "description": line.description,
            "quantity": plain_decimal(line.quantity),
            "unit_price": plain_decimal(line.unit_price),
            "service_type": line.service_type_id,
            "tax_rate": line.tax_rate_id,
        }


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, organization: Organization, **kwargs):
        self.organization = organization
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "organization": self.organization}

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            organization=self.organization,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def clean(self):
        if any(self.errors):
            return
        if not self.lines():
            raise ValidationError("Add at least one line.")

    def lines(self) -> list[LineInput]:
        return [
            form.to_line()
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form) and form.cleaned_data
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=1, can_delete=True)


class PaymentForm(forms.Form):
    """A manual payment of an invoice or an expense; the currency is always the document's."""

    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    date = forms.DateField(widget=DATE_WIDGET)
    reference = forms.CharField(max_length=200, required=False)
    # Hidden until the service asks for it (an amount beyond the amount due): then a box to tick.
    confirm_overpayment = forms.BooleanField(required=False, label="Record the overpayment", widget=forms.HiddenInput)

    def add_error(self, field, error):
        super().add_error(field, error)
        if field == "confirm_overpayment":
            self.fields[field].widget = forms.CheckboxInput()


class InvoiceFilterForm(OrganizationFormMixin, forms.Form):
    scoped_fields = {"subsidiary": Subsidiary, "company": Company}

    q = forms.CharField(
        label="Search", required=False, widget=forms.SearchInput(attrs={"placeholder": "Number, subject or company"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *InvoiceStatus.choices], required=False)
    payment_status = forms.ChoiceField(
        label="Payment", choices=[("", "Any payment status"), *PaymentStatus.choices], required=False
    )
    subsidiary = forms.ModelChoiceField(
        queryset=Subsidiary.objects.none(), required=False, empty_label="Any subsidiary"
    )
    company = forms.ModelChoiceField(queryset=Company.objects.none(), required=False, empty_label="Any company")
    issued_from = forms.DateField(label="Issued from", required=False, widget=DATE_WIDGET)
    issued_to = forms.DateField(label="Issued to", required=False, widget=DATE_WIDGET)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, organization=organization, **kwargs)
        for column in invoice_list_columns(organization):  # other apps' columns (billing.list_extensions)
            self.fields[column.key] = forms.ChoiceField(
                label=column.label, choices=[("", column.any_label), *column.choices], required=False
            )


class ExpenseFilterForm(OrganizationFormMixin, forms.Form):
    scoped_fields = {"vendor": Company, "budget": Budget}

    q = forms.CharField(
        label="Search", required=False, widget=forms.SearchInput(attrs={"placeholder": "Description, vendor or budget"})
    )
    approval_status = forms.ChoiceField(
        label="Approval", choices=[("", "Any approval"), *ApprovalStatus.choices], required=False
    )
    payment_status = forms.ChoiceField(
        label="Payment", choices=[("", "Any payment status"), *PaymentStatus.choices], required=False
    )
    vendor = forms.ModelChoiceField(queryset=Company.objects.none(), required=False, empty_label="Any vendor")
    budget = forms.ModelChoiceField(queryset=Budget.objects.none(), required=False, empty_label="Any budget")
    date_from = forms.DateField(label="Dated from", required=False, widget=DATE_WIDGET)
    date_to = forms.DateField(label="Dated to", required=False, widget=DATE_WIDGET)


class PurchaseOrderFilterForm(OrganizationFormMixin, forms.Form):
    scoped_fields = {"vendor": Company, "subsidiary": Subsidiary}

    q = forms.CharField(
        label="Search", required=False, widget=forms.SearchInput(attrs={"placeholder": "Number, vendor or note"})
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *PurchaseOrderStatus.choices], required=False)
    vendor = forms.ModelChoiceField(queryset=Company.objects.none(), required=False, empty_label="Any vendor")
    subsidiary = forms.ModelChoiceField(
        queryset=Subsidiary.objects.none(), required=False, empty_label="Any subsidiary"
    )
    issued_from = forms.DateField(label="Issued from", required=False, widget=DATE_WIDGET)
    issued_to = forms.DateField(label="Issued to", required=False, widget=DATE_WIDGET)


# --- Expenses and purchase orders -------------------------------------------------------------------------


class ExpenseForm(OrganizationFormMixin, forms.ModelForm):
    scoped_fields = {"budget": Budget, "vendor": Company, "service_type": ServiceType, "tax_rate": TaxRate}

    class Meta:
        model = Expense
        fields = [
            "description",
            "vendor",
            "budget",
            "service_type",
            "amount",
            "currency",
            "tax_rate",
            "date",
            "due_date",
            "approval_status",
            "receipt",
        ]
        widgets = {"date": DATE_WIDGET, "due_date": DATE_WIDGET}
        help_texts = {"receipt": "The supplier's receipt or bill: a PDF, PNG, JPEG or GIF of at most 10 MB."}

    def service_fields(self) -> dict:
        """The cleaned fields for billing.services: the receipt only when a new one was uploaded or it was cleared."""
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        if "receipt" not in self.changed_data:
            fields.pop("receipt")
        elif fields["receipt"] is False:
            fields["receipt"] = ""
        return fields


class PurchaseOrderForm(OrganizationFormMixin, forms.ModelForm):
    scoped_fields = {"subsidiary": Subsidiary, "vendor": Company, "budget": Budget}

    class Meta:
        model = PurchaseOrder
        fields = [
            "number",
            "subsidiary",
            "vendor",
            "budget",
            "issue_date",
            "delivery_date",
            "currency",
            "status",
            "note",
        ]
        widgets = {"issue_date": DATE_WIDGET, "delivery_date": DATE_WIDGET, "note": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"number": "Leave empty for the next number."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].required = self.instance.pk is not None
