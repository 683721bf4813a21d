"""Billing reads: tenant-scoped querysets for pages and documents, built to run a constant number of queries."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db.models import Prefetch, Q, QuerySet

from .list_extensions import invoice_list_columns
from .models import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    InvoiceLine,
    Membership,
    Organization,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
    Subsidiary,
)


def _filtered(
    queryset: QuerySet, filters: Mapping | None, lookups: Mapping[str, str], searched: tuple[str, ...]
) -> QuerySet:
    """Narrow a list by its page's filters: `lookups` maps a filter key to its field lookup; `q` searches
    (case-insensitively, any of) the `searched` fields. Empty values are no filter."""
    filters = filters or {}
    wanted = {lookup: filters.get(key) for key, lookup in lookups.items()}
    queryset = queryset.filter(**{lookup: value for lookup, value in wanted.items() if value not in (None, "")})
    query = (filters.get("q") or "").strip()
    if query:
        matches = Q()
        for field in searched:
            matches |= Q(**{f"{field}__icontains": query})
        queryset = queryset.filter(matches)
    return queryset


INVOICE_FILTERS = {
    "status": "status",
    "payment_status": "payment_status",
    "subsidiary": "subsidiary",
    "company": "company",
    "issued_from": "issue_date__gte",
    "issued_to": "issue_date__lte",
}


def invoice_list(*, organization: Organization, filters: Mapping | None = None) -> QuerySet[Invoice]:
    """The organization's invoices, narrowed by the list page's filters.

    `filters` keys (all optional): status, payment_status, subsidiary, company (objects or ids),
    issued_from, issued_to (dates), q (matches number, subject or company name) and each registered list
    column's key (one of its choices). Totals are stored on the invoice, so a page of rows needs no per-row query.
    """
    invoices = Invoice.objects.filter(organization=organization).select_related("company", "subsidiary")
    invoices = _filtered(invoices, filters, INVOICE_FILTERS, ("number", "subject", "company__name"))
    for column in invoice_list_columns(organization):  # other apps' columns (billing.list_extensions)
        invoices = column.annotate(invoices)
        wanted = (filters or {}).get(column.key)
        if wanted:
            invoices = invoices.filter(**{column.key: wanted})
    return invoices.order_by("-issue_date", "-id")


def invoice_due_date(*, issue_date: datetime.date, subsidiary: Subsidiary | None, company: Company | None = None):
    """The invoice date plus the payment terms: the company's when it has its own, else the subsidiary's."""
    if company is not None and company.payment_terms_days is not None:
        days = company.payment_terms_days
    elif subsidiary is not None:
        days = subsidiary.payment_terms_days
    else:
        days = DEFAULT_PAYMENT_TERMS_DAYS
    return issue_date + datetime.timedelta(days=days)


def invoice_detail(*, organization: Organization) -> QuerySet[Invoice]:
    """Invoices with everything the detail page and the PDF show, fetched up front."""
    return (
        Invoice.objects.filter(organization=organization)
        .select_related("company", "subsidiary", "budget")
        .prefetch_related(
            Prefetch("lines", queryset=InvoiceLine.objects.select_related("service_type", "tax_rate")),
            Prefetch("payments", queryset=Payment.objects.order_by("date", "id")),
        )
    )


EXPENSE_FILTERS = {
    "approval_status": "approval_status",
    "payment_status": "payment_status",
    "vendor": "vendor",
    "budget": "budget",
    "date_from": "date__gte",
    "date_to": "date__lte",
}


def expense_list(*, organization: Organization, filters: Mapping | None = None) -> QuerySet[Expense]:
    """The organization's expenses, narrowed by the list page's filters.

    `filters` keys (all optional): approval_status, payment_status, vendor, budget (objects or ids),
    date_from, date_to (dates) and q (matches description, vendor or budget name).
    """
    expenses = Expense.objects.filter(organization=organization).select_related(
        "vendor", "budget", "service_type", "tax_rate"
    )
    return _filtered(expenses, filters, EXPENSE_FILTERS, ("description", "vendor__name", "budget__name"))


def expense_detail(*, organization: Organization) -> QuerySet[Expense]:
    return expense_list(organization=organization).prefetch_related(
        Prefetch("payments", queryset=ExpensePayment.objects.order_by("date", "id"))
    )


PURCHASE_ORDER_FILTERS = {
    "status": "status",
    "vendor": "vendor",
    "subsidiary": "subsidiary",
    "issued_from": "issue_date__gte",
    "issued_to": "issue_date__lte",
}


def purchase_order_list(*, organization: Organization, filters: Mapping | None = None) -> QuerySet[PurchaseOrder]:
    """The organization's purchase orders, narrowed by the list page's filters.

    `filters` keys (all optional): status, vendor, subsidiary (objects or ids), issued_from, issued_to (dates)
    and q (matches number, vendor name or note).
    """
    orders = PurchaseOrder.objects.filter(organization=organization).select_related("vendor", "subsidiary", "budget")
    return _filtered(orders, filters, PURCHASE_ORDER_FILTERS, ("number", "vendor__name", "note"))


def purchase_order_detail(*, organization: Organization) -> QuerySet[PurchaseOrder]:
    return purchase_order_list(organization=organization).prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("service_type", "tax_rate"))
    )


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")
