"""The feed section of the provider contract (ProviderContract mixes it in): a provider's payment feed proven
through the whole payment sync onto our invoices, with the provider's own HTTP shapes behind the hooks.

PaymentFeedContract (the `cursor` kind): a new payment, an edited one, one split over two of our invoices, a
deleted one, the same changes replayed (nothing written, nothing logged), the cursor only forward.
RemainderFeedContract (the `remainder` kind): paid, replayed, a payment removed again, one bounded question a run.
A case the provider cannot produce skips with the reason its Provider.payment_feed gives (Xero: no edits, no
splits); the cases of the other feed kind skip too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

import pytest
import responses

from integrations import registry
from integrations.providers.base import FEED_CURSOR, FEED_REMAINDER


class FeedServer(Protocol):
    """The provider's side of its payment feed, in its own HTTP shapes (served through `responses`)."""

    def pay(self, payment_id: str, lines: list[tuple[str, str]], *, date: str = "2026-11-10") -> object:
        """Create the payment, or change it where the provider edits payments: lines of (remote invoice id,
        amount), one per invoice it is allocated to."""

    def delete(self, payment_id: str) -> object:
        """Delete the payment, the way the provider then reports it (a stub with only the id, or a status)."""


FEED_ENABLED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class PaymentFeedContract:
    """The feed section of the contract, for providers of the `cursor` feed kind. Hooks: `provider_key`,
    `make_connection(**extra)`, `feed_server(mock)` and `feed_document_id()`."""

    provider_key: str = ""

    def make_connection(self, **extra):
        raise NotImplementedError

    def feed_server(self, mock: responses.RequestsMock) -> FeedServer:
        raise NotImplementedError

    def feed_document_id(self) -> str:
        """A fresh id of a remote invoice in this provider's form."""
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------------------------------

    def _feed(self):
        feed = registry.get(self.provider_key).payment_feed
        if feed.kind != FEED_CURSOR:
            pytest.skip(f"{self.provider_key} has a {feed.kind} feed, not a cursor feed")
        return feed

    def _feed_setup(self, organization, subsidiary, copies: int = 1):
        from billing.choices import InvoiceStatus
        from integrations.models import CopyStatus, RemoteDocument
        from tests.factories import make_invoice

        connection = self.make_connection(
            organization=organization, subsidiary=subsidiary, payment_sync_enabled_at=FEED_ENABLED
        )
        invoices = []
        for _ in range(copies):
            invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
            assert invoice.status == InvoiceStatus.FINALIZED
            remote_id = self.feed_document_id()
            RemoteDocument.objects.create(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=remote_id,
                is_latest=True,
            )
            invoices.append((invoice, remote_id))
        return connection, invoices

    @staticmethod
    def _sync(connection):
        from integrations.services.payments_sync import payments_sync

        return payments_sync(connection=connection)

    @staticmethod
    def _paid(invoice) -> Decimal:
        invoice.refresh_from_db()
        return invoice.amount_paid

    # --- the cases -------------------------------------------------------------------------------------------

    @pytest.mark.django_db
    def test_feed_kind_is_declared_and_implemented(self):
        from integrations.providers.base import FEED_KINDS, AccountingApi, PaymentFeed

        feed = registry.get(self.provider_key).payment_feed
        assert isinstance(feed, PaymentFeed) and feed.kind in FEED_KINDS
        if feed.kind == FEED_CURSOR and not (feed.edits and feed.splits):
            assert feed.note, "a provider that cannot produce a case says why"
        api = registry.get(self.provider_key).api(self.make_connection())
        method = "fetch_payments" if feed.kind == FEED_CURSOR else "fetch_remainders"
        assert getattr(type(api), method) is not getattr(AccountingApi, method), f"{method} is not implemented"

    @pytest.mark.django_db
    def test_feed_new_payment(self, organization, subsidiary):
        from integrations.models import RemotePayment

        self._feed()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            run = self._sync(connection)
        assert run.counts["recorded"] == 1 and run.counts["failed"] == 0
        assert self._paid(invoice) == Decimal("400.00")
        assert RemotePayment.objects.filter(connection=connection).count() == 1

    @pytest.mark.django_db
    def test_feed_edited_payment(self, organization, subsidiary):
        feed = self._feed()
        if not feed.edits:
            pytest.skip(feed.note or f"{self.provider_key} does not edit payments")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            self._sync(connection)
            server.pay("feed-1", [(remote, "300.00")], date="2026-11-12")
            run = self._sync(connection)
        assert run.counts["updated"] == 1 and run.counts["recorded"] == 0
        assert self._paid(invoice) == Decimal("300.00")
        assert invoice.payments.get().date.isoformat() == "2026-11-12"

    @pytest.mark.django_db
    def test_feed_split_payment(self, organization, subsidiary):
        feed = self._feed()
        if not feed.splits:
            pytest.skip(feed.note or f"{self.provider_key} does not split payments")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(first, first_remote), (second, second_remote)] = self._feed_setup(
                organization, subsidiary, copies=2
            )
            server.pay("feed-1", [(first_remote, "300.00"), (second_remote, "200.00")])
            run = self._sync(connection)
        assert run.counts["recorded"] == 2
        assert (self._paid(first), self._paid(second)) == (Decimal("300.00"), Decimal("200.00"))

    @pytest.mark.django_db
    def test_feed_deleted_payment(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            self._sync(connection)
            server.delete("feed-1")
            run = self._sync(connection)
        assert run.counts["deleted"] == 1
        assert self._paid(invoice) == Decimal("0.00") and invoice.payments.get().is_deleted

    @pytest.mark.django_db
    def test_feed_replayed_changes_change_nothing(self, organization, subsidiary):
        from integrations.models import SyncLogEntry

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            server.pay("feed-2", [(remote, "100.00")])
            server.delete("feed-2")
            self._sync(connection)
            entries = SyncLogEntry.objects.filter(connection=connection).count()
            connection.sync_cursors = {}  # forget the cursor: the provider sends every change again
            connection.save()
            run = self._sync(connection)
        assert run.counts["recorded"] == run.counts["deleted"] == run.counts["failed"] == 0
        assert SyncLogEntry.objects.filter(connection=connection).count() == entries
        assert self._paid(invoice) == Decimal("400.00")

    @pytest.mark.django_db
    def test_feed_cursor_only_forward(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "100.00")])
            self._sync(connection)
            connection.refresh_from_db()
            first_cursor = connection.sync_cursors["payments"]
            server.pay("feed-2", [(remote, "50.00")])
            run = self._sync(connection)
            connection.refresh_from_db()
            idle = self._sync(connection)
        assert run.counts["recorded"] == 1 and run.counts["unchanged"] <= 1, "only what changed since the cursor"
        assert connection.sync_cursors["payments"] != first_cursor
        assert idle.counts["recorded"] == 0 and idle.api_calls == 1
        assert self._paid(invoice) == Decimal("150.00")


