"""django-q2 tasks. They take ids only (never a token or a model instance), re-load the rows and re-check them.

payments_sync_all()                       scheduled ("productive:payments-sync", at the smallest poll interval):
                                          one task per eligible connection that is due on its provider's interval
                                          (or that a webhook marked as changed)
payments_sync_connections(connection_ids) a share of the cycle: each connection's run, several at once in threads
payments_sync_connection(connection_id)   one connection's run; returns early if it may not run now
invoice_copy_batch_task(connection_id, invoice_ids, mode, user_id)   one connection's share of a bulk copy, in
                                          the provider's batches; what is throttled waits and the task runs again
                                          for it when the provider's window opens (never failed)
invoice_copy_task(invoice_id, connection_id, mode, user_id)   one deferred copy (see below)
reconciliation_all()                      scheduled ("productive:reconciliation", nightly): one task per active
                                          connection with copies
reconciliation_connection(connection_id)  one connection's reconciliation (services.reconciliation)
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from django import db
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from billing.models import Invoice

from . import registry, selectors
from .exceptions import IntegrationError, ThrottledError
from .models import Connection, ConnectionStatus, CopyStatus, LogLevel, RemoteDocument, SyncKind, SyncOutcome, SyncRun
from .providers.base import SYNC_PAYMENTS
from .schedules import payments_poll_tick
from .services.connections import SYNC_PAYMENTS_SETTING
from .services.copy_outcomes import copy_error_text
from .services.document_export_batch import document_export_batch
from .services.invoice_copy import invoice_copy
from .services.invoice_copy_bulk import invoice_copy_defer, invoice_copy_give_up
from .services.payments_sync import payments_sync
from .services.reconciliation import reconciliation_run
from .services.webhooks import webhook_requests_covered
from .synclog import log

logger = logging.getLogger("integrations.tasks")

PAYMENTS_GROUP = "payments-sync"


def payment_sync_skip_reason(connection: Connection | None) -> str:
    """Why the connection's payments are not synced now ("" when they are)."""
    if connection is None:
        return "the connection no longer exists"
    if not connection.is_active:
        return f"the connection is {connection.get_status_display().lower()}"
    if connection.payment_sync_enabled_at is None or not (connection.settings or {}).get(SYNC_PAYMENTS_SETTING):
        return "payment sync is off"
    if connection.is_paused:
        return f"the provider asked us to wait until {connection.paused_until:%H:%M:%S} UTC"
    try:
        provider = registry.get(connection.provider)
    except registry.ProviderNotFound:
        return "the provider is not available"
    if not provider.is_configured() or SYNC_PAYMENTS not in provider.capabilities:
        return "the provider does not sync payments here"
    if not provider.allows(connection.organization, SYNC_PAYMENTS):
        return "the organization's plan does not include payment sync"
    return ""


def _last_run_started():
    """When the connection's latest payment run (not a skipped one) started: a failing connection waits its
    interval too."""
    runs = SyncRun.objects.filter(connection=OuterRef("pk"), kind=SyncKind.PAYMENTS).exclude(
        outcome=SyncOutcome.SKIPPED
    )
    return Subquery(runs.order_by("-started_at").values("started_at")[:1])


def payment_sync_due(connection: Connection, *, now, tick: timedelta) -> bool:
    """A webhook marked it as changed, or its provider's poll interval has passed since its last run. The
    schedule ticks every `tick`, a little after the interval or a little before: half a tick of slack keeps an
    interval equal to the tick from slipping to every other tick."""
    if connection.sync_requested_at:
        return True
    last = getattr(connection, "last_run_started", None) or connection.last_synced_at
    if last is None:
        return True
    return now >= last + registry.get(connection.provider).poll_interval - tick / 2


def payments_sync_all() -> list[int]:
    """Fan out: one payments_sync_connection task per connection that may sync and is due. Returns the ids queued."""
    now = timezone.now()
    tick = payments_poll_tick()
    connections = selectors.payment_sync_connections().select_related("organization")
    due = [
        connection.pk
        for connection in connections.annotate(last_run_started=_last_run_started())
        if not payment_sync_skip_reason(connection) and payment_sync_due(connection, now=now, tick=tick)
    ]
    return payments_sync_queue(payments_sync_claim(due, now=now))


