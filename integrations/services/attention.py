"""Acting on Needs attention (integrations.attention reads it): retry a failed copy, retry them all, ignore one
with a reason; retry an unapplied payment change now, or dismiss it with a reason.

Retries go through the engines of the first attempt, never a second path: a copy through document_export (its
idempotency key and its lookup before re-creating, so a copy whose first try reached the provider is adopted,
not duplicated), a payment change through the feed's apply_records (the same checks, the same kept row).
Ignoring and dismissing record who, when and why, and write one sync-log entry, so the Activity page tells it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import IntegrationError, TerminalError, ThrottledError
from ..models import (
    Connection,
    ConnectionStatus,
    LogLevel,
    PendingPaymentChange,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    SyncRun,
)
from ..synclog import document_log_fields, log
from .invoice_copy import MODE_UPDATE, document_export
from .payment_feed_apply import FeedRun, apply_records
from .payment_pending import REMAINDER_PREFIX, PendingBook, record_from_json
from .payment_targets import PaymentTargets
from .payments_sync import COUNT_NAMES

REASON_MAX = 500
# "Retry all" runs in the request: this many copies per click, the oldest first.
RETRY_ALL_MAX = 20


def reason_clean(reason) -> str:
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": "Say why, so the next person knows."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX} characters."})
    return reason


def _require_active(connection: Connection) -> None:
    if connection.status != ConnectionStatus.ACTIVE:
        raise ValidationError(f"Reconnect “{connection.name}” first: nothing can be sent through it until then.")


# --- copies -------------------------------------------------------------------------------------------------


def copy_retry(*, copy: RemoteDocument, user=None) -> RemoteDocument:
    """Copy the document again through the engine (mode update: over its latest copy, if it has one), with the
    options the failed attempt was started with. Raises what document_export raises."""
    _require_active(copy.connection)
    return document_export(
        document=copy.document, connection=copy.connection, mode=MODE_UPDATE, user=user, options=copy.options
    )


@dataclass
class RetryAllResult:
    succeeded: int = 0
    failed: int = 0
    stopped: str = ""  # why the rest was not tried (the provider said to wait, or to reconnect)
    left: int = 0  # not tried this time (beyond RETRY_ALL_MAX, or after a stop)
    errors: list[str] = field(default_factory=list)


def copies_retry_all(*, copies: list[RemoteDocument], user=None) -> RetryAllResult:
    """Retry the copies one by one (at most RETRY_ALL_MAX); a refusal moves on, a 429 or a lost grant stops."""
    result = RetryAllResult(left=max(0, len(copies) - RETRY_ALL_MAX))
    batch = copies[:RETRY_ALL_MAX]
    for index, copy in enumerate(batch):
        try:
            copy_retry(copy=copy, user=user)
        except (ThrottledError, TerminalError) as exc:
            result.failed += 1
            result.stopped = str(exc)
            result.left += len(batch) - index - 1
            break
        except (IntegrationError, ValidationError) as exc:
            result.failed += 1
            result.errors.append(" ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            result.succeeded += 1
    return result


def copy_ignore(*, copy: RemoteDocument, user, reason: str) -> RemoteDocument:
    """Stop listing a failed copy under Needs attention (the attempt and its error stay in the history)."""
    reason = reason_clean(reason)
    now = timezone.now()
    RemoteDocument.objects.filter(pk=copy.pk).update(
        ignored_at=now, ignored_by=user, ignored_reason=reason, updated_at=now
    )
    copy.refresh_from_db()
    who = getattr(user, "email", "") or "an admin"
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        level=LogLevel.INFO,
        action=f"{copy.kind}.copy_ignored",
        message=f"The failed copy was ignored by {who}: {reason}",
        **document_log_fields(copy),
    )
    return copy


# --- payments -----------------------------------------------------------------------------------------------


def payment_retry(*, change: PendingPaymentChange) -> bool:
    """Apply one kept payment change now, as the next sync would (in a payment SyncRun of its own, so the
    Activity page shows it). True when it applied (its kept row is gone); False when it failed again (the row
    keeps the newest error). A remainder (a provider that reports what is still owed) is read again by every
    sync: that one is retried by "Sync now", not here."""
    if change.remote_id.startswith(REMAINDER_PREFIX):
        raise ValidationError("This amount is read again from the provider by every sync: use “Sync now”.")
    connection = Connection.objects.select_related("organization").get(pk=change.connection_id)
    _require_active(connection)
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS)
    except IntegrityError:
        raise ValidationError("A payment sync of this connection is running: try again in a minute.") from None
    run.connection = connection
    enabled = connection.payment_sync_enabled_at
    feed = FeedRun(
        run=run,
        targets=PaymentTargets(connection),
        pending=PendingBook.load(connection.pk),
        enabled_on=timezone.localdate(enabled) if enabled else None,
    )
    outcome = SyncOutcome.FAILED  # unless apply_records returns
    try:
        with transaction.atomic():
            apply_records(feed, [record_from_json(change.record)])
        outcome = SyncOutcome.PARTIAL if feed.counts["failed"] else SyncOutcome.SUCCEEDED
    finally:
        counts: Counter = feed.counts
        run.outcome = outcome
        run.finished_at = timezone.now()
        run.counts = {name: counts.get(name, 0) for name in COUNT_NAMES}
        run.save(update_fields=["outcome", "finished_at", "counts"])
    return not PendingPaymentChange.objects.filter(pk=change.pk).exists()


def payment_dismiss(*, change: PendingPaymentChange, user, reason: str) -> PendingPaymentChange:
    """Stop retrying a kept change; a newer change of the same payment brings it back (payment_pending)."""
    reason = reason_clean(reason)
    PendingPaymentChange.objects.filter(pk=change.pk).update(
        dismissed_at=timezone.now(), dismissed_by=user, dismissed_reason=reason
    )
    change.refresh_from_db()
    who = getattr(user, "email", "") or "an admin"
    connection = change.connection
    log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.INFO,
        action="payment.dismissed",
        message=f"Payment {change.remote_id} is no longer retried (dismissed by {who}): {reason}",
        remote_id=change.remote_id.removeprefix(REMAINDER_PREFIX),
    )
    return change
