"""How a connection reacts to the provider's verdicts: a dead grant needs reconnecting, a 429 pauses it.

One place for both, so the copy, the payment sync, the token refresh and the clients change a connection's
state the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from .exceptions import ThrottledError
from .models import Connection, ConnectionStatus

logger = logging.getLogger("integrations.connection_state")

DEFAULT_PAUSE = 60  # seconds, when a 429 carries no Retry-After


def connection_mark_needs_reconnect(connection: Connection, message: str) -> None:
    """The grant is gone: show "Reconnect" and stop using it until the admin reconnects."""
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).exclude(status=ConnectionStatus.DISCONNECTED).update(
        status=ConnectionStatus.NEEDS_RECONNECT, last_error=message, last_error_at=now, updated_at=now
    )
    connection.refresh_from_db(fields=["status", "last_error", "last_error_at"])
    logger.warning("connection %s needs reconnecting: %s", connection.pk, message)


def connection_pause(connection: Connection, exc: ThrottledError) -> None:
    """The provider throttles this connection: no calls until Retry-After has passed."""
    until = timezone.now() + timedelta(seconds=exc.retry_after if exc.retry_after is not None else DEFAULT_PAUSE)
    Connection.objects.filter(pk=connection.pk).update(
        paused_until=until, last_error=str(exc), last_error_at=timezone.now()
    )
    connection.paused_until = until
