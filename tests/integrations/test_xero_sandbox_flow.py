"""The whole connection lifecycle against the built-in Xero sandbox over real HTTP (live server): connect with
consent, pick lists, setup, a token refresh, then disconnect — our client and the sandbox agree end to end."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, Grant
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import TaxRateFactory


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.django_db(transaction=True)
def test_connect_setup_refresh_and_disconnect_against_the_sandbox(live_server, admin_client, subsidiary):
    urls = sandbox_provider_settings(live_server.url)
    with override_settings(**urls, SITE_URL=live_server.url, SANDBOX_PROVIDERS=True):
        tax_rate = TaxRateFactory(organization=subsidiary.organization)
        response = admin_client.post(
            reverse("integrations:connect", args=["xero"]), {"subsidiary": subsidiary.pk, "name": "Sandbox books"}
        )
        assert response["Location"].startswith(urls["XERO_AUTHORIZE_URL"])

        # The sandbox's consent page: tick the trading organisation and allow access.
        consent = admin_client.get(_path(response["Location"]))
        assert consent.status_code == 200
        back = admin_client.post(_path(response["Location"]), {"tenant": TRADING_TENANT_ID, "allow": "1"})
        assert back["Location"].startswith(f"{live_server.url}/integrations/xero/callback/?")

        done = admin_client.get(_path(back["Location"]))  # token exchange + /connections + lists over HTTP

        connection = Connection.objects.get()
        assert done["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
        assert connection.remote_tenant_id == TRADING_TENANT_ID
        assert connection.is_sandbox and connection.status == ConnectionStatus.ACTIVE
        lists = connection.settings["lists"]
        assert lists["accounts"] and lists["tax_types"]
        account = lists["accounts"][0]["code"]
        revenue_tax = next(t["code"] for t in lists["tax_types"] if t["extra"]["can_apply_to_revenue"])

        saved = admin_client.post(
            reverse("integrations:connection-setup", args=[connection.pk]),
            {
                "numbering": "app",
                "sync_payments": "on",
                "default_account": account,
                f"tax_rate_{tax_rate.pk}": revenue_tax,
            },
        )
        assert saved.status_code == 302
        page = admin_client.get(reverse("integrations:marketplace")).content.decode()
        assert "✔ Ready" in page

        # An expired access token is refreshed (rotating the refresh token) and the call succeeds.
        Grant.objects.filter(pk=connection.grant_id).update(token_expires_at=timezone.now() - timedelta(minutes=1))
        connection.refresh_from_db()
        old_refresh = connection.grant.refresh_token
        refreshed = admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
        assert refreshed.status_code == 302
        connection.refresh_from_db()
        assert connection.grant.refresh_token != old_refresh
        assert connection.grant.token_expires_at > timezone.now()
        grant_pk = connection.grant_id

        admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))
        connection.refresh_from_db()
        assert connection.status == ConnectionStatus.DISCONNECTED
        assert connection.grant is None and not Grant.objects.filter(pk=grant_pk).exists()
        assert not connection.log_entries.filter(action="connection.revoke", level="warning").exists()


@override_settings(XERO_AUTHORIZE_URL="http://insecure.example.test/authorize", XERO_USES_SANDBOX=False)
def test_plain_http_is_only_allowed_for_the_sandbox():
    from oauthlib.oauth2.rfc6749.errors import InsecureTransportError

    from integrations.providers.xero.auth import authorization_url

    with pytest.raises(InsecureTransportError):
        authorization_url(
            state="s", code_verifier="v" * 43, redirect_uri="https://app.test/integrations/xero/callback/"
        )
    with override_settings(XERO_USES_SANDBOX=True, SANDBOX_PROVIDERS=True):
        assert authorization_url(state="s", code_verifier="v" * 43, redirect_uri="http://app.test/cb/").startswith(
            "http://insecure.example.test/authorize?"
        )
