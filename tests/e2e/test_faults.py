"""Faults switched on in the Xero sandbox: a revoked token turns the connection to "Reconnect" (and reconnecting
keeps the invoice's copy link); a 500 during a copy is shown on the page and the retry makes one invoice."""

import re

import pytest
from playwright.sync_api import expect

from integrations.models import Connection, ConnectionStatus, RemoteDocument

from .conftest import (
    PASSWORD,
    connect_and_set_up,
    consent_and_allow,
    copy_to_xero,
    open_sandbox_org,
    sandbox_invoices,
    wait_until,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_revoked_token_asks_to_reconnect_and_reconnecting_keeps_the_copy(browser_page, live_url, login, demo, worker):
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connection = connect_and_set_up(page, live_url, demo)
    copy_to_xero(page, live_url, invoice)
    copy = RemoteDocument.objects.get(invoice=invoice)

    open_sandbox_org(page, live_url)
    page.get_by_role("button", name="Revoke the token now").click()
    expect(page.locator("body")).to_contain_text("Access revoked")

    # The next action — the worker's payment sync, started with "Sync payments now" — meets the revocation.
    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("button", name="Sync payments now").click()
    wait_until(
        lambda: Connection.objects.get(pk=connection.pk).status == ConnectionStatus.NEEDS_RECONNECT,
        timeout=30,
        message="the worker to mark the connection as needing a reconnect",
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    card = page.locator(f"#connection-{connection.pk}")
    expect(card).to_contain_text("Needs reconnect", ignore_case=True)
    card.get_by_role("button", name="Reconnect").click()
    consent_and_allow(page)

    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE
    assert Connection.objects.filter(organization=demo.subsidiary.organization).count() == 1
    page.goto(live_url + invoice.get_absolute_url())
    view = page.locator("#integrations").get_by_role("link", name="View in Xero")
    expect(view).to_have_attribute("href", copy.remote_url)
    assert RemoteDocument.objects.get(invoice=invoice, is_latest=True).remote_id == copy.remote_id
    assert [str(i.invoice_id) for i in sandbox_invoices()] == [copy.remote_id]


def test_server_error_during_copy_is_shown_and_the_retry_makes_one_invoice(
    browser_page, live_url, login, demo, e2e_site, settings
):
    attempts = settings.INTEGRATIONS_HTTP_RETRIES + 1  # the client retries a 5xx itself: outlast its retries
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connect_and_set_up(page, live_url, demo)
    open_sandbox_org(page, live_url)
    for _ in range(attempts):
        page.get_by_role("button", name="Next call returns 500").click()
        expect(page.locator("body")).to_contain_text("Armed: next call returns 500")
    expect(page.locator("#faults .status")).to_have_count(attempts)

    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Copy to Xero sandbox").click()
    page.get_by_role("button", name="Copy", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Xero had a server error (HTTP 500).")
    expect(alert).to_contain_text("Copy again: we look it up first, never duplicate.")
    assert sandbox_invoices().count() == 0

    page.get_by_role("button", name="Copy", exact=True).click()  # the re-rendered form: the retry
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    expect(page.locator("#integrations").get_by_role("link", name="View in Xero")).to_be_visible()
    assert sandbox_invoices().count() == 1
    assert RemoteDocument.objects.get(invoice=invoice, is_latest=True).status == "succeeded"
