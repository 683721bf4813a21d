"""Xero identity: the authorize URL (PKCE S256), code exchange, refresh, tenant list and disconnect.

The authorize URL is built by requests-oauthlib's OAuth2Session. The token endpoint calls go through our
ApiClient base instead of OAuth2Session.fetch_token, so timeouts, bounded retries and the error hierarchy are the
same as for every other provider call (oauthlib's exceptions would otherwise leak out unmapped).
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from requests_oauthlib import OAuth2Session

from integrations.exceptions import IntegrationError, TerminalError, TransientError
from integrations.http import ApiClient
from integrations.providers.base import RemoteTenant, TokenSet

ORGANISATION = "ORGANISATION"
INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"


def code_challenge(code_verifier: str) -> str:
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


_transport_lock = threading.Lock()


@contextmanager
def _transport_for(url: str):
    """oauthlib refuses plain-http endpoints. The built-in sandbox of development and tests runs on http, so
    only there (XERO_USES_SANDBOX with SANDBOX_PROVIDERS on; production forces both off) the check is lifted."""
    if url.startswith("https://") or not (settings.XERO_USES_SANDBOX and settings.SANDBOX_PROVIDERS):
        yield
        return
    with _transport_lock:
        previous = os.environ.get(INSECURE_TRANSPORT)
        os.environ[INSECURE_TRANSPORT] = "1"
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(INSECURE_TRANSPORT, None)
            else:
                os.environ[INSECURE_TRANSPORT] = previous


def authorization_url(*, state: str, code_verifier: str, redirect_uri: str) -> str:
    session = OAuth2Session(settings.XERO_CLIENT_ID, redirect_uri=redirect_uri, scope=list(settings.XERO_SCOPES))
    with _transport_for(settings.XERO_AUTHORIZE_URL):
        url, _state = session.authorization_url(
            settings.XERO_AUTHORIZE_URL,
            state=state,
            code_challenge=code_challenge(code_verifier),
            code_challenge_method="S256",
        )
    return url


class XeroIdentity(ApiClient):
    """Calls to identity.xero.com and api.xero.com/connections (no tenant, no connection row)."""

    service_name = "Xero"

    def error_messages(self, response) -> list[str]:
        """OAuth's documented error body (`error`, `error_description`) or a problem body (Title, Detail)."""
        try:
            body = response.json()
        except ValueError:
            return []
        if not isinstance(body, dict):
            return []
        return [str(body[key]) for key in ("error", "error_description", "Title", "Detail") if body.get(key)]

    def error_for(self, response):
        error = ""
        try:
            body = response.json()
            error = body.get("error", "") if isinstance(body, dict) else ""
        except ValueError:
            pass
        detail = "; ".join(self.error_messages(response))
        if error == "invalid_grant":
            return TerminalError(
                "Xero no longer accepts this connection's authorisation (invalid_grant): reconnect it.",
                detail,
                response.status_code,
            )
        if response.status_code == 401 or error in ("invalid_client", "unauthorized_client"):
            return IntegrationError(
                "Xero rejected this app's client credentials: check XERO_CLIENT_ID and XERO_CLIENT_SECRET.",
                detail,
                response.status_code,
            )
        return IntegrationError(
            f"Xero refused the request (HTTP {response.status_code}).", detail, response.status_code
        )

    # token endpoint

    def _token(self, data: dict, *, idempotent: bool) -> TokenSet:
        response = self.request(
            "POST",
            settings.XERO_TOKEN_URL,
            data=data,
            auth=(settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET),
            headers={"Accept": "application/json"},
            idempotent=idempotent,
            write=False,  # credentials, not accounting data: nothing to log, never "ambiguous"
        )
        body = response.data if isinstance(response.data, dict) else {}
        if not body.get("access_token"):
            raise TransientError("Xero's token response has no access token.")
        expires_in = body.get("expires_in")
        expires_at = timezone.now() + timedelta(seconds=int(expires_in)) if expires_in else None
        return TokenSet(body["access_token"], body.get("refresh_token", ""), expires_at)

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        # The code is single use: never retried.
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        }
        return self._token(data, idempotent=False)

    def refresh(self, refresh_token: str) -> TokenSet:
        # Xero accepts the old refresh token again for 30 minutes when a response was lost: safe to retry.
        return self._token({"grant_type": "refresh_token", "refresh_token": refresh_token}, idempotent=True)

    def revoke(self, refresh_token: str) -> None:
        self.request(
            "POST",
            settings.XERO_REVOKE_URL,
            data={"token": refresh_token},
            auth=(settings.XERO_CLIENT_ID, settings.XERO_CLIENT_SECRET),
            idempotent=True,
            write=False,
        )

    # connections (tenants)

    def tenants(self, access_token: str) -> list[RemoteTenant]:
        response = self.request("GET", settings.XERO_CONNECTIONS_URL, headers=_bearer(access_token))
        rows = response.data if isinstance(response.data, list) else []
        return [
            RemoteTenant(
                id=str(row["tenantId"]),
                name=str(row.get("tenantName") or row["tenantId"]),
                connection_id=str(row.get("id", "")),
                extra={"tenant_type": row.get("tenantType", "")},
            )
            for row in rows
            if row.get("tenantId") and row.get("tenantType", ORGANISATION) == ORGANISATION
        ]

    def delete_connection(self, access_token: str, connection_id: str) -> None:
        url = f"{settings.XERO_CONNECTIONS_URL.rstrip('/')}/{connection_id}"
        self.request("DELETE", url, headers=_bearer(access_token), idempotent=True)

    def organisation(self, access_token: str, tenant_id: str) -> dict:
        """GET /Organisation of a granted tenant before a connection exists (base currency, short code)."""
        url = f"{settings.XERO_API_URL.rstrip('/')}/Organisation"
        response = self.request("GET", url, headers={**_bearer(access_token), "xero-tenant-id": tenant_id})
        data = response.data if isinstance(response.data, dict) else {}
        return (data.get("Organisations") or [{}])[0]


def _bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
