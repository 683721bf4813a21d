"""POST /integrations/<key>/webhooks/ with Xero's deliveries: the signature before anything else, events stored
once, unknown tenants acknowledged, one payment sync per connection however many events a burst brings (run by
the django-q worker in sync mode, against FakeXero)."""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations import tasks
from integrations.models import SyncKind, SyncOutcome, SyncRun, WebhookEvent, WebhookResult
from tests.factories import make_invoice

from .factories import ConnectionFactory, remote_copy

pytestmark = pytest.mark.django_db

KEY = "test-webhook-key-0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL"
URL = reverse("integrations:webhooks", args=["xero"])
ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
UPDATED = datetime.datetime(2026, 11, 12, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def webhook_key(settings):
    settings.XERO_WEBHOOK_KEY = KEY


def signature(body: bytes, key: str = KEY) -> str:
    """How Xero signs: base64(HMAC-SHA256(raw body, webhook key)), computed here on its own."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event(tenant_id, resource_id, *, category="INVOICE", event_type="UPDATE", at="2026-11-12T09:30:01.123"):
    return {
        "resourceUrl": f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": at,
        "eventType": event_type,
        "eventCategory": category,
        "tenantId": tenant_id,
        "tenantType": "ORGANISATION",
    }


def delivery(*events, sequence=1) -> bytes:
    body = {"events": list(events), "firstEventSequence": sequence, "lastEventSequence": sequence + len(events) - 1}
    return json.dumps({**body, "entropy": "QWERTYUIOPASDFGHJKLZ"}).encode()


def post(body: bytes, sign: str | None = None, client: Client | None = None, **headers):
    if sign is None:
        sign = signature(body)
    if sign:
        headers["HTTP_X_XERO_SIGNATURE"] = sign
    return (client or Client(enforce_csrf_checks=True)).post(URL, body, content_type="application/json", **headers)


@pytest.fixture
def syncing(organization, subsidiary):
    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        payment_sync_enabled_at=ENABLED,
        settings={"sync_payments": True},
    )


def copied(connection, remote_id=None):
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    remote_copy(connection, invoice, remote_id=remote_id or str(uuid.uuid4()))
    return invoice, invoice.copies.get().remote_id


def runs(connection):
    return SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS)


# --- the signature comes first ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["missing", "empty", "wrong key", "tampered body", "signature of another body", "not base64", "lower-cased"],
)
def test_a_bad_signature_is_401_and_nothing_is_stored_or_logged(case, syncing, xero, caplog):
    invoice, remote_id = copied(syncing)
    body = delivery(event(syncing.remote_tenant_id, remote_id))
    signed = {
        "missing": None,
        "empty": "",
        "wrong key": signature(body, key="another-apps-webhook-key"),
        "tampered body": signature(body),
        "signature of another body": signature(delivery(event(syncing.remote_tenant_id, str(uuid.uuid4())))),
        "not base64": "☃ not a signature",
        "lower-cased": signature(body).lower(),
    }[case]
    sent = body.replace(remote_id.encode(), str(uuid.uuid4()).encode()) if case == "tampered body" else body
    caplog.set_level(logging.DEBUG)

    if signed is None:
        response = Client(enforce_csrf_checks=True).post(URL, sent, content_type="application/json")
    else:
        response = Client(enforce_csrf_checks=True).post(
            URL, sent, content_type="application/json", HTTP_X_XERO_SIGNATURE=signed
        )

    assert response.status_code == 401 and response.content == b""
    assert not WebhookEvent.objects.exists() and not runs(syncing).exists()
    syncing.refresh_from_db()
    assert syncing.sync_requested_at is None and syncing.sync_queued_at is None
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert remote_id not in logged and syncing.remote_tenant_id not in logged


def test_the_signature_is_checked_before_the_body_is_read_as_json(syncing):
    """An unparseable body with a bad signature is a 401, with a good one a 400: parsing comes second."""
    garbage = b'{"events": [ not json'
    assert post(garbage, sign=signature(b"something else")).status_code == 401
    assert post(garbage).status_code == 400
    not_events = b'{"events": "nope"}'
    assert post(not_events, sign="").status_code == 401
    assert post(not_events).status_code == 400
    assert not WebhookEvent.objects.exists()


def test_the_signature_covers_the_raw_bytes_not_the_json(syncing):
    """Re-serialising the same JSON (other spacing, other key order) breaks the signature."""
    body = delivery(event(syncing.remote_tenant_id, str(uuid.uuid4())))
    reformatted = json.dumps(json.loads(body), indent=2, sort_keys=True).encode()
    assert post(reformatted, sign=signature(body)).status_code == 401
    assert post(body).status_code == 200


# --- intent to receive ----------------------------------------------------------------------------------------


def test_intent_to_receive_200_when_signed_401_when_not():
    """Xero's validation: a series of `"events": []` payloads, some signed right, some wrong."""
    for n in range(10):
        body = json.dumps(
            {"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": f"ENTROPY{n:013d}"}
        ).encode()
        good = post(body)
        assert good.status_code == 200 and good.content == b""
        assert "Set-Cookie" not in good and not good.cookies
        assert post(body, sign=signature(body, key=KEY + "x")).status_code == 401
    assert not WebhookEvent.objects.exists()


# --- which requests the URL answers ----------------------------------------------------------------------------


def test_unknown_unconfigured_or_keyless_providers_are_404(settings):
    body = delivery()
    assert Client().post(reverse("integrations:webhooks", args=["nope"]), body, **_signed(body)).status_code == 404
    with override_settings(XERO_CLIENT_ID=""):
        assert post(body).status_code == 404
    with override_settings(XERO_WEBHOOK_KEY=""):
        assert post(body).status_code == 404
    assert post(body).status_code == 200  # the control


def _signed(body):
    return {"content_type": "application/json", "HTTP_X_XERO_SIGNATURE": signature(body)}


def test_only_post(client):
    assert client.get(URL).status_code == 405


@override_settings(INTEGRATIONS_WEBHOOK_MAX_BYTES=2000)
def test_a_body_over_the_bound_is_refused_before_the_signature(syncing):
    events = [event(syncing.remote_tenant_id, str(uuid.uuid4())) for _ in range(20)]
    body = delivery(*events)
    assert len(body) > 2000
    response = post(body)
    assert response.status_code == 413
    assert not WebhookEvent.objects.exists()
    assert post(delivery(*events[:3])).status_code == 200  # a delivery within the bound


# --- storing and deduplicating ---------------------------------------------------------------------------------


def test_an_invoice_update_on_our_copy_queues_a_sync_that_records_the_payment(syncing, xero):
    invoice, remote_id = copied(syncing)
    xero.add_payment(invoice_id=remote_id, amount="250.00", date="2026-11-12", updated=UPDATED)

    response = post(delivery(event(syncing.remote_tenant_id, remote_id)))

    assert response.status_code == 200 and response.content == b""
    stored = WebhookEvent.objects.get()
    assert (stored.provider, stored.connection, stored.resource_kind, stored.event_type) == (
        "xero",
        syncing,
        "INVOICE",
        "UPDATE",
    )
    assert stored.resource_id == remote_id and stored.remote_tenant_id == syncing.remote_tenant_id
    assert stored.occurred_at == datetime.datetime(2026, 11, 12, 9, 30, 1, 123000, tzinfo=datetime.UTC)
    assert stored.result == WebhookResult.SYNC_QUEUED
    (run,) = runs(syncing)
    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 1
    invoice.refresh_from_db()
    assert invoice.payments.get().amount == Decimal("250.00")
    stored.refresh_from_db()
    syncing.refresh_from_db()
    assert stored.processed_at is not None and syncing.sync_requested_at is None
    assert "X-Xero-Signature".lower() not in json.dumps(stored.payload_excerpt).lower()
    assert stored.payload_excerpt == {"eventCategory": "INVOICE", "eventType": "UPDATE", "tenantType": "ORGANISATION"}


def test_a_replayed_delivery_is_acknowledged_and_ignored(syncing, xero):
    _invoice, remote_id = copied(syncing)
    body = delivery(event(syncing.remote_tenant_id, remote_id))
    for _ in range(5):
        assert post(body).status_code == 200
    assert WebhookEvent.objects.count() == 1
    assert runs(syncing).count() == 1


def test_one_event_twice_in_a_delivery_is_stored_once(syncing, xero):
    _invoice, remote_id = copied(syncing)
    same = event(syncing.remote_tenant_id, remote_id)
    assert post(delivery(same, same)).status_code == 200
    assert WebhookEvent.objects.count() == 1


def test_an_unknown_tenant_is_stored_and_acknowledged(syncing, xero):
    stranger = str(uuid.uuid4())
    response = post(delivery(event(stranger, str(uuid.uuid4()))))
    assert response.status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.connection is None and stored.remote_tenant_id == stranger
    assert stored.result == WebhookResult.UNKNOWN_TENANT and stored.processed_at is not None
    assert not SyncRun.objects.exists() and not xero.requests


def test_a_disconnected_connection_is_an_unknown_tenant(syncing, xero):
    _invoice, remote_id = copied(syncing)
    syncing.status = "disconnected"
    syncing.save()
    assert post(delivery(event(syncing.remote_tenant_id, remote_id))).status_code == 200
    assert WebhookEvent.objects.get().result == WebhookResult.UNKNOWN_TENANT


@pytest.mark.parametrize(
    "category, event_type, ours, result",
    [
        ("INVOICE", "UPDATE", False, WebhookResult.NOT_OURS),
        ("INVOICE", "CREATE", True, WebhookResult.NO_SYNC),  # the copy we just made: no payment on it yet
        ("CONTACT", "UPDATE", False, WebhookResult.NO_SYNC),
        ("CREDITNOTE", "CREATE", False, WebhookResult.NO_SYNC),
    ],
)
def test_events_that_carry_no_payment_of_ours_queue_nothing(category, event_type, ours, result, syncing, xero):
    _invoice, remote_id = copied(syncing)
    resource = remote_id if ours else str(uuid.uuid4())
    body = delivery(event(syncing.remote_tenant_id, resource, category=category, event_type=event_type))
    assert post(body).status_code == 200
    stored = WebhookEvent.objects.get()
    assert stored.result == result and stored.connection == syncing and stored.processed_at is not None
    assert not SyncRun.objects.exists() and not xero.requests
    syncing.refresh_from_db()
    assert syncing.sync_requested_at is None


def test_a_connection_with_payment_sync_off_is_not_queued(organization, subsidiary, xero):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, settings={"sync_payments": False})
    _invoice, remote_id = copied(connection)
    assert post(delivery(event(connection.remote_tenant_id, remote_id))).status_code == 200
    assert WebhookEvent.objects.get().result == WebhookResult.SYNC_SKIPPED
    assert not SyncRun.objects.exists()


