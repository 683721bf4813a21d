"""New payments applied in bulk: pages grouped up to PAYMENTS_APPLY_BATCH changes, a fixed number of queries per
batch, and exactly the outcome of applying them one by one (refusals logged and kept, replays inert)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.db import connection as db_connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from billing.choices import PaymentStatus
from billing.models import Invoice, Payment
from integrations.models import (
    CopyStatus,
    PendingPaymentChange,
    RemoteDocument,
    RemotePayment,
    SyncLogEntry,
    SyncOutcome,
)
from integrations.services import payment_feed_bulk
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .factories import ConnectionFactory, remote_copy
from .feed_fakes import FEED_PROVIDERS, LedgerServer

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
ENABLED = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def copy_of(connection, *, finalize=True):
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=finalize)
    remote_id = str(uuid.uuid4())
    remote_copy(connection, invoice, remote_id=remote_id)
    return invoice, remote_id


def copies(connection, count):
    """`count` finalized invoices with a copy each, made in bulk (the tests are about applying payments)."""
    template, _ = copy_of(connection)
    invoices = Invoice.objects.bulk_create(
        [
            Invoice(
                organization=template.organization,
                subsidiary=template.subsidiary,
                company=template.company,
                number=f"BULK-{index}",
                issue_date=template.issue_date,
                due_date=template.due_date,
                currency=template.currency,
                status=template.status,
                total=template.total,
                subtotal=template.subtotal,
            )
            for index in range(count)
        ]
    )
    remote_ids = [str(uuid.uuid4()) for _ in invoices]
    RemoteDocument.objects.bulk_create(
        [
            RemoteDocument(
                organization=template.organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=remote_id,
                is_latest=True,
            )
            for invoice, remote_id in zip(invoices, remote_ids, strict=True)
        ]
    )
    return remote_ids


@pytest.fixture
def xero_connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization, subsidiary=subsidiary, payment_sync_enabled_at=ENABLED, settings={}
    )


def add_payments(xero, remote_ids, *, amount="25.00", hour=10):
    start = datetime.datetime(2026, 11, 10, hour, tzinfo=UTC)
    for index, remote_id in enumerate(remote_ids):
        xero.add_payment(
            invoice_id=remote_id, amount=amount, date="2026-11-10", updated=start + datetime.timedelta(seconds=index)
        )


def test_a_thousand_new_payments_cost_at_most_twenty_queries_beyond_an_idle_run(xero, xero_connection):
    remote_ids = copies(xero_connection, 1000)
    with CaptureQueriesContext(db_connection) as idle:
        payments_sync(connection=xero_connection)
    add_payments(xero, remote_ids)

    with CaptureQueriesContext(db_connection) as busy:
        run = payments_sync(connection=xero_connection)

    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 1000 and run.api_calls == 11
    assert len(busy) - len(idle) <= 20, f"{len(busy) - len(idle)} queries for 1,000 new payments"
    assert Payment.objects.filter(is_deleted=False).count() == 1000 and RemotePayment.objects.count() == 1000
    assert Invoice.objects.filter(payment_status=PaymentStatus.PARTIALLY_PAID).count() == 1000
    assert SyncLogEntry.objects.filter(action="payment.recorded").count() == 1000
    xero_connection.refresh_from_db()
    assert xero_connection.sync_cursors["payments"]  # moved with the batch that carried the payments

    replay = payments_sync(connection=xero_connection)  # the same second again: nothing written twice
    assert replay.counts["recorded"] == 0 and Payment.objects.count() == 1000


def test_pages_are_applied_in_batches_of_the_configured_size(xero, xero_connection):
    remote_ids = copies(xero_connection, 250)
    add_payments(xero, remote_ids)

    with override_settings(PAYMENTS_APPLY_BATCH=100), CaptureQueriesContext(db_connection) as small:
        payments_sync(connection=xero_connection)
    RemotePayment.objects.all().delete()  # the run's rows go, the invoices' totals stay: only the count matters
    Payment.objects.all().delete()
    xero_connection.sync_cursors = {}
    xero_connection.save()
    with override_settings(PAYMENTS_APPLY_BATCH=1000), CaptureQueriesContext(db_connection) as large:
        payments_sync(connection=xero_connection)

    cursor_saves = [q for q in small.captured_queries if "sync_cursors" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert len(cursor_saves) == 3  # 100 + 100 + 50: a cursor per batch
    assert len(large) < len(small)


def test_a_failure_on_a_later_page_keeps_the_batches_before_it_and_their_cursor(xero, xero_connection):
    remote_ids = copies(xero_connection, 250)
    add_payments(xero, remote_ids)
    xero.minute_limit = 2  # Xero answers the third page with a 429

    run = payments_sync(connection=xero_connection)

    assert run.outcome == SyncOutcome.FAILED and run.counts["recorded"] == 200
    assert Payment.objects.count() == 200
    xero.minute_limit = None
    xero_connection.refresh_from_db()
    xero_connection.paused_until = None
    xero_connection.save()
    rest = payments_sync(connection=xero_connection)  # from the cursor the two pages reached
    assert rest.counts["recorded"] == 50 and Payment.objects.count() == 250


def test_a_database_failure_of_the_bulk_write_falls_back_to_one_by_one(xero, xero_connection, monkeypatch):
    remote_ids = copies(xero_connection, 5)
    add_payments(xero, remote_ids)
    real_insert = payment_feed_bulk.insert_all
    failures = []

    def fails_once(objs):  # a database failure injected at the bulk write (e.g. a constraint another run broke)
        if not failures:
            failures.append(len(objs))
            raise IntegrityError("duplicate key value violates unique constraint")
        return real_insert(objs)

    monkeypatch.setattr(payment_feed_bulk, "insert_all", fails_once)
    run = payments_sync(connection=xero_connection)

    assert failures == [5] and run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 5
    assert Payment.objects.count() == 5 and RemotePayment.objects.count() == 5  # the rolled-back ones gone
    assert Invoice.objects.filter(amount_paid=Decimal("25.00")).count() == 5


# --- the same outcome as one by one ---------------------------------------------------------------------------


@pytest.fixture
def ledger_connection(organization, subsidiary):
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS):
        yield ConnectionFactory(
            organization=organization, subsidiary=subsidiary, provider="ledgerfeed", payment_sync_enabled_at=ENABLED
        )


def ledger_story(ledger, connection):
    """New payments (one refused for its currency, one on a draft), a split payment, an edit and a deletion of
    payments new in the same batch, a payment that does not fit the invoice's paid amount, one not ours."""
    invoices = [copy_of(connection) for _ in range(4)]
    draft = copy_of(connection, finalize=False)
    (a, ra), (b, rb), (c, rc), (d, rd) = invoices
    ledger.pay("p1", [(ra, "100.00")])
    ledger.pay("p2", [(rb, "50.00")], ref="Wire 2")
    ledger.pay("p3", [(rc, "10.00")], currency="USD")
    ledger.pay("p4", [(draft[1], "10.00")])
    ledger.pay("p5", [(ra, "200.00"), (rb, "300.00")])
    ledger.pay("p6", [(rc, "70.00")])
    ledger.pay("p6", [(rc, "75.00")], ref="corrected")
    ledger.pay("p7", [(rd, "5.00")])
    ledger.delete("p7")
    ledger.pay("p8", [(rd, "999999999999.00")])
    ledger.pay("p9", [(rd, "1000.00")])
    ledger.pay("p10", [("someone-elses", "1.00")])
    return [a, b, c, d, draft[0]]


