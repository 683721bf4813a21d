"""Pull the payments that changed in the accounting tool onto our invoices (one way: provider → app).

One run per connection at a time (the SyncRun "one running" constraint; a second start is recorded as skipped).
Each run asks only for what changed since the stored cursor, page by page; each page is applied in one
transaction together with the cursor it carries, so a crash loses nothing and replaying a page changes nothing:

- a payment counts only if its invoice is the remote copy of one of our invoices on this connection (any copy);
  on a superseded copy (another remote invoice became the latest copy) only payments made there before it was
  superseded count, so one sale is never paid twice through two copies (deletions there are still mirrored);
- a payment dated before payment sync was enabled is ignored;
- keyed by (connection, remote payment id) through RemotePayment: new → recorded, DELETED → our payment deleted,
  seen again unchanged → nothing (active again after a deletion → restored).
Queries are bounded: the copies' remote ids are read once per run, the known payments once per page.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.choices import PaymentSource
from billing.models import Invoice
from billing.money import format_money
from billing.services import payment_delete, payment_record, payment_restore

from .. import registry
from ..connection_state import connection_mark_needs_reconnect, connection_pause
from ..exceptions import IntegrationError, TerminalError, ThrottledError
from ..models import Connection, LogLevel, RemoteDocument, RemotePayment, SyncKind, SyncLogEntry, SyncOutcome, SyncRun
from ..providers.base import PaymentsPage
from ..synclog import log_entry

logger = logging.getLogger("integrations.payments_sync")

CURSOR_KEY = "payments"
COUNT_NAMES = ("fetched", "recorded", "deleted", "restored", "ignored", "unchanged", "failed")


def _stale_after() -> timedelta:
    """A run older than the worker's task timeout was killed with its worker (the timeout ends every task)."""
    return timedelta(seconds=settings.Q_CLUSTER.get("timeout", 120) + 60)


def _abandon_stale_runs(connection: Connection) -> None:
    """Close runs left "running" by a worker that died, so they do not block every later run."""
    SyncRun.objects.filter(
        connection=connection,
        kind=SyncKind.PAYMENTS,
        outcome=SyncOutcome.RUNNING,
        started_at__lt=timezone.now() - _stale_after(),
    ).update(outcome=SyncOutcome.FAILED, finished_at=timezone.now(), error="Abandoned: its worker stopped mid-run.")


def _start_run(connection: Connection) -> SyncRun | None:
    _abandon_stale_runs(connection)
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS)
    except IntegrityError:
        return None  # another run of this connection is under way


def _source_for(provider_key: str) -> str:
    return provider_key if provider_key in PaymentSource.values else PaymentSource.MANUAL


def _entry(run: SyncRun, level: str, action: str, message: str, *, invoice_id=None, remote_id: str = ""):
    """A log entry, saved with the rest of its page in one bulk insert."""
    return log_entry(
        organization_id=run.connection.organization_id,
        connection_id=run.connection_id,
        run=run,
        invoice_id=invoice_id,
        level=level,
        action=action,
        message=message,
        remote_id=remote_id,
    )


RECORD, DELETE, RESTORE = "record", "delete", "restore"


def _action_for(record, remote: RemotePayment | None, enabled_on) -> str:
    """What a remote payment asks of us: a write, or a count name when there is nothing to write."""
    if remote is None:
        if record.deleted:
            return "unchanged"  # created and deleted before we saw it: nothing to mirror
        if enabled_on and record.date and record.date < enabled_on:
            return "ignored"
        return RECORD
    if record.deleted and not remote.payment.is_deleted:
        return DELETE
    if not record.deleted and remote.payment.is_deleted:
        return RESTORE
    return "unchanged"


def _write_one(run, record, action, invoice_id, remote, source) -> tuple[str, SyncLogEntry]:
    """Apply one change through billing.services (each service is its own savepoint, so a refused payment
    leaves the rest of the page applied); returns the count name and the log entry."""
    if action == RECORD:
        payment = payment_record(
            invoice=Invoice(pk=invoice_id),
            amount=record.amount,
            date=record.date,
            reference=record.reference[:200],
            currency=record.currency or None,
            source=source,
            external_id=record.id,
        )
        RemotePayment.objects.create(
            connection_id=run.connection_id,
            remote_id=record.id,
            remote_invoice_id=record.invoice_remote_id,
            payment=payment,
            remote_updated_at=record.updated_at,
        )
        message = f"Payment of {format_money(payment.amount, payment.currency)} on {payment.date} recorded."
        return "recorded", _entry(
            run, LogLevel.INFO, "payment.recorded", message, invoice_id=invoice_id, remote_id=record.id
        )
    payment = remote.payment
    if action == DELETE:
        payment_delete(payment=payment)
        message = (
            f"Payment of {format_money(payment.amount, payment.currency)} on {payment.date} "
            "deleted in the accounting tool."
        )
        counted = "deleted"
    else:
        payment_restore(payment=payment)
        message = f"Payment of {format_money(payment.amount, payment.currency)} on {payment.date} active again."
        counted = "restored"
    RemotePayment.objects.filter(pk=remote.pk).update(remote_updated_at=record.updated_at)
    entry = _entry(
        run, LogLevel.INFO, f"payment.{counted}", message, invoice_id=payment.invoice_id, remote_id=record.id
    )
    return counted, entry


