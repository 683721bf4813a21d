"""Two subsidiaries on one Xero organisation, against the built-in sandbox over real HTTP (live server). The
sandbox keeps one connection per app and organisation, as Xero does, so withdrawing it for one of our
connections would cut the other off: disconnecting one, and abandoning a second consent, leave the other working."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from integrations.models import AuthorizationState, Connection, ConnectionStatus, Grant
from integrations.sandbox.models import Connection as SandboxConnection
from integrations.sandbox.models import Grant as SandboxGrant
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID
from integrations.services.connections import authorization_complete_tenants
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import SubsidiaryFactory


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def consent(client, subsidiary, name: str, tenants: list[str]):
    """Connect form → the sandbox's consent page (tick `tenants`, allow) → our callback; returns its answer."""
    started = client.post(reverse("integrations:connect", args=["xero"]), {"subsidiary": subsidiary.pk, "name": name})
    client.get(_path(started["Location"]))
    back = client.post(_path(started["Location"]), {"tenant": tenants, "allow": "1"})
    return client.get(_path(back["Location"]))


def refresh_lists(client, connection) -> Connection:
    """An API call of the connection (GET /Accounts, /TaxRates, /Items, /Organisation), through the app."""
    client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
    connection.refresh_from_db()
    return connection


def live_sandbox_connections() -> set[str]:
    return set(SandboxConnection.objects.filter(provider="xero", is_active=True).values_list("tenant_key", flat=True))


@pytest.fixture
def sandbox(live_server):
    with override_settings(
        **sandbox_provider_settings(live_server.url), SITE_URL=live_server.url, SANDBOX_PROVIDERS=True
    ):
        yield


@pytest.mark.django_db(transaction=True)
def test_disconnecting_one_of_two_subsidiaries_on_one_organisation_leaves_the_other_working(
    sandbox, admin_client, subsidiary
):
    sister = SubsidiaryFactory(organization=subsidiary.organization, name="Acme UK", default_currency="GBP")
    consent(admin_client, subsidiary, "Trading for NL", [TRADING_TENANT_ID])
    done = consent(admin_client, sister, "Trading for UK", [TRADING_TENANT_ID])
    first, second = Connection.objects.order_by("pk")
    assert first.remote_connection_id == second.remote_connection_id  # one Xero connection for both
    setup = admin_client.get(done["Location"]).content.decode()
    assert "Sandbox Trading Ltd is already connected for Acme NL (“Trading for NL”)" in setup

    admin_client.post(reverse("integrations:connection-disconnect", args=[first.pk]))

    first.refresh_from_db()
    assert first.status == ConnectionStatus.DISCONNECTED
    assert TRADING_TENANT_ID in live_sandbox_connections()
    second = refresh_lists(admin_client, second)
    assert second.status == ConnectionStatus.ACTIVE and second.last_error == ""

    admin_client.post(reverse("integrations:connection-disconnect", args=[second.pk]))
    assert TRADING_TENANT_ID not in live_sandbox_connections()  # the last one withdraws it


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_second_consent_withdraws_only_the_organisation_nobody_uses(sandbox, admin_client, subsidiary):
    consent(admin_client, subsidiary, "Trading", [TRADING_TENANT_ID])
    sister = SubsidiaryFactory(organization=subsidiary.organization, name="Acme UK", default_currency="GBP")
    choose = consent(admin_client, sister, "Books UK", [TRADING_TENANT_ID, DESIGN_TENANT_ID])
    page = admin_client.get(choose["Location"]).content.decode()
    assert "Sandbox Trading Ltd is already connected for Acme NL (“Trading”)" in page
    assert "Sandbox Design B.V. keeps its books in EUR but Acme UK invoices in GBP" in page

    admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"cancel": "1"})

    assert live_sandbox_connections() == {TRADING_TENANT_ID}  # Design withdrawn, Trading kept
    assert not SandboxGrant.objects.filter(revoked_at__isnull=False).exists()  # revoking it would take Trading along
    connection = refresh_lists(admin_client, Connection.objects.get())
    assert connection.status == ConnectionStatus.ACTIVE and connection.last_error == ""

    # A consent nobody else uses is revoked whole when it is cancelled.
    admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))
    consent(admin_client, sister, "Books UK", [TRADING_TENANT_ID, DESIGN_TENANT_ID])
    admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"cancel": "1"})
    assert live_sandbox_connections() == set()
    assert SandboxGrant.objects.filter(revoked_at__isnull=False).count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_consent_for_two_organisations_shares_one_grant_refreshed_once(sandbox, admin_client, subsidiary):
    consent(admin_client, subsidiary, "Books", [TRADING_TENANT_ID, DESIGN_TENANT_ID])  # the choose page
    state = AuthorizationState.objects.get()
    first, second = authorization_complete_tenants(state=state, tenant_ids=[TRADING_TENANT_ID, DESIGN_TENANT_ID])
    assert first.grant_id == second.grant_id
    grant = Grant.objects.get()
    old_refresh = grant.refresh_token
    Grant.objects.filter(pk=grant.pk).update(token_expires_at=timezone.now() - timedelta(minutes=1))

    first = refresh_lists(admin_client, first)
    second = refresh_lists(admin_client, second)

    assert first.status == second.status == ConnectionStatus.ACTIVE
    assert first.last_error == second.last_error == ""
    grant.refresh_from_db()
    assert grant.token_calls == 1 and grant.refresh_token != old_refresh  # rotated once, for both organisations
    assert live_sandbox_connections() == {TRADING_TENANT_ID, DESIGN_TENANT_ID}
