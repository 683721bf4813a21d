"""In a real browser: "Sync payments now" on the invoice panel updates the panel in place when the run ends.

The worker does not run here: the web side only queues (Conf.SYNC off, ORM broker) and the test runs the queued
task itself between the panel's polls; Xero's /Payments is served by FakeXero through `responses`.
"""

import datetime
import json
import re
import threading
import time
from decimal import Decimal

import pytest
import responses
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import expect

from integrations.models import CopyStatus, RemoteDocument, SyncRun, TaxRateMapping
from integrations.tasks import invoice_copy_task, payments_sync_connection
from tests.factories import TaxRateFactory, make_invoice
from tests.integrations.factories import ConnectionFactory
from tests.integrations.fake_xero import FakeXero

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # tests.factories.UserFactory


def test_sync_payments_now_fills_in_the_panel_when_the_run_ends(
    browser_page, live_url, login, admin_user, subsidiary, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue on the ORM broker, as in production; nothing runs it
    page = browser_page
    organization = subsidiary.organization
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Acme Xero",
        settings={"sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    RemoteDocument.objects.create(
        organization=organization,
        invoice=invoice,
        connection=connection,
        idempotency_key="browser-sync",
        status=CopyStatus.SUCCEEDED,
        remote_id="xero-inv-1",
        remote_number=invoice.number,
        is_latest=True,
    )

    login(page, admin_user.email, PASSWORD)
    page.goto(f"{live_url}{invoice.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")
    panel = page.locator("#integrations")
    panel.get_by_role("button", name="Sync payments now").click()
    expect(panel).to_contain_text("Syncing payments from Acme Xero")
    expect(panel.get_by_role("button", name="Sync payments now")).to_have_count(0)
    assert not SyncRun.objects.exists()  # queued, not run

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()
        xero.add_payment(
            invoice_id="xero-inv-1",
            amount=str(min(invoice.total, Decimal("10.00"))),
            date="2026-11-20",
            updated=timezone.now(),
            currency=invoice.currency,
        )
        assert payments_sync_connection(connection.pk).startswith("succeeded")

    expect(panel).to_contain_text("1 recorded")
    expect(panel).not_to_have_attribute("hx-trigger", re.compile("every"))
    expect(panel.get_by_role("button", name="Sync payments now")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True  # the panel changed in place


PROBE = """([formSelector, label]) => {
  const form = document.querySelector(formSelector);
  form.addEventListener("submit", () => setTimeout(() => {
    const button = [...form.querySelectorAll("button[type=submit]")].find(b => b.textContent.trim() === label);
    const again = new SubmitEvent("submit", {bubbles: true, cancelable: true, submitter: button});
    form.dispatchEvent(again);
    console.log(JSON.stringify({
      disabled: button.disabled, busy: button.classList.contains("is-submitting"),
      all: [...form.querySelectorAll("button[type=submit]")].every(b => b.disabled),
      secondBlocked: again.defaultPrevented}));
  }, 50));
}"""


def submit_and_report(page, form_selector: str, label: str) -> dict:
    """Press the form's button `label` and return the form's state just after (see PROBE). While the page waits
    on the provider (its navigation pending) Playwright cannot query it, so the page reports on the console: the
    buttons, and whether a second submit was stopped before reaching the network."""
    page.evaluate(PROBE, [form_selector, label])
    reports = []
    page.on("console", lambda message: reports.append(message.text))
    page.locator(form_selector).get_by_role("button", name=label, exact=True).click(no_wait_after=True)
    deadline = time.monotonic() + 10
    while not reports and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return json.loads(reports[0]) if reports else {}


class SlowXero(FakeXero):
    """Xero that holds each invoice write until the test lets it through."""

    def __init__(self, mock, gate):
        super().__init__(mock)
        self.gate = gate

    def _put_invoices(self, request):
        assert self.gate.wait(timeout=20), "the test never released the invoice write"
        return super()._put_invoices(request)


def test_copy_waiting_on_a_slow_provider_shows_progress_and_is_sent_once(
    browser_page, live_url, login, admin_user, subsidiary
):
    page = browser_page
    organization = subsidiary.organization
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200"},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    gate = threading.Event()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = SlowXero(mock, gate).install()
        login(page, admin_user.email, PASSWORD)
        page.goto(f"{live_url}/integrations/invoices/{invoice.pk}/copy/{connection.pk}/")
        try:
            state = submit_and_report(page, "form.card", "Copy")
            assert state == {"disabled": True, "busy": True, "all": True, "secondBlocked": True}
            assert xero.creates == 0  # still waiting on Xero
        finally:
            gate.set()
        expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
        expect(page.locator("main")).to_contain_text("Invoice copied to Acme Xero")

    assert xero.creates == 1
    assert len([r for r in xero.requests if r.method == "PUT" and "/Invoices" in r.url]) == 1
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 1


def test_bulk_copy_waiting_on_a_slow_provider_is_sent_once(browser_page, live_url, login, admin_user, subsidiary):
    page = browser_page
    organization = subsidiary.organization
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    gate = threading.Event()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = SlowXero(mock, gate).install()
        login(page, admin_user.email, PASSWORD)
        page.goto(f"{live_url}/invoices/")
        page.locator("input[data-row-check]").first.check()
        try:
            state = submit_and_report(page, "#invoice-bulk-form", "Copy to Xero")
            assert state == {"disabled": True, "busy": True, "all": True, "secondBlocked": True}
        finally:
            gate.set()
        expect(page.locator("main")).to_contain_text("1 invoice queued for copying")

    assert xero.creates == 1
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 1


def test_contact_search_by_paste_and_keyboard(browser_page, live_url, login, admin_user, subsidiary):
    page = browser_page
    organization = subsidiary.organization
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()
        xero.contacts["c-1"] = {"ContactID": "c-1", "Name": "Globex Holdings"}
        xero.contacts["c-2"] = {"ContactID": "c-2", "Name": "Globex Europe"}
        login(page, admin_user.email, PASSWORD)
        page.goto(f"{live_url}/integrations/invoices/{invoice.pk}/copy/{connection.pk}/")
        results = page.locator("#contact-results")
        expect(results).to_contain_text("Type at least two characters")

        search = page.get_by_label(re.compile("Search Xero contacts"))
        search.focus()
        page.evaluate(
            """() => {
              const field = document.getElementById("contact-search");
              const data = new DataTransfer();
              data.setData("text/plain", "glo");
              field.value = "glo";  // what the paste puts in; no key is pressed
              field.dispatchEvent(new ClipboardEvent("paste", {clipboardData: data, bubbles: true}));
            }"""
        )
        expect(results).to_contain_text("2 contacts match")
        # Enter searches again (the copy is not sent); wait for that swap so the
        # arrow keys below act on the radios that stay on the page.
        page.evaluate("() => document.getElementById('contact-results').firstElementChild.dataset.stale = '1'")
        search.press("Enter")
        page.wait_for_function("() => !document.querySelector('#contact-results [data-stale]')")
        expect(results).to_contain_text("2 contacts match")
        expect(page).to_have_url(re.compile(rf"/copy/{connection.pk}/$"))

        # Tab into the contact group and choose with the arrow keys.
        page.get_by_label("Globex Holdings").focus()
        page.keyboard.press("ArrowDown")
        expect(page.get_by_label("Globex Europe")).to_be_checked()
    assert not RemoteDocument.objects.exists()


def test_bulk_copy_result_view_fills_in_as_copies_finish(
    browser_page, live_url, login, admin_user, subsidiary, monkeypatch
):
    monkeypatch.setattr(Conf, "SYNC", False)  # queued on the ORM broker; the test runs the copies itself
    page = browser_page
    organization = subsidiary.organization
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    first, second = (make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(2))

    login(page, admin_user.email, PASSWORD)
    page.goto(f"{live_url}/invoices/")
    page.locator("input[data-select-all]").check()
    page.get_by_role("button", name="Copy to Xero").click()
    expect(page).to_have_url(re.compile(r"/copy-bulk/result/"))
    page.evaluate("window.notReloaded = true")
    rows = page.locator("#bulk-copy-rows")
    expect(rows.locator("tr.bulk-queued")).to_have_count(2)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()
        invoice_copy_task(first.pk, connection.pk, "update", admin_user.pk)
        expect(rows.locator("tr.bulk-done")).to_contain_text(first.number)
        expect(rows.locator("tr.bulk-queued")).to_have_count(1)
        expect(rows.locator(".bulk-count-done")).to_have_text("1 done")  # the progress bar follows, no reload
        expect(rows.locator("progress")).to_have_attribute("value", "1")
        xero.refuse_with = ["Account code '200' is not a valid code for this document."]
        invoice_copy_task(second.pk, connection.pk, "update", admin_user.pk)

    expect(rows.locator("tr.bulk-failed")).to_contain_text("Account code '200' is not a valid code")
    expect(rows).to_contain_text("All copies have finished.")
    expect(rows.locator(".bulk-count-failed")).to_have_text("1 failed")
    expect(rows).not_to_have_attribute("hx-trigger", re.compile("every"))
    assert page.evaluate("window.notReloaded") is True
