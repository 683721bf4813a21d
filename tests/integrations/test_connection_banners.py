"""Connection banners tell the current truth: a later successful call lifts "rate limited", and the sentence a
person reads is ours; the provider's codes ("AuthenticationUnsuccessful") stay in the log."""

import datetime
import re

import pytest
import responses
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations import registry
from integrations.exceptions import TerminalError
from integrations.models import ContactLink, SyncLogEntry
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .factories import ready_xero_connection

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
TOKEN_URL = "https://identity.xero.com/connect/token"
INVOICES = re.compile(rf"{re.escape(API)}/Invoices(\?.*)?$")
PAYMENTS = re.compile(rf"{re.escape(API)}/Payments(\?.*)?$")
NEW_TOKEN = {"access_token": "fresh-access", "refresh_token": "fresh-refresh", "expires_in": 1800}
UNAUTHORIZED = {"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr("integrations.http.backoff_delay", lambda attempt: 0)


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


def connection_updates(queries) -> int:
    return sum(1 for q in queries if q["sql"].startswith("UPDATE") and "integrations_connection" in q["sql"])


def test_a_successful_call_lifts_the_rate_limit_banner(mock, connection, admin_client):
    mock.add(responses.GET, PAYMENTS, status=429, headers={"Retry-After": "0"}, json={})
    payments_sync(connection=connection)
    connection.refresh_from_db()
    assert connection.paused_until is not None and "rate limiting" in connection.last_error

    mock.replace(responses.GET, PAYMENTS, json={"Payments": []})
    payments_sync(connection=connection)

    connection.refresh_from_db()
    assert connection.paused_until is None and connection.last_error == ""
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "rate limiting" not in page and "Paused by" not in page


def test_a_successful_call_of_an_unpaused_connection_writes_nothing_to_it(mock, connection):
    mock.add(responses.GET, PAYMENTS, json={"Payments": []})
    api = registry.get("xero").api(connection)
    api.request("GET", "Payments")  # the first call may refresh nothing: the token is fresh
    with CaptureQueriesContext(db_connection) as queries:
        api.request("GET", "Payments")
    assert connection_updates(queries.captured_queries) == 0


def test_other_errors_survive_the_resume(mock, connection):
    connection.last_error = "Xero refused the data."
    connection.paused_until = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    connection.save()
    mock.add(responses.GET, PAYMENTS, json={"Payments": []})
    registry.get("xero").api(connection).request("GET", "Payments")
    connection.refresh_from_db()
    assert connection.paused_until is None and connection.last_error == "Xero refused the data."


def test_provider_codes_stay_in_the_log_not_in_the_banner(mock, connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(
        connection=connection, company=invoice.company, remote_id="9b1f2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
    )  # a Xero contact id (a GUID)
    mock.add(responses.PUT, INVOICES, status=401, json=UNAUTHORIZED)
    mock.add(responses.POST, TOKEN_URL, json=NEW_TOKEN)

    with pytest.raises(TerminalError):
        invoice_copy(invoice=invoice, connection=connection)

    connection.refresh_from_db()
    assert connection.status == "needs_reconnect"
    assert "AuthenticationUnsuccessful" not in connection.last_error
    assert connection.last_error.startswith("Xero no longer accepts")
    assert SyncLogEntry.objects.filter(connection=connection, message__contains="AuthenticationUnsuccessful").exists()
