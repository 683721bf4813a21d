"""After a copy: "Update existing" changes the same sandbox invoice, "Create new" makes a second one that becomes
the latest; the same copy form sent twice (a double click, two POSTs) makes exactly one sandbox invoice."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from integrations.models import RemoteDocument
from integrations.sandbox.models import ApiCall

from .conftest import PASSWORD, connect_and_set_up, copy_to_xero, sandbox_invoices

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SEND_COPY_FORM_TWICE = """async () => {
    const form = document.querySelector("form:has(input[name=attempt])");
    const send = () => {
        const data = new FormData(form);
        data.append("mode", "update");
        return fetch(form.action, {method: "POST", body: data, redirect: "manual"});
    };
    const answers = await Promise.all([send(), send()]);
    return answers.map((answer) => answer.type === "opaqueredirect" ? answer.type : answer.status);
}"""


def latest_copy(invoice) -> RemoteDocument:
    return RemoteDocument.objects.get(invoice=invoice, is_latest=True)


def panel_link(page: Page, name: str):
    return page.locator("#integrations").get_by_role("link", name=name, exact=True)


def confirm_on_prompt(page: Page, name: str):
    """ "Update existing" and "Create new" open the copy prompt, which says what each does; its button posts."""
    page.locator("main form").get_by_role("button", name=name, exact=True).click()


def test_update_existing_then_create_new(browser_page, live_url, login, demo, e2e_site):
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connect_and_set_up(page, live_url, demo, xero_numbers=True)
    copy_to_xero(page, live_url, invoice)
    first = latest_copy(invoice)
    (remote,) = sandbox_invoices()
    assert str(remote.invoice_id) == first.remote_id and remote.total == Decimal("1452.00")

    panel_link(page, "Update existing").click()
    expect(page.locator("body")).to_contain_text("changes Xero invoice")
    confirm_on_prompt(page, "Update existing")
    expect(page.locator("body")).to_contain_text("Invoice copied to Xero sandbox")
    updated = latest_copy(invoice)
    assert updated.pk != first.pk and updated.remote_id == first.remote_id
    assert [str(i.invoice_id) for i in sandbox_invoices()] == [first.remote_id]  # the same one, changed
    assert ApiCall.objects.filter(method="POST", path__contains=f"/Invoices/{first.remote_id}").exists()

    panel_link(page, "Create new").click()
    expect(page.locator("body")).to_contain_text("makes a second invoice in Xero for the same sale")
    confirm_on_prompt(page, "Create new")  # with "void the previous copy first" ticked, as it is by default
    expect(page.locator("body")).to_contain_text("Invoice copied to Xero sandbox")
    new = latest_copy(invoice)
    sandbox = list(sandbox_invoices())
    assert len(sandbox) == 2 and new.remote_id == str(sandbox[1].invoice_id) != first.remote_id
    assert sandbox[0].status == "VOIDED" and sandbox[1].status == "AUTHORISED"
    assert new.remote_number == f"{invoice.number}-2"  # the issued number, suffixed: Xero keeps the voided one
    view = page.locator("#integrations").get_by_role("link", name="View in Xero")
    expect(view).to_have_attribute("href", new.remote_url)
    expect(page.locator("#integrations")).to_contain_text(f"Invoice copied as {new.remote_number}")


def test_the_same_copy_form_sent_twice_makes_one_sandbox_invoice(browser_page, live_url, login, demo, e2e_site):
    page, invoice = browser_page, demo.invoice
    login(page, demo.admin.email, PASSWORD)
    connect_and_set_up(page, live_url, demo, xero_numbers=True)

    page.goto(live_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name="Copy to Xero sandbox").click()
    page.locator("main form:has(input[name=attempt])").wait_for()  # the prompt has loaded (the click navigates)
    # A double click on "Copy": the rendered form sent twice at once, both requests in flight together.
    # (A real dblclick() is no test of this: Chromium folds it into one submission.)
    statuses = page.evaluate(SEND_COPY_FORM_TWICE)
    assert statuses == [302, 302] or statuses == ["opaqueredirect", "opaqueredirect"], statuses
    page.goto(live_url + invoice.get_absolute_url())
    expect(page.locator("#integrations").get_by_role("link", name="View in Xero")).to_be_visible()
    assert sandbox_invoices().count() == 1
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 1

    # The same rendered "Create new" prompt posted twice (two requests, as a double click or a resend makes them):
    # one more sandbox invoice, not two, and the previous copy voided once.
    panel_link(page, "Create new").click()
    form = page.locator("main form:has(input[name=attempt])")
    fields = {
        "csrfmiddlewaretoken": form.locator("input[name=csrfmiddlewaretoken]").get_attribute("value"),
        "attempt": form.locator("input[name=attempt]").get_attribute("value"),
        "mode": "new",
        "void_previous": "1",
    }
    action = page.url  # the prompt posts to itself
    headers = {"Referer": page.url}
    for _ in range(2):
        response = page.request.post(action, form=fields, headers=headers, max_redirects=0)
        assert response.status == 302
    assert sandbox_invoices().count() == 2
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 2
    assert latest_copy(invoice).idempotency_key == fields["attempt"]
