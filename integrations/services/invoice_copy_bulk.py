"""The bulk copy (the invoice list's "Copy to …") and the waiting of copies the provider throttles.

The selected invoices are grouped by the active connection of their subsidiary; each connection gets one task
(integrations.tasks.invoice_copy_batch_task, after commit) that copies its invoices in the provider's batches
(services.document_export_batch). What the provider throttles waits (never failed) until the task runs again in
the provider's window. A single deferred copy (invoice_copy_task) waits in a slot of its own (invoice_copy_defer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from billing.models import Invoice, Organization

from .. import registry, selectors
from ..models import UNFINISHED_COPY_STATUSES, Connection, CopyErrorKind, CopyStatus, LogLevel, RemoteDocument
from .copy_outcomes import _log
from .export_checks import document_export_checks
from .invoice_copy import MODE_UPDATE, _claim_attempt, invoice_copy_check


def bulk_copy_max() -> int:
    """The most invoices one bulk copy may take: the largest provider's `bulk_copy_max` (each connection's share is
    checked against its own provider's)."""
    return max((provider.bulk_copy_max for provider in registry.all()), default=100)


@dataclass
class BulkCopyResult:
    queued: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # invoice id → why


def invoice_copy_bulk(*, invoice_ids, organization: Organization, user) -> BulkCopyResult:
    """Queue one batch copy task per connection (after commit), with the selected invoices of the subsidiary it is
    the active connection of."""
    from django_q.tasks import async_task

    try:
        ids = sorted({int(pk) for pk in invoice_ids})
    except (TypeError, ValueError):
        raise ValidationError({"invoice_ids": "Select invoices from the list."}) from None
    if not ids:
        raise ValidationError({"invoice_ids": "Select at least one invoice."})
    most = bulk_copy_max()
    if len(ids) > most:
        raise ValidationError({"invoice_ids": f"Copy at most {most} invoices at a time; {len(ids)} are selected."})
    invoices = list(Invoice.objects.filter(organization=organization, pk__in=ids).select_related("subsidiary"))
    result = BulkCopyResult()
    result.skipped.update({pk: "Not found." for pk in set(ids) - {invoice.pk for invoice in invoices}})
    connections = selectors.copy_connections_by_subsidiary(
        organization=organization, subsidiary_ids=[invoice.subsidiary_id for invoice in invoices]
    )
    user_id = user.pk if getattr(user, "is_authenticated", False) else None
    per_connection: dict[int, list[int]] = {}
    refusals: dict[int, dict] = {}
    for invoice in invoices:
        usable = connections.get(invoice.subsidiary_id, [])
        if not usable:
            result.skipped[invoice.pk] = f"{invoice}: {invoice.subsidiary} has no active accounting connection."
            continue
        if len(usable) > 1:
            result.skipped[invoice.pk] = f"{invoice}: several connections; copy it from its page."
            continue
        connection = usable[0]
        if connection.pk not in refusals:  # the connection's checks once, each invoice's own
            mine = [i for i in invoices if usable[0] in connections.get(i.subsidiary_id, [])]
            refusals[connection.pk] = document_export_checks(documents=mine, connection=connection)
        refusal = refusals[connection.pk].get(invoice.pk)
        if refusal is not None:
            result.skipped[invoice.pk] = f"{invoice}: {' '.join(refusal.messages)}"
            continue
        share = per_connection.setdefault(connection.pk, [])
        if len(share) >= registry.get(connection.provider).bulk_copy_max:
            result.skipped[invoice.pk] = f"{invoice}: {connection.name} takes fewer invoices in one bulk copy."
            continue
        share.append(invoice.pk)
        result.queued.append(invoice.pk)
    for connection_pk, share in per_connection.items():
        args = (connection_pk, share, MODE_UPDATE, user_id)
        transaction.on_commit(lambda args=args: async_task("integrations.tasks.invoice_copy_batch_task", *args))
    return result


@transaction.atomic
def invoice_copy_defer(
    *, invoice: Invoice, connection: Connection, mode: str, user, spacing: timedelta
) -> RemoteDocument:
    """A copy put off while the provider throttles the connection: its attempt (claimed now if there is none) waits
    for the next free slot of the connection, `spacing` after the last one taken and never before the provider's
    pause ends, so deferred copies run spread over the window instead of all meeting the limit again at once.
    The invoice shows it waiting, not failed. ValidationError when it may not be copied (nothing saved)."""
    # The first write takes the connection's row lock (PostgreSQL) or the database write lock (SQLite) until commit:
    # concurrent deferrals of one connection take their slots one after another.
    Connection.objects.filter(pk=connection.pk).update(updated_at=timezone.now())
    connection = Connection.objects.get(pk=connection.pk)
    invoice = Invoice.objects.select_related("organization", "company", "subsidiary").get(pk=invoice.pk)
    invoice_copy_check(invoice=invoice, connection=connection)
    copy, _reused = _claim_attempt(invoice=invoice, connection=connection, mode=mode, user=user)
    now = timezone.now()
    slot = max(now, connection.paused_until or now)
    last_taken = (
        RemoteDocument.objects.filter(
            connection=connection, status=CopyStatus.WAITING, waiting_until__gte=slot - spacing
        )
        .exclude(pk=copy.pk)
        .aggregate(last=Max("waiting_until"))["last"]
    )
    if last_taken is not None:
        slot = max(slot, last_taken + spacing)
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=CopyStatus.WAITING, waiting_until=slot, updated_at=now
    )
    copy.refresh_from_db()
    return copy


def invoice_copy_give_up(*, copy: RemoteDocument, reason: str) -> None:
    """A waiting attempt that will not be tried again (deferred too often): it failed, and says why."""
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=CopyStatus.FAILED,
        error=reason,
        error_kind=CopyErrorKind.TRANSIENT,  # the provider kept asking us to wait: nothing was refused
        waiting_until=None,
        updated_at=timezone.now(),
    )
    copy.refresh_from_db()
    _log(copy, LogLevel.ERROR, f"{copy.kind}.copy_failed", reason)
