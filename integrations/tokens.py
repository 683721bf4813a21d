"""A connection's access token, refreshed at most once however many callers need it at the same moment.

Refresh tokens rotate (Xero: on every refresh, with a 30-minute grace for the old one), so two concurrent
refreshes with the same refresh token waste one and can make the provider answer invalid_grant. Hence:

1. fresh token → return it, no lock;
2. otherwise take the connection's lock — a row lock (transaction + select_for_update) on PostgreSQL, a
   process-wide lock keyed by connection id on SQLite (which has no row locks) — and RE-READ the row: another
   caller may have refreshed it meanwhile, then its token is used;
3. still stale → refresh, and persist the rotated refresh token and expiry (committed) before returning;
4. invalid_grant → re-read: if the stored refresh token changed meanwhile, it was a race, not a revocation, and
   the stored token is used; otherwise the connection becomes needs_reconnect and TerminalError is raised.

Call it outside any transaction.atomic() block: a rolled-back outer transaction would lose the rotated token.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.db import connections, transaction
from django.utils import timezone

from . import registry
from .connection_state import connection_mark_needs_reconnect
from .exceptions import TerminalError
from .models import Connection, ConnectionStatus

logger = logging.getLogger("integrations.tokens")

# Refresh a little before the provider would refuse the token.
EXPIRY_MARGIN = timedelta(seconds=60)
TOKEN_FIELDS = ["access_token", "refresh_token", "token_expires_at"]

_process_locks: dict[tuple[str, int], threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _is_fresh(connection: Connection, rejected: str | None = None) -> bool:
    if not connection.access_token or connection.access_token == rejected:
        return False
    if connection.token_expires_at is None:  # a credential that does not expire (token auth)
        return True
    return connection.token_expires_at > timezone.now() + EXPIRY_MARGIN


def _process_lock(alias: str, connection_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault((alias, connection_id), threading.Lock())


@contextmanager
def _locked_row(connection: Connection):
    """Yield the connection re-read from the database while holding its refresh lock."""
    alias = connection._state.db or "default"
    if connections[alias].features.has_select_for_update:
        with transaction.atomic(using=alias):
            yield Connection.objects.using(alias).select_for_update().get(pk=connection.pk)
    else:
        with _process_lock(alias, connection.pk):
            yield Connection.objects.using(alias).get(pk=connection.pk)


def _copy_tokens(source: Connection, target: Connection) -> None:
    for name in TOKEN_FIELDS:
        setattr(target, name, getattr(source, name))


def connection_access_token(connection: Connection, *, rejected: str | None = None) -> str:
    """A usable access token for the connection. `rejected`: a token the provider just refused (401), which
    must not be handed out again even if its expiry says it is fresh."""
    if connection.status == ConnectionStatus.DISCONNECTED:
        raise TerminalError("This connection is disconnected: connect it again to use it.")
    if _is_fresh(connection, rejected):
        return connection.access_token
    provider = registry.get(connection.provider)
    with _locked_row(connection) as current:
        if _is_fresh(current, rejected):
            _copy_tokens(current, connection)
            return current.access_token
        used_refresh_token = current.refresh_token
        if current.status == ConnectionStatus.DISCONNECTED or not used_refresh_token:
            raise TerminalError("This connection has no usable authorisation: reconnect it.")
        try:
            tokens = provider.refresh_tokens(current)
        except TerminalError as exc:
            failure = exc
        else:
            current.access_token = tokens.access_token
            current.refresh_token = tokens.refresh_token or used_refresh_token
            current.token_expires_at = tokens.expires_at
            current.save(update_fields=[*TOKEN_FIELDS, "updated_at"])
            _copy_tokens(current, connection)
            logger.info("connection %s: token refreshed", connection.pk)
            return current.access_token
    # invalid_grant (or equivalent), outside the lock so marking the connection is committed on its own.
    latest = Connection.objects.using(connection._state.db or "default").get(pk=connection.pk)
    if latest.refresh_token != used_refresh_token and _is_fresh(latest, rejected):
        logger.info("connection %s: refresh lost a race, using the token stored meanwhile", connection.pk)
        _copy_tokens(latest, connection)
        return latest.access_token
    if latest.refresh_token == used_refresh_token:
        connection_mark_needs_reconnect(connection, failure)
    raise failure
