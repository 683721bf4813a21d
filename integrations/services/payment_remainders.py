"""The remainder feed kind: for a provider with no payment feed (e-conomic), payments are derived from what is
still owed on our documents.

Each run asks the provider about a bounded set of our open copies (Provider.payment_feed.batch_size): the ones
kept for retry first, then round the rest in copy order from where the last run stopped (the cursor
{"after": <copy id>}). For each answer, what the provider says is paid (total - remainder) is compared with the
active payments this connection derived on that document:

- paid more → one payment of the difference, dated the day the provider says it was paid
  (AccountingApi.date_remainder_falls, asked once for all of a run's falls, never when nothing fell), else the
  day the run saw it;
- paid less (a payment removed there: the remainder grew again) → the newest derived payments are removed, the
  last one reduced, until they add up to what is paid; payments recorded by hand are never touched;
- the same → nothing written, nothing logged (a replay changes nothing).
A document that cannot be applied is logged, kept, and asked about again first by the next run.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from billing.money import format_money

from ..models import LogLevel, RemotePayment
from ..providers.base import RemainderFall, RemainderQuery, RemoteRemainder
from .payment_feed_apply import RETRY_NOTE, FeedRun, failure_text
from .payment_feed_bulk import money_on
from .payment_pending import REMAINDER_PREFIX, remainder_key, remainder_to_json
from .payment_targets import Target

ZERO = Decimal("0")


def _still_owed(remainder: RemoteRemainder, provider_name: str) -> str:
    return f"{provider_name} shows {format_money(remainder.remainder, remainder.currency or None)} still owed"


def _active(rows: list[RemotePayment]) -> list[RemotePayment]:
    return sorted((row for row in rows if not row.payment.is_deleted), key=lambda r: (r.created_at, r.pk))


def _fall(remainder: RemoteRemainder, rows: list[RemotePayment]) -> Decimal:
    """How much more the provider says is paid than this connection's derived payments (negative: less)."""
    return remainder.paid - sum((row.payment.amount for row in _active(rows)), ZERO)


def _derive(feed: FeedRun, target: Target, remainder: RemoteRemainder, rows: list[RemotePayment], name: str, paid_on):
    """Bring this connection's derived payments on one document to what the provider says is paid."""
    active = _active(rows)
    difference = _fall(remainder, rows)
    owed = _still_owed(remainder, name)
    remote_id = f"remainder-{len(rows) + 1}"
    if difference > 0:
        payment = feed.targets.record(
            target,
            amount=difference,
            date=paid_on or timezone.localdate(),
            reference="",
            currency=remainder.currency,
            external_id=remote_id,
        )
        RemotePayment.objects.create(
            connection_id=feed.run.connection_id,
            remote_id=remote_id,
            allocation_key=target.remote_document_id,
            remote_invoice_id=target.remote_document_id,
            payment=payment,
        )
        feed.counts["recorded"] += 1
        feed.entry(
            LogLevel.INFO,
            "payment.recorded",
            f"Payment of {money_on(payment)} recorded ({owed}).",
            invoice_id=target.document_id,
            remote_id=target.remote_document_id,
        )
        return
    excess = -difference
    for row in reversed(active):  # the newest derived payment goes first
        if excess <= 0:
            break
        payment = row.payment
        if payment.amount <= excess:
            feed.targets.remove(payment)
            excess -= payment.amount
            counted, message = "deleted", f"Payment of {money_on(payment)} removed: {owed} again."
        else:
            before = money_on(payment)
            payment = feed.targets.update(payment, amount=payment.amount - excess, date=payment.date)
            excess = ZERO
            counted, message = "updated", f"Payment of {before} reduced to {money_on(payment)}: {owed}."
        feed.counts[counted] += 1
        feed.entry(
            LogLevel.INFO,
            f"payment.{counted}",
            message,
            invoice_id=target.document_id,
            remote_id=target.remote_document_id,
        )


def _apply(
    feed: FeedRun, target: Target, remainder: RemoteRemainder, rows: list[RemotePayment], name: str, paid_on
) -> None:
    key = remainder_key(target.remote_document_id)
    written, counts_before = len(feed.entries), dict(feed.counts)
    try:
        with transaction.atomic():
            _derive(feed, target, remainder, rows, name, paid_on)
    except (ValidationError, DatabaseError) as exc:
        del feed.entries[written:]
        feed.counts.clear()
        feed.counts.update(counts_before)
        feed.counts["failed"] += 1
        number = target.remote_number or target.remote_document_id
        text = f"What {name} shows paid on {number} was not applied: {failure_text(exc)}"
        if feed.pending.keep(key, remainder_to_json(remainder), text):
            feed.entry(
                LogLevel.ERROR,
                "payment.failed",
                f"{text} {RETRY_NOTE}",
                invoice_id=target.document_id,
                remote_id=target.remote_document_id,
            )
        return
    if len(feed.entries) == written:
        feed.counts["unchanged"] += 1
    if feed.pending.clear(key):
        feed.counts["retried"] += 1


def remainders_sync(feed: FeedRun, api, *, cursor: dict, batch_size: int, provider_name: str, save_cursor) -> None:
    """One bounded round of remainders: the provider is asked outside any transaction (what is owed, then, only if
    something fell, when it was paid), then the answers are applied in one, together with the cursor
    (`save_cursor(cursor)`)."""
    kept = [
        row.remote_id.removeprefix(REMAINDER_PREFIX)
        for row in feed.pending.due()
        if row.remote_id.startswith(REMAINDER_PREFIX)
    ]
    after = int((cursor or {}).get("after") or 0)
    documents = feed.targets.open_documents(after=after, limit=batch_size, first=kept)
    if not documents:
        return
    answers = api.fetch_remainders(
        [RemainderQuery(document_id=d.remote_document_id, document_number=d.remote_number) for d in documents]
    )
    by_document = {answer.document_id: answer for answer in answers}
    feed.counts["fetched"] += len(by_document)
    rotated = [d.order for d in documents if d.remote_document_id not in set(kept)]
    rows: dict[str, list[RemotePayment]] = {}
    for row in RemotePayment.objects.filter(
        connection_id=feed.run.connection_id, remote_invoice_id__in=[d.remote_document_id for d in documents]
    ).select_related("payment"):
        rows.setdefault(row.remote_invoice_id, []).append(row)
    falls = [
        RemainderFall(answer, fall)
        for answer in by_document.values()
        if (fall := _fall(answer, rows.get(answer.document_id, []))) > 0
    ]
    paid_on = api.date_remainder_falls(falls) if falls else {}
    with transaction.atomic():
        feed.pending.prefetch([remainder_key(d.remote_document_id) for d in documents])
        for target in documents:
            answer = by_document.get(target.remote_document_id)
            if answer is not None:
                rows_here = rows.get(target.remote_document_id, [])
                _apply(feed, target, answer, rows_here, provider_name, paid_on.get(target.remote_document_id))
        feed.save_entries()
        save_cursor({"after": rotated[-1]} if rotated else dict(cursor or {}))
