"""Reconciliation end to end in Chromium: an invoice copied to the Xero sandbox is voided there by a person (the
sandbox page's own action); "Check now" on the Reconciliation tab (run by the real worker) lists the difference,
the Needs attention badge counts it, and "Copy again as new" settles it."""

import pytest
from playwright.sync_api import expect

from integrations.models import RemoteDocument, SyncRun

from .conftest import PASSWORD, connect_and_set_up, copy_to_xero, open_sandbox_org, sandbox_invoices, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_invoice_voided_in_xero_is_found_by_check_now_and_copied_again(browser_page, live_url, login, demo, worker):
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connection = connect_and_set_up(page, live_url, demo)
    copy_to_xero(page, live_url, invoice)

    open_sandbox_org(page, live_url)
    row = page.locator(f'tr[data-invoice="{invoice.number}"]')
    row.locator("summary", has_text="Edit as a person would").click()
    row.get_by_role("button", name="Void invoice").click()
    expect(page.locator("body")).to_contain_text(f"{invoice.number} is voided.")

    page.goto(live_url + f"/settings/connections/{connection.pk}/reconciliation/")
    page.get_by_role("button", name="Check now").click()
    wait_until(
        lambda: SyncRun.objects.filter(connection=connection, kind="reconciliation", outcome="succeeded").exists(),
        message="the worker's reconciliation",
    )
    page.reload()
    differences = page.locator('section[aria-labelledby="reconciliation-mismatches"]')
    expect(differences).to_contain_text("Status")
    expect(differences).to_contain_text("voided")
    expect(page.get_by_role("link", name="Needs attention")).to_contain_text("1")

    differences.get_by_role("button", name="Copy again as new").click()

    expect(page.locator("body")).to_contain_text("is copied again to")
    latest = RemoteDocument.objects.get(invoice=invoice, connection=connection, is_latest=True)
    assert latest.remote_number == f"{invoice.number}-2"
    assert [i.status for i in sandbox_invoices()] == ["VOIDED", "AUTHORISED"]
    expect(page.locator("#reconciliation-mismatches")).to_have_count(0)
