"""The token store: consent codes, the token endpoint's rules per provider policy, revocation, bearer checks.

Codes are single use (burnt even by a failed exchange) and PKCE-bound; access tokens live the policy's
lifetime; every refresh rotates the refresh token, the previous one keeps working for the policy's grace (zero:
at once invalid); a policy may refuse refreshes of a too-young token set and cap token calls per client per day.
Only SHA-256 hashes of codes and tokens are stored.
"""

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from .clock import now_ms
from .declaration import SandboxProvider
from .limits import token_call_count
from .models import AuthCode, Connection, Grant, Token, TokenKind


class OAuthError(Exception):
    """An RFC 6749 error response: {"error": code} with the given HTTP status."""

    def __init__(self, error: str, description: str = "", status: int = 400):
        super().__init__(error)
        self.error, self.description, self.status = error, description, status

    def body(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class BearerError(Exception):
    def __init__(self, detail: str, expired_at: dt.datetime | None = None):
        super().__init__(detail)
        self.detail, self.expired_at = detail, expired_at


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def redirect_uri_registered(provider: SandboxProvider, uri: str) -> bool:
    """Any host (the live server port varies), but only the app's registered callback paths."""
    parts = urlsplit(uri or "")
    paths = provider.redirect_paths
    if provider.redirect_paths_setting:
        paths = getattr(settings, provider.redirect_paths_setting, paths)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path in paths and not parts.fragment


def code_issue(
    provider: SandboxProvider,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    method: str,
    tenant_keys: list[str],
) -> str:
    code = secrets.token_urlsafe(32)
    now = now_ms()
    AuthCode.objects.create(
        provider=provider.key,
        code_hash=token_hash(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=method,
        tenant_keys=[str(key) for key in tenant_keys],
        expires_at=now + provider.tokens.code_lifetime,
        created_at=now,
    )
    return code


def client_authenticate(provider: SandboxProvider, authorization: str, form) -> str:
    """The client id from HTTP Basic (or client_id/client_secret in the body). Raises invalid_client."""
    given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
            given_id, _, given_secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client") from exc
    id_ok = hmac.compare_digest(given_id, provider.client_id)
    if not id_ok or not hmac.compare_digest(given_secret, provider.client_secret):
        raise OAuthError("invalid_client")
    return provider.client_id


def _count_token_call(provider: SandboxProvider, client_id: str) -> None:
    policy = provider.tokens
    cap = (
        getattr(settings, policy.daily_token_calls_setting, policy.daily_token_calls)
        if policy.daily_token_calls_setting
        else policy.daily_token_calls
    )
    if cap and token_call_count(provider.key, client_id) > cap:
        raise OAuthError("invalid_request", "Too many token requests today.", status=429)


def _issue(provider: SandboxProvider, grant: Grant, *, site_url: str, kept_refresh: str = "") -> dict:
    """A new access token, and a new refresh token unless `kept_refresh` (a young one, not rotated) is handed back."""
    now = now_ms()
    policy = provider.tokens
    access = secrets.token_urlsafe(48)
    Token.objects.create(
        grant=grant,
        kind=TokenKind.ACCESS,
        token_hash=token_hash(access),
        expires_at=now + policy.access_lifetime,
        created_at=now,
    )
    body = {
        "access_token": access,
        "expires_in": int(policy.access_lifetime.total_seconds()),
        "token_type": policy.token_type,
    }
    if kept_refresh:
        body["refresh_token"] = kept_refresh
    elif _offline(provider, grant):
        refresh = secrets.token_urlsafe(48)
        Token.objects.create(
            grant=grant,
            kind=TokenKind.REFRESH,
            token_hash=token_hash(refresh),
            expires_at=now + policy.refresh_unused_lifetime,
            created_at=now,
        )
        body["refresh_token"] = refresh
    body.update(provider.token_extras(grant, site_url, now))
    body["scope"] = grant.scope
    return body


def _offline(provider: SandboxProvider, grant: Grant) -> bool:
    """A refresh token comes with offline_access (OpenID Connect providers) or always (plain OAuth 2)."""
    return "offline_access" in grant.scope.split() or not provider.offline_scope_required


def pkce_ok(row: AuthCode, verifier: str) -> bool:
    if not row.code_challenge:
        return True
    if not verifier:
        return False
    if row.code_challenge_method == "plain":
        return hmac.compare_digest(verifier, row.code_challenge)
    return hmac.compare_digest(b64url(hashlib.sha256(verifier.encode()).digest()), row.code_challenge)


def exchange_code(
    provider: SandboxProvider,
    *,
    client_id: str,
    code: str,
    redirect_uri: str,
    code_verifier: str,
    site_url: str,
    host: str = "",
) -> dict:
    _count_token_call(provider, client_id)
    with transaction.atomic():
        row = (
            AuthCode.objects.select_for_update().filter(provider=provider.key, code_hash=token_hash(code or "")).first()
        )
        now = now_ms()
        if row is None or row.used_at is not None or row.expires_at <= now or row.client_id != client_id:
            raise OAuthError("invalid_grant", provider.tokens.invalid_grant_description)
        if not provider.on_host(row.tenant_keys, host):  # a code of another country site
            raise OAuthError("invalid_grant", provider.tokens.invalid_grant_description)
        row.used_at = now  # single use, even when the rest of the exchange fails
        row.save(update_fields=["used_at"])
    if row.redirect_uri != redirect_uri or not pkce_ok(row, code_verifier):
        raise OAuthError("invalid_grant", provider.tokens.invalid_grant_description)
    with transaction.atomic():
        grant = _grant_create(provider, client_id=client_id, scope=row.scope, tenant_keys=row.tenant_keys)
        return _issue(provider, grant, site_url=site_url)


def _grant_create(provider: SandboxProvider, *, client_id: str, scope: str, tenant_keys: list[str]) -> Grant:
    """A new token set and the connections it makes (a re-consent re-activates the app's existing ones)."""
    now = now_ms()
    grant = Grant.objects.create(
        provider=provider.key, client_id=client_id, scope=scope, tenant_keys=tenant_keys, created_at=now
    )
    for tenant_key in tenant_keys:
        connection, created = Connection.objects.get_or_create(
            provider=provider.key,
            client_id=client_id,
            tenant_key=tenant_key,
            defaults={"auth_event_id": grant.auth_event_id, "created_at": now, "updated_at": now},
        )
        if not created:
            connection.auth_event_id, connection.updated_at, connection.is_active = grant.auth_event_id, now, True
            connection.save()
    return grant


def grant_token_issue(provider: SandboxProvider, *, client_id: str, tenant_keys: list[str]) -> str:
    """Consent without OAuth: one long-lived access token (the policy's access lifetime), no refresh token."""
    with transaction.atomic():
        grant = _grant_create(provider, client_id=client_id, scope="", tenant_keys=[str(k) for k in tenant_keys])
        value, now = secrets.token_urlsafe(32), now_ms()
        Token.objects.create(
            grant=grant,
            kind=TokenKind.ACCESS,
            token_hash=token_hash(value),
            expires_at=now + provider.tokens.access_lifetime,
            created_at=now,
        )
    return value


def refresh(provider: SandboxProvider, *, client_id: str, refresh_token: str, site_url: str, host: str = "") -> dict:
    _count_token_call(provider, client_id)
    policy = provider.tokens
    with transaction.atomic():
        token = (
            Token.objects.select_for_update()
            .select_related("grant")
            .filter(grant__provider=provider.key, token_hash=token_hash(refresh_token or ""), kind=TokenKind.REFRESH)
            .first()
        )
        now = now_ms()
        if token is None or token.grant.client_id != client_id or token.grant.revoked_at is not None:
            raise OAuthError("invalid_grant", policy.invalid_grant_description)
        if not provider.on_host(token.grant.tenant_keys, host):
            raise OAuthError("invalid_grant", policy.invalid_grant_description)
        if token.expires_at <= now:
            raise OAuthError("invalid_grant", policy.invalid_grant_description)
        grace = policy.refresh_grace
        if token.rotated_at and (not grace or now > token.rotated_at + grace):
            # without grace a rotated refresh token is dead at once
            raise OAuthError(
                policy.reused_refresh_error,
                policy.reused_refresh_description or policy.invalid_grant_description,
                status=policy.reused_refresh_status,
            )
        if policy.min_refresh_age and now < token.created_at + policy.min_refresh_age:
            raise OAuthError(
                policy.early_refresh_error, policy.early_refresh_description, status=policy.early_refresh_status
            )
        if policy.refresh_rotation_age and now < token.created_at + policy.refresh_rotation_age:
            token.expires_at = now + policy.refresh_unused_lifetime  # rolling expiry, same value
            token.save(update_fields=["expires_at"])
            return _issue(provider, token.grant, site_url=site_url, kept_refresh=refresh_token)
        if token.rotated_at is None:
            token.rotated_at = now
            token.save(update_fields=["rotated_at"])
        return _issue(provider, token.grant, site_url=site_url)


def grant_revoke(grant: Grant) -> None:
    """Kill the token set and the connections it made (what revocation and "revoke now" both do)."""
    now = now_ms()
    Grant.objects.filter(pk=grant.pk).update(revoked_at=now)
    Connection.objects.filter(
        provider=grant.provider, client_id=grant.client_id, tenant_key__in=grant.tenant_keys, is_active=True
    ).update(is_active=False, updated_at=now)


def revoke(provider: SandboxProvider, *, client_id: str, token: str) -> None:
    row = (
        Token.objects.select_related("grant")
        .filter(grant__provider=provider.key, token_hash=token_hash(token or ""))
        .first()
    )
    if row is not None and row.grant.client_id == client_id:
        grant_revoke(row.grant)


def tenant_revoke_all(provider: SandboxProvider, tenant_key: str) -> int:
    """The tenant disconnects every app: all token sets covering it stop working."""
    live = Grant.objects.filter(provider=provider.key, revoked_at__isnull=True)
    grants = [grant for grant in live if str(tenant_key) in grant.tenant_keys]
    for grant in grants:
        grant_revoke(grant)
    Connection.objects.filter(provider=provider.key, tenant_key=str(tenant_key)).update(
        is_active=False, updated_at=now_ms()
    )
    return len(grants)


def bearer_grant(provider: SandboxProvider, authorization: str) -> Grant:
    """The grant behind `Authorization: Bearer …`. Raises BearerError (→ 401)."""
    if not authorization.startswith("Bearer "):
        raise BearerError("AuthenticationUnsuccessful")
    return access_grant(provider, authorization[7:].strip())


def request_grant(provider: SandboxProvider, request) -> Grant:
    """The grant an API call authenticates with: a Bearer token, or the grant-token headers (no OAuth)."""
    consent = provider.grant_token_consent
    if consent is None:
        return bearer_grant(provider, request.headers.get("Authorization", ""))
    if not hmac.compare_digest(request.headers.get(consent.app_header, ""), provider.client_secret):
        raise BearerError("AuthenticationUnsuccessful")
    return access_grant(provider, request.headers.get(consent.grant_header, ""))


def access_grant(provider: SandboxProvider, value: str) -> Grant:
    token = (
        Token.objects.select_related("grant")
        .filter(grant__provider=provider.key, token_hash=token_hash(value), kind=TokenKind.ACCESS)
        .first()
    )
    # Like JWT access tokens, a token stays valid until it expires even after its grant is revoked; what
    # revocation takes away is the connections, so tenant calls are then refused (see grant_connections).
    if token is None:
        raise BearerError("AuthenticationUnsuccessful")
    if token.expires_at <= now_ms():
        raise BearerError("TokenExpired", expired_at=token.expires_at)
    return token.grant


def grant_connections(grant: Grant):
    """Connections a token can see: the app's live connections to the tenants of its consent."""
    if grant.revoked_at is not None:
        return Connection.objects.none()
    return Connection.objects.filter(
        provider=grant.provider, client_id=grant.client_id, tenant_key__in=grant.tenant_keys, is_active=True
    ).order_by("created_at", "id")