# --- one sync per burst ----------------------------------------------------------------------------------------


def test_a_burst_queues_one_sync_while_it_waits_in_the_queue(syncing, xero, monkeypatch):
    _invoice, remote_id = copied(syncing)
    broker = []  # the queued task waits here until a worker takes it
    monkeypatch.setattr(tasks, "async_task", lambda func, ids, **kwargs: broker.append(ids))
    moments = [f"2026-11-12T09:30:{second:02d}.000" for second in range(12)]
    for n, moment in enumerate(moments):
        assert post(delivery(event(syncing.remote_tenant_id, remote_id, at=moment), sequence=n + 1)).status_code == 200

    assert broker == [[syncing.pk]], "a burst of deliveries queued more than one sync"
    results = list(WebhookEvent.objects.order_by("pk").values_list("result", flat=True))
    assert results == [WebhookResult.SYNC_QUEUED] + [WebhookResult.SYNC_PENDING] * 11

    tasks.payments_sync_connections(broker.pop())  # the worker takes it: one run covers the whole burst
    assert runs(syncing).count() == 1 and broker == []
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
    syncing.refresh_from_db()
    assert syncing.sync_requested_at is None and syncing.sync_queued_at is None


def test_a_change_announced_during_a_run_gets_one_trailing_run(syncing, xero, monkeypatch):
    _invoice, remote_id = copied(syncing)
    broker = []
    monkeypatch.setattr(tasks, "async_task", lambda func, ids, **kwargs: broker.append(ids))
    running = SyncRun.objects.create(connection=syncing, kind=SyncKind.PAYMENTS)  # a run has read the provider
    for n in range(3):
        post(delivery(event(syncing.remote_tenant_id, remote_id, at=f"2026-11-12T09:31:0{n}.000"), sequence=n + 1))
    assert broker == [] and set(WebhookEvent.objects.values_list("result", flat=True)) == {WebhookResult.SYNC_PENDING}

    running.outcome, running.finished_at = SyncOutcome.SUCCEEDED, timezone.now()
    running.save()
    assert tasks.payments_sync_trailing(syncing.pk, running) == [syncing.pk]
    assert broker == [[syncing.pk]]  # once, not three times
    assert tasks.payments_sync_trailing(syncing.pk, running) == []  # it waits in the queue: no second one

    tasks.payments_sync_connections(broker.pop())
    assert broker == []  # the trailing run covered them: no run after it
    assert not WebhookEvent.objects.filter(processed_at__isnull=True).exists()


