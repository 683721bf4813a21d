"""Connecting, setting up, reconnecting and disconnecting an accounting tool (one Connection per remote tenant).

The round trip through the provider (OAuth 2.0, or an installation URL for token providers):
1. `authorization_start` records a single-use, expiring AuthorizationState bound to the user, their session,
   the organization and the subsidiary (with a PKCE verifier) and returns the provider's authorize URL;
2. `authorization_callback` checks the state, gets the credentials and the tenants they grant
   (provider.complete_authorization) and either completes (one tenant, or the reconnected one) or leaves the
   choice to the admin;
3. `authorization_complete` creates the Connection, or revives the reconnected one (same tenant only).
Any refusal raises ValidationError with a message for the page; nothing is created or changed then. A round trip
that got a grant but ends without a connection (refused, cancelled on the choose page, or left until the purge)
has the grant withdrawn at the provider, except what another connection still uses (services/revocation.py).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Organization, Subsidiary

from .. import registry
from ..exceptions import IntegrationError
from ..models import (
    AuthorizationState,
    Connection,
    ConnectionStatus,
    Grant,
    LogLevel,
)
from ..providers.base import Provider, RemoteTenant, TokenSet
from ..synclog import log_for_connection
from .connect_warnings import describe_tenants
from .numbering import subsidiary_numbering_refresh
from .pick_lists import connection_refresh_lists
from .revocation import (
    authorization_states_purge,  # noqa: F401 - the stored schedule's path (schedules.py)
    connection_revoke,
    grant_release,
    pending_token_from_json,
    pending_token_json,
    round_trip_abandon,
)

logger = logging.getLogger("integrations.connections")

# Keys of Connection.settings every provider shares (provider-specific keys live in the provider's package).
SYNC_PAYMENTS_SETTING = "sync_payments"  # payment sync on/off (payment_sync_enabled_at: since when)


def session_hash(session_key: str) -> str:
    return hashlib.sha256((session_key or "").encode()).hexdigest()


def redirect_uri(provider: Provider) -> str:
    """The exact callback URL registered at the provider: one per provider (mix-up defence)."""
    return settings.SITE_URL + reverse("integrations:callback", kwargs={"provider": provider.key})


# --- 1. start -------------------------------------------------------------------------------------------------


def authorization_start(
    *,
    provider: Provider,
    organization: Organization,
    user,
    session_key: str,
    subsidiary: Subsidiary | None = None,
    name: str = "",
    reconnect: Connection | None = None,
    options: dict | None = None,
) -> tuple[AuthorizationState, str]:
    """Record the round trip and return (state, the provider's authorize URL)."""
    if not provider.allows(organization):
        raise ValidationError(f"{provider.name} needs the {provider.required_plan().title()} plan or higher.")
    if reconnect is not None:
        if reconnect.organization_id != organization.pk or reconnect.provider != provider.key:
            raise ValidationError("That connection does not belong to this organization.")
        subsidiary, name = reconnect.subsidiary, reconnect.name
        options = {"region": reconnect.region} if reconnect.region else {}
    if subsidiary is None or subsidiary.organization_id != organization.pk:
        raise ValidationError({"subsidiary": "Choose one of your organization's subsidiaries."})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the connection a name."})
    state = AuthorizationState.objects.create(
        provider=provider.key,
        organization=organization,
        subsidiary=subsidiary,
        user=user,
        session_key_hash=session_hash(session_key),
        connection_name=name[:100],
        reconnect=reconnect,
        options=dict(options or {}),
        code_verifier=secrets.token_urlsafe(64),  # 86 characters: within PKCE's 43..128
    )
    url = provider.authorization_url(
        state=state.state, code_verifier=state.code_verifier, redirect_uri=redirect_uri(provider), options=state.options
    )
    return state, url


# --- 2. callback ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallbackResult:
    state: AuthorizationState
    connection: Connection | None  # set when completed; None when the admin must choose a tenant
    tenants: list[RemoteTenant]


def _claim_state(*, provider: Provider, state_value: str, user, session_key: str, organization) -> AuthorizationState:
    if not state_value:
        raise ValidationError("The answer from the provider carried no state: start connecting again.")
    state = AuthorizationState.objects.filter(state=state_value, provider=provider.key).first()
    if state is None:
        raise ValidationError("This authorisation is unknown: start connecting again from the App marketplace.")
    if (
        state.user_id != user.pk
        or state.organization_id != getattr(organization, "pk", None)
        or not secrets.compare_digest(state.session_key_hash, session_hash(session_key))
    ):
        raise ValidationError(
            "This authorisation was started by another user or in another browser session: "
            "start connecting again from this browser."
        )
    if state.used_at is not None:
        raise ValidationError("This authorisation was already used: start connecting again.")
    if state.is_expired:
        raise ValidationError("This authorisation expired (after 10 minutes): start connecting again.")
    # Single use, even under concurrent callbacks: only one request wins the conditional update.
    now = timezone.now()
    if not AuthorizationState.objects.filter(pk=state.pk, used_at__isnull=True).update(used_at=now):
        raise ValidationError("This authorisation was already used: start connecting again.")
    state.used_at = now
    return state


def authorization_callback(
    *, provider: Provider, params: dict, user, session_key: str, organization: Organization
) -> CallbackResult:
    state = _claim_state(
        provider=provider,
        state_value=params.get("state", ""),
        user=user,
        session_key=session_key,
        organization=organization,
    )
    error = params.get("error", "")
    if error == "access_denied":
        raise ValidationError(f"You did not allow access in {provider.name}: nothing was connected.")
    if error:
        detail = params.get("error_description") or error
        raise ValidationError(f"{provider.name} reported an error ({detail}): nothing was connected.")
    try:
        tokens, tenants = provider.complete_authorization(
            params=params, code_verifier=state.code_verifier, redirect_uri=redirect_uri(provider), options=state.options
        )
    except IntegrationError as exc:
        logger.warning("%s authorisation failed: %s", provider.key, exc.message)
        raise ValidationError(f"{provider.name} did not complete the authorisation: {exc}") from None
    if not tenants:
        round_trip_abandon(state, tokens=tokens, tenants=[], why="no tenant granted")
        raise ValidationError(f"The authorisation did not grant access to any {provider.name} {provider.tenant_noun}.")

    if state.reconnect_id:
        wanted = state.reconnect.remote_tenant_id
        match = [tenant for tenant in tenants if tenant.id == wanted]
        if not match:
            round_trip_abandon(state, tokens=tokens, tenants=tenants, why="reconnect to another tenant")
            granted = ", ".join(tenant.name for tenant in tenants)
            raise ValidationError(
                f"You authorised {granted} but “{state.reconnect.name}” is connected to "
                f"{state.reconnect.remote_tenant_name or wanted}. A connection cannot switch to another "
                f"{provider.name} {provider.tenant_noun}: nothing was changed. Connect it as a new connection instead."
            )
        tenants = match
    elif len(tenants) > 1:  # the choose page warns about each: it needs their base currency
        tenants = describe_tenants(provider, tokens, tenants, state.options)

    state.pending_token = pending_token_json(tokens)
    state.pending_tenants = [
        {"id": t.id, "name": t.name, "connection_id": t.connection_id, "extra": t.extra} for t in tenants
    ]
    state.save(update_fields=["pending_token", "pending_tenants"])
    if len(tenants) == 1:
        return CallbackResult(state, authorization_complete(state=state, tenant_id=tenants[0].id), tenants)
    return CallbackResult(state, None, tenants)


# --- 3. complete ----------------------------------------------------------------------------------------------


def pending_state(*, provider: Provider, pk, user, session_key: str, organization) -> AuthorizationState:
    """The admin's own callback-done, not yet completed round trip (for the "choose organisation" page)."""
    state = AuthorizationState.objects.filter(
        pk=pk,
        provider=provider.key,
        user=user,
        organization=organization,
        used_at__isnull=False,
        completed_at__isnull=True,
    ).first()
    if state is None or not secrets.compare_digest(state.session_key_hash, session_hash(session_key)):
        raise ValidationError("There is no authorisation waiting for a choice: start connecting again.")
    if state.is_expired:
        raise ValidationError("This authorisation expired (after 10 minutes): start connecting again.")
    if not state.pending_token:
        raise ValidationError("This authorisation has ended: start connecting again.")
    return state


def authorization_complete(*, state: AuthorizationState, tenant_id: str) -> Connection:
    """Connect the chosen tenant of the round trip."""
    return authorization_complete_tenants(state=state, tenant_ids=[tenant_id])[0]


def authorization_complete_tenants(*, state: AuthorizationState, tenant_ids: list[str]) -> list[Connection]:
    """Connect the chosen tenants of one consent: one connection each, all on one Grant (the consent's
    credentials), so a token refresh serves them all. A reconnect revives its connection and replaces its
    grant's credentials."""
    provider = registry.get(state.provider)
    by_id = {t["id"]: t for t in state.pending_tenants}
    chosen = [by_id[tenant_id] for tenant_id in dict.fromkeys(tenant_ids) if tenant_id in by_id]
    if not chosen or len(chosen) != len(set(tenant_ids)) or (state.reconnect_id and len(chosen) > 1):
        raise ValidationError(
            {"tenant": f"Choose one of the {provider.name} {provider.tenant_noun_plural} you authorised."}
        )
    tokens = pending_token_from_json(state.pending_token)
    refusal = None
    with transaction.atomic():
        locked = AuthorizationState.objects.select_for_update().get(pk=state.pk)
        if locked.completed_at is not None or not locked.pending_token:
            raise ValidationError("This authorisation was already completed.")
        try:
            if state.reconnect_id:
                connections = [_reconnect(state, chosen[0], tokens)]
            else:
                grant = _grant_create(state, provider, tokens)
                several = len(chosen) > 1
                connections = [_create(state, provider, tenant, grant, several=several) for tenant in chosen]
        except ValidationError as exc:
            refusal = exc
            transaction.set_rollback(True)
        else:
            locked.completed_at = timezone.now()
            locked.pending_token = ""
            locked.save(update_fields=["completed_at", "pending_token"])
    if refusal is not None:  # the tenant is connected already: this round trip ends here, without a connection
        round_trip_abandon(state, tokens=tokens, why="refused")
        raise refusal
    state.completed_at, state.pending_token = locked.completed_at, ""
    for connection in connections:
        logger.info("connection %s (%s) connected", connection.pk, provider.key)
        log_for_connection(
            connection, LogLevel.INFO, "connection.connected", f"Connected to {connection.remote_tenant_name}."
        )
        try:  # the setup page needs the pick lists; not fatal, the page has a refresh button
            connection_refresh_lists(connection=connection)
        except (IntegrationError, NotImplementedError) as exc:
            logger.warning("connection %s: pick lists not loaded: %s", connection.pk, getattr(exc, "message", exc))
    return connections


def _grant_create(state: AuthorizationState, provider: Provider, tokens: TokenSet) -> Grant:
    return Grant.objects.create(
        organization_id=state.organization_id,
        provider=provider.key,
        granted_by_id=state.user_id,
        **grant_credentials(tokens),
    )


def grant_credentials(tokens: TokenSet) -> dict:
    """A Grant's credential fields for a token set just obtained from the provider."""
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_expires_at": tokens.expires_at,
        "access_token_obtained_at": timezone.now(),
    }


