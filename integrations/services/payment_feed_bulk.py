"""New payments of a feed batch, recorded together (billing.services.payments_record_reported).

Most changes a feed brings are a new payment on one of our documents: one write each. Those are collected while
the batch is planned and written at its end in a handful of queries (the parents locked in id order, the payments
and their RemotePayment rows inserted in bulk, each parent's amount paid derived once), inside one savepoint.
What billing refuses, and the whole set if the bulk write fails at the database, goes one by one through the
batch's own path, which logs it and keeps it for retry exactly as before: bulk changes the cost, not the outcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.utils.dateformat import format as date_format

from billing.money import format_money
from productive.bulk_insert import insert_all

from ..models import LogLevel, RemotePayment
from ..providers.base import RemotePaymentRecord
from .payment_targets import payment_log_fields

if TYPE_CHECKING:
    from .payment_feed_apply import FeedRun, Step


def money_on(payment) -> str:
    """How the sync log names a payment: "1,000.00 EUR on 3 Nov 2026" (dates read as on the product's pages)."""
    return f"{format_money(payment.amount, payment.currency)} on {date_format(payment.date, 'j M Y')}"


def remote_payment_row(feed: FeedRun, record: RemotePaymentRecord, step: Step, payment) -> RemotePayment:
    """The row that ties a new payment of ours to the provider's payment and allocation."""
    return RemotePayment(
        connection_id=feed.run.connection_id,
        remote_id=record.id,
        allocation_key=step.allocation.key,
        remote_invoice_id=step.target.remote_document_id,
        **{step.target.payment_field: payment},
        remote_updated_at=record.updated_at,
    )


def log_recorded(feed: FeedRun, record: RemotePaymentRecord, payment) -> None:
    feed.counts["recorded"] += 1
    feed.entry(
        LogLevel.INFO,
        "payment.recorded",
        f"Payment of {money_on(payment)} recorded.",
        document=payment_log_fields(payment),
        remote_id=record.id,
    )


class NewPayments:
    """The batch's changes whose one write is a new payment; `write_one(record, steps)` applies one the way every
    other change is applied (its own savepoint, logged and kept when billing refuses it)."""

    def __init__(self, feed: FeedRun, write_one):
        self.feed = feed
        self.write_one = write_one
        self.items: list[tuple[RemotePaymentRecord, Step]] = []

    @staticmethod
    def takes(steps: list[Step]) -> bool:
        """A change with one new payment (a payment split over several of our documents applies whole or not at
        all, so it goes one by one)."""
        return len(steps) == 1 and steps[0].action == "record"

    def add(self, record: RemotePaymentRecord, step: Step) -> None:
        self.items.append((record, step))

    def flush(self) -> None:
        items, self.items = self.items, []
        if not items:
            return
        try:
            with transaction.atomic():
                payments = self.feed.targets.record_reported(
                    [(step.target, step.allocation.amount, record) for record, step in items]
                )
                insert_all(
                    [
                        remote_payment_row(self.feed, record, step, payment)
                        for (record, step), payment in zip(items, payments, strict=True)
                        if payment is not None
                    ]
                )
        except DatabaseError:
            payments = [None] * len(items)  # rolled back: each is tried alone, and one that fails is kept
        for (record, step), payment in zip(items, payments, strict=True):
            if payment is None:
                self.write_one(record, [step])
                continue
            log_recorded(self.feed, record, payment)
            if self.feed.settle(record.id):
                self.feed.counts["retried"] += 1
