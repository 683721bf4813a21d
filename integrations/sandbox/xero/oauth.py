"""Xero identity in the sandbox: consent codes, the token endpoint's rules, revocation, bearer checks.

Lifetimes as Xero documents them: codes single use for 5 minutes, access tokens 30 minutes, refresh tokens
rotated on every refresh with a 30-minute grace for the previous one, unused refresh tokens expire after 60 days.
Only SHA-256 hashes of codes and tokens are stored.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from django.db import transaction

from productive.settings.sandbox import sandbox_provider_settings

from .. import conf
from ..models import TokenKind, XeroAuthCode, XeroConnection, XeroGrant, XeroOrg, XeroToken
from .formats import now_ms

CODE_LIFETIME = dt.timedelta(minutes=5)
ACCESS_LIFETIME = dt.timedelta(minutes=30)
REFRESH_GRACE = dt.timedelta(minutes=30)
REFRESH_UNUSED_LIFETIME = dt.timedelta(days=60)

KNOWN_SCOPES = (
    {"openid", "profile", "email", "offline_access"}
    | {
        f"accounting.{area}{suffix}"
        for area in (
            "transactions",
            "invoices",
            "payments",
            "banktransactions",
            "manualjournals",
            "contacts",
            "settings",
            "attachments",
        )
        for suffix in ("", ".read")
    }
    | {"accounting.reports.read", "accounting.journals.read", "accounting.budgets.read"}
)


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


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def registered_client() -> tuple[str, str]:
    """The one app registered with the sandbox (the values dev and e2e settings point the client at)."""
    values = sandbox_provider_settings("")
    return values["XERO_CLIENT_ID"], values["XERO_CLIENT_SECRET"]


def redirect_uri_registered(uri: str) -> bool:
    """Any host (the live server port varies), but only the app's registered callback path."""
    parts = urlsplit(uri or "")
    paths = conf.get("SANDBOX_XERO_REDIRECT_PATHS")
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path in paths and not parts.fragment


def scopes_invalid(scope: str) -> list[str]:
    requested = scope.split()
    return [s for s in requested if s not in KNOWN_SCOPES] if requested else ["(none)"]


def code_issue(
    *, client_id: str, redirect_uri: str, scope: str, code_challenge: str, method: str, orgs: list[XeroOrg]
) -> str:
    code = secrets.token_urlsafe(32)
    now = now_ms()
    row = XeroAuthCode.objects.create(
        code_hash=_hash(code),
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=method,
        expires_at=now + CODE_LIFETIME,
        created_at=now,
    )
    row.orgs.set(orgs)
    return code


def client_authenticate(authorization: str, form) -> str:
    """The client id from HTTP Basic (or client_id/client_secret in the body). Raises invalid_client."""
    client_id, secret = registered_client()
    given_id, given_secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode()
            given_id, _, given_secret = decoded.partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client") from exc
    if not hmac.compare_digest(given_id, client_id) or not hmac.compare_digest(given_secret, secret):
        raise OAuthError("invalid_client")
    return client_id


