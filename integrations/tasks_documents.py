"""Tasks of the export of any kind beside invoices (integrations.tasks keeps the invoice copy's): a bulk send's
documents of one connection in the provider's batches, what waits running again in the provider's window."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import schedule

from .documents import adapter_for
from .models import Connection, CopyStatus, LogLevel, RemoteDocument
from .services.document_export_batch import document_export_batch
from .services.invoice_copy_bulk import invoice_copy_give_up
from .synclog import log
from .tasks import COPY_MAX_DEFERRALS


def _refused(adapter, document, connection, reason: str) -> None:
    log(
        organization_id=document.organization_id,
        connection_id=connection.pk,
        **{f"{adapter.field}_id": document.pk},
        level=LogLevel.ERROR,
        action=f"{adapter.kind}.copy_refused",
        message=reason,
    )
    for attempt in RemoteDocument.objects.filter(
        connection=connection, status=CopyStatus.WAITING, **adapter.lookup(document)
    ):
        invoice_copy_give_up(copy=attempt, reason=f"Not sent: {reason}")


def document_export_batch_task(
    kind: str, connection_id: int, ids: list[int], user_id: int | None, deferrals: int = 0
) -> str:
    connection = Connection.objects.filter(pk=connection_id).first()
    if connection is None:
        return "skipped: the connection no longer exists"
    adapter = adapter_for(kind)
    documents = list(adapter.queryset().filter(organization_id=connection.organization_id, pk__in=ids).order_by("pk"))
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    outcome = document_export_batch(documents=documents, connection=connection, user=user)
    by_pk = {document.pk: document for document in documents}
    for pk, reason in outcome.refused.items():
        _refused(adapter, by_pk[pk], connection, reason)
    if outcome.waiting:
        if deferrals >= COPY_MAX_DEFERRALS:
            reason = f"{connection.name} kept asking us to slow down: put off {deferrals} times and given up."
            for pk in outcome.waiting:
                _refused(adapter, by_pk[pk], connection, reason)
        else:
            schedule(
                "integrations.tasks_documents.document_export_batch_task",
                kind,
                connection_id,
                sorted(outcome.waiting),
                user_id,
                deferrals + 1,
                schedule_type=Schedule.ONCE,
                repeats=1,
                next_run=outcome.waiting_until or timezone.now(),
            )
    return (
        f"{len(outcome.done)} done, {len(outcome.failed)} failed, {len(outcome.waiting)} waiting, "
        f"{len(outcome.refused)} refused in {outcome.calls} calls"
    )
