"""The README's demo loop, in a real browser, on the demo data a newcomer sees after `make run` (billing.demo),
with a real django-q2 cluster process syncing payments from the Xero sandbox: connect, set up, copy, then payments
recorded and deleted "in Xero" come back to the invoice.

With SCREENSHOTS_DIR set, the pages of the loop are saved there as PNGs (the README's screenshots:
`SCREENSHOTS_DIR=docs/screenshots .venv/bin/pytest tests/e2e/test_demo_loop.py`).
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from billing.choices import PaymentSource, PaymentStatus
from billing.models import Invoice
from billing.money import format_money
from integrations.models import CopyStatus, RemoteDocument, WebhookEvent, WebhookResult

from .conftest import (
    connect_xero,
    open_sandbox_org,
    payments_poll_due,
    set_up_connection,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL_TIMEOUT = 75  # the worker's scheduler looks for due schedules about every 30 seconds
SYNC_TIMEOUT = 30


class Screenshots:
    def __init__(self, page: Page):
        folder = os.environ.get("SCREENSHOTS_DIR", "")
        self.page = page
        self.folder = Path(folder) if folder else None
        if self.folder:
            self.folder.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> None:
        if self.folder:
            self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)


def payment_status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).payment_status


def record_payment_in_sandbox(page: Page, number: str, amount: str | None = None) -> None:
    row = page.locator(f'tr[data-invoice="{number}"]')
    if amount is not None:
        row.get_by_label(f"Amount for {number}").fill(amount)
    row.get_by_role("button", name="Record payment").click()
    expect(page.locator("body")).to_contain_text("recorded on")


def sync_now_and_wait(page: Page, base_url: str, invoice, status: str) -> None:
    page.goto(base_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Sync payments now").click()
    # The panel follows the run in place (HTMX) until the worker has finished it: no reload.
    expect(page.locator("#integrations")).to_contain_text("Payments synced", timeout=SYNC_TIMEOUT * 1000)
    wait_until(lambda: payment_status(invoice) == status, timeout=SYNC_TIMEOUT, message=f"the invoice to be {status}")
    page.reload()  # the rest of the page (status badge, payments table) is not part of the panel


def test_demo_loop(browser_page, live_url, login, seeded_demo, worker, settings):
    demo = seeded_demo
    page, invoice = browser_page, demo.invoice
    first_line = invoice.lines.order_by("position", "pk").first().description
    rest = invoice.total - Decimal("500.00")
    shots = Screenshots(page)
    settings.SANDBOX_WEBHOOK_DELIVERY = "background"  # as `make run` has it: the sandbox page does not wait for us
    login(page, demo.admin.email, demo.password)

    connect_xero(page, live_url, subsidiary_name=demo.subsidiary.name)
    set_up_connection(page, tax_rates=demo.tax_rates, before_save=lambda: shots.take("setup"))
    card = page.locator(".connection-row", has_text="Xero sandbox")
    expect(card.locator(".status-ok")).to_contain_text("Ready")
    shots.take("marketplace-connected")

    # Copy to Xero from the invoice page.
    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Copy to Xero sandbox").click()
    expect(page.locator("table")).to_contain_text(first_line)
    shots.take("copy-prompt")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("body")).to_contain_text(f"Invoice copied to Xero sandbox as {invoice.number}")
    expect(page.locator("#integrations").get_by_role("link", name="View in Xero")).to_be_visible()
    shots.take("invoice-copied")
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == CopyStatus.SUCCEEDED and copy.is_latest

    # "In Xero": a partial payment. Xero's signed INVOICE webhook reaches the app, which queues a payment sync
    # for the worker: no button, and the schedule is not due.
    open_sandbox_org(page, live_url)
    row = page.locator(f'tr[data-invoice="{invoice.number}"]')
    expect(row).to_contain_text(f"{invoice.total:.2f}")
    record_payment_in_sandbox(page, invoice.number, "500.00")
    shots.take("sandbox-org")
    wait_until(
        lambda: payment_status(invoice) == PaymentStatus.PARTIALLY_PAID,
        timeout=SYNC_TIMEOUT,
        message="the webhook's payment sync to mark the invoice partially paid",
    )
    assert WebhookEvent.objects.filter(provider="xero", result=WebhookResult.SYNC_QUEUED).exists()
    page.goto(live_url + invoice.get_absolute_url())
    expect(page.locator(".badges")).to_contain_text("Partially paid")
    payments = page.locator("#payments")
    expect(payments.locator("tbody tr")).to_have_count(1)
    expect(payments).to_contain_text("500.00 EUR")
    expect(payments.locator(".source-xero")).to_have_text("Xero")
    shots.take("invoice-partially-paid")

    # Webhooks off (Xero's are best effort): the rest, recorded in Xero, comes back with the scheduled poll.
    settings.XERO_WEBHOOK_KEY = ""
    open_sandbox_org(page, live_url)
    record_payment_in_sandbox(page, invoice.number)  # the form offers the amount due
    payments_poll_due()
    wait_until(
        lambda: payment_status(invoice) == PaymentStatus.PAID,
        timeout=POLL_TIMEOUT,
        message="the scheduled payment poll to mark the invoice paid",
    )
    page.goto(live_url + invoice.get_absolute_url())
    expect(page.locator(".badge[class*=pay-]")).to_have_text("Paid")
    expect(page.locator("#payments .source-xero")).to_have_count(2)
    expect(page.locator("#payments")).to_contain_text(format_money(rest, "EUR"))
    shots.take("invoice-paid")

    # One payment deleted in Xero, then "Sync payments now": partially paid again, the deleted one struck through.
    open_sandbox_org(page, live_url)
    page.locator(f'tr[data-payment-of="{invoice.number}"]', has_text="500.00").get_by_role(
        "button", name="Delete payment"
    ).click()
    expect(page.locator("body")).to_contain_text("deleted")
    sync_now_and_wait(page, live_url, invoice, PaymentStatus.PARTIALLY_PAID)
    expect(page.locator(".badges")).to_contain_text("Partially paid")
    expect(page.locator("#payments tr.deleted")).to_contain_text("deleted in Xero")
    shots.take("invoice-payment-deleted")

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.amount_paid == rest
    live = invoice.payments.filter(is_deleted=False)
    assert {p.source for p in live} == {PaymentSource.XERO}
    assert re.search(r"Q Cluster .* running", worker.log())


def test_consent_page_screenshot(browser_page, live_url, login, seeded_demo, e2e_site):
    """Only for the README: the sandbox's consent page (the loop above goes through it without stopping)."""
    if not os.environ.get("SCREENSHOTS_DIR"):
        pytest.skip("SCREENSHOTS_DIR is not set")
    page = browser_page
    login(page, seeded_demo.admin.email, seeded_demo.password)
    page.goto(live_url + reverse("integrations:marketplace"))
    page.locator("#provider-xero").get_by_role("link", name="Connect app").click()
    page.get_by_role("button", name="Continue to Xero").click()
    expect(page.get_by_role("heading", name="Xero sandbox: allow access?")).to_be_visible()
    Screenshots(page).take("consent")
