"""Apply a batch of remote payment changes (one page of a cursor feed, or the kept changes retried first).

Keyed by (connection, remote payment id, allocation key) through RemotePayment, one row per allocation, each
owning one of our payments. For each change the rows of that payment are compared with what the provider now
says, and only the difference is written, through billing.services (via payment_targets):

- a new allocation on one of our documents → a payment recorded (unless dated before payment sync was enabled,
  or new on a superseded copy: one sale is never paid twice through two copies);
- an allocation whose amount, date or reference changed → that payment updated; one no longer there → removed;
- a deleted payment (a stub may carry only its id) → every allocation's payment removed; active again → restored;
- the same change seen again, or an older change arriving after a newer one → nothing written, nothing logged.
A change whose writes fail (billing refuses: currency, amount, a closed invoice) is rolled back alone (one
savepoint per change that writes), logged, and kept for retry (payment_pending); the rest of the batch goes on.
New payments, the bulk of any feed, are written together at the end of the batch (payment_feed_bulk), so a batch
costs a fixed number of queries: the rows of all its payments in one query, the kept ones only when there are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from billing.money import format_money
from productive.bulk_insert import insert_all

from ..models import LogLevel, RemotePayment, SyncLogEntry, SyncRun
from ..providers.base import PaymentAllocation, RemotePaymentRecord
from ..synclog import log_entry
from .payment_feed_bulk import NewPayments, log_recorded, money_on, remote_payment_row
from .payment_pending import PendingBook, record_to_json
from .payment_targets import PaymentTargets, Target, payment_log_fields

RETRY_NOTE = "It is kept and tried again on every sync until it applies."


@dataclass
class FeedRun:
    """What one sync run carries from batch to batch."""

    run: SyncRun
    targets: PaymentTargets
    pending: PendingBook
    enabled_on: object  # the local date payment sync was enabled, or None
    counts: Counter = field(default_factory=Counter)
    entries: list[SyncLogEntry] = field(default_factory=list)
    # Changes that failed earlier in this run: a newer change of the same payment that applies settles them.
    failed_ids: set[str] = field(default_factory=set)

    def settle(self, remote_id: str) -> bool:
        """The payment's latest change applied: its kept row goes, and an earlier failure this run no longer
        counts. True when a kept change was settled."""
        if remote_id in self.failed_ids:
            self.failed_ids.discard(remote_id)
            self.counts["failed"] -= 1
        return self.pending.clear(remote_id)

    def entry(self, level: str, action: str, message: str, *, invoice_id=None, remote_id: str = "", document=None):
        """`document`: the log fields of the document it is about ({"expense_id": 7}); `invoice_id` an invoice's."""
        self.entries.append(
            log_entry(
                organization_id=self.run.connection.organization_id,
                connection_id=self.run.connection_id,
                run=self.run,
                **(document or {"invoice_id": invoice_id}),
                level=level,
                action=action,
                message=message,
                remote_id=remote_id,
            )
        )

    def save_entries(self) -> None:
        insert_all(self.entries)
        self.entries = []


def superseded_refusal(record, superseded_at, amount: Decimal | None = None) -> str:
    """Why a new payment on a superseded copy does not count ("" when it does: it was made before)."""
    if superseded_at is None or (record.updated_at and record.updated_at <= superseded_at):
        return ""
    money = format_money(record.amount if amount is None else amount, record.currency)
    return (
        f"Payment {record.id} of {money} is on a copy that another copy of "
        "this invoice replaced; it is not counted, so the sale is not paid twice. Record it on the latest copy instead."
    )


@dataclass(frozen=True)
class Step:
    action: str  # "record", "update", "restore", "remove", "delete"
    allocation: PaymentAllocation | None = None
    target: Target | None = None
    row: RemotePayment | None = None


def _desired(record: RemotePaymentRecord, targets: PaymentTargets) -> dict[str, tuple[PaymentAllocation, Target]]:
    """The record's allocations on our documents, by allocation key (two lines on one document are one)."""
    desired: dict[str, tuple[PaymentAllocation, Target]] = {}
    for allocation in record.allocations:
        target = targets.match(allocation)
        if target is None:
            continue  # not one of our documents: the provider's feed carries every payment of the tenant
        if allocation.key in desired:
            kept, _ = desired[allocation.key]
            allocation = PaymentAllocation(
                amount=kept.amount + allocation.amount,
                document_id=allocation.document_id,
                document_number=allocation.document_number,
            )
        desired[allocation.key] = (allocation, target)
    return desired


