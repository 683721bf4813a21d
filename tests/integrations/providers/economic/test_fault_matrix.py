"""e-conomic's fault matrix: (timeout, 429, 500, invalid JSON, 401 revoked grant) × (copy, book, fetch). Writes
carry an Idempotency-Key, so a write that timed out or failed with a 5xx is retried with the same key (answered,
not redone) and left pending with its outcome unknown; a 429 leaves the copy waiting and pauses the connection; a
401 is a revoked grant: the connection needs reconnecting, nothing is retried. The retry after a fault makes no
second draft or booked invoice."""

from __future__ import annotations

import datetime
import re

import pytest
import requests
import responses
from django.utils import timezone

from integrations.exceptions import AmbiguousWriteError, TerminalError, ThrottledError, TransientError
from integrations.models import ConnectionStatus, ContactLink, CopyStatus, RemoteDocument, SyncOutcome
from integrations.services.invoice_copy import document_export
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .fake_economic import API, FakeEconomic
from .helpers import READY_SETTINGS, economic_connection

pytestmark = pytest.mark.django_db

FAULTS = ["timeout", "429", "500", "invalid JSON", "401"]


def serve_fault(mock, method, url, name):
    if name == "timeout":
        mock.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))
    elif name == "429":
        mock.add(method, url, status=429, headers={"Retry-After": "90"}, json={"message": "Too many requests."})
    elif name == "500":
        mock.add(method, url, status=500, json={"message": "Internal server error.", "logId": "abc"})
    elif name == "invalid JSON":
        mock.add(method, url, status=200, body="<html>not json</html>", content_type="text/html")
    elif name == "401":
        mock.add(method, url, status=401, json={"message": "You are not authorized to access this resource."})


def calls_to(mock, pattern) -> int:
    return sum(1 for call in mock.calls if pattern.match(call.request.url) and call.request.method == "POST")


@pytest.fixture
def connection(organization, subsidiary):
    return economic_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


@pytest.fixture
def invoice(connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id="1")
    return invoice


# fault → (exception, copy status, connection status, paused, POST calls)
OUTCOMES = {
    "timeout": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),  # same key: retried
    "429": (ThrottledError, CopyStatus.WAITING, ConnectionStatus.ACTIVE, True, 1),
    "500": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 3),
    "401": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 1),
}


def check(mock, pattern, connection, invoice, name):
    error, copy_status, connection_status, paused, posts = OUTCOMES[name]
    with pytest.raises(error):
        document_export(document=invoice, connection=connection)
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == copy_status and not copy.is_latest
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    assert calls_to(mock, pattern) == posts
    keys = {c.request.headers["Idempotency-Key"] for c in mock.calls if pattern.match(c.request.url)}
    assert len(keys) == 1, "every try of one attempt sends the same Idempotency-Key"
    return copy


@pytest.mark.parametrize("name", FAULTS)
def test_copy(name, mock, connection, invoice):
    drafts = re.compile(re.escape(f"{API}/invoices/drafts"))
    serve_fault(mock, responses.POST, drafts, name)
    check(mock, drafts, connection, invoice, name)


@pytest.mark.parametrize("name", FAULTS)
def test_book(name, mock, connection, invoice):
    """The draft is made, the booking meets the fault. Once it is gone: a waiting copy (429) repeats both calls with
    the same keys (the draft is answered, not made again) and books; a copy whose booking may have happened looks
    itself up first and adopts the one draft, which "Update existing" then books. Never a second invoice."""
    connection.settings = {**connection.settings, "booking": "book"}
    connection.save()
    booked = re.compile(re.escape(f"{API}/invoices/booked"))
    for _ in range(OUTCOMES[name][-1]):  # each try meets the fault once (responses pops a matched fault)
        serve_fault(mock, responses.POST, booked, name)
    server = FakeEconomic(mock).install()
    server.add_customer("Client", 1)
    copy = check(mock, booked, connection, invoice, name)
    assert len(server.drafts) == 1 and not server.booked
    if name == "401":
        return
    RemoteDocument.objects.filter(pk=copy.pk).update(waiting_until=None)
    connection.refresh_from_db()
    connection.paused_until = None
    connection.save()
    copy = document_export(document=invoice, connection=connection)
    assert copy.status == CopyStatus.SUCCEEDED
    if name == "429":
        assert copy.remote_state == "booked" and len(server.booked) == 1 and not server.drafts
        return
    assert copy.remote_state == "draft" and len(server.drafts) == 1 and not server.booked
    updated = document_export(document=invoice, connection=connection, mode="update")
    assert updated.remote_state == "booked" and len(server.booked) == 1 and not server.drafts


FETCH_OUTCOMES = {
    "timeout": (ConnectionStatus.ACTIVE, False, 3),
    "429": (ConnectionStatus.ACTIVE, True, 1),
    "500": (ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (ConnectionStatus.ACTIVE, False, 3),
    "401": (ConnectionStatus.NEEDS_RECONNECT, False, 1),
}


@pytest.mark.parametrize("name", FAULTS)
def test_fetch(name, mock, connection, invoice):
    RemoteDocument.objects.create(
        organization=connection.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key="fetch-fault",
        status=CopyStatus.SUCCEEDED,
        remote_id="31",
        remote_state="booked",
        is_latest=True,
    )
    booked = re.compile(re.escape(f"{API}/invoices/booked"))
    serve_fault(mock, responses.GET, booked, name)
    connection_status, paused, gets = FETCH_OUTCOMES[name]

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.FAILED and run.error
    assert run.api_calls == gets == sum(1 for call in mock.calls if booked.match(call.request.url))
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    if paused:
        assert connection.paused_until >= timezone.now() + datetime.timedelta(seconds=85)
    assert not invoice.payments.exists()


def test_a_read_fault_is_transient_for_the_pick_lists(mock, connection):
    from integrations.services.pick_lists import connection_refresh_lists

    serve_fault(mock, responses.GET, re.compile(re.escape(f"{API}/layouts")), "500")
    with pytest.raises(TransientError):
        connection_refresh_lists(connection=connection)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE and "lists" in connection.settings  # the old lists stay
