"""Pull the payments that changed in the accounting tool onto our invoices (one way: provider → app).

One run per connection at a time (the SyncRun "one running" constraint; a second start is recorded as skipped;
a run left running by a dead worker is closed first). The provider's payment feed decides the rest
(Provider.payment_feed):

- `cursor`: the changes kept for retry are applied first, then the provider is asked only for what changed since
  the stored cursor, page by page; pages are applied in one transaction (up to PAYMENTS_APPLY_BATCH changes,
  new payments in bulk) together with the cursor the last of them carries, so a crash loses nothing and
  replaying a page changes nothing (payment_feed_apply);
- `remainder`: a bounded set of our open copies is asked what is still owed, and payments are derived from the
  difference (payment_remainders).
A change that cannot be applied is logged and kept for retry (payment_pending): the run is "partial", the cursor
still moves on, and no single record can make every later poll of the connection fail.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import registry
from ..connection_state import connection_mark_needs_reconnect, connection_pause
from ..exceptions import IntegrationError, TerminalError, ThrottledError
from ..models import Connection, PendingPaymentChange, SyncKind, SyncOutcome, SyncRun
from ..providers.base import FEED_REMAINDER
from .document_statuses import document_statuses_refresh
from .payment_feed_apply import FeedRun, apply_records
from .payment_feed_apply import superseded_refusal as _superseded_refusal
from .payment_pending import REMAINDER_PREFIX, PendingBook, record_from_json
from .payment_remainders import remainders_sync
from .payment_targets import PaymentTargets

__all__ = ["payments_sync", "_superseded_refusal", "CURSOR_KEY", "COUNT_NAMES"]

logger = logging.getLogger("integrations.payments_sync")

CURSOR_KEY = "payments"
COUNT_NAMES = (
    "fetched",
    "recorded",
    "updated",
    "deleted",
    "restored",
    "ignored",
    "unchanged",
    "failed",
    "retried",
    "statuses",
)


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


def _save_cursor(connection_id: int, cursor: dict) -> None:
    """The cursor moves in the same transaction as the payments it covers (the caller's)."""
    connection = Connection.objects.select_for_update().get(pk=connection_id)
    connection.sync_cursors = {**(connection.sync_cursors or {}), CURSOR_KEY: cursor}
    connection.save(update_fields=["sync_cursors", "updated_at"])


def _cursor_feed(feed: FeedRun, api, cursor: dict) -> None:
    kept = [row for row in feed.pending.due() if not row.remote_id.startswith(REMAINDER_PREFIX)]
    if kept:
        with transaction.atomic():
            apply_records(feed, [record_from_json(row.record) for row in kept])
    batch = _Batch()
    try:
        for page in api.fetch_payments(cursor):
            batch.add(page)
            if batch.full:
                _apply_batch(feed, batch.take())
    finally:  # a failure on a later page keeps what the pages before it brought, with their cursor
        if batch.pages:
            _apply_batch(feed, batch.take())


class _Batch:
    """Pages held until they carry PAYMENTS_APPLY_BATCH changes, then applied together with the last one's
    cursor: with 100-payment pages, a transaction and its fixed queries per 1,000 payments, not per 100."""

    def __init__(self):
        self.pages = []

    def add(self, page) -> None:
        self.pages.append(page)

    @property
    def full(self) -> bool:
        return sum(len(page.payments) for page in self.pages) >= settings.PAYMENTS_APPLY_BATCH

    def take(self) -> tuple[list, dict]:
        pages, self.pages = self.pages, []
        return [payment for page in pages for payment in page.payments], pages[-1].next_cursor


def _apply_batch(feed: FeedRun, batch: tuple[list, dict]) -> None:
    records, next_cursor = batch
    with transaction.atomic():
        feed.counts["fetched"] += len(records)
        apply_records(feed, records)
        _save_cursor(feed.run.connection_id, next_cursor)


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
    # Whether changes are kept for retry comes with the connection: an idle run costs no query more for it.
    kept = PendingPaymentChange.objects.filter(connection=OuterRef("pk"))
    connection = Connection.objects.select_related("organization").annotate(any_kept=Exists(kept)).get(pk=connection.pk)
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
    feed = None
    api = None
    try:
        provider = registry.get(connection.provider)
        api = provider.api(connection)
        enabled_on = (
            timezone.localdate(connection.payment_sync_enabled_at) if connection.payment_sync_enabled_at else None
        )
        feed = FeedRun(
            run=run,
            targets=PaymentTargets(connection),
            pending=PendingBook.load(connection.pk, any_kept=connection.any_kept),
            enabled_on=enabled_on,
        )
        cursor = dict((connection.sync_cursors or {}).get(CURSOR_KEY) or {})
        if provider.payment_feed.kind == FEED_REMAINDER:
            remainders_sync(
                feed,
                api,
                cursor=cursor,
                batch_size=provider.payment_feed.batch_size,
                provider_name=provider.name,
                save_cursor=lambda moved: _save_cursor(connection.pk, moved),
            )
        else:
            _cursor_feed(feed, api, cursor)
        for kind in sorted(feed.targets.status_kinds & provider.export_kinds):  # e.g. purchase orders' statuses
            feed.counts["statuses"] += document_statuses_refresh(connection=connection, api=api, kind=kind)
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
        return _finish(run, SyncOutcome.FAILED, _counts(feed), calls, str(exc))
    except Exception as exc:
        _finish(
            run, SyncOutcome.FAILED, _counts(feed), getattr(api, "calls", 0), f"Unexpected error: {type(exc).__name__}"
        )
        raise
    Connection.objects.filter(pk=connection.pk).update(last_synced_at=timezone.now())
    outcome = SyncOutcome.PARTIAL if feed.counts["failed"] else SyncOutcome.SUCCEEDED
    return _finish(run, outcome, feed.counts, api.calls)


def _counts(feed: FeedRun | None) -> Counter:
    return feed.counts if feed else Counter()
