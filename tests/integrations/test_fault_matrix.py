"""Fault matrix, copy and payment-fetch columns: each fault → the expected outcome, and nothing lost.

(The refresh column lives with the token tests, the client-level rows in test_http.py.)

Copy: the attempt is committed first, so every fault leaves a record: a refusal or throttle fails the attempt
(a new one gets a new key), an unknown outcome leaves it pending (the next try looks the invoice up first), and a
dead grant sends the connection to "needs reconnect". Payment fetch: the run fails, the cursor stays where it
was (the next poll asks again), the connection is paused on 429 and needs a reconnect on a dead grant; a
transient failure never changes its status.
"""

import datetime
import re

import pytest
import requests
import responses
from django.utils import timezone

from integrations.exceptions import AmbiguousWriteError, TerminalError, ThrottledError
from integrations.models import (
    ConnectionStatus,
    ContactLink,
    CopyStatus,
    RemoteDocument,
    SyncOutcome,
)
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

FAULTS = ["timeout", "connection error", "429", "500", "invalid JSON", "401", "invalid_grant"]


def serve_fault(mock, method, url, fault):
    """Make every call of `method url` fail with `fault` (the token endpoint answers as the fault needs)."""
    if fault == "timeout":
        mock.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))
    elif fault == "connection error":
        mock.add(method, url, body=requests.exceptions.ConnectionError("connection reset"))
    elif fault == "429":
        mock.add(method, url, status=429, headers={"Retry-After": "90", "X-Rate-Limit-Problem": "minute"}, json={})
    elif fault == "500":
        mock.add(method, url, status=500, json={"Message": "An error occurred in Xero."})
    elif fault == "invalid JSON":
        mock.add(method, url, status=200, body="<html>not json</html>", content_type="text/html")
    elif fault == "401":
        mock.add(method, url, status=401, json={"Title": "Unauthorized", "Detail": "AuthenticationUnsuccessful"})
        mock.add(responses.POST, TOKEN_URL, json=NEW_TOKEN)  # the refresh works; Xero still says 401
    elif fault == "invalid_grant":
        mock.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})


def calls_to(mock, pattern):
    return sum(1 for call in mock.calls if pattern.match(call.request.url))


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        sync_cursors={"payments": {"modified_since": "2026-11-10T08:00:00"}},
    )


def expire_token(connection):
    connection.grant.token_expires_at = timezone.now() - datetime.timedelta(minutes=5)
    connection.grant.save(update_fields=["token_expires_at"])


# fault → (exception, copy status, connection status, paused, PUT /Invoices calls)
COPY_OUTCOMES = {
    "timeout": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "connection error": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "429": (ThrottledError, CopyStatus.WAITING, ConnectionStatus.ACTIVE, True, 1),  # refused nothing: it waits
    "500": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "401": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 2),
    "invalid_grant": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_copy(fault, mock, connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(
        connection=connection, company=invoice.company, remote_id="5f0c7a8e-2b1d-4c3e-9a6f-1e2d3c4b5a69"
    )
    if fault == "invalid_grant":
        expire_token(connection)
    serve_fault(mock, responses.PUT, INVOICES, fault)
    error, copy_status, connection_status, paused, puts = COPY_OUTCOMES[fault]

    with pytest.raises(error):
        invoice_copy(invoice=invoice, connection=connection)

    copy = RemoteDocument.objects.get(invoice=invoice)  # the attempt is recorded whatever happened
    assert copy.status == copy_status and not copy.is_latest
    assert copy.waiting_until if copy_status == CopyStatus.WAITING else copy.error  # when it runs again / why
    connection.refresh_from_db()
    assert connection.status == connection_status
    assert connection.is_paused == paused
    assert calls_to(mock, INVOICES) == puts
    keys = {call.request.headers.get("Idempotency-Key") for call in mock.calls if INVOICES.match(call.request.url)}
    assert keys <= {copy.idempotency_key}  # retries of one attempt reuse its key
    invoice.refresh_from_db()
    assert invoice.number and invoice.status == "finalized"  # our invoice is untouched


# fault → (connection status, paused, GET /Payments calls)
FETCH_OUTCOMES = {
    "timeout": (ConnectionStatus.ACTIVE, False, 3),
    "connection error": (ConnectionStatus.ACTIVE, False, 3),
    "429": (ConnectionStatus.ACTIVE, True, 1),
    "500": (ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (ConnectionStatus.ACTIVE, False, 3),
    "401": (ConnectionStatus.NEEDS_RECONNECT, False, 2),
    "invalid_grant": (ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_payment_fetch(fault, mock, connection):
    if fault == "invalid_grant":
        expire_token(connection)
    serve_fault(mock, responses.GET, PAYMENTS, fault)
    connection_status, paused, gets = FETCH_OUTCOMES[fault]

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.FAILED and run.error and run.finished_at
    assert run.api_calls == calls_to(mock, PAYMENTS) == gets
    connection.refresh_from_db()
    assert connection.status == connection_status
    assert connection.is_paused == paused
    if paused:
        assert connection.paused_until >= timezone.now() + datetime.timedelta(seconds=85)
    # Nothing lost: the cursor did not move, so the next poll asks for the same changes again.
    assert connection.sync_cursors == {"payments": {"modified_since": "2026-11-10T08:00:00"}}
    assert connection.last_synced_at is None
