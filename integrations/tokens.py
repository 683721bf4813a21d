"""A connection's access token, refreshed at most once however many callers (and connections) need it at once.

Credentials live on the connection's Grant, which every tenant of one consent shares. Refresh tokens rotate
(Xero: on every refresh, with a 30-minute grace for the old one; QuickBooks and Exact: no grace), so two
concurrent refreshes with the same refresh token waste one and can make the provider answer invalid_grant. Hence:

1. fresh token → return it, no lock;
2. otherwise take the grant's lock — a row lock (transaction + select_for_update) on PostgreSQL, a process-wide
   lock keyed by grant id on SQLite (which has no row locks) — and RE-READ the grant: another caller (maybe for
   another connection of the same grant) may have refreshed it meanwhile, then its token is used;
3. still stale → apply the provider's TokenPolicy (providers/base.py): a token younger than `minimum_age` is
   used while still valid (or the caller waits, ThrottledError); the daily token-call cap is checked and counted;
   then refresh and persist the rotated refresh token and expiry (committed) before returning;
4. invalid_grant → re-read: if the stored refresh token changed meanwhile, it was a race, not a revocation, and
   the stored token is used; otherwise every live connection of the grant becomes needs_reconnect and
   TerminalError is raised.

Call it outside any transaction.atomic() block: a rolled-back outer transaction would lose the rotated token.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from django.db import connections, transaction
from django.utils import timezone

from . import registry
from .connection_state import connection_mark_needs_reconnect
from .exceptions import IntegrationError, TerminalError, ThrottledError
from .models import Connection, ConnectionStatus, Grant
from .providers.base import TokenPolicy

logger = logging.getLogger("integrations.tokens")

TOKEN_FIELDS = ["access_token", "refresh_token", "token_expires_at", "access_token_obtained_at"]

_process_locks: dict[tuple[str, int], threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _is_valid(grant: Grant, rejected: str | None, margin: timedelta) -> bool:
    if not grant.access_token or grant.access_token == rejected:
        return False
    if grant.token_expires_at is None:  # a credential that does not expire (token auth)
        return True
    return grant.token_expires_at > timezone.now() + margin


def _is_fresh(grant: Grant, policy: TokenPolicy, rejected: str | None = None) -> bool:
    return _is_valid(grant, rejected, policy.refresh_margin)


def _too_young(grant: Grant, policy: TokenPolicy) -> timedelta | None:
    """How long until the provider accepts a refresh of this grant's token (None: it does now)."""
    if not policy.minimum_age or grant.access_token_obtained_at is None:
        return None
    wait = grant.access_token_obtained_at + policy.minimum_age - timezone.now()
    return wait if wait > timedelta(0) else None


def _process_lock(alias: str, grant_id: int) -> threading.Lock:
    with _process_locks_guard:
        return _process_locks.setdefault((alias, grant_id), threading.Lock())


@contextmanager
def _locked_grant(grant: Grant):
    """Yield the grant re-read from the database while holding its refresh lock."""
    alias = grant._state.db or "default"
    if connections[alias].features.has_select_for_update:
        with transaction.atomic(using=alias):
            yield Grant.objects.using(alias).select_for_update().get(pk=grant.pk)
    else:
        with _process_lock(alias, grant.pk):
            yield Grant.objects.using(alias).get(pk=grant.pk)


def _copy_credentials(source: Grant, target: Grant) -> None:
    for name in TOKEN_FIELDS:
        setattr(target, name, getattr(source, name))


def _count_token_call(grant: Grant, policy: TokenPolicy, provider_name: str) -> None:
    """Count one token-endpoint call against the daily cap (on the locked grant), refusing the one that would
    exceed it."""
    today = timezone.now().astimezone(UTC).date()
    if grant.token_calls_day != today:
        grant.token_calls_day, grant.token_calls = today, 0
    if policy.daily_token_calls is not None and grant.token_calls >= policy.daily_token_calls:
        midnight = datetime.combine(today + timedelta(days=1), time.min, tzinfo=UTC)
        raise ThrottledError(
            f"{provider_name} allows {policy.daily_token_calls} token refreshes a day and this connection has "
            "used them all today: it continues after midnight UTC.",
            retry_after=max(1, int((midnight - timezone.now()).total_seconds())),
            problem="token-calls-per-day",
        )
    grant.token_calls += 1
    grant.save(update_fields=["token_calls_day", "token_calls", "updated_at"])


