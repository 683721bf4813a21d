"""In a real browser: log in, open an invoice, record a partial payment, see "Partially paid"."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.choices import PaymentStatus
from billing.models import Invoice
from billing.services import LineInput
from tests.factories import CompanyFactory, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # tests.factories.UserFactory


def test_admin_records_a_partial_payment(browser_page, live_url, login, admin_user, subsidiary):
    page = browser_page
    company = CompanyFactory(organization=subsidiary.organization, name="Northwind Traders")
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Website redesign", Decimal("4"), Decimal("250.00"))],
        finalize=True,
    )

    login(page, admin_user.email, PASSWORD)
    # The login lands on the invoice list; open the invoice from there, as a person would.
    expect(page).to_have_url(re.compile(r"/invoices/$"))
    page.get_by_role("link", name=invoice.number).first.click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    expect(page.locator("main")).to_contain_text("Unpaid")

    page.get_by_role("link", name="Record payment").click()
    amount = page.get_by_label("Amount")
    expect(amount).to_be_visible()
    amount.fill("400.00")
    page.get_by_role("button", name="Save payment").click()

    expect(page.locator("main")).to_contain_text("Partially paid")
    expect(page.locator("main")).to_contain_text("400.00")
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID
    assert invoice.amount_paid == Decimal("400.00")
    assert invoice.payments.get().created_by == admin_user