def _issue(grant: XeroGrant, *, site_url: str) -> dict:
    now = now_ms()
    access = secrets.token_urlsafe(48)
    XeroToken.objects.create(
        grant=grant, kind=TokenKind.ACCESS, token_hash=_hash(access), expires_at=now + ACCESS_LIFETIME, created_at=now
    )
    body = {"access_token": access, "expires_in": int(ACCESS_LIFETIME.total_seconds()), "token_type": "Bearer"}
    scopes = grant.scope.split()
    if "offline_access" in scopes:
        refresh = secrets.token_urlsafe(48)
        XeroToken.objects.create(
            grant=grant,
            kind=TokenKind.REFRESH,
            token_hash=_hash(refresh),
            expires_at=now + REFRESH_UNUSED_LIFETIME,
            created_at=now,
        )
        body["refresh_token"] = refresh
    if "openid" in scopes:
        body["id_token"] = _id_token(grant, site_url=site_url, now=now)
    body["scope"] = grant.scope
    return body


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _id_token(grant: XeroGrant, *, site_url: str, now: dt.datetime) -> str:
    """A JWT with Xero's claims, signed HS256 with the client secret (Xero signs RS256)."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": f"{site_url}/sandbox/xero/identity",
        "aud": grant.client_id,
        "sub": "sandbox-user",
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=5)).timestamp()),
        "auth_time": int(grant.created_at.timestamp()),
        "xero_userid": "5b5f6c3a-1d2e-4f70-8a9b-0c1d2e3f4a5b",
        "global_session_id": str(grant.auth_event_id),
        "email": "sandbox.user@example.com",
        "given_name": "Sandbox",
        "family_name": "User",
    }
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(registered_client()[1].encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _pkce_ok(row: XeroAuthCode, verifier: str) -> bool:
    if not row.code_challenge:
        return True
    if not verifier:
        return False
    if row.code_challenge_method == "plain":
        return hmac.compare_digest(verifier, row.code_challenge)
    return hmac.compare_digest(_b64(hashlib.sha256(verifier.encode()).digest()), row.code_challenge)


def exchange_code(*, client_id: str, code: str, redirect_uri: str, code_verifier: str, site_url: str) -> dict:
    with transaction.atomic():
        row = XeroAuthCode.objects.select_for_update().filter(code_hash=_hash(code or "")).first()
        now = now_ms()
        if row is None or row.used_at is not None or row.expires_at <= now or row.client_id != client_id:
            raise OAuthError("invalid_grant")
        row.used_at = now  # single use, even when the rest of the exchange fails
        row.save(update_fields=["used_at"])
    if row.redirect_uri != redirect_uri or not _pkce_ok(row, code_verifier):
        raise OAuthError("invalid_grant")
    with transaction.atomic():
        grant = XeroGrant.objects.create(client_id=client_id, scope=row.scope, created_at=now)
        orgs = list(row.orgs.all())
        grant.orgs.set(orgs)
        for org in orgs:
            connection, created = XeroConnection.objects.get_or_create(
                client_id=client_id,
                org=org,
                defaults={"auth_event_id": grant.auth_event_id, "created_at": now, "updated_at": now},
            )
            if not created:
                connection.auth_event_id, connection.updated_at, connection.is_active = grant.auth_event_id, now, True
                connection.save()
        return _issue(grant, site_url=site_url)


def refresh(*, client_id: str, refresh_token: str, site_url: str) -> dict:
    with transaction.atomic():
        token = (
            XeroToken.objects.select_for_update()
            .select_related("grant")
            .filter(token_hash=_hash(refresh_token or ""), kind=TokenKind.REFRESH)
            .first()
        )
        now = now_ms()
        if token is None or token.grant.client_id != client_id or token.grant.revoked_at is not None:
            raise OAuthError("invalid_grant")
        if token.expires_at <= now or (token.rotated_at and now > token.rotated_at + REFRESH_GRACE):
            raise OAuthError("invalid_grant")
        if token.rotated_at is None:
            token.rotated_at = now
            token.save(update_fields=["rotated_at"])
        return _issue(token.grant, site_url=site_url)


def grant_revoke(grant: XeroGrant) -> None:
    """Kill the token set and the connections it made (what revocation and "revoke now" both do)."""
    now = now_ms()
    XeroGrant.objects.filter(pk=grant.pk).update(revoked_at=now)
    XeroConnection.objects.filter(client_id=grant.client_id, org__in=grant.orgs.all(), is_active=True).update(
        is_active=False, updated_at=now
    )


def revoke(*, client_id: str, token: str) -> None:
    row = XeroToken.objects.select_related("grant").filter(token_hash=_hash(token or "")).first()
    if row is not None and row.grant.client_id == client_id:
        grant_revoke(row.grant)


def org_revoke_all(org: XeroOrg) -> int:
    """The organisation disconnects every app in Xero: all its token sets stop working."""
    grants = list(XeroGrant.objects.filter(orgs=org, revoked_at__isnull=True))
    for grant in grants:
        grant_revoke(grant)
    XeroConnection.objects.filter(org=org).update(is_active=False, updated_at=now_ms())
    return len(grants)


class BearerError(Exception):
    def __init__(self, detail: str, expired_at: dt.datetime | None = None):
        super().__init__(detail)
        self.detail, self.expired_at = detail, expired_at


def bearer_grant(authorization: str) -> XeroGrant:
    """The live grant behind `Authorization: Bearer …`. Raises BearerError (→ 401)."""
    if not authorization.startswith("Bearer "):
        raise BearerError("AuthenticationUnsuccessful")
    token = (
        XeroToken.objects.select_related("grant")
        .filter(token_hash=_hash(authorization[7:].strip()), kind=TokenKind.ACCESS)
        .first()
    )
    # Like Xero's JWT access tokens, a token stays valid until it expires even after its grant is revoked;
    # what revocation takes away is the connections, so tenant calls then get 403 (see grant_connections).
    if token is None:
        raise BearerError("AuthenticationUnsuccessful")
    if token.expires_at <= now_ms():
        raise BearerError("TokenExpired", expired_at=token.expires_at)
    return token.grant


def grant_connections(grant: XeroGrant):
    """Connections a token can see: the app's live connections to the organisations of its consent."""
    if grant.revoked_at is not None:
        return XeroConnection.objects.none()
    return (
        XeroConnection.objects.filter(client_id=grant.client_id, org__in=grant.orgs.all(), is_active=True)
        .select_related("org")
        .order_by("created_at", "id")
    )
