"""Reads for the Reconciliation tab and its API: the connection's latest reconciliation run and the mismatches
still open (always the latest run's: a run supersedes the open ones before it). The run lives in
services.reconciliation, the actions in services.reconciliation_actions."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import DOCUMENT_FIELDS, Connection, ReconciliationMismatch, SyncKind, SyncOutcome, SyncRun


def open_mismatches_all() -> QuerySet[ReconciliationMismatch]:
    """Every connection's open mismatches (scope it: open_mismatches, attention.attention_counts)."""
    return ReconciliationMismatch.objects.filter(resolved_at=None)


def open_mismatches(*, connection: Connection) -> QuerySet[ReconciliationMismatch]:
    related = [f"remote_document__{name}" for name in DOCUMENT_FIELDS.values()]
    return (
        open_mismatches_all()
        .filter(connection=connection, organization_id=connection.organization_id)
        .select_related("remote_document", *related)
        .order_by("remote_document_id", "field", "id")
    )


def mismatch_get(*, connection: Connection, pk) -> ReconciliationMismatch:
    """One open mismatch of the connection (else ReconciliationMismatch.DoesNotExist: a 404)."""
    return open_mismatches(connection=connection).get(pk=pk)


def latest_run(*, connection: Connection) -> SyncRun | None:
    """The connection's latest reconciliation that ran (a skipped one says nothing about the documents)."""
    runs = SyncRun.objects.filter(connection=connection, kind=SyncKind.RECONCILIATION)
    return runs.exclude(outcome=SyncOutcome.SKIPPED).order_by("-started_at", "-id").first()


def by_document(mismatches) -> list[dict]:
    """Open mismatches grouped per copy, in order: [{"copy": RemoteDocument, "mismatches": [...]}, ...]."""
    groups: list[dict] = []
    for mismatch in mismatches:
        if not groups or groups[-1]["copy"].pk != mismatch.remote_document_id:
            groups.append({"copy": mismatch.remote_document, "mismatches": []})
        groups[-1]["mismatches"].append(mismatch)
    return groups
