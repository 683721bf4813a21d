"""Exact's fault matrix: (timeout, 429 with the rate headers, 500, invalid JSON, 401, invalid_grant, token endpoint
refusal) × (copy, bulk copy, payment fetch, refresh, webhook). Exact has no idempotency key: a write whose answer
was lost is never sent again blindly (one POST, the attempt pending with its outcome unknown); a refresh is never
repeated (no grace for the old refresh token); "Old refresh token used" is a dead grant."""

from __future__ import annotations

import datetime
import re
import time

import pytest
import requests
import responses
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.exceptions import AmbiguousWriteError, TerminalError, ThrottledError, TransientError
from integrations.models import (
    ConnectionStatus,
    ContactLink,
    CopyStatus,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    SyncRun,
    WebhookEvent,
)
from integrations.services.invoice_copy import document_export
from integrations.services.payments_sync import payments_sync
from integrations.tokens import connection_access_token
from tests.factories import make_invoice

from .fake_exact import HOSTS, error
from .helpers import READY_SETTINGS, TOKEN_URL, exact_connection, token_answer
from .webhook_samples import financial_transaction, resign

pytestmark = pytest.mark.django_db

FAULTS = ["timeout", "429", "500", "invalid JSON", "401", "invalid_grant", "token refused"]
ACCOUNT = "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f"


def minute_reset(seconds: int) -> str:
    return str(int((time.time() + seconds) * 1000))


def serve_fault(mock, method, url, name):
    if name == "timeout":
        mock.add(method, url, body=requests.exceptions.ReadTimeout("read timed out"))
    elif name == "429":  # a minutely 429 carries only the minutely headers
        headers = {
            "X-RateLimit-Minutely-Limit": "60",
            "X-RateLimit-Minutely-Remaining": "0",
            "X-RateLimit-Minutely-Reset": minute_reset(90),
        }
        mock.add(method, url, status=429, headers=headers, json=error("Too many requests"))
    elif name == "500":
        mock.add(
            method,
            url,
            status=500,
            json=error("A problem has occurred. The cause of this issue will be investigated as soon as possible."),
        )
    elif name == "invalid JSON":
        mock.add(method, url, status=200, body="<html>not json</html>", content_type="text/html")
    elif name == "401":
        mock.add(method, url, status=401, json=error("Unauthorized"))
        mock.add(responses.POST, TOKEN_URL, json=token_answer("fresh", "fresh-r"))
    elif name == "invalid_grant":
        mock.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    elif name == "token refused":
        mock.add(
            responses.POST,
            TOKEN_URL,
            status=401,
            json={"error": "unauthorized_client", "error_description": "Old refresh token used."},
        )


def needs_stale_token(name: str) -> bool:
    return name in ("invalid_grant", "token refused")


def calls_to(mock, pattern):
    return sum(1 for call in mock.calls if pattern.match(call.request.url))


@pytest.fixture
def connection(organization, subsidiary):
    return exact_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        sync_cursors={"payments": {"terms": 5000, "lines": 5000, "deleted": 5000}},
    )


def expire_token(connection):
    connection.grant.token_expires_at = timezone.now() - datetime.timedelta(minutes=1)
    connection.grant.access_token_obtained_at = timezone.now() - datetime.timedelta(minutes=11)
    connection.grant.save(update_fields=["token_expires_at", "access_token_obtained_at"])


def entries_url(connection):
    return re.compile(re.escape(f"{HOSTS['nl']}/api/v1/{connection.remote_tenant_id}/salesentry/SalesEntries"))


