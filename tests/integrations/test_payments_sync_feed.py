"""The cursor feed beyond Xero (the LedgerFeed test provider): payments split over several of our invoices, edits,
deletion stubs carrying only the payment id, matching by invoice number, replays, and changes kept for retry."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.choices import InvoiceStatus, PaymentStatus
from billing.models import Invoice, Payment
from billing.services import invoice_finalize
from integrations.models import (
    PendingPaymentChange,
    RemotePayment,
    SyncLogEntry,
    SyncOutcome,
)
from integrations.services.payments_sync import payments_sync
from tests.factories import UserFactory, make_invoice

from .factories import ConnectionFactory, remote_copy
from .feed_fakes import FEED_PROVIDERS, LedgerServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_providers")]

ENABLED = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def feed_providers():
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS):
        yield


@pytest.fixture
def ledger(mock):
    return LedgerServer(mock).install()


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization, subsidiary=subsidiary, provider="ledgerfeed", payment_sync_enabled_at=ENABLED
    )


def copied(connection, number="", *, finalize=True):
    """An invoice of 1,000.00 EUR with a copy on the connection; returns it and the copy's remote id."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=finalize)
    remote_id = f"txn-{uuid.uuid4().hex[:8]}"
    remote_copy(connection, invoice, remote_id=remote_id, remote_number=number)
    return invoice, remote_id


def paid(invoice) -> tuple[Decimal, str]:
    invoice.refresh_from_db()
    return invoice.amount_paid, invoice.payment_status


def log_actions(**filters) -> list[str]:
    return list(SyncLogEntry.objects.filter(**filters).order_by("id").values_list("action", flat=True))


def test_a_payment_split_over_two_invoices_records_two_payments(ledger, connection):
    first, first_remote = copied(connection)
    second, second_remote = copied(connection)
    ledger.pay("pay-1", [(first_remote, "1000.00"), (second_remote, "250.00"), ("not-ours", "75.00")])

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 2
    assert paid(first) == (Decimal("1000.00"), PaymentStatus.PAID)
    assert paid(second) == (Decimal("250.00"), PaymentStatus.PARTIALLY_PAID)
    rows = RemotePayment.objects.filter(connection=connection, remote_id="pay-1")
    assert sorted(rows.values_list("allocation_key", flat=True)) == sorted([first_remote, second_remote])
    assert {p.external_id for p in Payment.objects.all()} == {"pay-1"}


def test_an_edited_amount_and_date_update_our_payment(ledger, connection):
    invoice, remote = copied(connection)
    ledger.pay("pay-1", [(remote, "1000.00")], date="2026-11-10")
    payments_sync(connection=connection)
    assert paid(invoice) == (Decimal("1000.00"), PaymentStatus.PAID)

    ledger.pay("pay-1", [(remote, "400.00")], date="2026-11-12", ref="corrected")
    run = payments_sync(connection=connection)

    assert run.counts["updated"] == 1 and run.counts["recorded"] == 0
    payment = Payment.objects.get()
    assert (payment.amount, payment.date, payment.reference) == (
        Decimal("400.00"),
        datetime.date(2026, 11, 12),
        "corrected",
    )
    assert paid(invoice) == (Decimal("400.00"), PaymentStatus.PARTIALLY_PAID)
    entry = SyncLogEntry.objects.get(action="payment.updated")
    assert "1,000.00 EUR on 10 Nov 2026 changed in the accounting tool to 400.00 EUR on 12 Nov 2026" in entry.message


def test_an_allocation_dropped_then_added_again_follows_the_provider(ledger, connection):
    first, first_remote = copied(connection)
    second, second_remote = copied(connection)
    ledger.pay("pay-1", [(first_remote, "300.00"), (second_remote, "200.00")])
    payments_sync(connection=connection)

    ledger.pay("pay-1", [(first_remote, "500.00")])  # moved entirely onto the first invoice
    run = payments_sync(connection=connection)

    assert (run.counts["updated"], run.counts["deleted"]) == (1, 1)
    assert paid(first) == (Decimal("500.00"), PaymentStatus.PARTIALLY_PAID)
    assert paid(second) == (Decimal("0.00"), PaymentStatus.UNPAID)
    assert "taken off this invoice" in SyncLogEntry.objects.get(invoice=second, action="payment.deleted").message

    ledger.pay("pay-1", [(first_remote, "300.00"), (second_remote, "200.00")])
    run = payments_sync(connection=connection)

    assert (run.counts["updated"], run.counts["restored"]) == (1, 1)
    assert paid(second) == (Decimal("200.00"), PaymentStatus.PARTIALLY_PAID)
    assert RemotePayment.objects.count() == 2 and Payment.objects.count() == 2