def outcome(invoices, run):
    def amounts(invoice):
        invoice.refresh_from_db()
        rows = Payment.objects.filter(invoice=invoice).order_by("external_id", "amount")
        return (
            invoice.amount_paid,
            invoice.payment_status,
            [(p.external_id, p.amount, p.date, p.reference, p.is_deleted) for p in rows],
        )

    return {
        "invoices": [amounts(invoice) for invoice in invoices],
        "log": sorted(SyncLogEntry.objects.values_list("action", "remote_id", "message", "level", "invoice_id")),
        "kept": sorted(PendingPaymentChange.objects.values_list("remote_id", "error")),
        "links": sorted(RemotePayment.objects.values_list("remote_id", "allocation_key", "remote_invoice_id")),
        "counts": run.counts,
        "outcome": run.outcome,
    }


def test_in_bulk_and_one_by_one_come_to_the_same_outcome(mock, ledger_connection):
    ledger = LedgerServer(mock).install()
    invoices = ledger_story(ledger, ledger_connection)
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS, PAYMENTS_APPLY_IN_BULK=True):
        in_bulk = outcome(invoices, payments_sync(connection=ledger_connection))

    RemotePayment.objects.all().delete()
    Payment.objects.all().delete()
    SyncLogEntry.objects.all().delete()
    PendingPaymentChange.objects.all().delete()
    Invoice.objects.update(amount_paid=0, payment_status=PaymentStatus.UNPAID)
    ledger_connection.sync_cursors = {}
    ledger_connection.save()
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS, PAYMENTS_APPLY_IN_BULK=False):
        one_by_one = outcome(invoices, payments_sync(connection=ledger_connection))

    assert in_bulk == one_by_one
    assert in_bulk["outcome"] == SyncOutcome.PARTIAL
    assert in_bulk["counts"]["recorded"] >= 5 and in_bulk["counts"]["failed"] == 3
    assert {remote_id for remote_id, _ in in_bulk["kept"]} == {"p3", "p4", "p8"}
