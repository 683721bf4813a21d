"""A row that somehow holds a value its column cannot hold (written before the services checked, or by hand)
takes no page down: it is read as is, shown as "out of range", and support can delete it.

SQLite stores such a value (and Django's SQLite backend used to raise decimal.InvalidOperation on every read of
it); PostgreSQL's numeric(p, s) refuses it on write, which the last test checks. The rows are poisoned with raw
SQL, the way no service can."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import DataError, connection, models, transaction
from django.test import Client
from django.urls import reverse

from billing.amount_limits import TolerantDecimalField, out_of_range_fields
from billing.models import Expense, ExpensePayment, Invoice, InvoiceLine, Payment, PurchaseOrder, PurchaseOrderLine
from billing.services import (
    LineInput,
    expense_create,
    expense_payment_record,
    payment_record,
    purchase_order_create,
)
from tests.factories import BudgetFactory, CompanyFactory, TaxRateFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 11, 1)
# What the unchecked services stored for a line of 999999999 x 9999999999.9999.
POISON = D("9999999989999900000.00")
JSON = "application/json"

sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="PostgreSQL refuses the value on write (test_postgresql_refuses_it)"
)


def write_raw(obj, **values) -> None:
    """UPDATE the row behind the services' and the ORM's back."""
    quote = connection.ops.quote_name
    model = type(obj)
    sets = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(model._meta.db_table)} SET {sets} WHERE {quote(model._meta.pk.column)} = %s",
            [*(str(value) for value in values.values()), obj.pk],
        )


def poison(obj, field_name: str) -> Decimal:
    """A value just out of reach of the field's column, written raw; returns it."""
    field = obj._meta.get_field(field_name)
    value = Decimal(10) ** (field.max_digits - field.decimal_places) * 10  # one digit too many
    write_raw(obj, **{field_name: value})
    return value


def decimal_fields(app_labels=("billing", "integrations")):
    return [
        (model, field)
        for label in app_labels
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
    ]


def one_of_each(organization, subsidiary):
    """A saved row of every billing model with decimal columns."""
    company = CompanyFactory(organization=organization, is_supplier=True)
    rate = TaxRateFactory(organization=organization, percentage=D("20"))
    invoice = make_invoice(
        subsidiary=subsidiary, company=company, lines=[LineInput("W", D("1"), D("10"), tax_rate=rate)], finalize=True
    )
    payment = payment_record(invoice=invoice, amount=D("1"), date=DAY)
    budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary)
    expense = expense_create(
        organization=organization, budget=budget, vendor=company, description="X", amount=D("5"), date=DAY
    )
    order = purchase_order_create(
        organization=organization, subsidiary=subsidiary, vendor=company, issue_date=DAY, lines=[LineInput("W", 1, 1)]
    )
    return {
        "Invoice": invoice,
        "InvoiceLine": invoice.lines.get(),
        "Payment": payment,
        "Expense": expense,
        "ExpensePayment": expense_payment_record(expense=expense, amount=D("1"), date=DAY),
        "PurchaseOrder": order,
        "PurchaseOrderLine": order.lines.get(),
        "TaxRate": rate,
    }


def test_every_decimal_column_reads_tolerantly():
    assert decimal_fields()
    plain = [f"{m.__name__}.{f.name}" for m, f in decimal_fields() if not isinstance(f, TolerantDecimalField)]
    assert plain == [], "use billing.amount_limits.TolerantDecimalField for every decimal column"


@sqlite_only
@pytest.mark.parametrize(
    ("model", "field"),
    decimal_fields(("billing",)),
    ids=[f"{model.__name__}.{field.name}" for model, field in decimal_fields(("billing",))],
)
def test_a_value_beyond_its_column_is_read_and_reported(model, field, organization, subsidiary):
    rows = one_of_each(organization, subsidiary)
    assert model.__name__ in rows, f"add a {model.__name__} to one_of_each()"
    row = rows[model.__name__]
    value = poison(row, field.name)

    read = model.objects.get(pk=row.pk)
    listed = list(model.objects.filter(pk=row.pk).values_list(field.name, flat=True))

    assert getattr(read, field.name) == value and listed == [value]
    assert out_of_range_fields(read) == [field.name]


# --- the pages of the issue, with the invoice the unchecked API saved ---------------------------------------


