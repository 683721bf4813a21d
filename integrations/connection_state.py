"""How a connection reacts to the provider's verdicts: a dead grant needs reconnecting, a 429 pauses it.

One place for both, so the copy, the payment sync, the token refresh and the clients change a connection's
state the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Case, F, TextField, Value, When
from django.utils import timezone

from .exceptions import IntegrationError, ThrottledError
from .models import Connection, ConnectionStatus

logger = logging.getLogger("integrations.connection_state")

DEFAULT_PAUSE = 60  # seconds, when a 429 carries no Retry-After


# Part of ThrottledError's sentence (integrations.http): what a successful call clears again.
RATE_LIMITED_MARK = "is rate limiting this connection"


def person_message(error: IntegrationError | str) -> str:
    """The sentence a person reads: ours. The provider's codes ("AuthenticationUnsuccessful") stay in the log."""
    return error.message if isinstance(error, IntegrationError) else str(error)


def connection_mark_needs_reconnect(connection: Connection, error: IntegrationError | str) -> None:
    """The grant is gone: show "Reconnect" and stop using it until the admin reconnects."""
    message = person_message(error)
    now = timezone.now()
    Connection.objects.filter(pk=connection.pk).exclude(status=ConnectionStatus.DISCONNECTED).update(
        status=ConnectionStatus.NEEDS_RECONNECT, last_error=message, last_error_at=now, updated_at=now
    )
    connection.refresh_from_db(fields=["status", "last_error", "last_error_at"])
    logger.warning("connection %s needs reconnecting: %s", connection.pk, error)


def connection_pause(connection: Connection, exc: ThrottledError) -> None:
    """The provider throttles this connection: no calls until Retry-After has passed."""
    until = timezone.now() + timedelta(seconds=exc.retry_after if exc.retry_after is not None else DEFAULT_PAUSE)
    Connection.objects.filter(pk=connection.pk).update(
        paused_until=until, last_error=person_message(exc), last_error_at=timezone.now()
    )
    connection.paused_until = until
    connection.last_error = person_message(exc)


def connection_resume(connection: Connection) -> None:
    """A call succeeded: the provider no longer throttles us, so the pause and its "rate limited" go.

    Called after every successful provider call; costs a query only when this connection was paused."""
    if connection is None or connection.pk is None or connection.paused_until is None:
        return
    Connection.objects.filter(pk=connection.pk, paused_until__isnull=False).update(
        paused_until=None,
        last_error=Case(
            When(last_error__contains=RATE_LIMITED_MARK, then=Value("")),
            default=F("last_error"),
            output_field=TextField(),
        ),
    )
    connection.paused_until = None
    if RATE_LIMITED_MARK in connection.last_error:
        connection.last_error = ""
