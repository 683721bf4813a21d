"""Sync health end to end: a copy broken by the Xero sandbox's 500 switch shows under Needs attention (with the
badge on the settings navigation), its retry copies it once, and the item is resolved."""

import pytest
from playwright.sync_api import expect

from integrations.models import RemoteDocument

from .conftest import PASSWORD, connect_and_set_up, open_sandbox_org, sandbox_invoices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_broken_copy_is_listed_under_needs_attention_and_its_retry_resolves_it(
    browser_page, live_url, login, demo, e2e_site, settings
):
    attempts = settings.INTEGRATIONS_HTTP_RETRIES + 1  # the client retries a 5xx itself: outlast its retries
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connection = connect_and_set_up(page, live_url, demo)
    open_sandbox_org(page, live_url)
    for _ in range(attempts):
        page.get_by_role("button", name="Next call returns 500").click()
        expect(page.locator("body")).to_contain_text("Armed: next call returns 500")
    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Copy to Xero sandbox").click()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Xero had a server error (HTTP 500).")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    settings_nav = page.get_by_role("navigation", name="Settings")
    expect(settings_nav.get_by_role("link", name="App marketplace")).to_contain_text("1")
    settings_nav.get_by_role("link", name="App marketplace").click()
    page.locator(f"#connection-{connection.pk}").get_by_role("link", name="Needs attention").click()
    copy = RemoteDocument.objects.get(invoice=invoice)
    row = page.locator(f"#attention-copy-{copy.pk}")
    expect(row).to_contain_text("Xero had a server error (HTTP 500).")
    assert sandbox_invoices().count() == 0

    row.get_by_role("button", name="Retry").click()

    expect(page.locator("body")).to_contain_text("Nothing needs attention on this connection.")
    assert sandbox_invoices().count() == 1
    assert RemoteDocument.objects.get(invoice=invoice, is_latest=True).status == "succeeded"
    page.get_by_role("link", name="Activity").click()
    expect(page.locator(".activity-entries")).to_contain_text("Xero had a server error (HTTP 500).")
