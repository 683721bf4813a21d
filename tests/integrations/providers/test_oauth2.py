"""The shared OAuth 2.0 base: what a provider gets by naming its settings (Xero's values; a client_secret_post
provider for the other client authentication)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.utils import timezone

from integrations.exceptions import IntegrationError, TerminalError
from integrations.providers.base import TokenSet
from integrations.providers.oauth2 import POST, code_challenge
from integrations.providers.xero.provider import XeroProvider

TOKEN_URL = "https://identity.xero.com/connect/token"
REVOKE_URL = "https://identity.xero.com/connect/revocation"


class BodyCredentials(XeroProvider):
    key = "bodycredentials"
    client_auth = POST
    uses_pkce = False

    def authorization_params(self, options):
        return {"force_login": "1"} if options.get("force_login") else {}


def test_the_authorize_url_has_state_scopes_and_the_pkce_challenge():
    url = XeroProvider().authorization_url(
        state="st-1", code_verifier="v" * 43, redirect_uri="https://app.test/cb/", options={}
    )
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://login.xero.com/identity/connect/authorize?")
    assert query["state"] == ["st-1"] and query["response_type"] == ["code"]
    assert query["client_id"] == ["test-xero-client-id"] and query["redirect_uri"] == ["https://app.test/cb/"]
    assert "offline_access" in query["scope"][0].split()
    assert query["code_challenge"] == [code_challenge("v" * 43)] and query["code_challenge_method"] == ["S256"]


def test_a_provider_without_pkce_and_with_extra_parameters():
    url = BodyCredentials().authorization_url(
        state="s", code_verifier="v" * 43, redirect_uri="https://app.test/cb/", options={"force_login": True}
    )
    query = parse_qs(urlsplit(url).query)
    assert "code_challenge" not in query and query["force_login"] == ["1"]


@responses.activate
def test_the_code_exchange_sends_the_verifier_once_and_reads_the_token_set():
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "a", "refresh_token": "r", "expires_in": 1800})
    tokens = XeroProvider().exchange_code(
        code="c-1", code_verifier="v" * 43, redirect_uri="https://app.test/cb/", options={}
    )
    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {
        "grant_type": ["authorization_code"],
        "code": ["c-1"],
        "redirect_uri": ["https://app.test/cb/"],
        "code_verifier": ["v" * 43],
    }
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert (tokens.access_token, tokens.refresh_token) == ("a", "r")
    assert timedelta(minutes=29) < tokens.expires_at - timezone.now() <= timedelta(minutes=30)


@responses.activate
def test_a_failed_code_exchange_is_never_retried(settings):
    settings.INTEGRATIONS_HTTP_RETRIES = 2
    responses.add(responses.POST, TOKEN_URL, status=503)
    with pytest.raises(IntegrationError):
        XeroProvider().exchange_code(code="c", code_verifier="v" * 43, redirect_uri="https://app.test/cb/", options={})
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(
    ("answer", "expected", "words"),
    [
        (dict(status=400, json={"error": "invalid_grant"}), TerminalError, "reconnect it"),
        (dict(status=401, json={"error": "invalid_client"}), IntegrationError, "XERO_CLIENT_ID and XERO_CLIENT_SECRET"),
    ],
)
def test_token_errors_map_to_the_hierarchy(answer, expected, words):
    responses.add(responses.POST, TOKEN_URL, **answer)
    with pytest.raises(expected, match=words) as caught:
        XeroProvider().refresh_with("r", options={})
    assert type(caught.value) is expected


@responses.activate
def test_client_secret_post_sends_the_credentials_in_the_body_for_refresh_and_revoke():
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "a", "expires_in": "600"})
    responses.add(responses.POST, REVOKE_URL, status=200)
    provider = BodyCredentials()
    tokens = provider.refresh_with("r-1", options={})
    provider.revoke_grant(TokenSet("a", "r-2"))
    refresh, revoke = (parse_qs(call.request.body) for call in responses.calls)
    assert refresh["client_secret"] == ["test-xero-client-secret"] and refresh["refresh_token"] == ["r-1"]
    assert revoke == {
        "token": ["r-2"],
        "client_id": ["test-xero-client-id"],
        "client_secret": ["test-xero-client-secret"],
    }
    assert all("Authorization" not in call.request.headers for call in responses.calls)
    assert tokens.refresh_token == "" and tokens.expires_at is not None
