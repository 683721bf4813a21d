"""The bulk send of expenses as bills (the expense list's "Send to …"), any exported kind alike: the selected
documents grouped by the one active export connection of their subsidiary, one batch task per connection (after
commit: integrations.tasks_documents.document_export_batch_task), sent in the provider's batches by
services.document_export_batch. What may not be sent is skipped before anything is queued, saying why."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import Organization

from .. import registry
from ..document_selectors import export_connections
from ..documents import adapter_for
from .export_checks import document_export_checks
from .invoice_copy_bulk import BulkCopyResult, bulk_copy_max


def document_export_bulk(*, kind: str, ids, organization: Organization, user) -> BulkCopyResult:
    from django_q.tasks import async_task

    adapter = adapter_for(kind)
    try:
        pks = sorted({int(pk) for pk in ids})
    except (TypeError, ValueError):
        raise ValidationError({"ids": f"Select {adapter.label}s from the list."}) from None
    if not pks:
        raise ValidationError({"ids": "Select at least one."})
    most = bulk_copy_max()
    if len(pks) > most:
        raise ValidationError({"ids": f"Send at most {most} at a time; {len(pks)} are selected."})
    documents = list(adapter.queryset().filter(organization=organization, pk__in=pks).order_by("pk"))
    result = BulkCopyResult()
    result.skipped.update({pk: "Not found." for pk in set(pks) - {document.pk for document in documents}})
    connections = export_connections(
        organization=organization, kind=kind, subsidiary_ids=[adapter.subsidiary_id(d) for d in documents]
    )
    per_connection: dict[int, list] = {}
    for document in documents:
        usable = connections.get(adapter.subsidiary_id(document), [])
        if len(usable) != 1:
            why = "no connection sends them" if not usable else "several connections; send it from its page"
            result.skipped[document.pk] = f"{document}: {why}."
            continue
        per_connection.setdefault(usable[0].pk, []).append(document)
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    for connection_pk, share in per_connection.items():
        connection = next(c for group in connections.values() for c in group if c.pk == connection_pk)
        refusals = document_export_checks(documents=share, connection=connection)
        provider_max = registry.get(connection.provider).bulk_copy_max
        queued = []
        for document in share:
            if document.pk in refusals:
                result.skipped[document.pk] = f"{document}: {' '.join(refusals[document.pk].messages)}"
            elif len(queued) >= provider_max:
                result.skipped[document.pk] = f"{document}: {connection.name} takes fewer in one bulk send."
            else:
                queued.append(document.pk)
        if queued:
            result.queued.extend(queued)
            args = (kind, connection_pk, queued, user_id)
            transaction.on_commit(
                lambda args=args: async_task("integrations.tasks_documents.document_export_batch_task", *args)
            )
    return result