def _create(state: AuthorizationState, provider: Provider, tenant: dict, grant: Grant, *, several: bool) -> Connection:
    existing = (
        Connection.objects.filter(
            provider=provider.key, subsidiary_id=state.subsidiary_id, remote_tenant_id=tenant["id"]
        )
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .first()
    )
    if existing is not None:
        raise ValidationError(
            f"{state.subsidiary} is already connected to {tenant['name']} (“{existing.name}”): "
            "use Reconnect on that connection instead."
        )
    try:
        with transaction.atomic():
            return Connection.objects.create(
                organization_id=state.organization_id,
                subsidiary_id=state.subsidiary_id,
                provider=provider.key,
                name=f"{state.connection_name} · {tenant['name']}"[:100] if several else state.connection_name,
                remote_tenant_id=tenant["id"],
                remote_tenant_name=tenant["name"],
                remote_connection_id=tenant.get("connection_id", ""),
                region=str(state.options.get("region", ""))[:10],
                is_sandbox=provider.is_sandbox(),
                status=ConnectionStatus.ACTIVE,
                grant=grant,
                settings={SYNC_PAYMENTS_SETTING: False, **provider.initial_settings()},
                created_by_id=state.user_id,
            )
    except IntegrityError:
        raise ValidationError(f"{state.subsidiary} is already connected to {tenant['name']}.") from None


