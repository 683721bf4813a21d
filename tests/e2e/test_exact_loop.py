"""Exact Online end to end in a real browser, with a real django-q2 cluster process, against the Exact sandbox:
connect on the Netherlands site, pick the division, fill both setup screens (division, journal, payments; ledgers),
copy two invoices with the prompt's journal, ledger and VAT code, then in Exact a partial payment (partially paid
here), its deletion (unpaid again), and one bulk payment matched to both invoices (both paid here, "matched in
Exact"). Each change comes back with "Sync payments now"."""

from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from billing.choices import PaymentStatus
from billing.models import Invoice
from billing.services import LineInput
from integrations.models import Connection, CopyStatus, RemoteDocument
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .conftest import PASSWORD, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYNC_TIMEOUT = 30
CONNECTION = "Exact sandbox"
DIVISION = "Sandbox Studio B.V."


def payment_status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).payment_status


def connect_exact(page: Page, base_url: str, subsidiary_name: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    page.locator("#provider-exact").get_by_role("link", name="Connect app").click()
    page.get_by_label("Subsidiary").select_option(label=subsidiary_name)
    page.get_by_label("Connection name").fill(CONNECTION)
    page.get_by_label("Locale").select_option("nl")
    page.get_by_role("button", name="Continue to Exact Online").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("allow access?")
    page.get_by_label(DIVISION, exact=False).check()
    page.get_by_label("Sandbox Holding B.V.", exact=False).check()
    page.get_by_role("button", name="Allow access").click()
    # One Exact user grants several divisions: the app asks which ones this subsidiary books in.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Which Exact Online division?")
    page.get_by_label(DIVISION, exact=False).check()
    page.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CONNECTION)


def set_up(page: Page) -> None:
    # Screen 1: division (shown), numbering, default journal, payments. Screen 2: the default ledger.
    expect(page.locator("body")).to_contain_text("Ledgers")
    page.get_by_label("Default sales journal").select_option(index=1)
    page.get_by_label("Synchronize payments from Exact").check()
    page.get_by_label("Default ledger").select_option(index=1)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("is set up")


def copy_to_exact(page: Page, base_url: str, invoice) -> RemoteDocument:
    page.goto(base_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name=f"Copy to {CONNECTION}").click()
    expect(page.get_by_label("Exact sales journal")).not_to_have_value("")
    page.get_by_label("Exact VAT code").select_option(index=1)
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("body")).to_contain_text(f"copied to {CONNECTION}")
    copy = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
    assert copy.status == CopyStatus.SUCCEEDED, copy.error
    return copy


def sync_now(page: Page, base_url: str, invoice, status: str) -> None:
    page.goto(base_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Sync payments now").click()
    expect(page.locator("#integrations")).to_contain_text("Payments synced", timeout=SYNC_TIMEOUT * 1000)
    wait_until(lambda: payment_status(invoice) == status, timeout=SYNC_TIMEOUT, message=f"the invoice to be {status}")
    page.reload()


def test_exact_copy_payment_deleted_and_bulk_match(browser_page, live_url, login, admin_user, subsidiary, worker):
    page = browser_page
    organization = subsidiary.organization
    vat = TaxRateFactory(organization=organization, name="BTW hoog", percentage=Decimal("21"))
    company = CompanyFactory(organization=organization, name="Grachten Koffie B.V.", billing_email="ap@grachten.test")
    invoices = [
        make_invoice(
            subsidiary=subsidiary,
            company=company,
            subject=subject,
            lines=[LineInput("Design sprint", Decimal("4"), Decimal("250.00"), None, vat)],
            finalize=True,
        )
        for subject in ("Brand refresh", "Packaging")
    ]
    first, second = invoices
    login(page, admin_user.email, PASSWORD)

    connect_exact(page, live_url, subsidiary.name)
    set_up(page)
    connection = Connection.objects.get(provider="exact")
    copies = [copy_to_exact(page, live_url, invoice) for invoice in invoices]
    assert all(copy.remote_number for copy in copies)

    division_page = live_url + reverse("sandbox:exact-division", kwargs={"tenant_id": connection.remote_tenant_id})
    page.goto(division_page)
    row = page.locator(f'tr[data-your-ref="{first.number}"]')
    row.get_by_label("Amount").fill("300.00")
    row.get_by_role("button", name="Register payment").click()
    expect(page.locator("body")).to_contain_text("300.00")

    sync_now(page, live_url, first, PaymentStatus.PARTIALLY_PAID)
    expect(page.locator("#payments")).to_contain_text("300.00")

    # The payment deleted in Exact: unpaid again here.
    page.goto(division_page)
    page.locator("tr[data-payment]").first.get_by_role("button", name="Delete").click()
    sync_now(page, live_url, first, PaymentStatus.UNPAID)

    # One bank payment matched to both invoices in Exact: no payment line names them, their receivables are paid.
    page.goto(division_page)
    for invoice in invoices:
        page.locator(f'tr[data-your-ref="{invoice.number}"]').get_by_role("checkbox").check()
    page.get_by_role("button", name="Book one bulk payment for the ticked invoices and match it").click()
    sync_now(page, live_url, first, PaymentStatus.PAID)
    expect(page.locator("#payments")).to_contain_text("Matched in Exact")
    wait_until(lambda: payment_status(second) == PaymentStatus.PAID, timeout=SYNC_TIMEOUT, message="the second paid")
    assert Invoice.objects.get(pk=second.pk).amount_paid == second.total
