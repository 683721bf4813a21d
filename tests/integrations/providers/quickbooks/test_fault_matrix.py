"""QuickBooks' fault matrix: (timeout, 429, 500, invalid JSON, 401, invalid_grant, stale SyncToken, duplicate
name) × (copy, payment fetch, refresh, webhook). The same outcomes as Xero's (tests/integrations/
test_fault_matrix.py) where the fault is the same; Intuit's own faults (5010, 6240) are resolved, and a refresh
whose answer was lost is never repeated (Intuit keeps no grace for the old refresh token)."""

from __future__ import annotations

import datetime
import re

import pytest
import requests
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.exceptions import AmbiguousWriteError, TerminalError, ThrottledError, TransientError
from integrations.models import ConnectionStatus, ContactLink, CopyStatus, RemoteDocument, SyncOutcome, WebhookEvent
from integrations.services.invoice_copy import document_export
from integrations.services.payments_sync import payments_sync
from integrations.tokens import connection_access_token
from tests.factories import CompanyFactory, make_invoice

from .fake_qbo import FakeQuickBooks, fault, intuit_time
from .helpers import API, READY_SETTINGS, TOKEN_URL, qbo_connection, realm_url
from .webhook_samples import legacy_notification, sign

pytestmark = pytest.mark.django_db

FAULTS = ["timeout", "429", "500", "invalid JSON", "401", "invalid_grant"]
NEW_TOKEN = {"token_type": "bearer", "access_token": "fresh", "refresh_token": "fresh-r", "expires_in": 3600}


def serve_fault(mock, method, url, name):
    if name == "timeout":
        mock.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))
    elif name == "429":
        mock.add(
            method,
            url,
            status=429,
            headers={"Retry-After": "90"},
            json=fault("3001", "ThrottleExceeded", "", "SERVICE"),
        )
    elif name == "500":
        mock.add(method, url, status=500, json=fault("10000", "An application error has occurred", "", "SystemFault"))
    elif name == "invalid JSON":
        mock.add(method, url, status=200, body="<html>not json</html>", content_type="text/html")
    elif name == "401":
        mock.add(
            method,
            url,
            status=401,
            json={"fault": {"error": [{"message": "AuthenticationFailed", "code": "3200"}], "type": "AUTHENTICATION"}},
        )
        mock.add(responses.POST, TOKEN_URL, json=NEW_TOKEN)
    elif name == "invalid_grant":
        mock.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})


def calls_to(mock, pattern):
    return sum(1 for call in mock.calls if pattern.match(call.request.url))


@pytest.fixture
def connection(organization, subsidiary):
    return qbo_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        sync_cursors={"payments": {"changed_since": intuit_time(timezone.now() - datetime.timedelta(hours=1))}},
    )


def expire_token(connection):
    connection.grant.token_expires_at = timezone.now() - datetime.timedelta(minutes=5)
    connection.grant.save(update_fields=["token_expires_at"])


# fault → (exception, copy status, connection status, paused, POST /invoice calls)
COPY_OUTCOMES = {
    "timeout": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),  # requestid: retried
    "429": (ThrottledError, CopyStatus.WAITING, ConnectionStatus.ACTIVE, True, 1),
    "500": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "401": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 2),
    "invalid_grant": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("name", FAULTS)
def test_copy(name, mock, connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id="58")
    if name == "invalid_grant":
        expire_token(connection)
    invoices = re.compile(re.escape(realm_url(connection, "invoice")) + r"\?")
    mock.add(responses.GET, re.compile(re.escape(realm_url(connection, "query"))), json={"QueryResponse": {}})
    serve_fault(mock, responses.POST, invoices, name)
    error, copy_status, connection_status, paused, posts = COPY_OUTCOMES[name]

    with pytest.raises(error):
        document_export(document=invoice, connection=connection)

    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == copy_status and not copy.is_latest
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    assert calls_to(mock, invoices) == posts
    ids = {c.request.url.split("requestid=")[1].split("&")[0] for c in mock.calls if invoices.match(c.request.url)}
    assert len(ids) <= 1  # retries of one attempt reuse its requestid


def test_copy_over_a_stale_synctoken_and_a_duplicate_name(mock, connection, organization, subsidiary):
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    server.vendor_names.add("Globex")  # 6240: a vendor has the name
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        finalize=True,
    )
    first = document_export(document=invoice, connection=connection)
    assert [c["DisplayName"] for c in server.customers.values()] == ["Globex (2)"]
    server.invoices[first.remote_id]["SyncToken"] = "7"  # edited in QuickBooks since
    again = document_export(document=invoice, connection=connection, mode="update")
    assert again.status == CopyStatus.SUCCEEDED and again.remote_version == "8" and len(server.invoices) == 1


FETCH_OUTCOMES = {
    "timeout": (ConnectionStatus.ACTIVE, False, 3),
    "429": (ConnectionStatus.ACTIVE, True, 1),
    "500": (ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (ConnectionStatus.ACTIVE, False, 3),
    "401": (ConnectionStatus.NEEDS_RECONNECT, False, 2),
    "invalid_grant": (ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("name", FAULTS)
def test_payment_fetch(name, mock, connection):
    if name == "invalid_grant":
        expire_token(connection)
    cdc = re.compile(re.escape(realm_url(connection, "cdc")) + r"\?")
    serve_fault(mock, responses.GET, cdc, name)
    connection_status, paused, gets = FETCH_OUTCOMES[name]
    cursor = dict(connection.sync_cursors)

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.FAILED and run.error
    assert run.api_calls == calls_to(mock, cdc) == gets
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    if paused:
        assert connection.paused_until >= timezone.now() + datetime.timedelta(seconds=85)
    assert connection.sync_cursors == cursor  # nothing lost: the next poll asks again


@pytest.mark.parametrize(
    ("name", "error", "calls"),
    [("timeout", TransientError, 1), ("500", TransientError, 1), ("invalid_grant", TerminalError, 1)],
)
def test_refresh(name, error, calls, mock, connection):
    """A refresh is never repeated: without a grace period a lost answer may have spent the refresh token."""
    expire_token(connection)
    if name == "timeout":
        mock.add(responses.POST, TOKEN_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    elif name == "500":
        mock.add(responses.POST, TOKEN_URL, status=500, body="")
    else:
        serve_fault(mock, None, None, name)
    with pytest.raises(error):
        connection_access_token(connection)
    assert calls_to(mock, re.compile(re.escape(TOKEN_URL))) == calls
    connection.refresh_from_db()
    expected = ConnectionStatus.NEEDS_RECONNECT if error is TerminalError else ConnectionStatus.ACTIVE
    assert connection.status == expected


def test_refresh_stores_the_rotated_token_as_received(mock, connection):
    expire_token(connection)
    mock.add(responses.POST, TOKEN_URL, json=NEW_TOKEN)
    assert connection_access_token(connection) == "fresh"
    connection.grant.refresh_from_db()
    assert connection.grant.refresh_token == "fresh-r"


@pytest.mark.parametrize("body", [b"<html>not json</html>", b'{"unexpected": true}'])
def test_webhook_bad_bodies_store_nothing(body, client, settings):
    settings.QUICKBOOKS_WEBHOOK_VERIFIER = "verifier"
    url = reverse("integrations:webhooks", args=["quickbooks"])
    response = client.post(url, body, content_type="application/json", HTTP_INTUIT_SIGNATURE=sign("verifier", body))
    assert response.status_code == 400 and not WebhookEvent.objects.exists()
    good = legacy_notification("1")
    assert client.post(url, good, content_type="application/json").status_code == 401  # missing signature
