"""Reconciliation: for every document we sent on a connection (its latest copy), what the provider holds now beside
what we hold (total, currency, number, status, amount paid). Each difference is stored with both values and a
suggested action (services/reconciliation_actions.py acts on them); the run is a SyncRun of kind reconciliation,
so the Activity page lists it with its API calls and counts.

Provider-agnostic: the provider answers AccountingApi.documents_state in chunks of its `state_batch_size` (Xero
reads its list of our invoices, 1000 a call; QuickBooks 100 ids a query), never one call per document unless it
has no list read at all. A kind its client does not export (or cannot report) is counted `not_checked`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import registry
from ..documents import adapter_for
from ..exceptions import IntegrationError
from ..models import (
    DOCUMENT_FIELDS,
    Connection,
    ConnectionStatus,
    CopyStatus,
    MismatchAction,
    MismatchField,
    MismatchResolution,
    ReconciliationMismatch,
    RemoteDocument,
    RemoteState,
    SyncKind,
    SyncOutcome,
    SyncRun,
)
from ..providers.base import SYNC_PAYMENTS, KindNotExported, RemoteDocumentState

logger = logging.getLogger("integrations.reconciliation")

COUNT_NAMES = ("checked", "matching", "mismatched", "mismatches", "accepted", "not_checked")
GONE = "deleted"  # our word for a document the provider no longer has


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


@dataclass(frozen=True)
class Difference:
    field: str
    ours: str
    theirs: str
    action: str


def differences(copy: RemoteDocument, remote: RemoteDocumentState | None, *, syncs_payments: bool) -> list[Difference]:
    """How the provider's document differs from our copy of it (pure: no queries, no HTTP)."""
    document = copy.document
    adapter = adapter_for(copy.kind)
    ours_voided = copy.remote_voided_at is not None or getattr(document, "voided_at", None) is not None
    theirs_gone = remote is None or remote.deleted
    theirs_voided = theirs_gone or remote.state == RemoteState.VOIDED
    if theirs_voided or ours_voided:
        if theirs_voided and not ours_voided:
            theirs = GONE if theirs_gone else RemoteState.VOIDED
            return [Difference(MismatchField.STATUS, RemoteState.OPEN, theirs, MismatchAction.COPY_AGAIN)]
        if ours_voided and not theirs_voided:
            # Our document voided, its copy left open (the void prompt was told not to): void it there too.
            action = (
                MismatchAction.VOID_IN_PROVIDER if copy.remote_voided_at is None else MismatchAction.MARK_RECONCILED
            )
            return [Difference(MismatchField.STATUS, RemoteState.VOIDED, remote.state, action)]
        return []  # voided on both sides: nothing else matters
    found = []
    total = adapter.total(document)
    if remote.total is not None and remote.total != total:
        found.append(
            Difference(MismatchField.TOTAL, money_text(total), money_text(remote.total), MismatchAction.UPDATE_EXISTING)
        )
    currency = adapter.currency(document)
    if remote.currency and remote.currency.upper() != currency.upper():
        found.append(Difference(MismatchField.CURRENCY, currency, remote.currency, MismatchAction.UPDATE_EXISTING))
    number = copy.remote_number or adapter.number(document)
    if remote.number and number and remote.number != number:
        found.append(Difference(MismatchField.NUMBER, number, remote.number, MismatchAction.UPDATE_EXISTING))
    paid = getattr(document, "amount_paid", None)
    if remote.amount_paid is not None and paid is not None and remote.amount_paid != paid:
        action = MismatchAction.RESYNC_PAYMENTS if syncs_payments else MismatchAction.MARK_RECONCILED
        found.append(Difference(MismatchField.AMOUNT_PAID, money_text(paid), money_text(remote.amount_paid), action))
    return found


def latest_copies(connection: Connection):
    """The latest successful copy of every document sent on the connection, its document loaded."""
    return (
        RemoteDocument.objects.filter(
            connection=connection,
            organization_id=connection.organization_id,
            is_latest=True,
            status=CopyStatus.SUCCEEDED,
        )
        .exclude(remote_id="")
        .select_related(*DOCUMENT_FIELDS.values())
        .order_by("id")
    )


def _stale_after() -> timedelta:
    return timedelta(seconds=settings.Q_CLUSTER.get("timeout", 120) + 60)


def _start_run(connection: Connection) -> SyncRun | None:
    SyncRun.objects.filter(
        connection=connection,
        kind=SyncKind.RECONCILIATION,
        outcome=SyncOutcome.RUNNING,
        started_at__lt=timezone.now() - _stale_after(),
    ).update(outcome=SyncOutcome.FAILED, finished_at=timezone.now(), error="Abandoned: its worker stopped mid-run.")
    try:
        with transaction.atomic():
            return SyncRun.objects.create(connection=connection, kind=SyncKind.RECONCILIATION)
    except IntegrityError:
        return None  # another reconciliation of this connection is under way


