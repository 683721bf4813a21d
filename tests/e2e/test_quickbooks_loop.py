"""QuickBooks Online end to end, in a real browser, on the demo data a newcomer sees after `make run`
(billing.demo), with a real django-q2 cluster process and the built-in QuickBooks sandbox over HTTP.

One journey, because connecting, setting up and starting the worker is most of the time: connect (one company
per consent), set up, copy with the prompt (customer left blank → created; a tax code), then a partial payment
recorded "in QuickBooks" comes back through Intuit's signed webhook without anyone pressing a button, its edit
and its void too; then "Update existing", "Create new", the same prompt posted twice (one remote invoice), and a
bulk copy of more than 30 invoices from the invoice list (QuickBooks' batch endpoint).

With SCREENSHOTS_DIR set, the pages of the loop are saved there as PNGs (tests/e2e/test_demo_loop.py).
"""

import re
import sys
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from billing.choices import InvoiceStatus, PaymentSource, PaymentStatus
from billing.demo import DEMO_LOGINS, UK, demo_seed
from billing.models import Invoice, Subsidiary
from billing.services import LineInput
from integrations.models import (
    Connection,
    CopyStatus,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    SyncRun,
    WebhookEvent,
    WebhookResult,
)
from integrations.sandbox.models import ApiCall
from integrations.sandbox.quickbooks.demo import UK_REALM_ID
from integrations.sandbox.quickbooks.models import QboCompany
from integrations.sandbox.quickbooks.store import live
from tests.factories import CompanyFactory, make_invoice

from .conftest import Demo, wait_until
from .test_demo_loop import Screenshots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SANDBOX_COMPANY = "Sandbox Studio Ltd"  # GBP with VAT codes, like the subsidiary "Demo Agency Ltd"
CONNECTION = "QuickBooks sandbox"
WEBHOOK_TIMEOUT = 30
DEBOUNCE_SECONDS = 1  # the goal is ≤ 10 s; the deadline only bounds a broken run
BULK_TIMEOUT = 120
BULK_INVOICES, BULK_CUSTOMERS = 31, 6


@pytest.fixture
def uk_demo(transactional_db):
    """The demo data (billing.demo) logged in as its admin, with the oldest finalized, unpaid, never-paid GBP
    invoice of Demo Agency Ltd whose lines carry VAT."""
    demo_seed()
    admin_login = DEMO_LOGINS[0]
    subsidiary = Subsidiary.objects.get(name=UK)
    invoice = (
        Invoice.objects.filter(
            subsidiary=subsidiary,
            status=InvoiceStatus.FINALIZED,
            payment_status=PaymentStatus.UNPAID,
            currency="GBP",
            total__gt=Decimal("500"),
            payments__isnull=True,
        )
        .exclude(lines__tax_rate__percentage=0)
        .order_by("issue_date", "pk")
        .first()
    )
    assert invoice is not None, "the demo data has no unpaid UK invoice to copy"
    return Demo(
        admin=get_user_model().objects.get(username=admin_login.email),
        subsidiary=subsidiary,
        invoice=invoice,
        tax_rates={},
        password=admin_login.password,
    )


def sandbox_company() -> QboCompany:
    return QboCompany.objects.get(realm_id=UK_REALM_ID)


def sandbox_invoices():
    return live(sandbox_company(), "Invoice").order_by("created_at", "id")


def invoice_now(invoice) -> Invoice:
    return Invoice.objects.get(pk=invoice.pk)


def select_option_containing(select, text: str) -> None:
    option = select.locator("option").filter(has_text=text)
    select.select_option(value=option.first.get_attribute("value"))


