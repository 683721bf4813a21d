"""Xero bills and purchase orders end to end in a real browser, with a real django-q2 cluster process, against the
Xero sandbox: turn on the expense export in the setup, send an approved expense as a bill, pay the bill partly in
the sandbox, see the expense partially paid here; send a purchase order, edit it here and update it there, and read
back the status a person gave it in Xero."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from billing.choices import ApprovalStatus, PaymentStatus
from billing.models import Expense
from billing.services import LineInput, expense_create, purchase_order_create, purchase_order_update
from integrations.models import CopyStatus, RemoteDocument
from integrations.sandbox.models import XeroPurchaseOrder
from tests.factories import BudgetFactory, CompanyFactory

from .conftest import connect_xero, open_sandbox_org, select_option_starting, set_up_connection, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYNC_TIMEOUT = 30


def turn_on_expenses(page: Page) -> None:
    page.get_by_label("Send expenses to Xero").check()
    select_option_starting(page.get_by_label("Default expense account"), "400")


def send_from_panel(page: Page, base_url: str, document) -> None:
    page.goto(base_url + document.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Send to Xero").click()
    page.get_by_role("button", name="Send to Xero").click()
    expect(page.locator("#integrations")).to_contain_text("Sent as")


def test_bill_paid_in_part_and_purchase_order_updated(browser_page, live_url, login, demo, worker):
    page = browser_page
    organization = demo.subsidiary.organization
    vendor = CompanyFactory(organization=organization, name="Drukkerij Noord B.V.", is_supplier=True, is_client=False)
    expense = expense_create(
        organization=organization,
        budget=BudgetFactory(organization=organization, subsidiary=demo.subsidiary),
        vendor=vendor,
        description="Printing of brochures",
        amount=Decimal("400.00"),
        currency="EUR",
        date=datetime.date.today(),
        due_date=datetime.date.today() + datetime.timedelta(days=30),
        approval_status=ApprovalStatus.APPROVED,
    )
    order = purchase_order_create(
        organization=organization,
        subsidiary=demo.subsidiary,
        vendor=vendor,
        issue_date=datetime.date.today(),
        currency="EUR",
        status="draft",
        lines=[LineInput("Laptop stand", Decimal("2"), Decimal("45.50"), None, None)],
    )
    login(page, demo.admin.email, demo.password)
    connect_xero(page, live_url, subsidiary_name=demo.subsidiary.name)
    set_up_connection(page, tax_rates=demo.tax_rates, before_save=lambda: turn_on_expenses(page))

    # The expense goes to Xero as an approved bill.
    send_from_panel(page, live_url, expense)
    bill = RemoteDocument.objects.get(expense=expense, is_latest=True)
    assert bill.status == CopyStatus.SUCCEEDED and bill.remote_status == "AUTHORISED"

    # In Xero: part of the bill is paid. The scheduled sync or "Sync payments now" brings it back.
    open_sandbox_org(page, live_url)
    row = page.locator(f'tr[data-bill="{bill.remote_number}"]')
    row.get_by_label(f"Amount for bill {bill.remote_number}").fill("150.00")
    row.get_by_role("button", name="Record payment").click()
    expect(page.locator("body")).to_contain_text("recorded")
    page.goto(live_url + expense.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Sync payments now").click()
    wait_until(
        lambda: Expense.objects.get(pk=expense.pk).payment_status == PaymentStatus.PARTIALLY_PAID,
        timeout=SYNC_TIMEOUT,
        message="the expense to be partially paid",
    )
    page.goto(live_url + expense.get_absolute_url())
    panel = page.locator("#integrations")
    expect(panel.locator(".expense-payment-status")).to_contain_text("Partially paid")
    expect(panel.locator(".synced-payments")).to_contain_text("150.00 EUR")

    # A purchase order: a draft here is a draft there; edited here, then "Update existing".
    send_from_panel(page, live_url, order)
    copy = RemoteDocument.objects.get(purchase_order=order, is_latest=True)
    assert copy.remote_status == "DRAFT"
    purchase_order_update(
        purchase_order=order, lines=[LineInput("Laptop stand", Decimal("3"), Decimal("45.50"), None, None)]
    )
    page.goto(live_url + order.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Update existing").click()
    page.get_by_role("button", name="Update existing").click()
    expect(page.locator("#integrations")).to_contain_text("Sent as")
    remote = XeroPurchaseOrder.objects.get(number=copy.remote_number)
    assert remote.sub_total == Decimal("136.50")  # 3 × 45.50

    # In Xero a person submits it for approval; "Refresh status" reads it back.
    open_sandbox_org(page, live_url)
    page.get_by_role("button", name=f"Submit for approval {copy.remote_number}").click()
    expect(page.locator("body")).to_contain_text(f"{copy.remote_number}: submit for approval done, now SUBMITTED")
    page.goto(live_url + order.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Refresh status").click()
    expect(page.locator("#integrations .remote-status")).to_have_text("SUBMITTED")