def _skipped(connection: Connection, reason: str) -> SyncRun:
    now = timezone.now()
    return SyncRun.objects.create(
        connection=connection,
        kind=SyncKind.RECONCILIATION,
        started_at=now,
        finished_at=now,
        outcome=SyncOutcome.SKIPPED,
        error=reason,
    )


def reconciliation_skip_reason(connection: Connection) -> str:
    if connection.status in (ConnectionStatus.NEEDS_RECONNECT, ConnectionStatus.ERROR):
        return "the connection needs reconnecting"
    if connection.status != ConnectionStatus.ACTIVE:
        return f"the connection is {connection.get_status_display().lower()}"
    if connection.is_paused:
        return f"the provider asked us to wait until {connection.paused_until:%H:%M:%S} UTC"
    try:
        provider = registry.get(connection.provider)
    except registry.ProviderNotFound:
        return "the provider is not available"
    if not provider.is_configured():
        return f"{provider.name} is not configured here"
    return ""


def _accepted(connection: Connection) -> set[tuple]:
    """Differences an admin marked as reconciled: the same values are not reported again."""
    rows = ReconciliationMismatch.objects.filter(connection=connection, resolution=MismatchResolution.RECONCILED)
    return set(rows.values_list("remote_document_id", "field", "ours", "theirs"))


def reconciliation_run(*, connection: Connection) -> SyncRun:
    """One reconciliation of the connection; always returns its SyncRun (succeeded, failed or skipped)."""
    connection = Connection.objects.select_related("organization").get(pk=connection.pk)
    reason = reconciliation_skip_reason(connection)
    if reason:
        return _skipped(connection, f"Not checked: {reason}.")
    run = _start_run(connection)
    if run is None:
        return _skipped(connection, "Another reconciliation of this connection is running.")
    counts = dict.fromkeys(COUNT_NAMES, 0)
    api = None
    try:
        provider = registry.get(connection.provider)
        api = provider.api(connection)
        syncs_payments = SYNC_PAYMENTS in provider.capabilities
        accepted = _accepted(connection)
        by_kind: dict[str, list[RemoteDocument]] = {}
        for copy in latest_copies(connection):
            by_kind.setdefault(copy.kind, []).append(copy)
        found: list[ReconciliationMismatch] = []
        for kind, copies in by_kind.items():
            states = _read_states(api, kind, copies)
            if states is None:
                counts["not_checked"] += len(copies)
                continue
            for copy in copies:
                counts["checked"] += 1
                every = differences(copy, states.get(copy.remote_id), syncs_payments=syncs_payments)
                kept = [d for d in every if (copy.pk, d.field, d.ours, d.theirs) not in accepted]
                counts["accepted"] += len(every) - len(kept)
                counts["mismatched" if kept else "matching"] += 1
                found += [_mismatch(run, copy, difference) for difference in kept]
        counts["mismatches"] = len(found)
        with transaction.atomic():
            ReconciliationMismatch.objects.bulk_create(found, batch_size=500)
            ReconciliationMismatch.objects.filter(connection=connection, resolved_at=None).exclude(run=run).update(
                resolved_at=timezone.now(), resolution=MismatchResolution.SUPERSEDED
            )
            _finish(run, SyncOutcome.SUCCEEDED, counts, api)
    except IntegrationError as exc:
        logger.info("reconciliation of connection %s failed: %s", connection.pk, exc)
        _finish(run, SyncOutcome.FAILED, counts, api, error=str(exc))
    except Exception:
        _finish(run, SyncOutcome.FAILED, counts, api, error="Unexpected error: see the logs.")
        raise
    return run


def _read_states(api, kind: str, copies: list[RemoteDocument]) -> dict[str, RemoteDocumentState] | None:
    """The provider's states of these copies by remote id, read in its chunks; None: it cannot report this kind."""
    if kind not in api.export_kinds:
        return None
    ids = list(dict.fromkeys(copy.remote_id for copy in copies))
    size = max(1, int(api.state_batch_size))
    states: dict[str, RemoteDocumentState] = {}
    try:
        for start in range(0, len(ids), size):
            for state in api.documents_state(kind, ids[start : start + size]):
                states[state.id] = state
    except KindNotExported:
        return None
    return states


def _mismatch(run: SyncRun, copy: RemoteDocument, difference: Difference) -> ReconciliationMismatch:
    money = difference.field in (MismatchField.TOTAL, MismatchField.AMOUNT_PAID)
    return ReconciliationMismatch(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        run=run,
        remote_document=copy,
        field=difference.field,
        ours=difference.ours[:200],
        theirs=difference.theirs[:200],
        currency=adapter_for(copy.kind).currency(copy.document) if money else "",
        suggested_action=difference.action,
    )


def _finish(run: SyncRun, outcome: str, counts: dict, api, error: str = "") -> None:
    run.outcome = outcome
    run.finished_at = timezone.now()
    run.counts = counts
    run.api_calls = getattr(api, "calls", 0) if api is not None else 0
    run.error = error
    run.save(update_fields=["outcome", "finished_at", "counts", "api_calls", "error"])