def _reconnect(state: AuthorizationState, tenant: dict, tokens: TokenSet) -> Connection:
    connection = Connection.objects.select_for_update().get(pk=state.reconnect_id)
    if tenant["id"] != connection.remote_tenant_id:
        noun = registry.get(connection.provider).tenant_noun
        raise ValidationError(f"A connection cannot switch to another {noun}: nothing was changed.")
    # The consent is new: its credentials replace the grant's (for every connection on it), or make a grant
    # again for a connection that was disconnected.
    if connection.grant_id:
        Grant.objects.filter(pk=connection.grant_id).update(**grant_credentials(tokens), updated_at=timezone.now())
    else:
        connection.grant = Grant.objects.create(
            organization_id=connection.organization_id,
            provider=connection.provider,
            granted_by_id=state.user_id,
            **grant_credentials(tokens),
        )
    connection.remote_tenant_name = tenant["name"] or connection.remote_tenant_name
    connection.remote_connection_id = tenant.get("connection_id") or connection.remote_connection_id
    connection.status = ConnectionStatus.ACTIVE
    connection.last_error = ""
    connection.last_error_at = None
    connection.paused_until = None
    try:
        with transaction.atomic():
            connection.save()
    except IntegrityError:  # a disconnected connection whose tenant was connected again meanwhile
        raise ValidationError(
            f"{connection.subsidiary} is connected to {tenant['name']} by another connection now: "
            "use that one, or disconnect it first."
        ) from None
    subsidiary_numbering_refresh(subsidiary_id=connection.subsidiary_id)  # a revived connection may number again
    return connection


# --- disconnect -----------------------------------------------------------------------------------------------


def connection_disconnect(*, connection: Connection, user=None) -> Connection:
    """Withdraw the grant at the provider (best effort), wipe the credentials, stop using the connection.

    Copies, contact links, mappings and synced payments stay: they are history, and a reconnect reuses them."""
    grant = connection.grant if connection.grant_id else None
    if connection.status != ConnectionStatus.DISCONNECTED and grant is not None and grant.has_credentials:
        connection_revoke(connection)  # best effort, and never what another connection still uses
    Connection.objects.filter(pk=connection.pk).update(
        status=ConnectionStatus.DISCONNECTED, grant=None, paused_until=None, updated_at=timezone.now()
    )
    if grant is not None:
        grant_release(grant)
    connection.refresh_from_db()
    subsidiary_numbering_refresh(subsidiary_id=connection.subsidiary_id)  # its numbering comes back to the app
    who = f" by {user}" if user is not None else ""
    log_for_connection(connection, LogLevel.INFO, "connection.disconnected", f"Disconnected{who}.")
    return connection
