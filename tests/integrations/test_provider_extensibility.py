"""The core takes other kinds of providers without changes: an Exact-like OAuth provider with a region chosen
before leaving and divisions as tenants, and an e-conomic-like provider connected through an installation URL
that returns a long-lived grant token instead of an OAuth code."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
from django import forms
from django.test import override_settings
from django.urls import reverse

from integrations.models import AuthorizationState, Connection
from integrations.providers.base import COPY_INVOICE, TOKEN, Provider, RemoteTenant, TokenSet
from integrations.tokens import connection_access_token

pytestmark = pytest.mark.django_db

HOSTS = {"nl": "https://start.regional.test.nl", "be": "https://start.regional.test.be"}


class RegionalProvider(Provider):
    key = "regional"
    name = "Regional Books"
    description = "An OAuth provider whose host depends on the region; one connection per division."
    logo = "integrations/regional/logo.svg"
    capabilities = frozenset({COPY_INVOICE})

    def connect_fields(self):
        return {"region": forms.ChoiceField(choices=[("nl", "Netherlands"), ("be", "Belgium")])}

    def authorization_url(self, *, state, code_verifier, redirect_uri, options):
        query = urlencode({"state": state, "redirect_uri": redirect_uri, "client_id": "x"})
        return f"{HOSTS[options['region']]}/api/oauth2/auth?{query}"

    def exchange_code(self, *, code, code_verifier, redirect_uri, options):
        import requests

        body = requests.post(f"{HOSTS[options['region']]}/api/oauth2/token", data={"code": code}, timeout=5).json()
        return TokenSet(body["access_token"], body["refresh_token"], None)

    def list_tenants(self, access_token, *, options):
        return [RemoteTenant("101", "Division 101"), RemoteTenant("202", "Division 202")]


class GrantTokenProvider(Provider):
    key = "granttoken"
    name = "Grant Token Books"
    description = "Connected through an installation URL that hands back a long-lived agreement grant token."
    logo = "integrations/granttoken/logo.svg"
    auth_kind = TOKEN
    capabilities = frozenset({COPY_INVOICE})

    def authorization_url(self, *, state, code_verifier, redirect_uri, options):
        return "https://secure.granttoken.test/requestaccess?" + urlencode(
            {"appPublicToken": "public", "redirectUrl": f"{redirect_uri}?state={state}"}
        )

    def complete_authorization(self, *, params, code_verifier, redirect_uri, options):
        token = params.get("token", "")
        if not token:
            from integrations.exceptions import IntegrationError

            raise IntegrationError("No grant token came back.")
        return TokenSet(token, "", None), [RemoteTenant("agreement-9", "Agreement 9")]


PROVIDERS = [
    "integrations.providers.xero.provider.XeroProvider",
    "tests.integrations.test_provider_extensibility.RegionalProvider",
    "tests.integrations.test_provider_extensibility.GrantTokenProvider",
]


@override_settings(INTEGRATION_PROVIDERS=PROVIDERS)
@responses.activate
def test_a_regional_oauth_provider_with_divisions(admin_client, subsidiary):
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Regional Books" in page and "Grant Token Books" in page

    response = admin_client.post(
        reverse("integrations:connect", args=["regional"]),
        {"subsidiary": subsidiary.pk, "name": "BE books", "region": "be"},
    )
    assert response["Location"].startswith("https://start.regional.test.be/api/oauth2/auth?")
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]
    assert AuthorizationState.objects.get(state=state).options == {"region": "be"}
    responses.add(
        responses.POST,
        "https://start.regional.test.be/api/oauth2/token",
        json={"access_token": "a", "refresh_token": "r"},
    )

    response = admin_client.get(reverse("integrations:callback", args=["regional"]), {"code": "c", "state": state})
    assert response["Location"] == reverse("integrations:choose-tenant", args=["regional"])
    response = admin_client.post(response["Location"], {"tenant": "202"})

    connection = Connection.objects.get()
    assert (connection.provider, connection.region, connection.remote_tenant_id) == ("regional", "be", "202")
    # Nothing to set up for this provider: back to the marketplace, whose card shows no pencil.
    assert response["Location"] == reverse("integrations:marketplace")
    assert admin_client.get(reverse("integrations:connection-setup", args=[connection.pk])).status_code == 404


@override_settings(INTEGRATION_PROVIDERS=PROVIDERS)
@responses.activate
def test_a_grant_token_provider_connects_without_oauth(admin_client, subsidiary):
    response = admin_client.post(
        reverse("integrations:connect", args=["granttoken"]), {"subsidiary": subsidiary.pk, "name": "Agreement"}
    )
    redirect_url = parse_qs(urlsplit(response["Location"]).query)["redirectUrl"][0]
    assert redirect_url.startswith("http://127.0.0.1:8000/integrations/granttoken/callback/?state=")
    state = parse_qs(urlsplit(redirect_url).query)["state"][0]

    admin_client.get(reverse("integrations:callback", args=["granttoken"]), {"state": state, "token": "grant-123"})

    connection = Connection.objects.get()
    assert (connection.grant.access_token, connection.grant.token_expires_at) == ("grant-123", None)
    assert connection_access_token(connection) == "grant-123"  # never expires, never refreshed
    assert len(responses.calls) == 0
