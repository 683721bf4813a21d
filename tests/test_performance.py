"""The invoice list (page and API) runs the same number of queries at 10,000 invoices as at 10; the expense and
purchase order lists likewise, filtered or not.

The volume is made quickly: one invoice goes through the real services (so its stored totals are right), and
the rest are bulk-created clones carrying the same totals, lines and, for some, a payment that matches their
stored amount paid.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.choices import ApprovalStatus, InvoiceStatus, PaymentStatus, PurchaseOrderStatus
from billing.models import Budget, Company, Expense, Invoice, InvoiceLine, Payment, PurchaseOrder, Subsidiary
from billing.services import LineInput, payment_record
from tests.factories import BudgetFactory, CompanyFactory, SubsidiaryFactory, TaxRateFactory, make_invoice

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)


class InvoiceVolume:
    """An organization's invoices, grown by cloning one invoice made through the services."""

    def __init__(self, organization):
        self.organization = organization
        self.subsidiaries = [
            SubsidiaryFactory(organization=organization, invoice_number_prefix=prefix, default_currency="EUR")
            for prefix in ("NL-", "BE-")
        ]
        self.companies = [CompanyFactory(organization=organization) for _ in range(20)]
        vat = TaxRateFactory(organization=organization, percentage=Decimal("21"))
        self.template = make_invoice(
            subsidiary=self.subsidiaries[0],
            company=self.companies[0],
            lines=[
                LineInput("Design", Decimal("10"), Decimal("95.00"), tax_rate=vat),
                LineInput("Hosting", Decimal("1"), Decimal("49.99")),
            ],
            finalize=True,
        )
        payment_record(invoice=self.template, amount=Decimal("100.00"), date=START)
        self.template.refresh_from_db()
        self.template_lines = list(self.template.lines.all())
        self.count = 1

    def grow_to(self, total: int) -> None:
        template, invoices = self.template, []
        for i in range(self.count, total):
            subsidiary = self.subsidiaries[i % 2]
            status = (
                InvoiceStatus.DRAFT if i % 5 == 0 else InvoiceStatus.VOID if i % 7 == 0 else InvoiceStatus.FINALIZED
            )
            paid = status == InvoiceStatus.FINALIZED and i % 3 == 0
            issue_date = START + datetime.timedelta(days=i % 300)
            invoices.append(
                Invoice(
                    organization=self.organization,
                    subsidiary=subsidiary,
                    company=self.companies[i % len(self.companies)],
                    number="" if status == InvoiceStatus.DRAFT else f"{subsidiary.invoice_number_prefix}{i:06d}",
                    issue_date=issue_date,
                    due_date=issue_date + datetime.timedelta(days=30),
                    currency=template.currency,
                    subject=f"Retainer {i}",
                    status=status,
                    subtotal=template.subtotal,
                    tax_total=template.tax_total,
                    total=template.total,
                    amount_paid=Decimal("100.00") if paid else Decimal("0.00"),
                    payment_status=PaymentStatus.PARTIALLY_PAID if paid else PaymentStatus.UNPAID,
                )
            )
        created = Invoice.objects.bulk_create(invoices, batch_size=1000)
        InvoiceLine.objects.bulk_create(
            [
                InvoiceLine(
                    invoice=invoice,
                    position=line.position,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_rate_id=line.tax_rate_id,
                    amount=line.amount,
                    tax_amount=line.tax_amount,
                )
                for invoice in created
                for line in self.template_lines
            ],
            batch_size=2000,
        )
        Payment.objects.bulk_create(
            [
                Payment(
                    organization=self.organization,
                    invoice=invoice,
                    amount=Decimal("100.00"),
                    currency=invoice.currency,
                    date=invoice.issue_date,
                )
                for invoice in created
                if invoice.amount_paid
            ],
            batch_size=2000,
        )
        self.count = total


@pytest.fixture
def volume(organization):
    return InvoiceVolume(organization)


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(queries), response


def test_the_clones_are_consistent(volume):
    volume.grow_to(200)
    template = volume.template
    assert template.total == Decimal("1199.49")  # 950 + 199.50 tax + 49.99: per-line rounding
    for invoice in Invoice.objects.filter(organization=volume.organization).prefetch_related("lines", "payments"):
        assert sum(line.amount + line.tax_amount for line in invoice.lines.all()) == invoice.total
        assert sum(p.amount for p in invoice.payments.all() if not p.is_deleted) == invoice.amount_paid


LIST_URLS = {
    "page": reverse("billing:invoice-list"),
    "page, filtered": reverse("billing:invoice-list") + "?status=finalized&q=Retainer",
    "page 3": reverse("billing:invoice-list") + "?page=3",
    "api": reverse("api:invoice-list"),
    "api, filtered": reverse("api:invoice-list") + "?status=finalized",
    "api, page 3": reverse("api:invoice-list") + "?page=3",
}


