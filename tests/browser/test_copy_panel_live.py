"""In a real browser: "Sync payments now" on the invoice panel updates the panel in place when the run ends.

The worker does not run here: the web side only queues (Conf.SYNC off, ORM broker) and the test runs the queued
task itself between the panel's polls; Xero's /Payments is served by FakeXero through `responses`.
"""

import datetime
import re
from decimal import Decimal

import pytest
import responses
from django.utils import timezone
from django_q.conf import Conf
from playwright.sync_api import expect

from integrations.models import CopyStatus, InvoiceCopy, SyncRun
from integrations.tasks import payments_sync_connection
from tests.factories import make_invoice
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
    InvoiceCopy.objects.create(
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
