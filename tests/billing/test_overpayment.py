"""A manual payment beyond the amount due asks for confirmation (service, page, API, admin); a payment reported by
an accounting tool already happened and is recorded as is. And payments that together are more than the
amount-paid column holds are refused, even confirmed, with the invoice page still up (issue 7, item 1)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from billing.choices import PaymentSource, PaymentStatus
from billing.models import ExpensePayment, Invoice, Payment
from billing.services import LineInput, expense_create, expense_payment_record, payment_record
from tests.factories import BudgetFactory, CompanyFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 11, 10)
JSON = "application/json"
CONFIRM = "confirm_overpayment"
ASKED = (
    "1,500.00 EUR is 500.00 EUR more than the 1,000.00 EUR due on this invoice; confirm the overpayment to record it."
)


@pytest.fixture
def invoice(subsidiary):
    return make_invoice(subsidiary=subsidiary, finalize=True)  # 1,000.00 EUR


def paid(invoice):
    invoice = Invoice.objects.get(pk=invoice.pk)
    return invoice.amount_paid, invoice.payment_status


# --- service ----------------------------------------------------------------------------------------------


def test_a_manual_overpayment_needs_confirmation(invoice):
    with pytest.raises(ValidationError) as asked:
        payment_record(invoice=invoice, amount=D("1500"), date=DAY)
    assert asked.value.message_dict == {CONFIRM: [ASKED]}
    assert not Payment.objects.exists()

    payment_record(invoice=invoice, amount=D("1500"), date=DAY, confirm_overpayment=True)
    assert paid(invoice) == (D("1500.00"), PaymentStatus.OVERPAID)


def test_paying_exactly_the_amount_due_needs_no_confirmation(invoice):
    payment_record(invoice=invoice, amount=D("400"), date=DAY)
    payment_record(invoice=invoice, amount=D("600"), date=DAY)
    assert paid(invoice) == (D("1000.00"), PaymentStatus.PAID)
    with pytest.raises(ValidationError, match="Nothing is due on this invoice; confirm the overpayment to record"):
        payment_record(invoice=invoice, amount=D("0.01"), date=DAY)


def test_a_payment_from_the_accounting_tool_is_recorded_as_is(invoice):
    payment_record(invoice=invoice, amount=D("1500"), date=DAY, source=PaymentSource.XERO, external_id="x-1")
    assert paid(invoice) == (D("1500.00"), PaymentStatus.OVERPAID)


def test_expense_overpayments_ask_too(organization, subsidiary):
    company = CompanyFactory(organization=organization, is_supplier=True)
    budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary)
    expense = expense_create(
        organization=organization, budget=budget, vendor=company, description="Fonts", amount=D("50"), date=DAY
    )
    with pytest.raises(ValidationError) as asked:
        expense_payment_record(expense=expense, amount=D("60"), date=DAY)
    assert list(asked.value.message_dict) == [CONFIRM] and "10.00 EUR more than the 50.00 EUR due" in str(asked.value)
    expense_payment_record(expense=expense, amount=D("60"), date=DAY, confirm_overpayment=True)
    assert ExpensePayment.objects.get().amount == D("60.00")


# --- page: a second step with a checkbox --------------------------------------------------------------------


def pay(client, invoice, amount, headers=None, **extra):
    url = reverse("billing:invoice-payment-create", args=[invoice.pk])
    return client.post(url, {"amount": amount, "date": "2026-11-10", "reference": "Bank", **extra}, headers=headers)


def test_the_form_asks_with_the_amount_due_then_records(member_client, invoice):
    form = member_client.get(reverse("billing:invoice-payment-create", args=[invoice.pk])).content.decode()
    assert 'type="checkbox"' not in form  # nothing to confirm yet

    asked = pay(member_client, invoice, "1500")
    assert asked.status_code == 200
    html = asked.content.decode()
    assert ASKED in html
    assert 'type="checkbox" name="confirm_overpayment"' in html
    assert not Payment.objects.exists()

    confirmed = pay(member_client, invoice, "1500", confirm_overpayment="on")
    assert confirmed.status_code == 302
    assert paid(invoice) == (D("1500.00"), PaymentStatus.OVERPAID)


def test_the_htmx_form_asks_in_place(member_client, invoice):
    asked = pay(member_client, invoice, "1500", headers={"HX-Request": "true"})
    html = asked.content.decode()
    assert "<html" not in html and ASKED in html and 'name="confirm_overpayment"' in html
    assert not Payment.objects.exists()


# --- API: a 400 naming the confirm field ---------------------------------------------------------------------


def test_the_api_answers_400_naming_the_confirm_field(member_client, invoice):
    body = {"invoice": invoice.pk, "amount": "1500.00", "date": "2026-11-10"}
    refused = member_client.post(reverse("api:payment-list"), body, content_type=JSON)
    assert refused.status_code == 400
    assert refused.json() == {CONFIRM: [ASKED]}
    assert not Payment.objects.exists()

    recorded = member_client.post(reverse("api:payment-list"), {**body, CONFIRM: True}, content_type=JSON)
    assert recorded.status_code == 201, recorded.content
    assert CONFIRM not in recorded.json()
    assert paid(invoice) == (D("1500.00"), PaymentStatus.OVERPAID)


# --- admin ------------------------------------------------------------------------------------------------------


def test_support_confirms_an_overpayment_in_the_admin(invoice):
    support = Client()
    support.force_login(UserFactory(email="support@staff.test", is_staff=True, is_superuser=True))
    add = reverse("admin:billing_payment_add")
    data = {"invoice": invoice.pk, "amount": "1500.00", "date": "2026-11-10", "source": "manual", "reference": "A"}
    response = support.post(add, data, follow=True)
    assert any(ASKED in str(m) for m in get_messages(response.wsgi_request))
    assert not Payment.objects.exists()

    response = support.post(add, {**data, CONFIRM: "on"})
    assert response.status_code == 302
    assert paid(invoice) == (D("1500.00"), PaymentStatus.OVERPAID)
    change = support.get(reverse("admin:billing_payment_change", args=[Payment.objects.get().pk]))
    assert CONFIRM not in change.content.decode()


# --- item 1: payments that together are more than the amount-paid column holds -------------------------------

MOST = D("999999999999.99")
PAID_TOO_MUCH = "The amount paid of 1,000,000,000,000.00 is more than an invoice can hold (at most 999,999,999,999.99)."


@pytest.fixture
def largest(subsidiary):
    return make_invoice(subsidiary=subsidiary, lines=[LineInput("All", D("100"), D("9999999999.9999"))], finalize=True)


def test_api_refuses_a_payment_past_the_amount_paid_column_even_confirmed(member_client, largest):
    url = reverse("api:payment-list")
    first = {"invoice": largest.pk, "amount": str(MOST), "date": "2026-11-10"}
    assert member_client.post(url, first, content_type=JSON).status_code == 201
    second = {"invoice": largest.pk, "amount": "0.01", "date": "2026-11-10", CONFIRM: True}
    refused = member_client.post(url, second, content_type=JSON)
    assert refused.status_code == 400
    assert refused.json() == {"amount": [PAID_TOO_MUCH]}
    assert Payment.objects.count() == 1 and paid(largest) == (MOST, PaymentStatus.PAID)
    assert member_client.get(largest.get_absolute_url()).status_code == 200


def test_page_refuses_it_too(member_client, largest):
    assert pay(member_client, largest, str(MOST)).status_code == 302
    refused = pay(member_client, largest, "0.01", confirm_overpayment="on")
    assert refused.status_code == 200 and PAID_TOO_MUCH in refused.content.decode()
    assert Payment.objects.count() == 1
    assert member_client.get(largest.get_absolute_url()).status_code == 200