# fault → (exception, copy status, connection status, paused, POST calls)
COPY_OUTCOMES = {
    "timeout": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 1),  # never retried
    "429": (ThrottledError, CopyStatus.WAITING, ConnectionStatus.ACTIVE, True, 1),
    "500": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 1),
    "invalid JSON": (AmbiguousWriteError, CopyStatus.PENDING, ConnectionStatus.ACTIVE, False, 1),
    "401": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 2),  # refused unread
    "invalid_grant": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 0),
    "token refused": (TerminalError, CopyStatus.FAILED, ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("name", FAULTS)
def test_copy(name, mock, connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=ACCOUNT)
    if needs_stale_token(name):
        expire_token(connection)
    entries = entries_url(connection)
    serve_fault(mock, responses.POST, entries, name)
    error_class, copy_status, connection_status, paused, posts = COPY_OUTCOMES[name]

    with pytest.raises(error_class):
        document_export(document=invoice, connection=connection)

    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == copy_status and not copy.is_latest
    assert copy.outcome_unknown == (error_class is AmbiguousWriteError)
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    if paused:  # until the minutely window resets, from the headers
        assert connection.paused_until >= timezone.now() + datetime.timedelta(seconds=85)
    assert sum(1 for c in mock.calls if c.request.method == "POST" and entries.match(c.request.url)) == posts


# fault → (statuses of the two copies, connection status, POST calls)
BULK_OUTCOMES = {
    "timeout": ({CopyStatus.PENDING}, ConnectionStatus.ACTIVE, 2),  # each sent once, looked up before any retry
    "429": ({CopyStatus.WAITING}, ConnectionStatus.ACTIVE, 1),
    "500": ({CopyStatus.PENDING}, ConnectionStatus.ACTIVE, 2),
    "invalid JSON": ({CopyStatus.PENDING}, ConnectionStatus.ACTIVE, 2),
    "401": ({CopyStatus.FAILED}, ConnectionStatus.NEEDS_RECONNECT, 2),
    "invalid_grant": ({CopyStatus.FAILED}, ConnectionStatus.NEEDS_RECONNECT, 0),
    "token refused": ({CopyStatus.FAILED}, ConnectionStatus.NEEDS_RECONNECT, 0),
}


@pytest.mark.parametrize("name", FAULTS)
def test_bulk_copy(name, mock, connection, organization, subsidiary):
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(2)]
    for invoice in invoices:
        ContactLink.objects.get_or_create(
            connection=connection, company=invoice.company, defaults={"remote_id": ACCOUNT}
        )
    if needs_stale_token(name):
        expire_token(connection)
    entries = entries_url(connection)
    serve_fault(mock, responses.POST, entries, name)
    statuses, connection_status, posts = BULK_OUTCOMES[name]

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None, 0)

    copies = RemoteDocument.objects.filter(invoice__in=invoices)
    assert set(copies.values_list("status", flat=True)) == statuses
    connection.refresh_from_db()
    assert connection.status == connection_status
    assert sum(1 for c in mock.calls if c.request.method == "POST" and entries.match(c.request.url)) == posts


FETCH_OUTCOMES = {
    "timeout": (ConnectionStatus.ACTIVE, False, 3),  # reads are retried (INTEGRATIONS_HTTP_RETRIES = 2)
    "429": (ConnectionStatus.ACTIVE, True, 1),
    "500": (ConnectionStatus.ACTIVE, False, 3),
    "invalid JSON": (ConnectionStatus.ACTIVE, False, 3),
    "401": (ConnectionStatus.NEEDS_RECONNECT, False, 2),
    "invalid_grant": (ConnectionStatus.NEEDS_RECONNECT, False, 0),
    "token refused": (ConnectionStatus.NEEDS_RECONNECT, False, 0),
}


@pytest.mark.parametrize("name", FAULTS)
def test_payment_fetch(name, mock, connection):
    if needs_stale_token(name):
        expire_token(connection)
    terms = re.compile(re.escape(f"{HOSTS['nl']}/api/v1/{connection.remote_tenant_id}/sync/Cashflow/PaymentTerms"))
    serve_fault(mock, responses.GET, terms, name)
    connection_status, paused, gets = FETCH_OUTCOMES[name]
    cursor = dict(connection.sync_cursors)

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.FAILED and run.error
    assert run.api_calls == calls_to(mock, terms) == gets
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    assert connection.sync_cursors == cursor  # nothing lost: the next poll asks again