def payments_sync_claim(connection_ids, *, now) -> list[int]:
    """The connections a sync may be queued for now: none was queued within the debounce (a webhook burst, or
    the schedule moments ago). Each claim is one conditional UPDATE, so concurrent callers get it once."""
    recent = now - timedelta(seconds=settings.INTEGRATIONS_WEBHOOK_DEBOUNCE_SECONDS)
    claimed = []
    for pk in connection_ids:
        free = Q(sync_queued_at__isnull=True) | Q(sync_queued_at__lt=recent)
        if Connection.objects.filter(free, pk=pk).update(sync_queued_at=now):
            claimed.append(pk)
    return claimed


def payments_sync_queue(connection_ids) -> list[int]:
    """One task per INTEGRATIONS_POLL_CONNECTIONS_PER_TASK connections: a poll is mostly waiting on the network,
    so a task waits on several providers at once (payments_sync_connections) and the workers share the cycle."""
    ids = list(connection_ids)
    size = max(1, settings.INTEGRATIONS_POLL_CONNECTIONS_PER_TASK)
    for start in range(0, len(ids), size):
        async_task("integrations.tasks.payments_sync_connections", ids[start : start + size], group=PAYMENTS_GROUP)
    return ids


def payments_sync_connections(connection_ids: list[int]) -> list[str]:
    """Each connection's run, up to INTEGRATIONS_POLL_THREADS at once (calls toward one tenant stay under its
    provider's in-flight cap, integrations/concurrency.py). Each thread takes the next connection until none is
    left, on one database connection of its own, closed when it is done. One connection's crash is logged and
    never stops the others. Returns each run's outcome, in the order given."""
    threads = min(max(1, settings.INTEGRATIONS_POLL_THREADS), len(connection_ids))
    if threads <= 1:
        return [_sync_one(pk) for pk in connection_ids]
    results: dict[int, str] = {}
    todo = iter(enumerate(connection_ids))
    lock = threading.Lock()

    def take_next():
        with lock:
            return next(todo, None)

    def work():
        try:
            while (item := take_next()) is not None:
                index, pk = item
                results[index] = _sync_one(pk)
        finally:
            db.connection.close()  # this thread's own connection; the pool's threads end with the task

    pool = [threading.Thread(target=work, name=f"poll-{n}") for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return [results[index] for index in range(len(connection_ids))]


def _sync_one(connection_id: int) -> str:
    try:
        return payments_sync_connection(connection_id)
    except Exception as exc:  # one connection's bug must not cost the rest of the cycle
        logger.exception("payment sync of connection %s crashed", connection_id)
        return f"crashed: {type(exc).__name__}"


def payments_sync_connection(connection_id: int) -> str:
    connection = Connection.objects.select_related("organization").filter(pk=connection_id).first()
    reason = payment_sync_skip_reason(connection)
    if reason:
        logger.info("payment sync of connection %s skipped: %s", connection_id, reason)
        return f"skipped: {reason}"
    # The queued run has started: a change announced from now on may queue the next one (the claim only holds
    # back a second run while one waits in the queue).
    Connection.objects.filter(pk=connection.pk, sync_queued_at__isnull=False).update(sync_queued_at=None)
    run = payments_sync(connection=connection)
    if run.outcome == SyncOutcome.SKIPPED:
        # Another run holds the connection and may have read the provider before this request was made ("Sync
        # payments now" during a scheduled or webhook run): it is handed on, as a webhook's is, so one more run
        # goes right after that one (else at the schedule's next tick).
        Connection.objects.filter(pk=connection.pk).update(sync_requested_at=timezone.now())
        still_running = SyncRun.objects.filter(
            connection_id=connection.pk, kind=SyncKind.PAYMENTS, outcome=SyncOutcome.RUNNING
        ).exists()
        if not still_running:  # it ended meanwhile, maybe before seeing the request: queue the next run here
            payments_sync_queue(payments_sync_claim([connection.pk], now=timezone.now()))
        return f"{run.outcome}: {run.error} One more run follows it."
    webhook_requests_covered(connection_id=connection.pk, run=run)
    payments_sync_trailing(connection.pk, run)
    return f"{run.outcome}: {run.counts}"


def payments_sync_trailing(connection_id: int, run: SyncRun) -> list[int]:
    """A webhook (or a "Sync payments now") that arrived while the run was under way (after it had read the
    provider) is not covered by it: one more run goes at once, so a payment edited seconds after another shows in
    seconds too, not at the schedule's next tick."""
    if not Connection.objects.filter(pk=connection_id, sync_requested_at__gt=run.started_at).exists():
        return []
    return payments_sync_queue(payments_sync_claim([connection_id], now=timezone.now()))


RECONCILIATION_GROUP = "reconciliation"


def reconciliation_all() -> list[int]:
    """Fan out: one reconciliation_connection task per active, listed connection that has sent a document."""
    copied = RemoteDocument.objects.filter(connection=OuterRef("pk"), is_latest=True, status=CopyStatus.SUCCEEDED)
    ids = list(
        Connection.objects.filter(status=ConnectionStatus.ACTIVE, removed_at=None)
        .filter(Exists(copied))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        async_task("integrations.tasks.reconciliation_connection", pk, group=RECONCILIATION_GROUP)
    return ids


def reconciliation_connection(connection_id: int) -> str:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "skipped: the connection no longer exists"
    run = reconciliation_run(connection=connection)
    return f"{run.outcome}: {run.counts or run.error}"


# A bulk copy of 100 invoices needs more calls than Xero allows a tenant per minute (60). A copy that meets the limit
# is not a failure: its attempt waits, and the task runs again in the next free slot of the connection. Slots start
# when the provider's pause ends (Retry-After) and are spaced so the deferred copies fit its window (Provider.
# rate_limit; a copy makes about COPY_CALLS_ESTIMATE calls: contact + invoice), not all at the same instant.
COPY_MAX_DEFERRALS = 20
COPY_CALLS_ESTIMATE = 2
COPY_DEFAULT_SPACING = timedelta(seconds=2)


def copy_slot_spacing(connection: Connection) -> timedelta:
    """How far apart deferred copies of this connection run, from its provider's per-tenant call budget."""
    try:
        budget = registry.get(connection.provider).rate_limit
    except registry.ProviderNotFound:
        budget = None
    if not budget:
        return COPY_DEFAULT_SPACING
    calls, seconds = budget
    return timedelta(seconds=seconds * COPY_CALLS_ESTIMATE / calls)


def _log_copy(invoice: Invoice, connection: Connection, level: str, action: str, message: str) -> None:
    log(
        organization_id=invoice.organization_id,
        connection_id=connection.pk,
        invoice_id=invoice.pk,
        level=level,
        action=action,
        message=message,
    )


def _defer_copy(invoice: Invoice, connection: Connection, args: tuple, deferrals: int, user) -> str:
    try:
        copy = invoice_copy_defer(
            invoice=invoice, connection=connection, mode=args[2], user=user, spacing=copy_slot_spacing(connection)
        )
    except ValidationError as exc:
        return _refused(invoice, connection, exc)
    when = copy.waiting_until
    schedule(
        "integrations.tasks.invoice_copy_task",
        *args,
        deferrals + 1,
        schedule_type=Schedule.ONCE,
        repeats=1,
        next_run=when,
    )
    message = f"{connection.name} asked us to slow down; the copy waits and runs again at {when:%H:%M:%S} UTC."
    _log_copy(invoice, connection, LogLevel.INFO, "invoice.copy_deferred", message)
    return f"deferred until {when.isoformat()}"


def _give_up_waiting(invoice: Invoice, connection: Connection, reason: str) -> None:
    """Attempts of this invoice still waiting for this task will not run: they fail, saying why."""
    waiting = RemoteDocument.objects.filter(invoice=invoice, connection=connection, status=CopyStatus.WAITING)
    for attempt in waiting:
        invoice_copy_give_up(copy=attempt, reason=reason)


def _refused(invoice: Invoice, connection: Connection, exc: ValidationError) -> str:
    # Refused before anything was sent (e.g. voided while it waited): say so on the invoice, where the person who
    # queued it looks, and let no attempt wait for ever.
    reason = " ".join(exc.messages)
    _log_copy(invoice, connection, LogLevel.ERROR, "invoice.copy_refused", reason)
    _give_up_waiting(invoice, connection, f"Not copied: {reason}")
    return f"refused: {reason}"


def invoice_copy_task(invoice_id: int, connection_id: int, mode: str, user_id: int | None, deferrals: int = 0) -> str:
    invoice = Invoice.objects.filter(pk=invoice_id).first()
    connection = Connection.objects.filter(pk=connection_id).first()
    if invoice is None or connection is None or invoice.organization_id != connection.organization_id:
        return "skipped: the invoice or the connection no longer exists"
    args = (invoice_id, connection_id, mode, user_id)
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    if connection.is_paused and deferrals < COPY_MAX_DEFERRALS:
        return _defer_copy(invoice, connection, args, deferrals, user)  # no call while the provider asked us to wait
    try:
        copy = invoice_copy(invoice=invoice, connection=connection, mode=mode, user=user)
    except ValidationError as exc:
        return _refused(invoice, connection, exc)
    except ThrottledError as exc:
        if deferrals >= COPY_MAX_DEFERRALS:
            reason = (
                f"{connection.name} kept asking us to slow down: the copy was put off {deferrals} times and given up. "
                "Copy it again later."
            )
            _give_up_waiting(invoice, connection, reason)
            return f"failed: {copy_error_text(exc)}"
        connection.refresh_from_db(fields=["paused_until"])
        return _defer_copy(invoice, connection, args, deferrals, user)
    except IntegrationError as exc:
        return f"failed: {copy_error_text(exc)}"  # the attempt and the log already record it
    return f"{copy.status}: {copy.remote_number or copy.remote_id}"


def invoice_copy_batch_task(
    connection_id: int, invoice_ids: list[int], mode: str, user_id: int | None, deferrals: int = 0
) -> str:
    """A bulk copy's invoices of one connection, in the provider's batches. Refusals are logged on their invoice;
    what waits (a 429, or the pacing of a provider without batches) runs again in one deferred task when the
    provider's window opens, at most COPY_MAX_DEFERRALS times."""
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "skipped: the connection no longer exists"
    invoices = list(
        Invoice.objects.filter(organization_id=connection.organization_id, pk__in=invoice_ids)
        .select_related("organization", "company", "subsidiary")
        .order_by("pk")
    )
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    outcome = document_export_batch(documents=invoices, connection=connection, user=user)
    by_pk = {invoice.pk: invoice for invoice in invoices}
    for pk, reason in outcome.refused.items():
        _refused(by_pk[pk], connection, ValidationError(reason))
    if outcome.waiting:
        if deferrals >= COPY_MAX_DEFERRALS:
            reason = (
                f"{connection.name} kept asking us to slow down: the copy was put off {deferrals} times and given up. "
                "Copy it again later."
            )
            for pk in outcome.waiting:
                _give_up_waiting(by_pk[pk], connection, reason)
        else:
            when = outcome.waiting_until or timezone.now()
            schedule(
                "integrations.tasks.invoice_copy_batch_task",
                connection_id,
                sorted(outcome.waiting),
                mode,
                user_id,
                deferrals + 1,
                schedule_type=Schedule.ONCE,
                repeats=1,
                next_run=when,
            )
    return (
        f"{len(outcome.done)} done, {len(outcome.failed)} failed, {len(outcome.waiting)} waiting, "
        f"{len(outcome.refused)} refused in {outcome.calls} calls"
    )
