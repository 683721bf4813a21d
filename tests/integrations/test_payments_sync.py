"""Payment sync from Xero: only changes since the cursor, only our copied invoices, replay-safe, faults handled."""

import datetime
import uuid
from decimal import Decimal

import pytest
import responses
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.choices import PaymentSource, PaymentStatus
from billing.models import Payment
from integrations.models import (
    ConnectionStatus,
    CopyStatus,
    RemoteDocument,
    RemotePayment,
    SyncKind,
    SyncLogEntry,
    SyncOutcome,
    SyncRun,
)
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .factories import ConnectionFactory, remote_copy
from .fake_xero import FakeXero

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
UTC = datetime.UTC
ENABLED = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def at(hour, minute=0, second=0, day=10):
    return datetime.datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def sync_connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        payment_sync_enabled_at=ENABLED,
        settings={"sync_payments": True},
    )


def copied(connection, remote_id=None, **invoice_kwargs):
    """A finalized invoice of 1,000.00 EUR with a Xero copy."""
    invoice = make_invoice(
        organization=connection.organization, subsidiary=connection.subsidiary, finalize=True, **invoice_kwargs
    )
    remote_copy(connection, invoice, remote_id=remote_id or str(uuid.uuid4()))
    return invoice, remote_id or invoice.copies.get().remote_id


def payments_requests(xero):
    return [r for r in xero.requests if "/Payments" in r.url]


def test_partial_then_full_payment(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    xero.add_payment(invoice_id=remote_id, amount="400.00", date="2026-11-10", updated=at(10), reference="Part 1")

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.SUCCEEDED and run.kind == SyncKind.PAYMENTS
    assert run.counts["fetched"] == 1 and run.counts["recorded"] == 1 and run.api_calls == 1
    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID and invoice.amount_paid == Decimal("400.00")
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.source, payment.reference, payment.date) == (
        PaymentSource.XERO,
        "Part 1",
        datetime.date(2026, 11, 10),
    )
    assert RemotePayment.objects.get(connection=sync_connection).payment == payment
    assert SyncLogEntry.objects.filter(invoice=invoice, action="payment.recorded", run=run).exists()

    xero.add_payment(invoice_id=remote_id, amount="600.00", date="2026-11-12", updated=at(11))
    payments_sync(connection=sync_connection)

    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.PAID and invoice.amount_paid == Decimal("1000.00")
    sync_connection.refresh_from_db()
    assert sync_connection.last_synced_at is not None


