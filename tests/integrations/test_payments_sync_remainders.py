"""The remainder feed kind (the RemainderFeed test provider, e-conomic-like): no payment feed, so each run asks
what is still owed on a bounded set of our open copies and derives payments from the difference."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from billing.choices import PaymentStatus
from billing.models import Payment
from billing.services import payment_record
from integrations.models import (
    PendingPaymentChange,
    RemotePayment,
    SyncLogEntry,
    SyncOutcome,
)
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .factories import ConnectionFactory, remote_copy
from .feed_fakes import FEED_PROVIDERS, RemainderServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_providers")]


@pytest.fixture
def feed_providers():
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS):
        yield


@pytest.fixture
def books(mock):
    return RemainderServer(mock).install()


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        provider="remainderfeed",
        payment_sync_enabled_at=timezone.now() - datetime.timedelta(days=1),
    )


def booked(connection, books, *, currency="EUR"):
    """An invoice of 1,000.00 EUR copied to the provider, where it is booked and still wholly owed."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    remote_id = f"booked-{uuid.uuid4().hex[:6]}"
    remote_copy(connection, invoice, remote_id=remote_id, remote_number=remote_id.upper())
    books.book(remote_id, "1000.00", currency=currency)
    return invoice, remote_id


def paid(invoice):
    invoice.refresh_from_db()
    return invoice.amount_paid, invoice.payment_status


def test_payments_follow_what_is_still_owed_both_ways(books, connection):
    invoice, remote = booked(connection, books)

    books.owe(remote, "600.00")
    run = payments_sync(connection=connection)
    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 1 and run.api_calls == 1
    assert paid(invoice) == (Decimal("400.00"), PaymentStatus.PARTIALLY_PAID)
    first = Payment.objects.get()
    assert first.date == timezone.localdate()
    assert "Remainder Books shows 600.00 EUR still owed" in SyncLogEntry.objects.get(action="payment.recorded").message

    books.owe(remote, "0.00")
    payments_sync(connection=connection)
    assert paid(invoice) == (Decimal("1000.00"), PaymentStatus.PAID)
    assert sorted(Payment.objects.values_list("amount", flat=True)) == [Decimal("400.00"), Decimal("600.00")]

    # A payment removed in the provider: what is owed grows again; the newest derived payment goes first.
    books.owe(remote, "700.00")
    run = payments_sync(connection=connection)
    assert (run.counts["deleted"], run.counts["updated"]) == (1, 1)
    assert paid(invoice) == (Decimal("300.00"), PaymentStatus.PARTIALLY_PAID)
    first.refresh_from_db()
    assert first.amount == Decimal("300.00") and not first.is_deleted
    assert RemotePayment.objects.filter(payment__is_deleted=False).count() == 1


def test_a_remainder_seen_again_changes_nothing_and_logs_nothing(books, connection):
    invoice, remote = booked(connection, books)
    books.owe(remote, "250.00")
    payments_sync(connection=connection)
    entries = SyncLogEntry.objects.count()

    run = payments_sync(connection=connection)

    assert run.counts["unchanged"] == 1 and run.counts["recorded"] == 0
    assert SyncLogEntry.objects.count() == entries and Payment.objects.count() == 1


def test_payments_recorded_by_hand_are_never_reduced(books, connection):
    invoice, remote = booked(connection, books)
    payment_record(invoice=invoice, amount=Decimal("100.00"), date=datetime.date(2026, 11, 2))
    books.owe(remote, "1000.00")

    run = payments_sync(connection=connection)

    assert run.counts["unchanged"] == 1 and paid(invoice)[0] == Decimal("100.00")


def test_each_run_asks_about_a_bounded_set_going_round_the_open_copies(books, connection):
    remotes = [booked(connection, books)[1] for _ in range(3)]
    fully_paid, _ = booked(connection, books)
    payment_record(invoice=fully_paid, amount=Decimal("1000.00"), date=datetime.date(2026, 11, 2))

    for _ in range(3):
        run = payments_sync(connection=connection)
        assert run.api_calls == 1

    # batch_size 2: the first run asks about two, the next the third and round again; a copy whose invoice is
    # paid without derived payments is not asked about.
    assert books.asked == [remotes[:2], [remotes[2], remotes[0]], remotes[1:]]


def test_a_document_that_cannot_apply_is_kept_and_asked_about_first(books, connection):
    dollars, dollar_remote = booked(connection, books, currency="USD")
    others = [booked(connection, books)[1] for _ in range(2)]
    books.owe(dollar_remote, "900.00")

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.PARTIAL and run.counts["failed"] == 1
    kept = PendingPaymentChange.objects.get()
    assert kept.remote_id == f"document:{dollar_remote}" and kept.record["remainder"] == "900.00"
    failed = SyncLogEntry.objects.get(action="payment.failed", invoice=dollars)
    assert "EUR" in failed.message and "kept and tried again" in failed.message

    again = payments_sync(connection=connection)

    assert books.asked[1][0] == dollar_remote and books.asked[1][1] == others[1]
    assert again.outcome == SyncOutcome.PARTIAL
    kept.refresh_from_db()
    assert kept.attempts == 2 and SyncLogEntry.objects.filter(action="payment.failed").count() == 1

    books.owe(dollar_remote, "1000.00")  # the provider's payment was removed: nothing to apply any more
    settled = payments_sync(connection=connection)

    assert settled.outcome == SyncOutcome.SUCCEEDED and not PendingPaymentChange.objects.exists()


def test_nothing_open_asks_nothing(books, connection):
    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.SUCCEEDED and run.api_calls == 0 and books.asked == []