def test_invoice_list_queries_do_not_grow_with_the_number_of_invoices(volume, admin_client):
    # 160 rather than 10 so that "page 3" has rows at both sizes.
    volume.grow_to(10)
    small = {name: count_queries(admin_client, url)[0] for name, url in LIST_URLS.items() if "3" not in name}
    volume.grow_to(160)
    small.update({name: count_queries(admin_client, url)[0] for name, url in LIST_URLS.items() if "3" in name})

    volume.grow_to(10_000)
    large, responses = {}, {}
    for name, url in LIST_URLS.items():
        large[name], responses[name] = count_queries(admin_client, url)

    assert large == small, "query counts at 10,000 invoices differ from those at 10 (page 3: at 160)"
    # Sanity: the big run really listed full pages out of the 10,000.
    for name, response in responses.items():
        if name.startswith("api"):
            body = response.json()
            assert (len(body["results"]), body["count"] > 1000) == (50, True), name
        else:
            page = response.context["page_obj"]
            assert (len(page.object_list), page.paginator.count > 1000) == (50, True), name


# --- Expenses and purchase orders: the same filters and search, the same constant query count ------------------


def grow_expenses_and_orders(organization, total: int) -> None:
    """Bulk-create expenses and purchase orders up to `total` each, over several vendors, budgets, subsidiaries."""
    subsidiaries = list(Subsidiary.objects.filter(organization=organization))
    vendors = list(Company.objects.filter(organization=organization))
    budgets = list(Budget.objects.filter(organization=organization))
    have = Expense.objects.filter(organization=organization).count()
    Expense.objects.bulk_create(
        [
            Expense(
                organization=organization,
                budget=budgets[i % len(budgets)],
                vendor=vendors[i % len(vendors)],
                description=f"Hosting {i}",
                amount=Decimal("80.00"),
                currency="EUR",
                date=START + datetime.timedelta(days=i % 300),
                approval_status=ApprovalStatus.APPROVED if i % 2 else ApprovalStatus.PENDING,
            )
            for i in range(have, total)
        ],
        batch_size=1000,
    )
    PurchaseOrder.objects.bulk_create(
        [
            PurchaseOrder(
                organization=organization,
                subsidiary=subsidiaries[i % len(subsidiaries)],
                vendor=vendors[i % len(vendors)],
                budget=budgets[i % len(budgets)],
                number=f"PO-{i:06d}",
                issue_date=START + datetime.timedelta(days=i % 300),
                currency="EUR",
                note=f"Paper {i}",
                status=PurchaseOrderStatus.SENT if i % 2 else PurchaseOrderStatus.DRAFT,
                subtotal=Decimal("10.00"),
                total=Decimal("10.00"),
            )
            for i in range(PurchaseOrder.objects.filter(organization=organization).count(), total)
        ],
        batch_size=1000,
    )


def test_expense_and_purchase_order_lists_queries_do_not_grow_with_their_rows(organization, member_client):
    subsidiaries = [SubsidiaryFactory(organization=organization, invoice_number_prefix=p) for p in ("NL-", "BE-")]
    vendors = [CompanyFactory(organization=organization, is_supplier=True) for _ in range(5)]
    for n, subsidiary in enumerate(subsidiaries):
        BudgetFactory(organization=organization, subsidiary=subsidiary, name=f"Budget {n}")
    expenses, orders = reverse("billing:expense-list"), reverse("billing:purchaseorder-list")
    urls = {
        "expenses": expenses,
        "expenses, filtered": f"{expenses}?approval_status=approved&q=Hosting&vendor={vendors[1].pk}"
        "&date_from=2026-01-01&date_to=2026-12-31&payment_status=unpaid",
        "expenses, page 2": f"{expenses}?page=2",
        "orders": orders,
        "orders, filtered": f"{orders}?status=sent&q=Paper&vendor={vendors[1].pk}&subsidiary={subsidiaries[1].pk}"
        "&issued_from=2026-01-01&issued_to=2026-12-31",
        "orders, page 2": f"{orders}?page=2",
    }
    grow_expenses_and_orders(organization, 60)  # 60, not 10: page 2 has rows at both sizes
    small = {name: count_queries(member_client, url)[0] for name, url in urls.items()}
    grow_expenses_and_orders(organization, 3_000)
    large, responses = {}, {}
    for name, url in urls.items():
        large[name], responses[name] = count_queries(member_client, url)
    assert large == small, "query counts at 3,000 rows differ from those at 60"
    for name in ("expenses", "orders", "expenses, filtered", "orders, filtered"):
        page = responses[name].context["page_obj"]
        assert (len(page.object_list), page.paginator.count > 100) == (50, True), name
