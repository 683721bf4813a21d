"""Withdrawing access at the provider without cutting another connection off: one rule for disconnecting a
connection and for a connect round trip that ended without one.

Several of our connections can reach the same remote tenant: two subsidiaries connected to one Xero
organisation, or a new consent for an organisation that is already connected. Xero keeps one connection per app
and organisation, so deleting it, or revoking any token set that reaches it, cuts off every connection of ours
to that organisation. Hence: whatever another live connection (any organization's, any status but disconnected)
still uses — the same remote tenant or the same remote connection id — is never withdrawn. Everything here is
best effort: failures are logged, never raised.

Also here: the pending token a round trip keeps between its callback and the choice of a tenant, how a round
trip ends without a connection (Cancel on the choose page, or the hourly purge), and that purge.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import registry
from ..exceptions import IntegrationError
from ..models import AuthorizationState, Connection, ConnectionStatus, Grant, LogLevel
from ..providers.base import Provider, RemoteTenant, TokenSet
from ..synclog import log_for_connection

logger = logging.getLogger("integrations.connections")


def tenants_in_use(*, provider_key: str, tenants: Iterable[RemoteTenant], exclude_pk=None) -> dict[str, Connection]:
    """Of `tenants`, those a live connection (other than `exclude_pk`) still uses: tenant id → that connection."""
    tenants = list(tenants)
    tenant_ids = {tenant.id for tenant in tenants if tenant.id}
    connection_ids = {tenant.connection_id for tenant in tenants if tenant.connection_id}
    if not tenant_ids and not connection_ids:
        return {}
    live = (
        Connection.objects.filter(provider=provider_key)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .filter(Q(remote_tenant_id__in=tenant_ids) | Q(remote_connection_id__in=connection_ids))
        .select_related("subsidiary")
        .order_by("pk")
    )
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    users: dict[str, Connection] = {}
    for connection in live:
        for tenant in tenants:
            same_tenant = tenant.id and connection.remote_tenant_id == tenant.id
            same_grant = tenant.connection_id and connection.remote_connection_id == tenant.connection_id
            if (same_tenant or same_grant) and tenant.id not in users:
                users[tenant.id] = connection
    return users


def _user_name(user: Connection, organization_id) -> str:
    """Who still uses it, named only inside the organization that owns it."""
    if user.organization_id == organization_id:
        return f"“{user.name}” ({user.subsidiary})"
    return "another connection"


def _failure(exc: Exception) -> str:
    return getattr(exc, "message", "") or type(exc).__name__


# --- disconnecting a connection -------------------------------------------------------------------------------


def connection_revoke(connection: Connection) -> None:
    """Withdraw a connection's access at the provider (before its credentials are wiped), unless another live
    connection still uses its remote tenant. While other live connections share its grant only this tenant is
    withdrawn (`provider.revoke_tenant`); the last one on the grant withdraws it (`provider.revoke`). Leaves a
    log entry on the connection either way it goes wrong."""
    provider = registry.get(connection.provider)
    tenant = RemoteTenant(connection.remote_tenant_id, connection.remote_tenant_name, connection.remote_connection_id)
    user = tenants_in_use(provider_key=provider.key, tenants=[tenant], exclude_pk=connection.pk).get(tenant.id)
    if user is not None:
        logger.info("connection %s: not revoked at %s, connection %s uses it", connection.pk, provider.key, user.pk)
        log_for_connection(
            connection,
            LogLevel.INFO,
            "connection.revoke_kept",
            f"The authorisation at {provider.name} was kept because {_user_name(user, connection.organization_id)} "
            f"still uses {connection.remote_tenant_name or provider.name}; the credentials were deleted here.",
        )
        return
    sharers = grant_sharers(connection)
    try:
        if sharers:
            # Other tenants of the same consent stay connected: withdraw only this tenant, keep the grant.
            logger.info("connection %s: grant kept for connections %s", connection.pk, [c.pk for c in sharers])
            provider.revoke_tenant(_current_tokens(connection), tenant)
        else:
            provider.revoke(connection)
    except (IntegrationError, NotImplementedError) as exc:
        message = _failure(exc)
        logger.warning("connection %s: revoking at %s failed: %s", connection.pk, provider.key, message)
        log_for_connection(
            connection,
            LogLevel.WARNING,
            "connection.revoke",
            f"Could not withdraw the authorisation at {provider.name} ({message}); the credentials were "
            "deleted here anyway. You can also remove the app in the provider's settings.",
        )


def grant_sharers(connection: Connection) -> list[Connection]:
    """The other live connections on the connection's grant (the other tenants of the same consent)."""
    if not connection.grant_id:
        return []
    return list(
        Connection.objects.filter(grant_id=connection.grant_id)
        .exclude(pk=connection.pk)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .order_by("pk")
    )


def _current_tokens(connection: Connection) -> TokenSet:
    """A usable access token of the connection's grant, through the single-flight refresh, without the refresh
    token: whoever gets it must not refresh behind the grant's lock."""
    from ..tokens import connection_access_token

    return TokenSet(connection_access_token(connection))