def _changed(row: RemotePayment, allocation: PaymentAllocation, record: RemotePaymentRecord) -> bool:
    payment = row.mirrored
    return (payment.amount, payment.date, payment.reference) != (
        allocation.amount,
        _date(record, payment),
        record.reference[:200],
    )


def _date(record: RemotePaymentRecord, payment) -> object:
    """The change's date; one that names none keeps the date we have (only new payments need one)."""
    return record.date or payment.date


def _refused_before(feed: FeedRun, remote_id: str) -> bool:
    """Whether this payment was already refused for being on a superseded copy (one query, only for refusals)."""
    return SyncLogEntry.objects.filter(
        connection_id=feed.run.connection_id, action="payment.superseded", remote_id=remote_id
    ).exists()


def plan(feed: FeedRun, record: RemotePaymentRecord, rows: dict[str, RemotePayment]) -> tuple[list[Step], str]:
    """The writes a change asks for, and the count name when it asks for none."""
    if rows:
        stamps = [row.remote_updated_at for row in rows.values() if row.remote_updated_at]
        if record.updated_at and stamps and record.updated_at < max(stamps):
            return [], "unchanged"  # an older change arriving after a newer one: the newer one stands
    if record.deleted:
        steps = [Step("delete", row=row) for row in rows.values() if not row.mirrored.is_deleted]
        if steps or rows:
            return steps, "unchanged"
        # Created and deleted before we saw it (or never ours): nothing to mirror.
        return [], "unchanged" if _desired(record, feed.targets) else "ignored"
    desired = _desired(record, feed.targets)
    if not desired and not rows:
        return [], "ignored"
    steps = [Step("remove", row=row) for key, row in rows.items() if key not in desired and not row.mirrored.is_deleted]
    ignored = ""
    for key, (allocation, target) in desired.items():
        row = rows.get(key)
        if row is None and feed.enabled_on and record.date and record.date < feed.enabled_on:
            ignored = "ignored"
            continue
        if row is None or row.mirrored.is_deleted:
            refusal = superseded_refusal(record, target.superseded_at, allocation.amount)
            if refusal:
                if not _refused_before(feed, record.id):  # seen again (a replay): said once is enough
                    feed.entry(
                        LogLevel.WARNING,
                        "payment.superseded",
                        refusal,
                        document=target.log_fields,
                        remote_id=record.id,
                    )
                ignored = "ignored"
                continue
        if row is None:
            steps.append(Step("record", allocation=allocation, target=target))
        elif row.mirrored.is_deleted:
            steps.append(Step("restore", allocation=allocation, target=target, row=row))
        elif _changed(row, allocation, record):
            steps.append(Step("update", allocation=allocation, target=target, row=row))
    return steps, ignored or "unchanged"


def _write(feed: FeedRun, record: RemotePaymentRecord, step: Step) -> None:
    """One step through billing.services; counts it and logs it in the wording people read on the invoice."""
    targets = feed.targets
    if step.action == "record":
        payment = targets.record(
            step.target,
            amount=step.allocation.amount,
            date=record.date,
            reference=record.reference,
            currency=record.currency,
            external_id=record.id,
        )
        remote_payment_row(feed, record, step, payment).save()
        log_recorded(feed, record, payment)
        return
    if step.action in ("delete", "remove"):
        payment = targets.remove(step.row.mirrored)
        noun = "invoice" if "invoice_id" in payment_log_fields(payment) else "expense"
        where = "deleted in" if step.action == "delete" else f"taken off this {noun} in"
        counted, message = "deleted", f"Payment of {money_on(payment)} {where} the accounting tool."
    elif step.action == "restore":
        payment = targets.restore(step.row.mirrored)
        if _changed(step.row, step.allocation, record):
            payment = targets.update(
                payment, amount=step.allocation.amount, date=_date(record, payment), reference=record.reference
            )
        counted, message = "restored", f"Payment of {money_on(payment)} active again."
    else:
        before = money_on(step.row.mirrored)
        payment = targets.update(
            step.row.mirrored,
            amount=step.allocation.amount,
            date=_date(record, step.row.mirrored),
            reference=record.reference,
        )
        counted, message = "updated", f"Payment of {before} changed in the accounting tool to {money_on(payment)}."
    feed.counts[counted] += 1
    feed.entry(LogLevel.INFO, f"payment.{counted}", message, document=payment_log_fields(payment), remote_id=record.id)


