"""Removing a disconnected connection from the marketplace list.

Nothing is deleted: invoice copies, the sync log, synced payments and mappings point at the connection and are
the invoices' history, so the connection is only marked removed and the list hides it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from ..models import Connection, ConnectionStatus, LogLevel
from ..synclog import log


def connection_remove(*, connection: Connection, user=None) -> Connection:
    if connection.status != ConnectionStatus.DISCONNECTED:
        raise ValidationError("Disconnect this connection before removing it from the list.")
    if connection.removed_at is None:
        now = timezone.now()
        Connection.objects.filter(pk=connection.pk, removed_at__isnull=True).update(removed_at=now, updated_at=now)
        connection.refresh_from_db(fields=["removed_at", "updated_at"])
        who = f" by {user}" if user is not None else ""
        log(
            organization_id=connection.organization_id,
            connection_id=connection.pk,
            level=LogLevel.INFO,
            action="connection.removed",
            message=f"Removed from the list{who}; its copies and log stay on the invoices.",
        )
    return connection