def test_a_deletion_stub_without_invoice_removes_every_allocation(ledger, connection):
    first, first_remote = copied(connection)
    second, second_remote = copied(connection)
    ledger.pay("pay-1", [(first_remote, "1000.00"), (second_remote, "1000.00")])
    payments_sync(connection=connection)

    ledger.delete("pay-1")
    run = payments_sync(connection=connection)

    assert run.counts["deleted"] == 2
    assert paid(first) == paid(second) == (Decimal("0.00"), PaymentStatus.UNPAID)
    assert all(p.is_deleted for p in Payment.objects.all())
    # A stub of a payment we never saw is not ours: nothing happens.
    ledger.delete("someone-elses")
    assert payments_sync(connection=connection).counts["ignored"] == 1


def test_a_payment_matched_by_invoice_number(ledger, connection):
    invoice, remote = copied(connection, number="INV-0007")
    ledger.pay("pay-1", [("#INV-0007", "100.00")])

    run = payments_sync(connection=connection)

    assert run.counts["recorded"] == 1 and paid(invoice)[0] == Decimal("100.00")
    row = RemotePayment.objects.get()
    assert (row.allocation_key, row.remote_invoice_id) == ("number:INV-0007", remote)


def test_a_number_two_of_our_copies_share_matches_neither(ledger, connection):
    copied(connection, number="INV-1")
    copied(connection, number="INV-1")
    ledger.pay("pay-1", [("#INV-1", "100.00")])

    run = payments_sync(connection=connection)

    assert run.counts["ignored"] == 1 and not Payment.objects.exists()


def test_the_same_changes_replayed_change_nothing_and_log_nothing(ledger, connection):
    invoice, remote = copied(connection)
    ledger.pay("pay-1", [(remote, "100.00")])
    ledger.pay("pay-1", [(remote, "150.00")])
    ledger.pay("pay-2", [(remote, "50.00")])
    ledger.delete("pay-2")
    payments_sync(connection=connection)
    entries = SyncLogEntry.objects.count()
    connection.sync_cursors = {}
    connection.save()

    run = payments_sync(connection=connection)

    assert run.counts["recorded"] == run.counts["updated"] == run.counts["deleted"] == 0
    assert run.counts["unchanged"] == 4
    assert SyncLogEntry.objects.count() == entries
    assert paid(invoice)[0] == Decimal("150.00")


def test_an_older_change_arriving_after_a_newer_one_is_not_applied(ledger, connection):
    invoice, remote = copied(connection)
    older = ledger.pay("pay-1", [(remote, "100.00")])
    ledger.pay("pay-1", [(remote, "150.00")])
    ledger.changes = [change for change in ledger.changes if change["Seq"] != older["Seq"]]
    payments_sync(connection=connection)
    ledger.changes.append({**older, "Seq": 99, "Lines": [{"Amount": "100.00", "TxnId": remote}]})

    run = payments_sync(connection=connection)

    assert run.counts["unchanged"] == 1 and paid(invoice)[0] == Decimal("150.00")


def test_a_change_that_cannot_apply_is_kept_retried_and_never_blocks_the_connection(ledger, connection):
    draft, draft_remote = copied(connection, finalize=False)
    other, other_remote = copied(connection)
    ledger.pay("pay-bad", [(draft_remote, "100.00")])
    ledger.pay("pay-good", [(other_remote, "100.00")])

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.PARTIAL and (run.counts["failed"], run.counts["recorded"]) == (1, 1)
    connection.refresh_from_db()
    assert connection.sync_cursors["payments"] == {"seq": 2}, "the cursor moves on past the kept change"
    kept = PendingPaymentChange.objects.get(connection=connection)
    assert kept.remote_id == "pay-bad" and kept.attempts == 1 and "finalized" in kept.error
    assert kept.record["allocations"] == [{"amount": "100.00", "document_id": draft_remote, "document_number": ""}]
    assert log_actions(invoice=draft) == ["payment.failed"]
    assert "kept and tried again" in SyncLogEntry.objects.get(invoice=draft).message

    again = payments_sync(connection=connection)  # nothing new in the feed: only the retry, which fails again

    assert again.outcome == SyncOutcome.PARTIAL and again.counts["failed"] == 1
    assert again.api_calls == 1
    kept.refresh_from_db()
    assert kept.attempts == 2 and log_actions(invoice=draft) == ["payment.failed"], "the same failure is logged once"

    invoice_finalize(invoice=Invoice.objects.get(pk=draft.pk))
    fixed = payments_sync(connection=connection)

    assert fixed.outcome == SyncOutcome.SUCCEEDED and (fixed.counts["retried"], fixed.counts["recorded"]) == (1, 1)
    assert not PendingPaymentChange.objects.exists()
    assert paid(draft)[0] == Decimal("100.00") and log_actions(invoice=draft) == ["payment.failed", "payment.recorded"]


