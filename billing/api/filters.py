"""Query-string filters. Related objects are filtered by id on an already organization-scoped queryset."""

from django_filters import rest_framework as filters

from billing.choices import ApprovalStatus, InvoiceStatus, PaymentSource, PaymentStatus, PurchaseOrderStatus
from billing.models import Expense, Invoice, Payment, PurchaseOrder


def id_filter(field: str) -> filters.NumberFilter:
    return filters.NumberFilter(field_name=f"{field}_id", label=f"{field.replace('_', ' ').capitalize()} id")


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