def grant_release(grant: Grant) -> None:
    """A connection left `grant`: once no connection uses it any more its credentials are deleted (the grant
    row goes; the provider was told by connection_revoke)."""
    if not Connection.objects.filter(grant_id=grant.pk).exclude(status=ConnectionStatus.DISCONNECTED).exists():
        Connection.objects.filter(grant_id=grant.pk).update(grant=None)
        Grant.objects.filter(pk=grant.pk).delete()


# --- a round trip that connected nothing ----------------------------------------------------------------------


def unused_grant_revoke(*, provider: Provider, tokens: TokenSet, tenants: list[RemoteTenant], why: str) -> str:
    """Withdraw the grant of a round trip that ended without a connection (`why`, for the log). When none of its
    tenants is used by a connection, the whole grant goes; otherwise only the tenants nobody uses, and the grant
    stays (revoking it would take the used ones along). Returns what was done, for the log and the tests."""
    users = tenants_in_use(provider_key=provider.key, tenants=tenants)
    if not users:
        try:
            provider.revoke_grant(tokens)
        except (IntegrationError, NotImplementedError) as exc:
            logger.warning("%s round trip (%s): revoking the unused grant failed: %s", provider.key, why, _failure(exc))
            return "failed"
        logger.info("%s round trip (%s): unused grant revoked", provider.key, why)
        return "revoked"
    freed = 0
    for tenant in tenants:
        if tenant.id in users:
            continue
        try:
            provider.revoke_tenant(tokens, tenant)
        except (IntegrationError, NotImplementedError) as exc:
            logger.warning("%s round trip (%s): withdrawing a tenant failed: %s", provider.key, why, _failure(exc))
        else:
            freed += 1
    logger.info(
        "%s round trip (%s): grant kept, connections %s still use %s of its tenants; %s others withdrawn",
        provider.key,
        why,
        sorted(user.pk for user in users.values()),
        len(users),
        freed,
    )
    return "kept"


def pending_tenants(state: AuthorizationState) -> list[RemoteTenant]:
    return [
        RemoteTenant(t["id"], t.get("name", ""), t.get("connection_id", ""), t.get("extra") or {})
        for t in state.pending_tenants or []
    ]


def round_trip_abandon(
    state: AuthorizationState, *, tokens: TokenSet, tenants: list[RemoteTenant] | None = None, why: str
) -> str:
    """A round trip ends without a connection: forget its pending token, withdraw its grant where nothing else
    uses it (`tenants`: what it granted, by default its pending tenants)."""
    AuthorizationState.objects.filter(pk=state.pk).update(pending_token="")
    state.pending_token = ""
    tenants = pending_tenants(state) if tenants is None else tenants
    return unused_grant_revoke(provider=registry.get(state.provider), tokens=tokens, tenants=tenants, why=why)


# --- the pending token of a round trip, and its end --------------------------------------------------------


def pending_token_json(tokens: TokenSet) -> str:
    expires = tokens.expires_at.isoformat() if tokens.expires_at else None
    return json.dumps({"access": tokens.access_token, "refresh": tokens.refresh_token, "expires": expires})


def pending_token_from_json(text: str) -> TokenSet:
    data = json.loads(text)
    expires = datetime.fromisoformat(data["expires"]) if data.get("expires") else None
    return TokenSet(data["access"], data.get("refresh", ""), expires)


def _claim_pending_token(state: AuthorizationState) -> TokenSet | None:
    """Take the pending token of a round trip that has not completed, under its row lock (as completing takes
    it): a completion in flight and the withdrawal of its grant never both happen."""
    with transaction.atomic():
        locked = AuthorizationState.objects.select_for_update().filter(pk=state.pk, completed_at__isnull=True).first()
        if locked is None or not locked.pending_token:
            return None
        AuthorizationState.objects.filter(pk=state.pk).update(pending_token="")
        return pending_token_from_json(locked.pending_token)


def authorization_cancel(*, state: AuthorizationState) -> str:
    """The admin left the choose page with Cancel: nothing is connected and the grant is withdrawn (as far as no
    other connection uses it). Returns revocation's outcome: "revoked", "kept" or "failed"."""
    tokens = _claim_pending_token(state)
    return round_trip_abandon(state, tokens=tokens, why="cancelled") if tokens else "revoked"


# --- housekeeping ---------------------------------------------------------------------------------------------

AUTHORIZATION_STATE_RETENTION = timedelta(hours=1)


def authorization_states_purge() -> int:
    """Round trips that can no longer complete but still hold a pending token (a grant the admin never chose an
    organisation for) have the grant withdrawn; round trips older than an hour are deleted. Scheduled; returns
    the number deleted."""
    now = timezone.now()
    abandoned = AuthorizationState.objects.filter(
        completed_at__isnull=True, created_at__lt=now - AuthorizationState.LIFETIME
    ).exclude(pending_token="")
    for state in abandoned:
        tokens = _claim_pending_token(state)
        if tokens is not None:
            round_trip_abandon(state, tokens=tokens, why="purged")
    deleted, _ = AuthorizationState.objects.filter(created_at__lt=now - AUTHORIZATION_STATE_RETENTION).delete()
    if deleted:
        logger.info("purged %s old authorization states", deleted)
    return deleted