def test_a_newer_change_of_a_kept_payment_replaces_it(ledger, connection):
    invoice, remote = copied(connection)
    ledger.pay("pay-1", [(remote, "100.00")], currency="USD")
    assert payments_sync(connection=connection).outcome == SyncOutcome.PARTIAL
    assert "EUR" in PendingPaymentChange.objects.get().error

    ledger.pay("pay-1", [(remote, "100.00")], currency="EUR")  # corrected in the accounting tool
    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.SUCCEEDED and not PendingPaymentChange.objects.exists()
    assert paid(invoice)[0] == Decimal("100.00") and Payment.objects.count() == 1


def test_a_split_payment_applies_whole_or_not_at_all(ledger, connection):
    good, good_remote = copied(connection)
    draft, draft_remote = copied(connection, finalize=False)
    ledger.pay("pay-1", [(good_remote, "100.00"), (draft_remote, "100.00")])

    run = payments_sync(connection=connection)

    assert run.counts["failed"] == 1 and run.counts["recorded"] == 0
    assert not Payment.objects.exists() and not RemotePayment.objects.exists()
    assert good.status == InvoiceStatus.FINALIZED and paid(good)[0] == Decimal("0.00")


def test_queries_per_page_stay_constant_with_kept_changes_and_splits(ledger, connection, django_assert_max_num_queries):
    pairs = [copied(connection) for _ in range(4)]
    for index in range(20):
        ledger.pay(f"pay-{index}", [(pairs[index % 4][1], "1.00"), (pairs[(index + 1) % 4][1], "1.00")])
    payments_sync(connection=connection)
    connection.sync_cursors = {}
    connection.save()

    # Ten pages of two split payments replayed: a page costs its savepoint, one read of what is known and the
    # cursor's lock and save (5 queries), never a query per payment or allocation.
    with django_assert_max_num_queries(13 + 10 * 5):
        run = payments_sync(connection=connection)
    assert run.counts["unchanged"] == 20 and run.api_calls == 10


def test_support_staff_see_the_kept_changes_in_the_admin(ledger, connection, client):
    draft, draft_remote = copied(connection, finalize=False)
    ledger.pay("pay-bad", [(draft_remote, "100.00")])
    payments_sync(connection=connection)
    client.force_login(UserFactory(email="support@staff.test", is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:integrations_pendingpaymentchange_changelist")).content.decode()

    assert "pay-bad" in page and "finalized invoices" in page


def test_an_amount_billing_cannot_hold_is_kept_and_the_page_goes_on(ledger, connection):
    invoice, remote = copied(connection)
    ledger.pay("pay-odd", [(remote, "10.005")])
    ledger.pay("pay-huge", [(remote, "99999999999999.00")])
    ledger.pay("pay-fine", [(remote, "10.00")])

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.PARTIAL and (run.counts["failed"], run.counts["recorded"]) == (2, 1)
    assert set(PendingPaymentChange.objects.values_list("remote_id", flat=True)) == {"pay-odd", "pay-huge"}
    assert "at most two decimals" in PendingPaymentChange.objects.get(remote_id="pay-odd").error
    assert paid(invoice)[0] == Decimal("10.00")


def test_a_payment_id_too_long_to_keep_is_logged_and_the_page_goes_on(ledger, connection):
    invoice, remote = copied(connection)
    long_id = "p" * 150
    ledger.pay(long_id, [(remote, "30.00")])
    ledger.pay("pay-fine", [(remote, "10.00")])

    run = payments_sync(connection=connection)

    assert run.outcome == SyncOutcome.PARTIAL and (run.counts["failed"], run.counts["recorded"]) == (1, 1)
    assert paid(invoice)[0] == Decimal("10.00") and not PendingPaymentChange.objects.exists()
    entry = SyncLogEntry.objects.get(action="payment.failed")
    assert "its id has 150 characters, more than the 100 we can keep" in entry.message
    assert "Record it by hand" in entry.message
    assert payments_sync(connection=connection).counts["failed"] == 0  # the cursor moved past it: said once
