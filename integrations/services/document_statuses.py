"""The provider's own status of documents we exported, read back (a Xero purchase order: DRAFT, SUBMITTED,
AUTHORISED, BILLED): kept on each copy as `remote_status` (and `remote_state`) and shown on our document.

Two ways in, both cheap: the payment sync reads the changes of a kind since its stored cursor while the connection
has copies of that kind still open (AccountingApi.document_changes: one call a page, so nothing is asked when none
is open), and a document's page can read its one copy now (AccountingApi.read_document). A status that changed is
logged once on the document.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import registry
from ..documents import adapter_for
from ..models import Connection, CopyStatus, LogLevel, RemoteDocument
from ..providers.base import KindNotExported
from ..synclog import document_log_fields, log

STATUS_CURSOR = "statuses"
# Statuses after which a copy no longer changes there (Xero: billed or deleted): not read back again.
FINAL_STATUSES = frozenset({"BILLED", "DELETED", "VOIDED"})
# The cursor is taken a little before the read, so a change made while it ran is read again, never lost.
CURSOR_OVERLAP = timedelta(seconds=5)


def open_copies(connection: Connection, kind: str):
    """The connection's latest successful copies of `kind` whose status may still change."""
    return (
        RemoteDocument.objects.filter(connection=connection, kind=kind, status=CopyStatus.SUCCEEDED, is_latest=True)
        .exclude(remote_id="")
        .exclude(remote_status__in=FINAL_STATUSES)
    )


def _cursor(connection: Connection, kind: str) -> datetime | None:
    text = ((connection.sync_cursors or {}).get(STATUS_CURSOR) or {}).get(kind) or ""
    try:
        moment = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _apply(connection: Connection, kind: str, remote) -> bool:
    """Store one answer on the copies of that remote document; True (and one log entry) when its status changed."""
    copies = list(RemoteDocument.objects.filter(connection=connection, kind=kind, remote_id=remote.id))
    changed = [copy for copy in copies if remote.status and copy.remote_status != remote.status]
    if not changed:
        return False
    RemoteDocument.objects.filter(pk__in=[copy.pk for copy in changed]).update(
        remote_status=remote.status, remote_state=remote.state or "", updated_at=timezone.now()
    )
    latest = next((copy for copy in changed if copy.is_latest), changed[0])
    label = adapter_for(kind).label
    log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        **document_log_fields(latest),
        level=LogLevel.INFO,
        action=f"{kind}.status",
        message=f"{connection.name} {label} {latest.remote_number or remote.id} is {remote.status.lower()} there now.",
        remote_id=remote.id,
    )
    return True


def document_statuses_refresh(*, connection: Connection, api, kind: str) -> int:
    """Read back the statuses of the connection's copies of `kind` changed since the stored cursor (only while
    some are open); the number of copies whose status changed. Raises the integrations.exceptions hierarchy."""
    ours = set(open_copies(connection, kind).values_list("remote_id", flat=True))
    if not ours:
        return 0
    started = timezone.now() - CURSOR_OVERLAP
    try:
        changes = api.document_changes(kind, _cursor(connection, kind))
    except KindNotExported:
        return 0
    changed = 0
    with transaction.atomic():
        for remote in changes:
            if remote.id in ours and _apply(connection, kind, remote):
                changed += 1
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        cursors = dict(locked.sync_cursors or {})
        cursors[STATUS_CURSOR] = {**(cursors.get(STATUS_CURSOR) or {}), kind: started.isoformat()}
        locked.sync_cursors = cursors
        locked.save(update_fields=["sync_cursors", "updated_at"])
    connection.sync_cursors = cursors
    return changed


def copy_status_refresh(*, copy: RemoteDocument) -> RemoteDocument:
    """Read one copy's status now (a document page's "Refresh status"); raises the integrations.exceptions."""
    connection = copy.connection
    api = registry.get(connection.provider).api(connection)
    remote = api.read_document(copy.kind, copy.remote_id)
    _apply(connection, copy.kind, remote)
    copy.refresh_from_db()
    return copy