def _planned(feed: FeedRun, record: RemotePaymentRecord, rows: dict[str, RemotePayment]) -> list[Step]:
    """The writes the change asks for; one that asks for none is counted and settled here ([])."""
    if feed.pending.dismissed(record.id, record_to_json(record)):  # an admin said this change never applies
        feed.counts["ignored"] += 1
        return []
    steps, count_name = plan(feed, record, rows)
    if not steps:
        feed.counts[count_name] += 1
        feed.settle(record.id)  # a newer change with nothing to write also settles a kept older one
    return steps


def _write_steps(feed: FeedRun, record: RemotePaymentRecord, steps: list[Step]) -> None:
    written = len(feed.entries)
    counts_before = Counter(feed.counts)
    try:
        with transaction.atomic():  # the change applies whole or not at all
            for step in steps:
                _write(feed, record, step)
            if any(step.action != "record" for step in steps):
                RemotePayment.objects.filter(connection_id=feed.run.connection_id, remote_id=record.id).update(
                    remote_updated_at=record.updated_at
                )
    except (ValidationError, DatabaseError) as exc:
        del feed.entries[written:]
        feed.counts = counts_before
        _keep(feed, record, steps, exc)
    else:
        if feed.settle(record.id):
            feed.counts["retried"] += 1


def failure_text(exc: Exception) -> str:
    """What went wrong with one change, for the sync log: billing's words, or that the row could not be stored."""
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return f"It could not be stored ({type(exc).__name__})."


def _keep(feed: FeedRun, record: RemotePaymentRecord, steps: list[Step], exc: Exception) -> None:
    if record.id not in feed.failed_ids:
        feed.failed_ids.add(record.id)
        feed.counts["failed"] += 1
    text = f"Payment {record.id} of {format_money(record.amount, record.currency)} not applied: {failure_text(exc)}"
    if feed.pending.keep(record.id, record_to_json(record), text):
        target = next((step.target for step in steps if step.target), None)
        row = next((step.row for step in steps if step.row), None)
        document = target.log_fields if target else (row.document_log_fields if row else {"invoice_id": None})
        feed.entry(LogLevel.ERROR, "payment.failed", f"{text} {RETRY_NOTE}", document=document, remote_id=record.id)


def _rows_of(connection_id: int, ids: list[str]) -> dict[str, dict[str, RemotePayment]]:
    known: dict[str, dict[str, RemotePayment]] = {}
    rows = RemotePayment.objects.filter(connection_id=connection_id, remote_id__in=ids)
    for row in rows.select_related("payment", "expense_payment"):
        known.setdefault(row.remote_id, {})[row.allocation_key] = row
    return known


REMOTE_ID_LENGTH = RemotePayment._meta.get_field("remote_id").max_length


def _storable(feed: FeedRun, records: list[RemotePaymentRecord]) -> list[RemotePaymentRecord]:
    """The changes whose payment id fits our rows. A longer one could neither be mirrored nor kept for retry (it
    would fail its whole page): it is logged once, and the page goes on. No provider we know has ids that long."""
    storable = []
    for record in records:
        if len(record.id) <= REMOTE_ID_LENGTH:
            storable.append(record)
            continue
        feed.counts["failed"] += 1
        feed.entry(
            LogLevel.ERROR,
            "payment.failed",
            f"A payment of {format_money(record.amount, record.currency)} was not applied: its id has "
            f"{len(record.id)} characters, more than the {REMOTE_ID_LENGTH} we can keep ({record.id[:40]}…). "
            "Record it by hand if it belongs to one of our documents.",
            remote_id=record.id[:REMOTE_ID_LENGTH],
        )
    return storable


def apply_records(feed: FeedRun, records: list[RemotePaymentRecord]) -> None:
    """Apply a batch of changes in order (the caller holds the transaction it commits with its cursor)."""
    records = _storable(feed, records)
    ids = [record.id for record in records]
    known = _rows_of(feed.run.connection_id, ids)
    repeated = {remote_id for remote_id, seen in Counter(ids).items() if seen > 1}
    feed.pending.prefetch(ids)
    new_payments = NewPayments(feed, lambda record, steps: _write_steps(feed, record, steps))
    in_bulk = settings.PAYMENTS_APPLY_IN_BULK
    for record in records:
        steps = _planned(feed, record, known.get(record.id, {}))
        if in_bulk and record.id not in repeated and new_payments.takes(steps):
            new_payments.add(record, steps[0])
        elif steps:
            _write_steps(feed, record, steps)
        if record.id in repeated:  # the same payment again later in the batch: compare with what we just wrote
            known.update(_rows_of(feed.run.connection_id, [record.id]) or {record.id: {}})
    new_payments.flush()
    feed.save_entries()