@pytest.mark.parametrize(
    ("name", "error_class", "status"),
    [
        ("timeout", TransientError, ConnectionStatus.ACTIVE),
        ("500", TransientError, ConnectionStatus.ACTIVE),
        ("invalid JSON", TransientError, ConnectionStatus.ACTIVE),
        ("429", ThrottledError, ConnectionStatus.ACTIVE),
        ("invalid_grant", TerminalError, ConnectionStatus.NEEDS_RECONNECT),
        ("token refused", TerminalError, ConnectionStatus.NEEDS_RECONNECT),
        ("too early", ThrottledError, ConnectionStatus.ACTIVE),
    ],
)
def test_refresh(name, error_class, status, mock, connection):
    """A refresh is sent once whatever happens: a lost answer may have spent the refresh token."""
    expire_token(connection)
    if name == "too early":
        mock.add(
            responses.POST,
            TOKEN_URL,
            status=400,
            json={"error": "access_denied", "error_description": "Rate limit exceeded: access_token not expired"},
        )
    elif name in ("invalid_grant", "token refused"):
        serve_fault(mock, None, None, name)
    else:
        serve_fault(mock, responses.POST, TOKEN_URL, name)
    with pytest.raises(error_class):
        connection_access_token(connection)
    assert calls_to(mock, re.compile(re.escape(TOKEN_URL))) == 1
    connection.refresh_from_db()
    assert connection.status == status
    assert connection.grant.token_calls == 1  # counted against the daily cap


def test_a_young_token_is_never_refreshed_and_the_daily_cap_holds(mock, connection):
    grant = connection.grant
    grant.token_expires_at = timezone.now() + datetime.timedelta(seconds=20)  # inside the margin
    grant.access_token_obtained_at = timezone.now() - datetime.timedelta(minutes=5)  # but 5 minutes old
    grant.save()
    assert connection_access_token(connection) == grant.access_token  # used while valid, no token call
    expire_token(connection)
    connection.grant.token_calls, connection.grant.token_calls_day = 200, timezone.now().date()
    connection.grant.save()
    with pytest.raises(ThrottledError, match="200 token refreshes a day"):
        connection_access_token(connection)
    assert not mock.calls


@pytest.mark.parametrize("name", ["timeout", "429", "500", "invalid JSON", "401"])
def test_webhook_answers_at_once_whatever_the_provider_does(name, mock, connection, settings):
    """The delivery is acknowledged; the sync it queues meets the fault like any poll (and keeps the cursor)."""
    settings.EXACT_WEBHOOK_SECRET = "hook-secret"
    terms = re.compile(re.escape(f"{HOSTS['nl']}/api/v1/{connection.remote_tenant_id}/sync/Cashflow/PaymentTerms"))
    serve_fault(mock, responses.GET, terms, name)
    body = resign(financial_transaction(connection.remote_tenant_id), "hook-secret")
    url = reverse("integrations:webhooks", args=["exact"])

    response = Client(enforce_csrf_checks=True).post(url, body, content_type="application/json")

    assert response.status_code == 200 and WebhookEvent.objects.filter(connection=connection).count() == 1
    run = SyncRun.objects.get(connection=connection, kind=SyncKind.PAYMENTS)
    assert run.outcome == SyncOutcome.FAILED
    connection.refresh_from_db()
    assert connection.sync_cursors == {"payments": {"terms": 5000, "lines": 5000, "deleted": 5000}}


@pytest.mark.parametrize("body", [b"<html>not json</html>", b'{"Content":{"Topic":1},"HashCode":"AB"}', b"{}"])
def test_webhook_bad_or_unsigned_bodies_store_nothing(body, client, settings):
    settings.EXACT_WEBHOOK_SECRET = "hook-secret"
    url = reverse("integrations:webhooks", args=["exact"])
    assert client.post(url, body, content_type="application/json").status_code == 401
    signed_but_wrong_shape = resign(b'{"Content":{"Topic":1},"HashCode":"AB"}', "hook-secret")
    assert client.post(url, signed_but_wrong_shape, content_type="application/json").status_code == 400
    assert not WebhookEvent.objects.exists()


def test_webhook_validation_ping_is_answered_unread(client, settings):
    settings.EXACT_WEBHOOK_SECRET = "hook-secret"
    response = client.post(reverse("integrations:webhooks", args=["exact"]), b"", content_type="application/json")
    assert response.status_code == 200 and not WebhookEvent.objects.exists()