def _grant_of(connection: Connection) -> Grant:
    if connection.status == ConnectionStatus.DISCONNECTED:
        raise TerminalError("This connection is disconnected: connect it again to use it.")
    if not connection.grant_id:
        raise TerminalError("This connection has no usable authorisation: reconnect it.")
    return connection.grant


def connection_access_token(connection: Connection, *, rejected: str | None = None) -> str:
    """A usable access token for the connection. `rejected`: a token the provider just refused (401), which
    must not be handed out again even if its expiry says it is fresh."""
    grant = _grant_of(connection)
    provider = registry.get(connection.provider)
    policy = provider.token_policy
    if _is_fresh(grant, policy, rejected):
        return grant.access_token
    with _locked_grant(grant) as current:
        if _is_fresh(current, policy, rejected):
            _copy_credentials(current, grant)
            return current.access_token
        wait = _too_young(current, policy)
        if wait is not None:
            # The provider refuses an early refresh (and counts it as an error): the current token serves while
            # it is valid at all; a rejected or expired one means waiting until a refresh is allowed.
            if _is_valid(current, rejected, timedelta(0)):
                _copy_credentials(current, grant)
                return current.access_token
            raise ThrottledError(
                f"{provider.name} does not allow refreshing the authorisation yet: trying again shortly.",
                retry_after=max(1, int(wait.total_seconds()) + 1),
                problem="token-minimum-age",
            )
        used_refresh_token = current.refresh_token
        if not used_refresh_token:
            raise TerminalError("This connection has no usable authorisation: reconnect it.")
        _count_token_call(current, policy, provider.name)
        connection.grant = current
        passing = None  # a transient failure: raised after the block, so the counted call is committed
        try:
            tokens = provider.refresh_tokens(connection)
        except TerminalError as exc:
            failure = exc
        except IntegrationError as exc:
            passing = exc
        else:
            current.access_token = tokens.access_token
            current.refresh_token = tokens.refresh_token or used_refresh_token
            current.token_expires_at = tokens.expires_at
            current.access_token_obtained_at = timezone.now()
            current.save(update_fields=[*TOKEN_FIELDS, "updated_at"])
            _copy_credentials(current, grant)
            logger.info("grant %s (connection %s): token refreshed", grant.pk, connection.pk)
            return current.access_token
        finally:
            connection.grant = grant
    if passing is not None:
        raise passing
    # invalid_grant (or equivalent), outside the lock so marking the connections is committed on its own.
    latest = Grant.objects.using(grant._state.db or "default").get(pk=grant.pk)
    if latest.refresh_token != used_refresh_token and _is_fresh(latest, policy, rejected):
        logger.info("grant %s: refresh lost a race, using the token stored meanwhile", grant.pk)
        _copy_credentials(latest, grant)
        return latest.access_token
    if latest.refresh_token == used_refresh_token:
        grant_mark_needs_reconnect(grant, failure, connection=connection)
    raise failure


def grant_mark_needs_reconnect(grant: Grant, error, *, connection: Connection | None = None) -> None:
    """The grant is dead: every live connection on it needs reconnecting, not only the one that found out."""
    for other in Connection.objects.filter(grant=grant).exclude(status=ConnectionStatus.DISCONNECTED):
        connection_mark_needs_reconnect(other, error)
    if connection is not None:
        connection.refresh_from_db(fields=["status", "last_error", "last_error_at"])


def connection_reauthorize(connection: Connection, rejected: str) -> bool:
    """After a 401: refresh once and let the client retry, if the provider's policy says a 401 means an early
    dead token (Xero); otherwise the 401 stands (False)."""
    if not registry.get(connection.provider).token_policy.refresh_after_401:
        return False
    connection_access_token(connection, rejected=rejected)
    return True
