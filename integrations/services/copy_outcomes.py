"""The bookkeeping of one export attempt (a RemoteDocument row) once the provider answered: success makes it the
document's latest copy (the others lose is_latest or become superseded), a refusal is stored on it and logged
verbatim, an ambiguous outcome leaves it pending, a 429 leaves it waiting. Shared by the single export
(services.invoice_copy) and the batch one (services.document_export_batch, export_batch_send).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..connection_state import connection_mark_needs_reconnect, connection_pause
from ..documents import adapter_of
from ..exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from ..models import UNFINISHED_COPY_STATUSES, CopyErrorKind, CopyStatus, LogLevel, RemoteDocument
from ..synclog import document_log_fields, log
from .contact_links import contact_link_remember
from .copy_totals import invoice_copy_total_check
from .export_checks import CopyContext


def _log(copy: RemoteDocument, level: str, action: str, message: str, remote_id: str = "") -> None:
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        **document_log_fields(copy),
        level=level,
        action=action,
        message=message,
        remote_id=remote_id,
    )


def _copies(document, connection) -> QuerySet[RemoteDocument]:
    """The document's remote documents on the connection (every attempt)."""
    return RemoteDocument.objects.filter(connection=connection, **adapter_of(document).lookup(document))


@transaction.atomic
def _succeed(copy: RemoteDocument, remote, how: str, document, context: CopyContext) -> RemoteDocument:
    adapter = context.adapter
    adapter.model.objects.select_for_update().get(pk=document.pk)
    others = _copies(document, copy.connection_id).exclude(pk=copy.pk)
    others.filter(is_latest=True).update(is_latest=False)
    # Another remote document is now this sale's copy: the earlier ones are superseded (payment sync counts no new
    # payment on them, so one sale is never paid twice through two copies).
    others.filter(superseded_at__isnull=True).exclude(remote_id__in=["", remote.id]).update(
        superseded_at=timezone.now()
    )
    copy.status = CopyStatus.SUCCEEDED
    copy.remote_id = remote.id
    copy.remote_number = remote.number or copy.remote_number
    copy.remote_url = remote.url or copy.remote_url
    copy.remote_version = remote.version or copy.remote_version
    copy.remote_state = remote.state or copy.remote_state
    copy.remote_status = remote.status or copy.remote_status
    copy.is_latest = True
    copy.error = copy.error_kind = ""
    copy.outcome_unknown = False
    copy.waiting_until = None
    copy.save()
    label = f"{adapter.label} {copy.remote_number}" if copy.remote_number else adapter.label
    verb = {"created": "Copied as", "updated": "Updated", "adopted": "Found the earlier copy:"}[how]
    _log(copy, LogLevel.INFO, f"{adapter.kind}.{how}", f"{verb} {copy.connection.name} {label}.", remote.id)
    if context.provider_numbers and remote.number and not adapter.number(document):  # issued numbers never change
        try:
            adapter.take_number(document, remote.number)
        except ValidationError as exc:
            _log(
                copy,
                LogLevel.WARNING,
                f"{adapter.kind}.number",
                f"Could not take number {remote.number}: {exc.messages[0]}",
            )
        else:
            _log(
                copy,
                LogLevel.INFO,
                f"{adapter.kind}.number",
                f"The {adapter.label} now has {copy.connection.name}'s number.",
            )
    contact_link_remember(copy=copy, company=adapter.company(document))
    invoice_copy_total_check(copy=copy, invoice=document, remote=remote)
    return copy


def copy_error_text(exc: IntegrationError) -> str:
    if isinstance(exc, ProviderValidationError) and exc.messages:
        return "\n".join(exc.messages)
    return str(exc)


def copy_error_kind(exc: IntegrationError) -> str:
    """Whose move the failure is (the panel words its next step by it): the provider's refusal (or any other
    answer it gave) names something to correct; a network error, timeout or 5xx does not; a lost grant needs a
    reconnect."""
    if isinstance(exc, TerminalError):
        return CopyErrorKind.RECONNECT
    if isinstance(exc, TransientError | ThrottledError):
        return CopyErrorKind.TRANSIENT
    return CopyErrorKind.REFUSED


def _wait(copy: RemoteDocument, exc: ThrottledError) -> None:
    """A 429 refuses nothing: pause the connection and leave the attempt waiting for the provider's window."""
    connection_pause(copy.connection, exc)
    until = copy.connection.paused_until
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=CopyStatus.WAITING, waiting_until=until, updated_at=timezone.now()
    )
    copy.refresh_from_db()
    _log(
        copy,
        LogLevel.INFO,
        f"{copy.kind}.copy_waiting",
        f"{copy.connection.name} asked us to slow down (nothing was refused): "
        f"the copy waits until {until:%H:%M:%S} UTC.",
    )


def _fail(copy: RemoteDocument, exc: IntegrationError, prefix: str = "") -> None:
    """Record the outcome on the attempt (only if no concurrent try finished it meanwhile)."""
    if isinstance(exc, ThrottledError):
        _wait(copy, exc)
        return
    text = prefix + copy_error_text(exc)
    keep_pending = isinstance(exc, AmbiguousWriteError)
    status = CopyStatus.PENDING if keep_pending else CopyStatus.FAILED
    if keep_pending:
        label = adapter_of(copy.document).label
        text = f"{text} The outcome is unknown: the next try looks the {label} up before copying again."
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=status,
        error=text,
        error_kind=copy_error_kind(exc),
        outcome_unknown=keep_pending or copy.outcome_unknown,
        updated_at=timezone.now(),
    )
    copy.refresh_from_db()
    _log(copy, LogLevel.WARNING if keep_pending else LogLevel.ERROR, f"{copy.kind}.copy_failed", text)
    if isinstance(exc, TerminalError):
        connection_mark_needs_reconnect(copy.connection, exc)
