"""The sandbox pages (invoices as Xero sees them, payments, fault switches) and the SANDBOX_PROVIDERS switch."""

import importlib
from decimal import Decimal

import pytest
from django.test import Client, override_settings
from django.urls import clear_url_caches

from integrations.models import Connection
from integrations.sandbox.links import sandbox_page_url
from integrations.sandbox.models import ApiCall, Fault, XeroInvoice, XeroPayment
from integrations.sandbox.xero.demo import TRADING_TENANT_ID

PAGE = f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/"


def test_page_shows_invoices_payments_faults_and_calls(connected):
    created = connected.create_invoice()
    response = connected.client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xero sandbox" in page and "Sandbox Trading Ltd" in page
    assert created["InvoiceNumber"] in page and "Acme Widgets Ltd" in page
    assert 'name="amount" value="120.00"' in page  # prefilled with the amount due
    assert "Next call returns 500" in page and "Revoke the token now" in page
    assert "PUT /sandbox/xero/api/api.xro/2.0/Invoices" in page  # the recent calls log


def test_record_partial_payment_then_delete_it(connected):
    created = connected.create_invoice()
    url = f"{PAGE}invoices/{created['InvoiceID']}/payments/"
    response = connected.client.post(url, {"amount": "45.50", "date": "2026-11-03"}, follow=True)
    assert "Payment of 45.50 recorded" in response.content.decode()
    invoice = XeroInvoice.objects.get(invoice_id=created["InvoiceID"])
    assert (invoice.amount_due, invoice.status) == (Decimal("74.50"), "AUTHORISED")
    assert 'value="74.50"' in response.content.decode()

    payment = XeroPayment.objects.get()
    response = connected.client.post(f"{PAGE}payments/{payment.payment_id}/delete/", follow=True)
    assert "deleted" in response.content.decode()
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.status == "DELETED" and invoice.amount_due == Decimal("120.00")


def test_bad_payment_input_changes_nothing_and_says_why(connected):
    created = connected.create_invoice()
    url = f"{PAGE}invoices/{created['InvoiceID']}/payments/"
    for data, message in (
        ({"amount": "abc"}, "greater than zero"),
        ({"amount": "500"}, "exceeds the amount outstanding"),
        ({"amount": "10", "date": "yesterday"}, "must be a date"),
    ):
        response = connected.client.post(url, data, follow=True)
        assert message in response.content.decode()
    assert not XeroPayment.objects.exists()


def test_fault_switches_arm_and_clear(connected):
    client = connected.client
    for kind in ("timeout", "server_error", "throttle"):
        client.post(f"{PAGE}faults/", {"kind": kind})
    assert Fault.objects.filter(consumed_at__isnull=True).count() == 3
    page = client.get(PAGE).content.decode()
    assert "Armed:" in page
    client.post(f"{PAGE}faults/", {"kind": "clear"})
    assert not Fault.objects.exists()
    response = client.post(f"{PAGE}faults/", {"kind": "explode"}, follow=True)
    assert "Unknown fault" in response.content.decode()


def test_pages_need_csrf(connected):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"{PAGE}faults/", {"kind": "server_error"}).status_code == 403
    assert not Fault.objects.exists()


def test_unknown_tenant_page_is_404(db):
    assert Client().get("/sandbox/xero/orgs/6b0f4a1e-0000-4000-8000-000000000000/").status_code == 404


def test_index_lists_the_demo_organisations(db):
    page = Client().get("/sandbox/xero/").content.decode()
    assert "Sandbox Trading Ltd" in page and "Sandbox Design B.V." in page


def test_api_calls_are_logged_per_tenant(connected):
    connected.get("Organisation")
    assert ApiCall.objects.filter(provider="xero", tenant_key=TRADING_TENANT_ID, status_code=200).exists()


def test_sandbox_page_url_for_sandbox_connections_only(organization, subsidiary):
    connection = Connection(
        organization=organization, subsidiary=subsidiary, provider="xero", remote_tenant_id=TRADING_TENANT_ID
    )
    assert sandbox_page_url(connection) is None
    connection.is_sandbox = True
    assert sandbox_page_url(connection) == PAGE
    with override_settings(SANDBOX_PROVIDERS=False):
        assert sandbox_page_url(connection) is None


@pytest.fixture
def sandboxes_off():
    import productive.urls

    with override_settings(SANDBOX_PROVIDERS=False):
        clear_url_caches()
        importlib.reload(productive.urls)
        yield
    clear_url_caches()
    importlib.reload(productive.urls)


@pytest.mark.parametrize(
    "url",
    [
        "/sandbox/xero/",
        PAGE,
        "/sandbox/xero/identity/connect/authorize?client_id=sandbox-xero-client",
        "/sandbox/xero/api/connections",
        "/sandbox/xero/api/api.xro/2.0/Organisation",
    ],
)
def test_everything_under_sandbox_is_404_when_sandboxes_are_off(db, sandboxes_off, url):
    assert Client().get(url).status_code == 404
    assert Client().post("/sandbox/xero/identity/connect/token", {"grant_type": "x"}).status_code == 404


def test_views_refuse_even_if_the_urls_were_mounted(connected):
    with override_settings(SANDBOX_PROVIDERS=False):
        assert connected.get("Organisation").status_code == 404
        assert connected.client.get(PAGE).status_code == 404


def test_the_call_log_is_pruned(connected, monkeypatch):
    monkeypatch.setattr("integrations.sandbox.kit.calllog.LOG_KEEP", 5)
    for _ in range(200):
        connected.get("Organisation")
    assert ApiCall.objects.count() <= 105  # pruned at least once (every 100th row) down to the newest 5
