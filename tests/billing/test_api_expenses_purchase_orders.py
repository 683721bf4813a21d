"""/api/v1/expenses/ and /api/v1/purchase-orders/: list, retrieve, create, update, tenant isolation."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Expense, PurchaseOrder, PurchaseOrderLine
from billing.services import LineInput, expense_create, purchase_order_create
from tests.factories import BudgetFactory, CompanyFactory, ServiceTypeFactory, SubsidiaryFactory, TaxRateFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
EXPENSES = reverse("api:expense-list")
ORDERS = reverse("api:purchaseorder-list")


@pytest.fixture
def vendor(organization):
    return CompanyFactory(organization=organization, name="Print Co", is_supplier=True, default_currency="EUR")


@pytest.fixture
def budget(organization, subsidiary):
    return BudgetFactory(organization=organization, subsidiary=subsidiary, currency="EUR")


@pytest.fixture
def tax(organization):
    return TaxRateFactory(organization=organization, percentage=Decimal("21"))


def make_expense(budget, vendor, **fields):
    fields = {"description": "Printing", "amount": Decimal("100"), "date": datetime.date(2026, 11, 3), **fields}
    return expense_create(organization=budget.organization, budget=budget, vendor=vendor, **fields)


def make_order(subsidiary, vendor, **fields):
    lines = [LineInput("Paper", Decimal("10"), Decimal("4.50"))]
    fields = {"issue_date": datetime.date(2026, 11, 3), **fields}
    return purchase_order_create(
        organization=subsidiary.organization, subsidiary=subsidiary, vendor=vendor, lines=lines, **fields
    )


# --- expenses ---------------------------------------------------------------------------------------------


def expense_payload(budget, vendor, /, **changes):
    return {
        "budget": budget.pk,
        "vendor": vendor.pk,
        "description": "Brochure printing",
        "amount": "200.00",
        "date": "2026-11-05",
        "due_date": "2026-12-05",
        **changes,
    }


def test_member_creates_an_expense_with_derived_tax(member_client, organization, budget, vendor, tax):
    response = member_client.post(EXPENSES, expense_payload(budget, vendor, tax_rate=tax.pk), content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["tax_amount"], body["total"], body["currency"]) == ("200.00", "42.00", "242.00", "EUR")
    assert (body["approval_status"], body["payment_status"], body["amount_paid"]) == ("pending", "unpaid", "0.00")
    assert Expense.objects.get(pk=body["id"]).organization == organization


def test_expense_derived_fields_are_read_only(member_client, budget, vendor):
    payload = expense_payload(budget, vendor, tax_amount="99.00", amount_paid="200.00", payment_status="paid")
    body = member_client.post(EXPENSES, payload, content_type=JSON).json()
    assert (body["tax_amount"], body["amount_paid"], body["payment_status"]) == ("0.00", "0.00", "unpaid")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-10"}, "amount"),
        ({"description": ""}, "description"),
        ({"due_date": "2026-11-01"}, "due_date"),
        ({"currency": "EURO"}, "currency"),
        ({"approval_status": "maybe"}, "approval_status"),
        ({"vendor": 999999}, "vendor"),  # optional (a supplier may come later), but never an unknown one
    ],
)
def test_bad_expenses_are_field_errors_and_save_nothing(member_client, budget, vendor, changes, field):
    response = member_client.post(EXPENSES, expense_payload(budget, vendor, **changes), content_type=JSON)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Expense.objects.exists()


@pytest.mark.parametrize("field", ["budget", "vendor", "tax_rate", "service_type"])
def test_expense_with_another_organizations_object_is_a_field_error(
    member_client, other_organization, budget, vendor, field
):
    theirs = {
        "budget": lambda: BudgetFactory(organization=other_organization),
        "vendor": lambda: CompanyFactory(organization=other_organization),
        "tax_rate": lambda: TaxRateFactory(organization=other_organization),
        "service_type": lambda: ServiceTypeFactory(organization=other_organization),
    }[field]()
    response = member_client.post(EXPENSES, expense_payload(budget, vendor, **{field: theirs.pk}), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {field: [f'Invalid pk "{theirs.pk}" - object does not exist.']}
    assert not Expense.objects.exists()


def test_expense_list_retrieve_update_and_filters(member_client, budget, vendor, organization, other_organization):
    expense = make_expense(budget, vendor)
    other_vendor = CompanyFactory(organization=organization)
    make_expense(budget, other_vendor, description="Couriers")
    theirs = make_expense(
        BudgetFactory(organization=other_organization), CompanyFactory(organization=other_organization)
    )
    assert len(member_client.get(EXPENSES).json()["results"]) == 2
    rows = member_client.get(EXPENSES, {"vendor": vendor.pk}).json()["results"]
    assert [row["id"] for row in rows] == [expense.pk]
    url = reverse("api:expense-detail", args=[expense.pk])
    assert member_client.get(url).json()["description"] == "Printing"
    response = member_client.patch(url, {"approval_status": "approved", "amount": "150.00"}, content_type=JSON)
    assert response.status_code == 200, response.content
    expense.refresh_from_db()
    assert (expense.approval_status, expense.amount) == ("approved", Decimal("150.00"))
    assert member_client.get(EXPENSES, {"approval_status": "approved"}).json()["count"] == 1
    theirs_url = reverse("api:expense-detail", args=[theirs.pk])
    assert member_client.get(theirs_url).status_code == 404
    assert member_client.patch(theirs_url, {"description": "x"}, content_type=JSON).status_code == 404


def test_bad_expense_update_changes_nothing(member_client, budget, vendor):
    expense = make_expense(budget, vendor)
    url = reverse("api:expense-detail", args=[expense.pk])
    response = member_client.patch(url, {"description": "New", "due_date": "2026-01-01"}, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"due_date": ["The due date cannot be before the expense date."]}
    expense.refresh_from_db()
    assert (expense.description, expense.due_date) == ("Printing", None)


def test_expense_list_query_count_is_constant(member_client, budget, vendor, django_assert_num_queries):
    for _ in range(3):
        make_expense(budget, vendor)
    with CaptureQueriesContext(connection) as three:
        member_client.get(EXPENSES)
    for _ in range(27):
        make_expense(budget, vendor)
    with django_assert_num_queries(len(three.captured_queries)):
        assert member_client.get(EXPENSES).json()["count"] == 30


# --- purchase orders --------------------------------------------------------------------------------------


def order_payload(subsidiary, vendor, /, **changes):
    return {
        "subsidiary": subsidiary.pk,
        "vendor": vendor.pk,
        "issue_date": "2026-11-03",
        "delivery_date": "2026-11-20",
        "lines": [{"description": "Paper", "quantity": "10", "unit_price": "4.50"}],
        **changes,
    }


def test_member_creates_a_purchase_order_with_lines(member_client, organization, subsidiary, vendor, tax):
    payload = order_payload(subsidiary, vendor)
    payload["lines"].append({"description": "Ink", "quantity": "2", "unit_price": "12.25", "tax_rate": tax.pk})
    response = member_client.post(ORDERS, {**payload, "total": "1.00"}, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["currency"]) == ("PO-0001", "draft", "EUR")
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("69.50", "5.15", "74.65")
    assert [line["amount"] for line in body["lines"]] == ["45.00", "24.50"]
    assert PurchaseOrder.objects.get(pk=body["id"]).organization == organization


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"delivery_date": "2026-11-01"}, "delivery_date"),
        ({"lines": [{"description": "Paper", "quantity": "0", "unit_price": "1"}]}, "lines"),
        ({"lines": [{"description": "Paper", "unit_price": "1"}]}, "lines"),
        ({"status": "lost"}, "status"),
        ({"vendor": None}, "vendor"),
    ],
)
def test_bad_purchase_orders_are_field_errors_and_save_nothing(member_client, subsidiary, vendor, changes, field):
    response = member_client.post(ORDERS, order_payload(subsidiary, vendor, **changes), content_type=JSON)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not PurchaseOrder.objects.exists()
    assert not PurchaseOrderLine.objects.exists()


def test_purchase_order_number_must_be_unique_in_the_organization(member_client, subsidiary, vendor):
    make_order(subsidiary, vendor, number="PO-7")
    response = member_client.post(ORDERS, order_payload(subsidiary, vendor, number="PO-7"), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"number": ["Purchase order PO-7 already exists."]}
    assert PurchaseOrder.objects.count() == 1


def test_purchase_order_with_another_organizations_vendor_is_a_field_error(
    member_client, subsidiary, vendor, other_organization
):
    theirs = CompanyFactory(organization=other_organization)
    response = member_client.post(ORDERS, order_payload(subsidiary, theirs), content_type=JSON)
    assert response.status_code == 400
    assert "vendor" in response.json()
    assert not PurchaseOrder.objects.exists()


def test_purchase_order_list_retrieve_update_and_isolation(member_client, subsidiary, vendor, other_organization):
    order = make_order(subsidiary, vendor)
    theirs = make_order(
        SubsidiaryFactory(organization=other_organization), CompanyFactory(organization=other_organization)
    )
    rows = member_client.get(ORDERS).json()["results"]
    assert [row["id"] for row in rows] == [order.pk]
    url = reverse("api:purchaseorder-detail", args=[order.pk])
    assert member_client.get(url).json()["lines"][0]["description"] == "Paper"
    response = member_client.patch(
        url,
        {"status": "sent", "lines": [{"description": "Card", "quantity": "5", "unit_price": "2"}]},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["total"]) == ("sent", "10.00")
    assert member_client.get(ORDERS, {"status": "sent"}).json()["count"] == 1
    assert member_client.get(ORDERS, {"status": "draft"}).json()["count"] == 0
    theirs_url = reverse("api:purchaseorder-detail", args=[theirs.pk])
    assert member_client.get(theirs_url).status_code == 404
    assert member_client.patch(theirs_url, {"note": "x"}, content_type=JSON).status_code == 404


def test_purchase_order_list_query_count_is_constant(member_client, subsidiary, vendor, django_assert_num_queries):
    for _ in range(3):
        make_order(subsidiary, vendor)
    with CaptureQueriesContext(connection) as three:
        member_client.get(ORDERS)
    for _ in range(27):
        make_order(subsidiary, vendor)
    with django_assert_num_queries(len(three.captured_queries)):
        assert member_client.get(ORDERS).json()["count"] == 30
