"""Expense pages: list, detail with payments, create/edit through the services, manual payments."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.choices import ApprovalStatus, PaymentStatus
from billing.models import Expense, ExpensePayment
from billing.services import expense_create, expense_update
from tests.factories import BudgetFactory, CompanyFactory, TaxRateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(organization):
    return CompanyFactory(organization=organization, name="Print Shop", is_supplier=True)


@pytest.fixture
def budget(organization, subsidiary, vendor):
    return BudgetFactory(organization=organization, subsidiary=subsidiary, name="Rebrand 2026")


@pytest.fixture
def expense(organization, budget, vendor):
    tax = TaxRateFactory(organization=organization, percentage=Decimal("10"))
    return expense_create(
        organization=organization,
        budget=budget,
        vendor=vendor,
        description="Business cards",
        amount=Decimal("200"),
        currency="EUR",
        tax_rate=tax,
        date="2026-11-02",
    )


def expense_data(budget, vendor, **changes):
    data = {
        "description": "Stock photos",
        "vendor": vendor.pk,
        "budget": budget.pk,
        "service_type": "",
        "amount": "49.90",
        "currency": "EUR",
        "tax_rate": "",
        "date": "2026-11-05",
        "due_date": "2026-11-20",
        "approval_status": "approved",
    }
    data.update(changes)
    return data


def test_list_and_detail(member_client, expense, other_organization):
    response = member_client.get(reverse("billing:expense-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Business cards" in html and "Print Shop" in html and "220.00 EUR" in html
    response = member_client.get(reverse("billing:expense-detail", args=[expense.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Rebrand 2026" in html and "Unpaid" in html and "Record payment" in html


def test_create_through_the_form(member_client, organization, budget, vendor):
    response = member_client.post(reverse("billing:expense-create"), expense_data(budget, vendor))
    expense = Expense.objects.get(organization=organization)
    assert response.status_code == 302 and response["Location"] == expense.get_absolute_url()
    assert expense.amount == Decimal("49.90") and expense.approval_status == "approved"


def test_due_before_date_is_refused(member_client, budget, vendor):
    data = expense_data(budget, vendor, due_date="2026-11-01")
    response = member_client.post(reverse("billing:expense-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["due_date"] == ["The due date cannot be before the expense date."]
    assert not Expense.objects.exists()


def test_foreign_vendor_is_not_a_choice(member_client, budget, other_organization):
    foreign = CompanyFactory(organization=other_organization, name="Foreign Vendor")
    assert "Foreign Vendor" not in member_client.get(reverse("billing:expense-create")).content.decode()
    response = member_client.post(reverse("billing:expense-create"), expense_data(budget, foreign))
    assert "vendor" in response.context["form"].errors
    assert not Expense.objects.exists()


def test_edit(member_client, expense, budget, vendor):
    url = reverse("billing:expense-edit", args=[expense.pk])
    assert 'value="Business cards"' in member_client.get(url).content.decode()
    response = member_client.post(url, expense_data(budget, vendor, description="Letterheads", amount="250"))
    assert response.status_code == 302
    expense.refresh_from_db()
    assert expense.description == "Letterheads" and expense.amount == Decimal("250.00")


def test_record_a_manual_payment(member_client, expense):
    url = reverse("billing:expense-payment-create", args=[expense.pk])
    assert 'value="220.00"' in member_client.get(url).content.decode()
    response = member_client.post(url, {"amount": "100", "date": "2026-11-10", "reference": "Card"}, follow=True)
    expense.refresh_from_db()
    assert expense.payment_status == PaymentStatus.PARTIALLY_PAID
    html = response.content.decode()
    assert "Payment recorded." in html and "Partially paid" in html and "Card" in html


def test_zero_payment_is_refused(member_client, expense):
    url = reverse("billing:expense-payment-create", args=[expense.pk])
    response = member_client.post(url, {"amount": "0", "date": "2026-11-10"})
    assert response.status_code == 200 and response.context["form"].errors["amount"]
    assert not ExpensePayment.objects.exists()


def test_another_organizations_expense_is_404(admin_client, expense, other_admin):
    from django.test import Client

    client = Client()
    client.force_login(other_admin)
    for name in ("expense-detail", "expense-edit", "expense-payment-create"):
        assert client.get(reverse(f"billing:{name}", args=[expense.pk])).status_code == 404


def test_filters_and_search_narrow_the_list(member_client, organization, subsidiary, budget, vendor, expense):
    other_vendor = CompanyFactory(organization=organization, name="Cloud Host", is_supplier=True)
    other_budget = BudgetFactory(organization=organization, subsidiary=subsidiary, name="Platform")
    hosting = expense_create(
        organization=organization,
        budget=other_budget,
        vendor=other_vendor,
        description="Servers",
        amount=Decimal("80"),
        currency="EUR",
        date="2026-06-01",
    )
    approved = expense_update(expense=hosting, approval_status=ApprovalStatus.APPROVED)
    url = reverse("billing:expense-list")

    def listed(**params):
        response = member_client.get(url, params)
        assert response.status_code == 200
        return set(response.context["expenses"])

    assert listed() == {expense, approved}
    assert listed(approval_status="approved") == {approved}
    assert listed(payment_status="unpaid") == {expense, approved}
    assert listed(vendor=other_vendor.pk) == {approved}
    assert listed(budget=budget.pk) == {expense}
    assert listed(date_from="2026-10-01") == {expense}
    assert listed(date_to="2026-07-01") == {approved}
    assert listed(q="business") == {expense}
    assert listed(q="cloud") == {approved}  # vendor name
    assert listed(q="platform") == {approved}  # budget name


def test_the_filter_bar_keeps_its_values_and_pages_keep_the_filters(member_client, expense, vendor):
    response = member_client.get(reverse("billing:expense-list"), {"q": "cards", "vendor": vendor.pk})
    html = response.content.decode()
    assert 'role="search"' in html and 'value="cards"' in html
    assert response.context["querystring"] == f"q=cards&vendor={vendor.pk}"
    assert response.context["filtered"]


def test_nothing_matching_says_so_and_offers_to_clear(member_client, expense):
    html = member_client.get(reverse("billing:expense-list"), {"q": "no such thing"}).content.decode()
    assert "No expenses match these filters." in html


def test_filter_choices_are_the_organizations_own(member_client, expense, other_organization):
    foreign = CompanyFactory(organization=other_organization, name="Foreign Vendor")
    response = member_client.get(reverse("billing:expense-list"))
    assert "Foreign Vendor" not in response.content.decode()
    response = member_client.get(reverse("billing:expense-list"), {"vendor": foreign.pk})
    assert response.status_code == 200
    assert response.context["filter_form"].errors