class RemainderServer(Protocol):
    """The provider's side of a remainder feed: what is booked and what is still owed on each remote invoice;
    `dating_calls`, the calls a run adds only when a remainder fell (to date the payment: 0 if it never asks)."""

    dating_calls: int

    def book(self, invoice_id: str, total: str) -> object: ...

    def owe(self, invoice_id: str, remainder: str) -> object: ...


class RemainderFeedContract:
    """The feed section for providers of the `remainder` kind (no payment feed): the same invoice paid, paid
    off, a payment removed again and the same answer seen twice, one bounded question per run. Hooks:
    `provider_key`, `make_connection(**extra)`, `remainder_server(mock)` and `feed_document_id()`."""

    provider_key: str = ""

    def remainder_server(self, mock: responses.RequestsMock) -> RemainderServer:
        raise NotImplementedError

    def _remainder_feed(self):
        feed = registry.get(self.provider_key).payment_feed
        if feed.kind != FEED_REMAINDER:
            pytest.skip(f"{self.provider_key} has a {feed.kind} feed, not a remainder feed")
        return feed

    @pytest.mark.django_db
    def test_remainder_feed_follows_what_is_owed(self, organization, subsidiary):
        from integrations.models import SyncLogEntry

        feed = self._remainder_feed()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.remainder_server(mock)
            connection, invoices = self._feed_setup(organization, subsidiary, copies=feed.batch_size + 1)
            for _invoice, remote in invoices:
                server.book(remote, "1000.00")
            invoice, remote = invoices[0]
            server.owe(remote, "600.00")
            paid = self._sync(connection)
            entries = SyncLogEntry.objects.filter(connection=connection).count()
            seen_again = self._sync(connection)
            entries_after_replay = SyncLogEntry.objects.filter(connection=connection).count()
            for _ in range(2):  # round the open invoices once more, back to the first
                self._sync(connection)
            server.owe(remote, "1000.00")  # the payment was removed there
            removed = [self._sync(connection) for _ in range(2)]
        assert paid.counts["recorded"] == 1 and paid.api_calls == 1 + server.dating_calls
        assert seen_again.counts["recorded"] == 0 and seen_again.api_calls == 1
        assert entries_after_replay == entries, "the same answer seen again logs nothing"
        assert sum(run.counts["deleted"] for run in removed) == 1
        assert self._paid(invoice) == Decimal("0.00")

    _feed_setup = PaymentFeedContract._feed_setup
    _sync = PaymentFeedContract._sync
    _paid = PaymentFeedContract._paid
