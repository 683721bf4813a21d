"""Payments mirrored from what e-conomic says is still owed, through the whole payment sync: partial, full and
reversed payments (amount paid = total − remainder after every run), replays changing nothing, a draft booked by a
bookkeeper followed by our reference, and what one poll costs."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from billing.choices import PaymentStatus
from integrations.models import RemotePayment, SyncLogEntry, SyncOutcome
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice
from tests.integrations.factories import remote_copy

from .fake_economic import FakeEconomic
from .helpers import READY_SETTINGS, economic_connection

pytestmark = pytest.mark.django_db

_numbers = itertools.count(30001)


@pytest.fixture
def economic(mock):
    return FakeEconomic(mock).install()


@pytest.fixture
def connection(organization, subsidiary):
    return economic_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=timezone.now() - datetime.timedelta(days=1),
    )


def copied(connection, economic, *, total="1000.00", draft=False):
    """An invoice of ours copied to e-conomic: booked there (its remote id is the booked number) or a draft."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    number = next(_numbers)
    if draft:
        economic.drafts[number] = {"draftInvoiceNumber": number, "references": {"other": invoice.number}}
        economic.drafts[number]["grossAmount"] = float(Decimal(total))
        remote_id, state = f"draft-{number}", "draft"
    else:
        economic.book_invoice(number, total, reference=invoice.number)
        remote_id, state = str(number), "booked"
    remote_copy(connection, invoice, remote_id=remote_id, remote_number=invoice.number, remote_state=state)
    return invoice, number


def paid(invoice):
    invoice.refresh_from_db()
    return invoice.amount_paid, invoice.payment_status


def days_ago(days: int) -> str:
    return (timezone.localdate() - datetime.timedelta(days=days)).isoformat()


def entries_calls(economic) -> list:
    return [r for r in economic.requests if "/accounting-years" in r.url]


def test_partial_full_and_reversed_payments_dated_by_the_payment_entries(economic, connection):
    invoice, number = copied(connection, economic)
    assert invoice.total == Decimal("1000.00")  # the factory's 10 × 100.00

    first_entry = economic.pay(number, "400.00", days_ago(5))
    run = payments_sync(connection=connection)
    # the booked invoices, then (something fell) the accounting years and the year's customer-payment entries
    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 1 and run.api_calls == 3
    assert paid(invoice) == (Decimal("400.00"), PaymentStatus.PARTIALLY_PAID)
    first = invoice.payments.get()
    assert first.date.isoformat() == days_ago(5) and first.source == "economic"
    assert "e-conomic shows 600.00" in SyncLogEntry.objects.get(action="payment.recorded").message

    second_entry = economic.pay(number, "600.00", days_ago(2))
    payments_sync(connection=connection)
    assert paid(invoice) == (Decimal("1000.00"), PaymentStatus.PAID)
    assert invoice.payments.order_by("pk").last().date.isoformat() == days_ago(2)

    economic.reverse(second_entry, days_ago(0))
    economic.reverse(first_entry, days_ago(0))
    before = len(entries_calls(economic))
    run = payments_sync(connection=connection)
    assert run.counts["deleted"] == 2 and run.api_calls == 1  # nothing fell: no entries read
    assert len(entries_calls(economic)) == before
    assert paid(invoice) == (Decimal("0.00"), PaymentStatus.UNPAID)
    assert not RemotePayment.objects.filter(payment__is_deleted=False).exists()


def test_a_payment_booked_again_after_its_reversal_is_dated_by_the_new_entry(economic, connection):
    invoice, number = copied(connection, economic)
    entry = economic.pay(number, "400.00", days_ago(9))
    payments_sync(connection=connection)
    economic.reverse(entry, days_ago(4))
    payments_sync(connection=connection)
    economic.pay(number, "400.00", days_ago(3))
    payments_sync(connection=connection)
    assert [p.date.isoformat() for p in invoice.payments.filter(is_deleted=False)] == [days_ago(3)]


def test_one_run_dates_every_fall_with_one_entries_call(economic, connection):
    one, one_number = copied(connection, economic)
    two, two_number = copied(connection, economic)
    economic.booked[two_number]["customer"]["customerNumber"] = 1002
    economic.pay(one_number, "300.00", days_ago(8))
    economic.pay(one_number, "300.00", days_ago(6))  # two payments since the last run: one of 600, dated the later
    economic.pay(two_number, "1000.00", days_ago(1))
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 2 and run.api_calls == 3
    (entries,) = [r for r in entries_calls(economic) if "/entries" in r.url]
    assert "customer.customerNumber%24in%3A%5B1001%2C1002%5D" in entries.url
    assert "entryType%24eq%3AcustomerPayment" in entries.url
    assert [(p.amount, p.date.isoformat()) for p in one.payments.all()] == [(Decimal("600.00"), days_ago(6))]
    assert [(p.amount, p.date.isoformat()) for p in two.payments.all()] == [(Decimal("1000.00"), days_ago(1))]

    for _ in range(2):  # replays: nothing fell, nothing read, nothing written
        run = payments_sync(connection=connection)
        assert run.api_calls == 1 and run.counts["unchanged"] == 2 and run.counts["recorded"] == 0
    assert one.payments.count() == 1 and two.payments.count() == 1