def test_a_change_right_after_a_run_is_synced_at_once(syncing, xero):
    """The queue slot is given back when the run starts, so a payment edited seconds after the last one
    (a person correcting an amount) is not held back until the schedule's next tick."""
    _invoice, remote_id = copied(syncing)
    post(delivery(event(syncing.remote_tenant_id, remote_id, at="2026-11-12T09:30:00.000"), sequence=1))
    post(delivery(event(syncing.remote_tenant_id, remote_id, at="2026-11-12T09:30:05.000"), sequence=2))

    assert runs(syncing).count() == 2
    assert list(WebhookEvent.objects.values_list("result", flat=True)) == [WebhookResult.SYNC_QUEUED] * 2


def test_one_delivery_with_many_events_queues_one_sync(syncing, xero):
    copies = [copied(syncing)[1] for _ in range(6)]
    assert post(delivery(*(event(syncing.remote_tenant_id, remote_id) for remote_id in copies))).status_code == 200
    assert WebhookEvent.objects.count() == 6 and runs(syncing).count() == 1


def test_no_sync_is_queued_while_one_runs(syncing, xero):
    _invoice, remote_id = copied(syncing)
    SyncRun.objects.create(connection=syncing, kind=SyncKind.PAYMENTS)  # running
    assert post(delivery(event(syncing.remote_tenant_id, remote_id))).status_code == 200
    assert WebhookEvent.objects.get().result == WebhookResult.SYNC_PENDING
    assert runs(syncing).count() == 1  # no "skipped" run piled up
    syncing.refresh_from_db()
    assert syncing.sync_requested_at is not None  # the next tick runs it


