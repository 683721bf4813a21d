"""Billing reads: tenant-scoped querysets for pages and documents, built to run a constant number of queries."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Prefetch, Q, QuerySet

from .models import (
    Expense,
    ExpensePayment,
    Invoice,
    InvoiceLine,
    Membership,
    Organization,
    Payment,
    PurchaseOrder,
    PurchaseOrderLine,
)


def invoice_list(*, organization: Organization, filters: Mapping | None = None) -> QuerySet[Invoice]:
    """The organization's invoices, narrowed by the list page's filters.

    `filters` keys (all optional): status, payment_status, subsidiary, company (objects or ids),
    issued_from, issued_to (dates) and q (matches number, subject or company name).
    Totals are stored on the invoice, so a page of rows needs no per-row query.
    """
    filters = filters or {}
    invoices = Invoice.objects.filter(organization=organization).select_related("company", "subsidiary")
    exact = {
        "status": filters.get("status"),
        "payment_status": filters.get("payment_status"),
        "subsidiary": filters.get("subsidiary"),
        "company": filters.get("company"),
        "issue_date__gte": filters.get("issued_from"),
        "issue_date__lte": filters.get("issued_to"),
    }
    invoices = invoices.filter(**{lookup: value for lookup, value in exact.items() if value not in (None, "")})
    query = (filters.get("q") or "").strip()
    if query:
        invoices = invoices.filter(
            Q(number__icontains=query) | Q(subject__icontains=query) | Q(company__name__icontains=query)
        )
    return invoices.order_by("-issue_date", "-id")


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


def expense_list(*, organization: Organization) -> QuerySet[Expense]:
    return Expense.objects.filter(organization=organization).select_related(
        "vendor", "budget", "service_type", "tax_rate"
    )


def expense_detail(*, organization: Organization) -> QuerySet[Expense]:
    return expense_list(organization=organization).prefetch_related(
        Prefetch("payments", queryset=ExpensePayment.objects.order_by("date", "id"))
    )


def purchase_order_list(*, organization: Organization) -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.filter(organization=organization).select_related("vendor", "subsidiary", "budget")


def purchase_order_detail(*, organization: Organization) -> QuerySet[PurchaseOrder]:
    return purchase_order_list(organization=organization).prefetch_related(
        Prefetch("lines", queryset=PurchaseOrderLine.objects.select_related("service_type", "tax_rate"))
    )


def membership_list(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")