def _copies_of(connection: Connection) -> dict[str, tuple[int, object]]:
    """Remote invoice id → (our invoice id, when another copy first replaced it, or None), read once per run."""
    copies: dict[str, tuple[int, object]] = {}
    latest: set[str] = set()
    rows = RemoteDocument.objects.filter(connection=connection).exclude(remote_id="")
    for remote_id, invoice_id, superseded_at, is_latest in rows.values_list(
        "remote_id", "invoice_id", "superseded_at", "is_latest"
    ):
        since = copies.get(remote_id, (invoice_id, None))[1]
        if superseded_at and (since is None or superseded_at < since):
            since = superseded_at
        copies[remote_id] = (invoice_id, since)
        if is_latest:
            latest.add(remote_id)
    return {
        remote_id: (invoice_id, None if remote_id in latest else since)
        for remote_id, (invoice_id, since) in copies.items()
    }


def _superseded_refusal(record, superseded_at) -> str:
    """Why a new payment on a superseded copy does not count ("" when it does: it was made before)."""
    if superseded_at is None or (record.updated_at and record.updated_at <= superseded_at):
        return ""
    return (
        f"Payment {record.id} of {format_money(record.amount, record.currency)} is on a copy that another copy of "
        "this invoice replaced; it is not counted, so the sale is not paid twice. Record it on the latest copy instead."
    )


@transaction.atomic
def _apply_page(run: SyncRun, page: PaymentsPage, copies: dict[str, tuple], counts: Counter, enabled_on, source):
    counts["fetched"] += len(page.payments)
    relevant = [record for record in page.payments if record.invoice_remote_id in copies]
    counts["ignored"] += len(page.payments) - len(relevant)
    known = {
        remote.remote_id: remote
        for remote in RemotePayment.objects.filter(
            connection_id=run.connection_id, remote_id__in=[record.id for record in relevant]
        ).select_related("payment")
    }
    entries = []
    for record in relevant:
        invoice_id, superseded_at = copies[record.invoice_remote_id]
        remote = known.get(record.id)
        action = _action_for(record, remote, enabled_on)
        refusal = _superseded_refusal(record, superseded_at) if action in (RECORD, RESTORE) else ""
        if refusal:
            action = "ignored"
            entries.append(
                _entry(run, LogLevel.WARNING, "payment.superseded", refusal, invoice_id=invoice_id, remote_id=record.id)
            )
        if action not in (RECORD, DELETE, RESTORE):
            counts[action] += 1
            continue
        try:
            counted, entry = _write_one(run, record, action, invoice_id, remote, source)
        except ValidationError as exc:
            counts["failed"] += 1
            amount = format_money(record.amount, record.currency)
            text = f"Payment {record.id} of {amount} not applied: {' '.join(exc.messages)}"
            entries.append(
                _entry(run, LogLevel.ERROR, "payment.failed", text, invoice_id=invoice_id, remote_id=record.id)
            )
        else:
            counts[counted] += 1
            entries.append(entry)
    SyncLogEntry.objects.bulk_create(entries)
    # The cursor moves in the same transaction as the payments it covers.
    connection = Connection.objects.select_for_update().get(pk=run.connection_id)
    connection.sync_cursors = {**(connection.sync_cursors or {}), CURSOR_KEY: page.next_cursor}
    connection.save(update_fields=["sync_cursors", "updated_at"])


def _finish(run: SyncRun, outcome: str, counts: Counter, api_calls: int, error: str = "") -> SyncRun:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.counts = {name: counts.get(name, 0) for name in COUNT_NAMES}
    run.api_calls = api_calls
    run.error = error
    run.save(update_fields=["outcome", "finished_at", "counts", "api_calls", "error"])
    return run


def payments_sync(*, connection: Connection) -> SyncRun:
    """One payment sync run of the connection; always returns its SyncRun (succeeded, partial, failed, skipped)."""
    connection = Connection.objects.select_related("organization").get(pk=connection.pk)
    run = _start_run(connection)
    if run is None:
        now = timezone.now()
        return SyncRun.objects.create(
            connection=connection,
            kind=SyncKind.PAYMENTS,
            started_at=now,
            finished_at=now,
            outcome=SyncOutcome.SKIPPED,
            counts={},
            error="Another payment sync of this connection is running.",
        )
    run.connection = connection
    counts: Counter = Counter()
    api = None
    try:
        api = registry.get(connection.provider).api(connection)
        copies = _copies_of(connection)
        enabled_on = (
            timezone.localdate(connection.payment_sync_enabled_at) if connection.payment_sync_enabled_at else None
        )
        source = _source_for(connection.provider)
        cursor = dict((connection.sync_cursors or {}).get(CURSOR_KEY) or {})
        for page in api.fetch_payments(cursor):
            _apply_page(run, page, copies, counts, enabled_on, source)
    except IntegrationError as exc:
        calls = getattr(api, "calls", 0)
        if isinstance(exc, ThrottledError):
            connection_pause(connection, exc)
        elif isinstance(exc, TerminalError):
            connection_mark_needs_reconnect(connection, exc)
        else:
            now = timezone.now()
            Connection.objects.filter(pk=connection.pk).update(last_error=str(exc), last_error_at=now)
        logger.warning("payment sync of connection %s failed: %s", connection.pk, type(exc).__name__)
        return _finish(run, SyncOutcome.FAILED, counts, calls, str(exc))
    except Exception as exc:
        _finish(run, SyncOutcome.FAILED, counts, getattr(api, "calls", 0), f"Unexpected error: {type(exc).__name__}")
        raise
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now())
    outcome = SyncOutcome.PARTIAL if counts["failed"] else SyncOutcome.SUCCEEDED
    return _finish(run, outcome, counts, api.calls)