def test_shared_tenant_syncs_the_connection_holding_the_copy(syncing, other_organization, xero):
    other = ConnectionFactory(
        organization=other_organization,
        remote_tenant_id=syncing.remote_tenant_id,
        payment_sync_enabled_at=ENABLED,
        settings={"sync_payments": True},
    )
    _invoice, remote_id = copied(other)
    assert post(delivery(event(syncing.remote_tenant_id, remote_id))).status_code == 200
    assert WebhookEvent.objects.get().connection == other
    assert runs(other).count() == 1 and not runs(syncing).exists()


def test_queries_do_not_grow_with_the_events_of_a_delivery(syncing, xero):
    copies = [copied(syncing)[1] for _ in range(30)]

    def queries(remote_ids, at):
        SyncRun.objects.all().delete()
        type(syncing).objects.filter(pk=syncing.pk).update(sync_queued_at=None, sync_requested_at=None)
        with CaptureQueriesContext(db_connection) as captured:
            body = delivery(*(event(syncing.remote_tenant_id, r, at=at) for r in remote_ids))
            assert post(body).status_code == 200
        return len(captured)

    few = queries(copies[:3], "2026-11-12T10:00:00.000")
    many = queries(copies, "2026-11-12T11:00:00.000")
    assert many == few
    assert runs(syncing).count() == 1 and WebhookEvent.objects.count() == 33


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_queue_one_sync():
    """Deliveries for one connection arriving at the same moment (each its own DB connection): one claim wins.
    A conditional UPDATE, so it holds on PostgreSQL (row lock, re-checked WHERE) and SQLite (one writer)."""
    connection = ConnectionFactory(payment_sync_enabled_at=ENABLED, settings={"sync_payments": True})
    now = timezone.now()
    barrier = threading.Barrier(10)
    claimed, errors = [], []

    def deliver():
        try:
            barrier.wait(timeout=10)
            claimed.extend(tasks.payments_sync_claim([connection.pk], now=now))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            db_connection.close()

    pool = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert errors == [] and claimed == [connection.pk]


def test_no_signature_is_compared_with_equals():
    """Signatures are compared in constant time only (signatures_match → hmac.compare_digest), never with ==:
    no line of code (strings and comments aside) puts == or != next to a signature or digest."""
    import io
    import tokenize
    from pathlib import Path

    import integrations

    root = Path(integrations.__file__).parent
    sources = [root / "providers" / "base.py", *sorted((root / "providers").glob("*/webhooks.py"))]
    assert len(sources) > 1
    offending = []
    for path in sources:
        lines: dict[int, list] = {}
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type not in (tokenize.STRING, tokenize.COMMENT):
                lines.setdefault(token.start[0], []).append(token)
        for number, tokens in lines.items():
            compares = any(t.type == tokenize.OP and t.string in ("==", "!=") for t in tokens)
            names = any(t.type == tokenize.NAME and re.search("sign|digest", t.string, re.I) for t in tokens)
            if compares and names:
                offending.append(f"{path.name}:{number}")
    assert offending == []