def connect_quickbooks(page: Page, base_url: str, *, subsidiary_name: str) -> None:
    """Settings > App marketplace > QuickBooks Online > Connect app > the sandbox's consent (one company)."""
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    page.locator("#provider-quickbooks").get_by_role("link", name="Connect app").click()
    page.get_by_label("Subsidiary").select_option(label=subsidiary_name)
    page.get_by_label("Connection name").fill(CONNECTION)
    page.get_by_role("button", name="Continue to QuickBooks Online").click()
    expect(page.get_by_role("heading", name="QuickBooks Online sandbox: allow access?")).to_be_visible()
    expect(page.get_by_role("checkbox")).to_have_count(0)  # Intuit: one company per consent
    page.get_by_role("radio", name=SANDBOX_COMPANY).check()
    page.get_by_role("button", name="Allow access").click()
    expect(page).to_have_url(re.compile(r"/settings/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(CONNECTION)


def set_up_quickbooks(page: Page, shots: Screenshots) -> None:
    page.get_by_label("Synchronize payments from QuickBooks").check()
    page.get_by_label("This app numbers invoices", exact=False).check()
    page.get_by_label("This app makes the PDF", exact=False).check()
    page.get_by_label("The invoice's subject").check()
    select_option_containing(page.get_by_label("Default item"), "Consulting")
    page.get_by_label("Default tax code").select_option(label="20.0% S")  # what the bulk copy sends
    shots.take("quickbooks-setup")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("is set up")
    page.get_by_role("link", name="Back to the marketplace").click()
    expect(page.locator(".connection-row", has_text=CONNECTION).locator(".status-ok")).to_contain_text("Ready")


def open_sandbox_company(page: Page, base_url: str) -> None:
    page.goto(base_url + reverse("integrations:marketplace"))
    page.get_by_role("link", name="open the sandbox company").click()
    expect(page.get_by_role("heading", name=SANDBOX_COMPANY)).to_be_visible()


def seconds_until_visible(page: Page, url: str, started: float, badge: str) -> float:
    """Reload the invoice page (a person looking at it; nobody presses anything) until its payment badge says
    `badge`; the seconds since `started`."""

    def shown() -> bool:
        page.goto(url)
        return badge in page.locator(".badges").inner_text()

    wait_until(shown, timeout=WEBHOOK_TIMEOUT, interval=0.3, message=f"the invoice page to show “{badge}”")
    return time.monotonic() - started


def payment_sync_idle() -> None:
    """Wait until no payment sync runs and the debounce after the last queued one is over, as it is by the time a
    person has looked at the invoice and gone back to QuickBooks (a webhook arriving while a sync runs, or within
    the debounce, is left to the schedule's next tick)."""

    def idle() -> bool:
        if SyncRun.objects.filter(kind=SyncKind.PAYMENTS, outcome=SyncOutcome.RUNNING).exists():
            return False
        recent = timezone.now() - timedelta(seconds=DEBOUNCE_SECONDS)
        return not Connection.objects.filter(sync_queued_at__gte=recent).exists()

    wait_until(idle, timeout=WEBHOOK_TIMEOUT, message="the payment sync to finish")


def report(capsys, line: str) -> None:
    """A measured figure, shown also when pytest captures output (the README quotes it)."""
    with capsys.disabled():
        sys.stdout.write(f"\n{line}\n")


def panel_link(page: Page, name: str):
    return page.locator("#integrations").get_by_role("link", name=name, exact=True)


def confirm_on_prompt(page: Page, name: str) -> None:
    page.locator("main form").get_by_role("button", name=name, exact=True).click()
    expect(page.locator("body")).to_contain_text(f"Invoice copied to {CONNECTION}")


def test_quickbooks_loop(browser_page, live_url, login, uk_demo, worker, settings, capsys):
    demo, page = uk_demo, browser_page
    # A webhook within the debounce after the last queued sync waits for the schedule's next tick (minutes); a
    # person edits a payment more than a second after recording it, this test does not.
    settings.INTEGRATIONS_WEBHOOK_DEBOUNCE_SECONDS = DEBOUNCE_SECONDS
    invoice = demo.invoice
    url = live_url + invoice.get_absolute_url()
    shots = Screenshots(page)
    login(page, demo.admin.email, demo.password)

    connect_quickbooks(page, live_url, subsidiary_name=demo.subsidiary.name)
    set_up_quickbooks(page, shots)

    # Copy: the customer left on "create" (a QuickBooks customer is made from our company), tax code 20.0% S.
    page.goto(url)
    page.locator("#integrations").get_by_role("link", name=f"Copy to {CONNECTION}").click()
    expect(page.get_by_label(f"Create a customer from {invoice.company.name}")).to_be_checked()
    expect(page.get_by_label("QuickBooks tax code")).to_have_value("5")  # the setup's default tax code
    preview = page.locator("main table").first
    expect(preview).to_contain_text("Consulting (default item)")  # what will be sent, line by line
    expect(preview).to_contain_text("20.0% S")
    shots.take("quickbooks-copy-prompt")
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page.locator("body")).to_contain_text(f"Invoice copied to {CONNECTION} as {invoice.number}")
    expect(page.locator("#integrations").get_by_role("link", name="View in QuickBooks Online")).to_be_visible()
    shots.take("quickbooks-invoice-copied")
    first = RemoteDocument.objects.get(invoice=invoice)
    assert first.status == CopyStatus.SUCCEEDED and first.is_latest
    (remote,) = sandbox_invoices()
    assert remote.entity_id == first.remote_id and remote.body["DocNumber"] == invoice.number
    sold = [line for line in remote.body["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert {line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in sold} == {"5"}  # 20.0% S on each line
    assert Decimal(str(remote.body["TotalAmt"])) == invoice.total  # QuickBooks' 20 % VAT, our 20 % VAT
    customers = {row.body["DisplayName"] for row in live(sandbox_company(), "Customer")}
    assert invoice.company.name in customers

    # A partial payment recorded "in QuickBooks": the sandbox POSTs its signed webhook, the app queues a payment
    # sync for the worker, and the invoice page shows it. No button, and the schedule is not due.
    open_sandbox_company(page, live_url)
    row = page.locator(f'tr[data-invoice="{invoice.number}"]')
    row.get_by_label("Amount", exact=True).fill("100.00")
    started = time.monotonic()
    row.get_by_role("button", name="Record payment").click()
    expect(page.locator("body")).to_contain_text("recorded")
    shots.take("quickbooks-sandbox-company")
    webhook_seconds = [seconds_until_visible(page, url, started, "Partially paid")]
    assert WebhookEvent.objects.filter(provider="quickbooks", result=WebhookResult.SYNC_QUEUED).exists()
    payments = page.locator("#payments")
    expect(payments.locator("tbody tr")).to_have_count(1)
    expect(payments).to_contain_text("100.00")
    assert invoice_now(invoice).amount_paid == Decimal("100.00")
    shots.take("quickbooks-invoice-partially-paid")

    # The payment's amount edited in QuickBooks: ours follows (the same payment, a new amount).
    payment_sync_idle()
    open_sandbox_company(page, live_url)
    payment_row = page.locator("#payments tr[data-payment]").first
    payment_row.get_by_label(invoice.number).fill("250.00")
    started = time.monotonic()
    payment_row.get_by_role("button", name="Save amounts").click()
    expect(page.locator("body")).to_contain_text("changed to")
    wait_until(
        lambda: invoice_now(invoice).amount_paid == Decimal("250.00"),
        timeout=WEBHOOK_TIMEOUT,
        message="the edited payment to reach the invoice",
    )
    webhook_seconds.append(time.monotonic() - started)
    page.goto(url)
    expect(page.locator("#payments tbody tr")).to_have_count(1)
    expect(page.locator("#payments")).to_contain_text("250.00")

    # Voided in QuickBooks: it stops counting (kept on record) and the invoice is open again.
    payment_sync_idle()
    open_sandbox_company(page, live_url)
    page.locator("#payments tr[data-payment]").first.get_by_role("button", name="Void").click()
    expect(page.locator("body")).to_contain_text("voided")
    started = time.monotonic()
    webhook_seconds.append(seconds_until_visible(page, url, started, "Unpaid"))
    expect(page.locator("#payments tr.deleted")).to_contain_text("deleted in QuickBooks")
    after_void = invoice_now(invoice)
    assert after_void.amount_paid == 0 and after_void.payments.count() == 1
    assert after_void.payments.get().source == PaymentSource.QUICKBOOKS
    report(
        capsys,
        f"QuickBooks webhook → visible payment: median {sorted(webhook_seconds)[1]:.1f} s "
        f"(record, edit, void: {', '.join(f'{s:.1f}' for s in webhook_seconds)} s)",
    )

    # Update existing: a sparse update of the same QuickBooks invoice with its SyncToken.
    version = sandbox_invoices().get().sync_token  # payments moved it on since the copy: the stored one is stale
    page.goto(url)
    panel_link(page, "Update existing").click()
    confirm_on_prompt(page, "Update existing")
    updated = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
    assert updated.pk != first.pk and updated.remote_id == first.remote_id
    (remote,) = sandbox_invoices()
    assert remote.sync_token == version + 1 and updated.remote_version == str(remote.sync_token)

    # Create new: the previous copy voided first, the new one numbered with the copy suffix.
    panel_link(page, "Create new").click()
    expect(page.locator("body")).to_contain_text("makes a second invoice in QuickBooks Online")
    confirm_on_prompt(page, "Create new")
    new = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
    assert new.remote_number == f"{invoice.number}-2" and new.remote_id != first.remote_id
    assert [row.entity_id for row in sandbox_invoices()] == [first.remote_id, new.remote_id]
    expect(page.locator("#integrations").get_by_role("link", name="View in QuickBooks Online")).to_have_attribute(
        "href", new.remote_url
    )

    # The same rendered "Create new" prompt posted twice (a double click, a resend): one more QuickBooks invoice.
    panel_link(page, "Create new").click()
    page.locator("main form:has(input[name=attempt])").wait_for()  # the prompt has loaded (the click navigates)
    fields = page.evaluate(
        "() => Object.fromEntries(new FormData(document.querySelector('main form:has(input[name=attempt])')))"
    )
    assert fields["tax_code"] == "5" and fields["void_previous"] == "1"  # as the copy was sent; void ticked
    fields["mode"] = "new"
    for _ in range(2):
        response = page.request.post(page.url, form=fields, headers={"Referer": page.url}, max_redirects=0)
        assert response.status == 302
    assert sandbox_invoices().count() == 3
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 4  # copy, update, new, new once

    bulk_copy(page, live_url, demo, capsys)


def bulk_copy(page: Page, base_url: str, demo: Demo, capsys) -> None:
    """More than 30 invoices, for customers QuickBooks does not know yet, selected on the invoice list: customers
    created in batches first, then the invoices in batches of at most 30, each invoice with its own result."""
    companies = [
        CompanyFactory(organization=demo.subsidiary.organization, name=f"Bulk Client {n} Ltd", default_currency="GBP")
        for n in range(BULK_CUSTOMERS)
    ]
    invoices = [
        make_invoice(
            subsidiary=demo.subsidiary,
            company=companies[n % BULK_CUSTOMERS],
            subject="Bulk retainer",
            lines=[LineInput("Retainer", Decimal("1"), Decimal(100 + n))],
            finalize=True,
        )
        for n in range(BULK_INVOICES)
    ]
    before = sandbox_invoices().count()
    calls_before = ApiCall.objects.filter(provider="quickbooks").values_list("id", flat=True)
    seen = set(calls_before)

    page.goto(base_url + reverse("billing:invoice-list") + "?q=Bulk+retainer")
    expect(page.locator("input[data-row-check]")).to_have_count(BULK_INVOICES)
    page.locator("input[data-select-all]").check()
    page.get_by_role("button", name=re.compile(r"^Copy to .*QuickBooks Online")).click()
    expect(page).to_have_url(re.compile(r"/copy-bulk/result/"))
    rows = page.locator("#bulk-copy-rows")
    expect(rows).to_contain_text("All copies have finished.", timeout=BULK_TIMEOUT * 1000)
    expect(rows.locator("tr.bulk-done")).to_have_count(BULK_INVOICES)
    expect(rows.locator("tr.bulk-failed")).to_have_count(0)

    assert sandbox_invoices().count() == before + BULK_INVOICES
    copies = RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.SUCCEEDED, is_latest=True)
    assert copies.count() == BULK_INVOICES
    calls = [c for c in ApiCall.objects.filter(provider="quickbooks", direction="in") if c.id not in seen]
    batches = [c for c in calls if c.method == "POST" and "/batch" in c.path]
    single_writes = [c for c in calls if c.method == "POST" and re.search(r"/(invoice|customer)\b", c.path)]
    # ⌈6/30⌉ customer batch + ⌈31/30⌉ invoice batches; nothing written one object a call, nothing throttled.
    assert len(batches) == 3 and not single_writes, [str(c) for c in calls]
    assert not [c for c in calls if c.status_code == 429]
    report(capsys, f"QuickBooks bulk copy of {BULK_INVOICES} invoices: {len(calls)} API calls, {len(batches)} batches")