def test_a_fall_the_entries_do_not_explain_is_dated_the_day_seen(economic, connection):
    invoice, number = copied(connection, economic)
    economic.pay(number, "250.00", days_ago(7), invoice_number=False)  # booked without the invoice number
    payments_sync(connection=connection)
    economic.pay(number, "250.00", days_ago(6))
    economic.owe(number, "400.00")  # 100.00 more than the entries show
    payments_sync(connection=connection)
    assert [(p.amount, p.date) for p in invoice.payments.order_by("pk")] == [
        (Decimal("250.00"), timezone.localdate()),
        (Decimal("350.00"), timezone.localdate()),
    ]


def test_entries_refused_leave_the_payment_dated_the_day_seen(economic, connection):
    invoice, number = copied(connection, economic)
    economic.refuse_entries = 403
    economic.pay(number, "300.00", days_ago(5))
    run = payments_sync(connection=connection)
    assert run.outcome == SyncOutcome.SUCCEEDED and run.api_calls == 2  # the remainders, the refused years
    assert [(p.amount, p.date) for p in invoice.payments.all()] == [(Decimal("300.00"), timezone.localdate())]


def test_an_outage_reading_the_entries_stops_the_run_and_it_is_asked_again(economic, connection):
    invoice, number = copied(connection, economic)
    economic.pay(number, "300.00", days_ago(5))
    economic.refuse_entries = 503
    run = payments_sync(connection=connection)
    assert run.outcome != SyncOutcome.SUCCEEDED and not invoice.payments.exists()
    economic.refuse_entries = 0
    payments_sync(connection=connection)
    assert [p.date.isoformat() for p in invoice.payments.all()] == [days_ago(5)]


def test_a_partial_reversal_reduces_the_newest_payment(economic, connection):
    invoice, number = copied(connection, economic)
    for owed in ("750.00", "0.00"):
        economic.owe(number, owed)
        payments_sync(connection=connection)
    economic.owe(number, "600.00")
    run = payments_sync(connection=connection)
    assert (run.counts["updated"], run.counts["deleted"]) == (1, 0)
    assert paid(invoice) == (Decimal("400.00"), PaymentStatus.PARTIALLY_PAID)
    assert sorted(p.amount for p in invoice.payments.filter(is_deleted=False)) == [Decimal("150.00"), Decimal("250.00")]


def test_replays_change_nothing_and_log_nothing(economic, connection):
    invoice, number = copied(connection, economic)
    economic.owe(number, "900.00")
    payments_sync(connection=connection)
    entries = SyncLogEntry.objects.count()
    for _ in range(3):
        run = payments_sync(connection=connection)
        assert run.counts["unchanged"] == 1 and run.counts["recorded"] == 0
    assert SyncLogEntry.objects.count() == entries and invoice.payments.count() == 1


def test_a_draft_booked_by_the_bookkeeper_is_followed_by_our_reference(economic, connection):
    invoice, draft_number = copied(connection, economic, draft=True)
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 0 and run.api_calls == 1  # still a draft: nothing owed yet

    booked = economic.book_draft_in_economic(draft_number)
    economic.owe(booked["bookedInvoiceNumber"], "250.00")
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 1 and run.api_calls == 2  # the drafts, then the booked one by reference
    assert paid(invoice) == (Decimal("750.00"), PaymentStatus.PARTIALLY_PAID)


def test_a_poll_costs_one_call_per_200_open_invoices(economic, connection):
    for _ in range(201):
        copied(connection, economic)
    runs = [payments_sync(connection=connection) for _ in range(2)]
    assert [run.api_calls for run in runs] == [1, 1]  # 200 a run (the feed's batch), one $in filter each
    assert sum(run.counts["fetched"] for run in runs) == 201 + 199  # the second run goes round to the first ones


@override_settings(PAYMENTS_REMAINDER_WATCH_DAYS=30)
def test_paid_invoices_leave_the_set_after_the_watch_window(economic, connection):
    invoice, number = copied(connection, economic)
    economic.owe(number, "0.00")
    payments_sync(connection=connection)
    assert paid(invoice)[1] == PaymentStatus.PAID
    assert payments_sync(connection=connection).api_calls == 1  # watched for a reversal

    invoice.payments.update(date=timezone.localdate() - datetime.timedelta(days=31))
    run = payments_sync(connection=connection)
    assert run.api_calls == 0 and run.counts["fetched"] == 0
