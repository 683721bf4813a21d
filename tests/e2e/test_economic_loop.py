"""Visma e-conomic end to end in a real browser, with a real django-q2 cluster process, against the e-conomic
sandbox: connect through e-conomic's installation page, set up from the live lists, copy an invoice as a draft,
a bookkeeper books it in e-conomic, a partial customer payment there shows here as partially paid, its reversal
makes the invoice unpaid again. e-conomic sends no webhooks: each change comes back with "Sync payments now".
The payment is registered with a past date, and mirrored with that date (from e-conomic's customer-payment
entries). `SCREENSHOTS_DIR=docs/screenshots` saves the README's e-conomic screenshots."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.choices import PaymentStatus
from billing.models import Invoice
from billing.services import LineInput
from integrations.models import CopyStatus, RemoteDocument
from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .conftest import wait_until
from .test_demo_loop import Screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SYNC_TIMEOUT = 30
CONNECTION = "e-conomic sandbox"


def payment_status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).payment_status


def connect_economic(page: Page, base_url: str, subsidiary_name: str, shots: Screenshots) -> None:
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    page.locator("#provider-economic").get_by_role("link", name="Connect app").click()
    page.get_by_label("Subsidiary").select_option(label=subsidiary_name)
    page.get_by_label("Connection name").fill(CONNECTION)
    page.get_by_role("button", name="Continue to e-conomic").click()
    # e-conomic's installation page: the person adds the app to one of their agreements.
    expect(page.get_by_role("heading", level=1)).to_contain_text("e-conomic")
    page.get_by_label("Sandbox Studio ApS").check()
    snap(shots, page, "economic-install")
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(CONNECTION)


def snap(shots: Screenshots, page: Page, name: str) -> None:
    """A full-page screenshot from the top (taken scrolled, the sticky header would land mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    shots.take(name)


def first_choice(select) -> None:
    """Pick the first real option of a live pick list (index 0 is the empty choice)."""
    select.select_option(index=1)


def set_up(page: Page, shots: Screenshots) -> None:
    for label in ("Layout", "Payment terms", "VAT zone", "Customer group for new customers", "Default product"):
        first_choice(page.get_by_label(label, exact=False).first)
    page.get_by_label("Synchronize payments from e-conomic").check()
    snap(shots, page, "economic-setup")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("is set up")


def sync_now(page: Page, base_url: str, invoice, status: str) -> None:
    page.goto(base_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Sync payments now").click()
    expect(page.locator("#integrations")).to_contain_text("Payments synced", timeout=SYNC_TIMEOUT * 1000)
    wait_until(lambda: payment_status(invoice) == status, timeout=SYNC_TIMEOUT, message=f"the invoice to be {status}")
    page.reload()


def test_economic_draft_booked_paid_in_part_and_reversed(browser_page, live_url, login, admin_user, subsidiary, worker):
    page = browser_page
    organization = subsidiary.organization
    vat = TaxRateFactory(organization=organization, name="Moms", percentage=Decimal("25"))
    company = CompanyFactory(organization=organization, name="Nordlys Kaffe ApS", billing_email="ap@nordlys.test")
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        subject="Brand refresh",
        currency="DKK",
        lines=[LineInput("Design sprint", Decimal("4"), Decimal("250.00"), None, vat)],
        finalize=True,
    )
    assert invoice.total == Decimal("1250.00")
    login(page, admin_user.email, "pass-word-123")
    shots = Screenshots(page)

    connect_economic(page, live_url, subsidiary.name, shots)
    set_up(page, shots)

    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name=f"Copy to {CONNECTION}").click()
    expect(page.locator("table")).to_contain_text("Design sprint")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("body")).to_contain_text(f"copied to {CONNECTION}")
    copy = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
    assert copy.status == CopyStatus.SUCCEEDED and copy.remote_id.startswith("draft-")

    # In e-conomic: a bookkeeper books the draft, then a customer pays part of it.
    agreement_page = live_url + reverse("sandbox:economic-agreement", kwargs={"tenant_id": DANISH_AGREEMENT})
    page.goto(agreement_page)
    page.locator(f'tr[data-draft="{copy.remote_id.removeprefix("draft-")}"]').get_by_role("button", name="Book").click()
    expect(page.locator("body")).to_contain_text("booked as invoice")
    booked = page.locator("#booked tbody tr").first
    paid_on = timezone.localdate() - dt.timedelta(days=4)
    booked.get_by_label("Amount").fill("500.00")
    booked.get_by_label("Date").fill(paid_on.isoformat())
    booked.get_by_role("button", name="Register payment").click()
    expect(page.locator("#payments")).to_contain_text("500.00")
    snap(shots, page, "economic-agreement")

    sync_now(page, live_url, invoice, PaymentStatus.PARTIALLY_PAID)
    expect(page.locator(".badges")).to_contain_text("Partially paid")
    expect(page.locator("#payments")).to_contain_text("500.00")
    assert [p.date for p in Invoice.objects.get(pk=invoice.pk).payments.all()] == [paid_on]  # as registered there
    snap(shots, page, "economic-invoice-partially-paid")

    # The payment reversed in e-conomic: the remainder is the total again, and so is the amount due here.
    page.goto(agreement_page)
    page.locator("#payments tbody tr").first.get_by_role("button", name="Reverse").click()
    expect(page.locator("#payments")).to_contain_text("Reversed")

    sync_now(page, live_url, invoice, PaymentStatus.UNPAID)
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == 0
