"""Query-string filters. Related objects are filtered by id on an already organization-scoped queryset."""

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from billing.choices import ApprovalStatus, InvoiceStatus, PaymentSource, PaymentStatus, PurchaseOrderStatus
from billing.models import Expense, ExpensePayment, Invoice, Payment, PurchaseOrder

# Every primary key is a BigAutoField. A larger number names no row, but SQLite cannot even bind it (a 500),
# while PostgreSQL answers nothing: both get the same 400 with a field error instead.
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """A whole number in 1..MAX_ID (an id); anything else is a 400 naming the filter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)

    def get_max_validator(self):
        return None  # max_value above is the bound


def id_filter(field: str) -> IdFilter:
    return IdFilter(field_name=f"{field}_id", label=f"{field.replace('_', ' ').capitalize()} id")


class InvoiceFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=InvoiceStatus.choices)
    payment_status = filters.ChoiceFilter(choices=PaymentStatus.choices)
    subsidiary = id_filter("subsidiary")
    company = id_filter("company")
    issue_date_from = filters.DateFilter(field_name="issue_date", lookup_expr="gte")
    issue_date_to = filters.DateFilter(field_name="issue_date", lookup_expr="lte")

    class Meta:
        model = Invoice
        fields = []


class PaymentFilter(filters.FilterSet):
    invoice = id_filter("invoice")
    source = filters.ChoiceFilter(choices=PaymentSource.choices)
    is_deleted = filters.BooleanFilter()

    class Meta:
        model = Payment
        fields = []


class ExpensePaymentFilter(filters.FilterSet):
    expense = id_filter("expense")
    source = filters.ChoiceFilter(choices=PaymentSource.choices)
    is_deleted = filters.BooleanFilter()

    class Meta:
        model = ExpensePayment
        fields = []


class ExpenseFilter(filters.FilterSet):
    budget = id_filter("budget")
    vendor = id_filter("vendor")
    approval_status = filters.ChoiceFilter(choices=ApprovalStatus.choices)
    payment_status = filters.ChoiceFilter(choices=PaymentStatus.choices)

    class Meta:
        model = Expense
        fields = []


class PurchaseOrderFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PurchaseOrderStatus.choices)
    subsidiary = id_filter("subsidiary")
    vendor = id_filter("vendor")

    class Meta:
        model = PurchaseOrder
        fields = []