@pytest.fixture
def support():
    client = Client()
    client.force_login(UserFactory(email="support@staff.test", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def poisoned_draft(subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, lines=[LineInput("Big", D("999999999"), D("10"))])
    write_raw(invoice, subtotal=POISON, total=POISON)
    write_raw(invoice.lines.get(), amount=POISON, unit_price=D("9999999999.9999"))
    return invoice


@sqlite_only
def test_the_invoice_list_and_detail_show_it_as_out_of_range(member_client, poisoned_draft, subsidiary):
    healthy = make_invoice(subsidiary=subsidiary)
    page = member_client.get(reverse("billing:invoice-list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "out of range" in html and "1,000.00 EUR" in html  # the other invoices are listed as usual
    assert healthy.get_absolute_url() in html

    detail = member_client.get(poisoned_draft.get_absolute_url())
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "larger than the app can store" in html
    assert html.count("out of range") >= 4  # line amount, subtotal, total, due
    assert member_client.get(reverse("billing:invoice-pdf", args=[poisoned_draft.pk])).status_code == 200


@sqlite_only
def test_the_api_lists_and_shows_it(member_client, poisoned_draft):
    listed = member_client.get(reverse("api:invoice-list"))
    assert listed.status_code == 200
    assert listed.json()["results"][0]["total"] == "9999999989999900000.00"
    detail = member_client.get(reverse("api:invoice-detail", args=[poisoned_draft.pk]))
    assert detail.status_code == 200
    body = detail.json()
    assert (body["total"], body["amount_due"], body["lines"][0]["amount"]) == (
        "9999999989999900000.00",
        "9999999989999900000.00",
        "9999999989999900000.00",
    )


@sqlite_only
def test_the_draft_can_be_corrected_on_its_edit_page(member_client, poisoned_draft):
    from tests.billing.test_views_invoices import invoice_post_data

    edit = reverse("billing:invoice-edit", args=[poisoned_draft.pk])
    assert member_client.get(edit).status_code == 200
    data = invoice_post_data(
        subsidiary=poisoned_draft.subsidiary,
        company=poisoned_draft.company,
        lines=[{"description": "Big", "quantity": "1", "unit_price": "10"}],
    )
    assert member_client.post(edit, data).status_code == 302
    poisoned_draft.refresh_from_db()
    assert (poisoned_draft.total, out_of_range_fields(poisoned_draft)) == (D("10.00"), [])


@sqlite_only
def test_support_sees_it_in_the_admin_and_deletes_it(support, poisoned_draft):
    for view, args in [("changelist", []), ("change", [poisoned_draft.pk]), ("delete", [poisoned_draft.pk])]:
        response = support.get(reverse(f"admin:billing_invoice_{view}", args=args))
        assert response.status_code == 200, view
    response = support.post(reverse("admin:billing_invoice_delete", args=[poisoned_draft.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Invoice.objects.filter(pk=poisoned_draft.pk).exists()
    assert not InvoiceLine.objects.exists()


@sqlite_only
def test_support_deletes_a_finalized_invoice_that_holds_one(support, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    delete = reverse("admin:billing_invoice_delete", args=[invoice.pk])
    assert support.get(delete).status_code == 403  # a healthy finalized invoice keeps its number
    write_raw(invoice, total=POISON)
    assert support.get(delete).status_code == 200
    support.post(delete, {"post": "yes"})
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


@sqlite_only
def test_an_amount_paid_out_of_range_is_repaired_by_removing_a_payment(support, member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    first = payment_record(invoice=invoice, amount=D("600"), date=DAY)
    payment_record(invoice=invoice, amount=D("400"), date=DAY)
    write_raw(first, amount=D("999999999999999"))
    write_raw(invoice, amount_paid=D("1000000000000399"))

    assert member_client.get(invoice.get_absolute_url()).status_code == 200
    assert support.get(reverse("admin:billing_payment_changelist")).status_code == 200
    response = support.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "soft_delete_selected", "_selected_action": [first.pk]},
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (D("400.00"), "partially_paid")


@sqlite_only
@pytest.mark.parametrize("model", [Payment, Expense, ExpensePayment, PurchaseOrder, PurchaseOrderLine])
def test_other_pages_stay_up(model, member_client, organization, subsidiary):
    rows = one_of_each(organization, subsidiary)
    row = rows[model.__name__]
    field = "amount" if model in (Payment, Expense, ExpensePayment, PurchaseOrderLine) else "total"
    poison(row, field)
    pages = {
        Payment: [rows["Invoice"].get_absolute_url(), reverse("api:payment-list")],
        Expense: [reverse("billing:expense-list"), rows["Expense"].get_absolute_url(), reverse("api:expense-list")],
        ExpensePayment: [rows["Expense"].get_absolute_url()],
        PurchaseOrder: [reverse("billing:purchaseorder-list"), reverse("api:purchaseorder-list")],
        PurchaseOrderLine: [rows["PurchaseOrder"].get_absolute_url(), reverse("api:purchaseorder-list")],
    }[model]
    for url in pages:
        response = member_client.get(url)
        assert response.status_code == 200, url
        if not url.startswith("/api/"):
            assert "out of range" in response.content.decode(), url


@pytest.mark.postgres
def test_postgresql_refuses_it(subsidiary):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores it: the tests above")
    invoice = make_invoice(subsidiary=subsidiary)
    with pytest.raises(DataError), transaction.atomic():
        write_raw(invoice, total=POISON)
