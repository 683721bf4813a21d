"""The OAuth 2.0 authorization-code flow every OAuth provider shares: authorize URL (state + PKCE S256), code
exchange, refresh and RFC 7009 revocation. A provider subclasses OAuth2Provider, names the settings that hold
its endpoints, client and scopes, and adds only its quirks (Xero: GET /connections for the tenants).

The authorize URL comes from requests-oauthlib's OAuth2Session and the token request bodies from oauthlib's
client, but the token endpoint calls go through our ApiClient base (OAuth2TokenClient) instead of
OAuth2Session.fetch_token: timeouts, bounded retries and the error hierarchy are then the same as for every other
provider call (invalid_grant → TerminalError, 5xx / timeouts → TransientError), where oauthlib's exceptions would
leak out unmapped.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from oauthlib.oauth2 import WebApplicationClient
from requests_oauthlib import OAuth2Session

from integrations.exceptions import IntegrationError, TerminalError, TransientError
from integrations.http import ApiClient

from .base import OAUTH2, Provider, TokenSet

INSECURE_TRANSPORT = "OAUTHLIB_INSECURE_TRANSPORT"
BASIC = "basic"  # client_secret_basic: client id and secret as HTTP Basic auth (Xero, QuickBooks)
POST = "post"  # client_secret_post: client id and secret in the form body (Exact Online)


def code_challenge(code_verifier: str) -> str:
    """PKCE S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(code_verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


_transport_lock = threading.Lock()


@contextmanager
def insecure_transport(allowed: bool):
    """oauthlib refuses plain-http endpoints. Only a built-in sandbox of development and tests runs on http, so
    only when the provider says so (`allows_insecure_transport`) the check is lifted, and only for the block."""
    if not allowed:
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


class OAuth2TokenClient(ApiClient):
    """Calls to a provider's token and revocation endpoints (no tenant, no connection row)."""

    def __init__(self, provider: OAuth2Provider, **kwargs):
        super().__init__(**kwargs)
        self.provider = provider
        self.service_name = provider.name

    def error_messages(self, response) -> list[str]:
        """OAuth's documented error body: `error` and `error_description`."""
        body = _json_or_none(response)
        if not isinstance(body, dict):
            return []
        return [str(body[key]) for key in ("error", "error_description") if body.get(key)]

    def error_for(self, response):
        body = _json_or_none(response)
        error = body.get("error", "") if isinstance(body, dict) else ""
        detail = "; ".join(self.error_messages(response))
        name = self.provider.name
        if error == "invalid_grant":
            return TerminalError(
                f"{name} no longer accepts this connection's authorisation (invalid_grant): reconnect it.",
                detail,
                response.status_code,
            )
        if response.status_code == 401 or error in ("invalid_client", "unauthorized_client"):
            return IntegrationError(
                f"{name} rejected this app's client credentials: check {self.provider.client_id_setting} and "
                f"{self.provider.client_secret_setting}.",
                detail,
                response.status_code,
            )
        return IntegrationError(
            f"{name} refused the request (HTTP {response.status_code}).", detail, response.status_code
        )

    # token endpoint

    def token_request(self, body: str, *, idempotent: bool, options: dict) -> TokenSet:
        provider = self.provider
        auth = self._client_auth()
        if auth is None:
            body = f"{body}&{urlencode({'client_id': provider.client_id(), 'client_secret': provider.client_secret()})}"
        response = self.request(
            "POST",
            provider.endpoint("token", options),
            data=body,
            auth=auth,
            headers={"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
            idempotent=idempotent,
            write=False,  # credentials, not accounting data: nothing to log, never "ambiguous"
        )
        return token_set_from(response.data, provider.name)

    def revoke_token(self, token: str, *, options: dict) -> None:
        """RFC 7009: POST the token to the revocation endpoint (revoking a refresh token ends the grant)."""
        provider = self.provider
        data, auth = {"token": token}, self._client_auth()
        if auth is None:
            data.update(client_id=provider.client_id(), client_secret=provider.client_secret())
        self.request("POST", provider.endpoint("revoke", options), data=data, auth=auth, idempotent=True, write=False)

    def _client_auth(self) -> tuple[str, str] | None:
        """HTTP Basic credentials for client_secret_basic; None when they travel in the form body instead."""
        if self.provider.client_auth == BASIC:
            return (self.provider.client_id(), self.provider.client_secret())
        return None


def token_set_from(data, provider_name: str) -> TokenSet:
    """A token response as a TokenSet; `expires_in` may be a number or a string (Exact sends "600")."""
    body = data if isinstance(data, dict) else {}
    if not body.get("access_token"):
        raise TransientError(f"{provider_name}'s token response has no access token.")
    expires_in = body.get("expires_in")
    try:
        seconds = int(expires_in) if expires_in not in (None, "") else None
    except (TypeError, ValueError):
        seconds = None
    expires_at = timezone.now() + timedelta(seconds=seconds) if seconds else None
    return TokenSet(str(body["access_token"]), str(body.get("refresh_token") or ""), expires_at)


class OAuth2Provider(Provider):
    """A provider authorised with the OAuth 2.0 code flow. Subclasses set the setting names below (each names a
    Django setting, so the values come from the environment) and implement `list_tenants` (and the API)."""

    auth_kind = OAUTH2
    client_id_setting = ""
    client_secret_setting = ""
    authorize_url_setting = ""
    token_url_setting = ""
    revoke_url_setting = ""
    scopes_setting = ""
    client_auth = BASIC
    uses_pkce = True

    @property
    def required_settings(self) -> tuple[str, ...]:
        return (self.client_id_setting, self.client_secret_setting)

    # settings

    def client_id(self) -> str:
        return getattr(settings, self.client_id_setting)

    def client_secret(self) -> str:
        return getattr(settings, self.client_secret_setting)

    def scopes(self) -> list[str]:
        return list(getattr(settings, self.scopes_setting, ()) or ()) if self.scopes_setting else []

    def endpoint(self, name: str, options: dict) -> str:
        """The URL of endpoint `name` ("authorize", "token", "revoke"). A provider with per-region hosts (Exact)
        overrides this and reads `options` (the connection's region)."""
        return getattr(settings, getattr(self, f"{name}_url_setting"))

    def allows_insecure_transport(self) -> bool:
        """Whether plain-http endpoints are allowed: only a built-in sandbox (never in production)."""
        return False

    def authorization_params(self, options: dict) -> dict:
        """Extra query parameters of the authorize URL (e.g. Exact's force_login)."""
        return {}

    def token_client(self, connection=None) -> OAuth2TokenClient:
        return OAuth2TokenClient(self, connection=connection)

    # the round trip

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str, options: dict) -> str:
        session = OAuth2Session(self.client_id(), redirect_uri=redirect_uri, scope=self.scopes() or None)
        extra = dict(self.authorization_params(options))
        if self.uses_pkce:
            extra.update(code_challenge=code_challenge(code_verifier), code_challenge_method="S256")
        authorize_url = self.endpoint("authorize", options)
        with insecure_transport(self._plain_http(authorize_url)):
            url, _state = session.authorization_url(authorize_url, state=state, **extra)
        return url

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, options: dict) -> TokenSet:
        extra = {"code_verifier": code_verifier} if self.uses_pkce else {}
        body = WebApplicationClient(self.client_id()).prepare_request_body(
            code=code, redirect_uri=redirect_uri, include_client_id=False, **extra
        )
        # The code is single use: never retried.
        return self.token_client().token_request(body, idempotent=False, options=options)

    def refresh_with(self, refresh_token: str, *, options: dict) -> TokenSet:
        body = WebApplicationClient(self.client_id()).prepare_refresh_body(refresh_token=refresh_token)
        # Retried only when the old refresh token survives a lost answer (TokenPolicy.rotation_grace).
        return self.token_client().token_request(
            body, idempotent=self.token_policy.refresh_is_retryable, options=options
        )

    def refresh_tokens(self, connection) -> TokenSet:
        return self.refresh_with(connection.grant.refresh_token, options=self.connection_options(connection))

    def connection_options(self, connection) -> dict:
        """The `options` a connection's endpoints depend on (its region)."""
        return {"region": connection.region} if connection.region else {}

    def revoke_grant(self, tokens: TokenSet) -> None:
        """RFC 7009 revocation of the refresh token: the grant dies with every tenant it reaches."""
        if tokens.refresh_token:  # an access token alone expires by itself
            self.token_client().revoke_token(tokens.refresh_token, options={})

    def _plain_http(self, url: str) -> bool:
        return not url.startswith("https://") and self.allows_insecure_transport()


def _json_or_none(response):
    try:
        return response.json()
    except ValueError:
        return None