def test_deleted_payment_reopens_the_invoice(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    paid = xero.add_payment(invoice_id=remote_id, amount="1000.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=sync_connection)

    xero.add_payment(
        invoice_id=remote_id,
        amount="1000.00",
        date="2026-11-10",
        updated=at(12),
        payment_id=paid["PaymentID"],
        status="DELETED",
    )
    run = payments_sync(connection=sync_connection)

    assert run.counts["deleted"] == 1
    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.UNPAID and invoice.amount_paid == Decimal("0.00")
    assert Payment.objects.get(invoice=invoice).is_deleted


def test_payment_before_sync_was_enabled_is_ignored(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    xero.add_payment(invoice_id=remote_id, amount="100.00", date="2026-10-31", updated=at(10))

    run = payments_sync(connection=sync_connection)

    assert run.counts["ignored"] == 1 and run.counts["recorded"] == 0
    assert not Payment.objects.exists()


def test_payment_on_an_invoice_we_never_copied_is_ignored(xero, sync_connection):
    copied(sync_connection)
    xero.add_payment(invoice_id=str(uuid.uuid4()), amount="100.00", date="2026-11-10", updated=at(10))

    run = payments_sync(connection=sync_connection)

    assert run.counts == {**run.counts, "fetched": 1, "ignored": 1, "recorded": 0}
    assert not Payment.objects.exists()


def test_payment_on_an_older_copy_counts(xero, sync_connection):
    invoice, old_remote = copied(sync_connection)
    RemoteDocument.objects.filter(invoice=invoice).update(is_latest=False)
    RemoteDocument.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        connection=sync_connection,
        idempotency_key="k-new",
        status=CopyStatus.SUCCEEDED,
        remote_id="newer",
        is_latest=True,
    )
    xero.add_payment(invoice_id=old_remote, amount="100.00", date="2026-11-10", updated=at(10))

    assert payments_sync(connection=sync_connection).counts["recorded"] == 1


def test_replaying_a_page_changes_nothing(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    xero.add_payment(invoice_id=remote_id, amount="250.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=sync_connection)
    sync_connection.sync_cursors = {}  # forget the cursor: Xero sends the same page again
    sync_connection.save()

    run = payments_sync(connection=sync_connection)

    assert run.counts["unchanged"] == 1 and run.counts["recorded"] == 0
    assert Payment.objects.count() == 1 and RemotePayment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("250.00")


def test_two_pages_and_if_modified_since_from_the_cursor(xero, sync_connection):
    invoices = [copied(sync_connection) for _ in range(3)]
    for index in range(150):
        invoice, remote_id = invoices[index % 3]
        xero.add_payment(
            invoice_id=remote_id, amount="1.00", date="2026-11-10", updated=at(10, index // 60, index % 60)
        )

    run = payments_sync(connection=sync_connection)

    first, second = payments_requests(xero)
    assert "If-Modified-Since" not in first.headers
    assert [FakeXero.query(r)["page"] for r in (first, second)] == ["1", "2"]
    assert run.counts["recorded"] == 150 and run.api_calls == 2
    sync_connection.refresh_from_db()
    assert sync_connection.sync_cursors["payments"] == {"modified_since": "2026-11-10T10:02:29Z"}

    idle = payments_sync(connection=sync_connection)

    assert payments_requests(xero)[-1].headers["If-Modified-Since"] == "2026-11-10T10:02:29Z"
    assert idle.api_calls == 1 and idle.counts["recorded"] == 0


@pytest.mark.parametrize("changes", [0, 1, 99, 100, 101, 200])
def test_the_idle_poll_after_any_number_of_changes_is_one_call(xero, sync_connection, changes):
    """An exact multiple of the page size ends the run on an empty page: the cursor must stay where it got."""
    pairs = [copied(sync_connection) for _ in range(3)]
    for index in range(changes):
        xero.add_payment(
            invoice_id=pairs[index % 3][1], amount="1.00", date="2026-11-10", updated=at(10, index // 60, index % 60)
        )

    run = payments_sync(connection=sync_connection)

    assert run.counts["recorded"] == changes
    assert run.api_calls == changes // 100 + 1
    sync_connection.refresh_from_db()
    newest = at(10, (changes - 1) // 60, (changes - 1) % 60) if changes else None
    expected = {"modified_since": newest.strftime("%Y-%m-%dT%H:%M:%SZ")} if newest else {}
    assert sync_connection.sync_cursors["payments"] == expected

    idle = payments_sync(connection=sync_connection)

    assert idle.outcome == SyncOutcome.SUCCEEDED and idle.counts["recorded"] == 0
    assert idle.api_calls == 1, f"idle poll after {changes} changes: {idle.api_calls} calls"
    sync_connection.refresh_from_db()
    assert sync_connection.sync_cursors["payments"] == expected


def test_queries_per_page_are_bounded(xero, sync_connection):
    pairs = [copied(sync_connection) for _ in range(5)]

    def run_with(count, hour):
        for index in range(count):
            xero.add_payment(invoice_id=pairs[index % 5][1], amount="1.00", date="2026-11-10", updated=at(hour))
        with CaptureQueriesContext(db_connection) as queries:
            payments_sync(connection=sync_connection)
        return len(queries)

    ten, forty = run_with(10, 10), run_with(40, 11)
    per_payment = (forty - ten) / 30
    assert per_payment <= 15, f"{per_payment} queries per new payment"
    # Payments seen again (same second as the cursor) and an idle run cost no queries per payment
    # (a fixed handful per run, including closing runs abandoned by a dead worker, and reading the grant).
    with CaptureQueriesContext(db_connection) as replay:
        payments_sync(connection=sync_connection)
    assert len(replay) <= 14
    xero.payments = []
    with CaptureQueriesContext(db_connection) as idle:
        payments_sync(connection=sync_connection)
    assert len(idle) <= 14


def test_429_pauses_the_connection_until_retry_after(mock, sync_connection):
    copied(sync_connection)
    mock.add(
        responses.GET, f"{API}/Payments", status=429, headers={"Retry-After": "120", "X-Rate-Limit-Problem": "minute"}
    )
    before = timezone.now()

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.FAILED and "rate limiting" in run.error
    sync_connection.refresh_from_db()
    assert sync_connection.status == ConnectionStatus.ACTIVE
    assert before + datetime.timedelta(seconds=119) <= sync_connection.paused_until
    assert sync_connection.paused_until <= timezone.now() + datetime.timedelta(seconds=121)


def test_invalid_grant_needs_reconnect(mock, sync_connection):
    sync_connection.grant.token_expires_at = timezone.now() - datetime.timedelta(minutes=1)
    sync_connection.grant.save()
    mock.add(responses.POST, "https://identity.xero.com/connect/token", status=400, json={"error": "invalid_grant"})

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.FAILED
    sync_connection.refresh_from_db()
    assert sync_connection.status == ConnectionStatus.NEEDS_RECONNECT


def test_server_error_fails_the_run_and_keeps_the_status(mock, sync_connection):
    invoice, _ = copied(sync_connection)
    mock.add(responses.GET, f"{API}/Payments", status=500, json={"Message": "oops"})

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.FAILED and "HTTP 500" in run.error
    assert run.api_calls == 3  # the call and its two bounded retries
    sync_connection.refresh_from_db()
    assert sync_connection.status == ConnectionStatus.ACTIVE and sync_connection.sync_cursors == {}
    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.UNPAID


def test_a_second_concurrent_run_is_skipped(xero, sync_connection):
    SyncRun.objects.create(connection=sync_connection, kind=SyncKind.PAYMENTS)

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.SKIPPED and not payments_requests(xero)


def test_a_payment_we_cannot_apply_is_logged_and_the_rest_goes_on(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    xero.add_payment(invoice_id=remote_id, amount="10.00", date="2026-11-10", updated=at(10), currency="USD")
    xero.add_payment(invoice_id=remote_id, amount="20.00", date="2026-11-10", updated=at(11))

    run = payments_sync(connection=sync_connection)

    assert run.outcome == SyncOutcome.PARTIAL and run.counts["failed"] == 1 and run.counts["recorded"] == 1
    assert SyncLogEntry.objects.filter(invoice=invoice, action="payment.failed", level="error").exists()


def test_a_run_left_running_by_a_dead_worker_does_not_block_later_runs(xero, sync_connection):
    connection = sync_connection
    now = timezone.now()
    dead = SyncRun.objects.create(
        connection=connection, kind=SyncKind.PAYMENTS, started_at=now - datetime.timedelta(minutes=10)
    )
    run = payments_sync(connection=connection)
    assert run.outcome == SyncOutcome.SUCCEEDED
    dead.refresh_from_db()
    assert dead.outcome == SyncOutcome.FAILED and "worker stopped" in dead.error


def test_a_recent_running_run_still_makes_a_second_start_skip(xero, sync_connection):
    connection = sync_connection
    SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS, started_at=timezone.now())
    assert payments_sync(connection=connection).outcome == SyncOutcome.SKIPPED


def test_an_edit_in_xero_is_a_deletion_and_a_new_payment(xero, sync_connection):
    invoice, remote_id = copied(sync_connection)
    first = xero.add_payment(invoice_id=remote_id, amount="1000.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=sync_connection)

    # Xero cannot edit a payment: the user deletes it and records the corrected one.
    xero.add_payment(
        invoice_id=remote_id,
        amount="1000.00",
        date="2026-11-10",
        updated=at(11),
        payment_id=first["PaymentID"],
        status="DELETED",
    )
    xero.add_payment(invoice_id=remote_id, amount="900.00", date="2026-11-11", updated=at(11))
    run = payments_sync(connection=sync_connection)

    assert (run.counts["deleted"], run.counts["recorded"], run.counts["updated"]) == (1, 1, 0)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("900.00") and invoice.payment_status == PaymentStatus.PARTIALLY_PAID
    assert RemotePayment.objects.filter(connection=sync_connection).count() == 2
    assert set(RemotePayment.objects.values_list("allocation_key", flat=True)) == {remote_id}


def test_a_payment_refused_on_a_superseded_copy_is_said_once(xero, sync_connection):
    invoice, old_remote = copied(sync_connection)
    RemoteDocument.objects.filter(invoice=invoice).update(is_latest=False, superseded_at=at(9))
    xero.add_payment(invoice_id=old_remote, amount="100.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=sync_connection)
    sync_connection.sync_cursors = {}  # Xero sends it again
    sync_connection.save()

    run = payments_sync(connection=sync_connection)

    assert run.counts["ignored"] == 1 and run.outcome == SyncOutcome.SUCCEEDED
    assert SyncLogEntry.objects.filter(action="payment.superseded").count() == 1
    assert not Payment.objects.exists()
