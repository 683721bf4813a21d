"""Exact's payment feed through the whole sync onto our invoices: payment lines (partial, edited, deleted via
sync/Deleted), the "matched in Exact" settlement of a receivable a bulk payment settled (and its undo), replays,
and what each poll costs in API calls (idle: one)."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest

from billing.choices import PaymentStatus
from integrations.models import CopyStatus, RemoteDocument, RemotePayment, SyncLogEntry
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .fake_exact import FakeExact
from .helpers import READY_SETTINGS, exact_connection

pytestmark = pytest.mark.django_db

ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


@pytest.fixture
def exact(mock):
    return FakeExact(mock).install()


@pytest.fixture
def connection(organization, subsidiary):
    return exact_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=ENABLED,
    )


def copied(connection, exact, count=1):
    """`count` finalized invoices copied to the division: (invoice, entry id), each with its receivable."""
    found = []
    for _ in range(count):
        invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
        entry_id = str(uuid.uuid4())
        entry = exact.book(entry_id, str(invoice.total))
        RemoteDocument.objects.create(
            organization=connection.organization,
            invoice=invoice,
            connection=connection,
            idempotency_key=str(uuid.uuid4()),
            status=CopyStatus.SUCCEEDED,
            remote_id=entry_id,
            remote_number=invoice.number,  # this app numbers: Exact's EntryNumber differs from ours
            is_latest=True,
        )
        assert str(entry["EntryNumber"]) != invoice.number
        found.append((invoice, entry_id))
    return found


def paid(invoice) -> Decimal:
    invoice.refresh_from_db()
    return invoice.amount_paid


def test_partial_payment_edit_and_deletion_follow_the_lines(connection, exact):
    [(invoice, entry)] = copied(connection, exact)
    exact.pay("line-1", [(entry, "300.00")], date="2026-11-10")
    first = payments_sync(connection=connection)
    assert first.counts["recorded"] == 1 and paid(invoice) == Decimal("300.00")
    assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID

    exact.pay("line-1", [(entry, "250.00")], date="2026-11-12")  # edited in Exact
    edited = payments_sync(connection=connection)
    assert edited.counts["updated"] == 1 and paid(invoice) == Decimal("250.00")
    assert invoice.payments.get().date == datetime.date(2026, 11, 12)

    exact.delete("line-1")  # reported by sync/Deleted
    deleted = payments_sync(connection=connection)
    assert deleted.counts["deleted"] == 1 and paid(invoice) == Decimal("0.00")


def test_a_bulk_payment_matched_in_exact_settles_the_invoice_and_its_undo_removes_it(connection, exact):
    [(invoice, entry), (other, _other_entry)] = copied(connection, exact, count=2)
    payments_sync(connection=connection)  # the copies' receivables: nothing to record

    exact.match(entry)  # a bulk payment booked on the customer, matched to this invoice
    run = payments_sync(connection=connection)

    assert run.counts["recorded"] == 1 and paid(invoice) == invoice.total and paid(other) == Decimal("0")
    payment = invoice.payments.get()
    assert payment.reference == "Matched in Exact" and payment.external_id == f"matched:{entry}"
    assert invoice.payment_status == PaymentStatus.PAID

    exact.unmatch(entry)
    undone = payments_sync(connection=connection)
    assert undone.counts["deleted"] == 1 and paid(invoice) == Decimal("0.00")


def test_matched_after_a_partial_payment_settles_only_the_rest(connection, exact):
    [(invoice, entry)] = copied(connection, exact)
    exact.pay("line-1", [(entry, "100.00")])
    payments_sync(connection=connection)
    exact.match(entry)
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 1 and paid(invoice) == invoice.total
    settlement = invoice.payments.get(external_id=f"matched:{entry}")
    assert settlement.amount == invoice.total - Decimal("100.00")


def test_an_invoice_paid_in_full_by_its_lines_gets_no_settlement(connection, exact):
    [(invoice, entry)] = copied(connection, exact)
    exact.pay("line-1", [(entry, str(invoice.total))])  # the receivable goes to matched (Status 50) by itself
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 1 and invoice.payments.count() == 1
    assert not RemotePayment.objects.filter(remote_id__startswith="matched:").exists()
    assert run.api_calls == 2  # terms and lines: the line in hand pays it all, no look-up of its other lines


def test_paid_in_full_over_two_polls_looks_up_the_earlier_lines_once(connection, exact):
    [(invoice, entry)] = copied(connection, exact)
    exact.pay("line-1", [(entry, "100.00")])
    payments_sync(connection=connection)
    exact.pay("line-2", [(entry, str(invoice.total - Decimal("100.00")))])  # settles it, with line-1 before
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 1 and paid(invoice) == invoice.total
    assert not RemotePayment.objects.filter(remote_id__startswith="matched:").exists()
    looked_up = [c for c in exact.mock.calls if "/financialtransaction/TransactionLines" in c.request.url]
    assert len(looked_up) == 1


def test_replays_change_nothing(connection, exact):
    [(invoice, entry), (second, second_entry)] = copied(connection, exact, count=2)
    exact.pay("line-1", [(entry, "100.00")])
    exact.pay("line-2", [(entry, "50.00")])
    exact.delete("line-2")
    exact.match(second_entry)
    payments_sync(connection=connection)
    entries = SyncLogEntry.objects.filter(connection=connection).count()
    connection.refresh_from_db()
    connection.sync_cursors = {}  # forget the cursor: Exact sends every change again
    connection.save()
    replay = payments_sync(connection=connection)
    assert replay.counts["recorded"] == replay.counts["updated"] == replay.counts["deleted"] == 0
    assert SyncLogEntry.objects.filter(connection=connection).count() == entries
    assert paid(invoice) == Decimal("100.00") and paid(second) == second.total


def test_an_idle_poll_is_one_call_also_after_receivable_changes_without_payments(connection, exact):
    copied(connection, exact, count=3)
    first = payments_sync(connection=connection)  # three new receivables, no payment
    assert first.counts["recorded"] == 0 and first.api_calls == 2  # terms, lines (nothing mirrored to delete)
    connection.refresh_from_db()
    assert connection.sync_cursors["payments"]["terms"] > 0  # moved past them: Timestamps are row versions
    idle = payments_sync(connection=connection)
    assert idle.api_calls == 1


def sync_paths(exact, since: int) -> list[str]:
    return [
        call.request.url.split("/sync/")[1].split("?")[0]
        for call in exact.mock.calls[since:]
        if "/sync/" in call.request.url
    ]


def test_k_new_payment_lines_cost_a_page_of_receivables_and_a_page_of_lines(connection, exact):
    invoices = copied(connection, exact, count=30)
    payments_sync(connection=connection)
    for index, (_invoice, entry) in enumerate(invoices * 5):  # 150 lines
        exact.pay(f"line-{index}", [(entry, "1.00")])
    run = payments_sync(connection=connection)
    # sync/Cashflow/PaymentTerms and sync/Financial/TransactionLines, 1,000 rows a page each; no payment was
    # mirrored on these invoices before, so no deletion can concern us: sync/Deleted is not read.
    assert run.counts["recorded"] == 150 and run.api_calls == 2


def test_deletions_are_read_once_a_moved_receivable_carries_a_mirrored_line(connection, exact):
    [(invoice, entry), (_other, other_entry)] = copied(connection, exact, count=2)
    exact.pay("line-1", [(entry, "80.00")])
    payments_sync(connection=connection)
    exact.pay("line-2", [(other_entry, "5.00")])  # a new payment elsewhere: no deletion can concern us
    seen = len(exact.mock.calls)
    payments_sync(connection=connection)
    assert "Deleted" not in sync_paths(exact, seen)

    exact.delete("line-1")  # moves the receivable of an invoice whose line we mirror
    seen = len(exact.mock.calls)
    run = payments_sync(connection=connection)

    assert sync_paths(exact, seen) == ["Cashflow/PaymentTerms", "Financial/TransactionLines", "Deleted"]
    assert run.counts["deleted"] == 1 and paid(invoice) == Decimal("0.00")


def test_a_line_whose_receivable_did_not_move_is_matched_through_one_receivables_lookup(connection, exact):
    [(invoice, entry), (_other, other_entry)] = copied(connection, exact, count=2)
    payments_sync(connection=connection)
    line = exact.pay("line-1", [(entry, "80.00")])
    exact.terms[entry]["Timestamp"] = 1  # as if Exact had not touched this receivable
    exact.unmatch(other_entry)  # another receivable moves, so the poll reads the lines
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 1 and paid(invoice) == Decimal("80.00")
    assert run.api_calls == 3  # terms, lines, cashflow/Receivables for InvoiceNumber
    assert any("cashflow/Receivables" in call.request.url for call in exact.mock.calls)
    assert line["InvoiceNumber"] != invoice.number


def test_payments_before_sync_was_enabled_and_lines_without_an_invoice_are_not_ours(connection, exact):
    [(invoice, entry)] = copied(connection, exact)
    exact.pay("line-old", [(entry, "10.00")], date="2026-10-01")
    bulk = exact.pay("line-bulk", [(entry, "20.00")])
    bulk["InvoiceNumber"] = None  # booked on the customer without an invoice number
    run = payments_sync(connection=connection)
    assert run.counts["recorded"] == 0 and paid(invoice) == Decimal("0")
