"""One Xero organisation, several connections: warnings before and after connecting a second subsidiary (or one
whose currency differs), and one rule for withdrawing access — on disconnect and for a connect round trip that
connected nothing — that never withdraws what another live connection still uses. Xero is mocked with
`responses` (the same flows against the built-in sandbox: test_xero_sandbox_sharing.py)."""

import logging
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from responses import matchers

from integrations.models import AuthorizationState, Connection, ConnectionStatus, Grant
from integrations.providers.base import RemoteTenant
from integrations.services.connections import authorization_states_purge
from integrations.services.revocation import pending_token_json, tenants_in_use
from tests.factories import SubsidiaryFactory

from .factories import ConnectionFactory, GrantFactory
from .test_connect_views import (
    ACCESS,
    API,
    CONNECTIONS_URL,
    REFRESH,
    TENANT_A,
    TENANT_B,
    TOKEN_URL,
    callback,
    messages_of,
    mock_token_and_tenants,
    reconnect,
    start,
)

pytestmark = pytest.mark.django_db

REVOKE_URL = "https://identity.xero.com/connect/revocation"


@pytest.fixture
def sister(organization):
    """A second subsidiary of the same organization."""
    return SubsidiaryFactory(organization=organization, name="Acme UK", default_currency="GBP")


def connected_to_a(organization, subsidiary, **extra):
    """A live connection to Xero organisation A (tenant-a, Xero connection id c-a)."""
    defaults = {
        "remote_tenant_id": "tenant-a",
        "remote_tenant_name": "Demo Company (NZ)",
        "remote_connection_id": "c-a",
    }
    return ConnectionFactory(organization=organization, subsidiary=subsidiary, **{**defaults, **extra})


def calls_to(url_prefix: str) -> list:
    return [call for call in responses.calls if call.request.url.startswith(url_prefix)]


def revocations() -> list[dict]:
    return [parse_qs(call.request.body) for call in calls_to(REVOKE_URL)]


def organisation(tenant_id: str, currency: str):
    responses.add(
        responses.GET,
        f"{API}/Organisation",
        json={"Organisations": [{"Name": tenant_id, "ShortCode": "!x", "BaseCurrency": currency, "CountryCode": "NZ"}]},
        match=[matchers.header_matcher({"xero-tenant-id": tenant_id})],
    )


# --- the rule ------------------------------------------------------------------------------------------------


def test_a_tenant_is_in_use_by_any_live_connection_with_its_tenant_or_its_xero_connection_id(
    organization, subsidiary, other_organization
):
    mine = connected_to_a(organization, subsidiary)
    theirs = ConnectionFactory(organization=other_organization, remote_tenant_id="tenant-x", remote_connection_id="c-b")
    ConnectionFactory(organization=organization, remote_tenant_id="tenant-c", status=ConnectionStatus.DISCONNECTED)
    tenants = [RemoteTenant("tenant-a", "A", "c-a"), RemoteTenant("tenant-b", "B", "c-b"), RemoteTenant("tenant-c", "")]

    users = tenants_in_use(provider_key="xero", tenants=tenants)

    assert users == {"tenant-a": mine, "tenant-b": theirs}  # a disconnected connection uses nothing
    assert tenants_in_use(provider_key="xero", tenants=tenants[:1], exclude_pk=mine.pk) == {}
    assert tenants_in_use(provider_key="quickbooks", tenants=tenants) == {}


# --- disconnect ----------------------------------------------------------------------------------------------


@responses.activate
def test_disconnecting_one_of_two_subsidiaries_on_one_organisation_keeps_it_for_the_other(
    admin_client, organization, subsidiary, sister
):
    first = connected_to_a(organization, subsidiary, name="Xero NL")
    second = connected_to_a(organization, sister, name="Xero UK")
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-a", status=204)

    admin_client.post(reverse("integrations:connection-disconnect", args=[first.pk]))

    assert not responses.calls, "Xero's connection was deleted although “Xero UK” still uses it"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ConnectionStatus.DISCONNECTED and first.grant is None
    assert second.status == ConnectionStatus.ACTIVE and second.grant.access_token
    kept = first.log_entries.get(action="connection.revoke_kept")
    assert "“Xero UK” (Acme UK) still uses Demo Company (NZ)" in kept.message

    # The last connection to the organisation withdraws it.
    admin_client.post(reverse("integrations:connection-disconnect", args=[second.pk]))
    assert [call.request.method for call in calls_to(f"{CONNECTIONS_URL}/c-a")] == ["DELETE"]


@responses.activate
def test_another_organizations_connection_to_the_tenant_also_keeps_it_and_is_not_named(
    admin_client, organization, subsidiary, other_organization
):
    mine = connected_to_a(organization, subsidiary)
    connected_to_a(other_organization, SubsidiaryFactory(organization=other_organization), name="Rival books")

    admin_client.post(reverse("integrations:connection-disconnect", args=[mine.pk]))

    assert not responses.calls
    message = mine.log_entries.get(action="connection.revoke_kept").message
    assert "another connection" in message and "Rival" not in message


# --- warnings ------------------------------------------------------------------------------------------------


@responses.activate
def test_connecting_a_second_subsidiary_or_another_currency_warns_on_the_page_after_the_callback(
    admin_client, organization, subsidiary, sister
):
    connected_to_a(organization, sister, name="Xero UK")
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A])  # Demo Company (NZ) keeps its books in NZD; Acme NL invoices in EUR

    page = admin_client.get(reverse("integrations:callback", args=["xero"]), {"code": "c", "state": state.state})
    page = admin_client.get(page["Location"])

    assert Connection.objects.filter(subsidiary=subsidiary, remote_tenant_id="tenant-a").exists()  # allowed
    html = page.content.decode()
    assert "Demo Company (NZ) is already connected for Acme UK (“Xero UK”)" in html
    assert "Demo Company (NZ) keeps its books in NZD but Acme NL invoices in EUR" in html
    assert 'class="message warning"' in html


@responses.activate
def test_no_warning_for_a_first_connection_in_the_subsidiarys_currency(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A], lists=False)
    for path, body in (("Accounts", {"Accounts": []}), ("TaxRates", {"TaxRates": []}), ("Items", {"Items": []})):
        responses.add(responses.GET, f"{API}/{path}", json=body)
    organisation("tenant-a", "EUR")

    response = callback(admin_client, code="c", state=state.state)

    assert [m for m in response.wsgi_request._messages if m.level_tag == "warning"] == []


@responses.activate
def test_the_choose_page_warns_per_organisation_before_anything_is_connected(
    admin_client, organization, subsidiary, sister
):
    connected_to_a(organization, sister, name="Xero UK")
    connected_to_a(organization, subsidiary, name="Xero NL", remote_tenant_id="tenant-c", remote_connection_id="c-c")
    state = start(admin_client, subsidiary)
    third = {"id": "c-c", "tenantId": "tenant-c", "tenantType": "ORGANISATION", "tenantName": "Demo Company (US)"}
    mock_token_and_tenants([TENANT_A, TENANT_B, third], lists=False)
    organisation("tenant-a", "EUR")
    organisation("tenant-b", "GBP")
    organisation("tenant-c", "EUR")

    response = callback(admin_client, code="c", state=state.state)
    page = admin_client.get(response["Location"]).content.decode()

    assert not Connection.objects.filter(subsidiary=subsidiary, remote_tenant_id__in=["tenant-a", "tenant-b"])
    assert "Demo Company (NZ) is already connected for Acme UK (“Xero UK”)" in page
    assert "Demo Company (UK) keeps its books in GBP but Acme NL invoices in EUR" in page
    assert "Acme NL is already connected to Demo Company (US) (“Xero NL”): connecting it again is refused" in page
    assert "Demo Company (NZ) keeps its books" not in page
    described = calls_to(f"{API}/Organisation")
    assert {call.request.headers["xero-tenant-id"] for call in described} == {"tenant-a", "tenant-b", "tenant-c"}
    assert all(call.request.headers["Authorization"] == f"Bearer {ACCESS}" for call in described)


# --- a round trip that connected nothing ---------------------------------------------------------------------


@responses.activate
def test_cancel_on_the_choose_page_revokes_the_unused_grant(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    responses.add(responses.POST, REVOKE_URL, status=200)
    callback(admin_client, code="c", state=state.state)

    response = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"cancel": "1"})

    assert response["Location"] == reverse("integrations:marketplace")
    assert any("Nothing was connected" in message for message in messages_of(response))
    assert not Connection.objects.exists()
    assert revocations() == [{"token": [REFRESH]}]
    assert calls_to(REVOKE_URL)[0].request.headers["Authorization"].startswith("Basic ")
    state.refresh_from_db()
    assert state.pending_token == ""
    again = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"tenant": "tenant-a"})
    assert again["Location"] == reverse("integrations:marketplace") and not Connection.objects.exists()


@responses.activate
def test_cancel_keeps_an_organisation_another_subsidiary_uses(admin_client, organization, subsidiary, sister):
    connected_to_a(organization, sister)
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-b", status=204)
    callback(admin_client, code="c", state=state.state)

    response = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"cancel": "1"})

    assert any("your other connections use keep their access" in message for message in messages_of(response))
    assert revocations() == [] and len(calls_to(f"{CONNECTIONS_URL}/c-b")) == 1


@responses.activate
def test_a_refused_choice_withdraws_only_what_no_connection_uses(admin_client, organization, subsidiary):
    existing = connected_to_a(organization, subsidiary, name="Xero NL")
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-b", status=204)
    callback(admin_client, code="c", state=state.state)

    response = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"tenant": "tenant-a"})

    assert any("already connected" in message for message in messages_of(response))
    assert Connection.objects.get() == existing
    # Revoking the grant would take organisation A along (one Xero connection per app and organisation): only
    # organisation B, which nothing uses, is withdrawn.
    assert revocations() == []
    (deleted,) = calls_to(f"{CONNECTIONS_URL}/c-b")
    assert deleted.request.headers["Authorization"] == f"Bearer {ACCESS}"
    assert not calls_to(f"{CONNECTIONS_URL}/c-a")
    state.refresh_from_db()
    assert state.pending_token == "" and state.completed_at is None


@responses.activate
def test_an_already_connected_single_tenant_keeps_the_grant_and_forgets_its_token(
    admin_client, organization, subsidiary, caplog
):
    connected_to_a(organization, subsidiary)
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A], lists=False)

    with caplog.at_level(logging.INFO, logger="integrations.connections"):
        response = callback(admin_client, code="c", state=state.state)

    assert any("already connected" in message for message in messages_of(response))
    assert not calls_to(REVOKE_URL) and not calls_to(f"{CONNECTIONS_URL}/")
    state.refresh_from_db()
    assert state.pending_token == ""
    assert "grant kept" in caplog.text and REFRESH not in caplog.text


@responses.activate
def test_a_reconnect_that_granted_another_organisation_revokes_that_grant(admin_client, organization, subsidiary):
    connection = connected_to_a(organization, subsidiary, status=ConnectionStatus.NEEDS_RECONNECT)
    state = reconnect(admin_client, connection)
    mock_token_and_tenants([TENANT_B], lists=False)
    responses.add(responses.POST, REVOKE_URL, status=200)

    callback(admin_client, code="c", state=state.state)

    assert revocations() == [{"token": [REFRESH]}]
    connection.refresh_from_db()
    assert connection.remote_tenant_id == "tenant-a" and connection.status == ConnectionStatus.NEEDS_RECONNECT


@responses.activate
def test_a_grant_without_an_organisation_is_revoked(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([], lists=False)
    responses.add(responses.POST, REVOKE_URL, status=200)

    callback(admin_client, code="c", state=state.state)

    assert revocations() == [{"token": [REFRESH]}]


# --- the purge -----------------------------------------------------------------------------------------------


def pending_round_trip(admin_user, subsidiary, *, age: timedelta, tenants: list[dict], refresh: str, **extra):
    """A round trip whose callback got a grant (the token and tenants) `age` ago and that was never completed."""
    from integrations.providers.base import TokenSet

    expired = timezone.now() - age + timedelta(minutes=30)
    state = AuthorizationState.objects.create(
        provider="xero",
        organization=subsidiary.organization,
        subsidiary=subsidiary,
        user=admin_user,
        session_key_hash="x",
        connection_name="n",
        pending_token=pending_token_json(TokenSet(f"access-of-{refresh}", refresh, expired)),
        pending_tenants=[
            {"id": t["tenantId"], "name": t["tenantName"], "connection_id": t["id"], "extra": {}} for t in tenants
        ],
        used_at=timezone.now() - age,
        **extra,
    )
    AuthorizationState.objects.filter(pk=state.pk).update(created_at=timezone.now() - age)
    return state


@responses.activate
@override_settings(INTEGRATIONS_HTTP_RETRIES=0)
def test_the_purge_revokes_abandoned_grants_except_what_a_connection_uses(admin_user, organization, subsidiary):
    connected_to_a(organization, subsidiary)
    free = pending_round_trip(admin_user, subsidiary, age=timedelta(minutes=20), tenants=[TENANT_B], refresh="r-free")
    third = {"id": "c-c", "tenantId": "tenant-c", "tenantType": "ORGANISATION", "tenantName": "Demo Company (US)"}
    shared = pending_round_trip(
        admin_user, subsidiary, age=timedelta(minutes=40), tenants=[TENANT_A, third], refresh="r-shared"
    )
    fresh = pending_round_trip(admin_user, subsidiary, age=timedelta(minutes=5), tenants=[TENANT_B], refresh="r-new")
    old = pending_round_trip(admin_user, subsidiary, age=timedelta(hours=2), tenants=[TENANT_B], refresh="r-old")
    responses.add(responses.POST, REVOKE_URL, status=200)
    # The shared grant's access token is older than its 30 minutes: refreshed once to withdraw organisation C.
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "again", "refresh_token": "r2", "expires_in": 1800})
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-c", status=204)

    assert authorization_states_purge() == 1

    assert sorted(body["token"][0] for body in revocations()) == ["r-free", "r-old"]
    (deleted,) = calls_to(f"{CONNECTIONS_URL}/c-c")
    assert deleted.request.headers["Authorization"] == "Bearer again"
    assert not calls_to(f"{CONNECTIONS_URL}/c-a")
    assert not AuthorizationState.objects.filter(pk=old.pk).exists()
    for state in (free, shared):
        state.refresh_from_db()
        assert state.pending_token == ""
    fresh.refresh_from_db()
    assert fresh.pending_token  # can still be completed on the choose page

    assert authorization_states_purge() == 0
    assert len(revocations()) == 2  # nothing is revoked twice


@responses.activate
@override_settings(INTEGRATIONS_HTTP_RETRIES=0)
def test_a_failed_revocation_is_logged_and_the_purge_goes_on(admin_user, subsidiary, caplog):
    first = pending_round_trip(admin_user, subsidiary, age=timedelta(minutes=20), tenants=[TENANT_A], refresh="r-1")
    second = pending_round_trip(admin_user, subsidiary, age=timedelta(minutes=30), tenants=[TENANT_B], refresh="r-2")
    responses.add(responses.POST, REVOKE_URL, status=500, json={"error": "server_error"})

    with caplog.at_level(logging.WARNING, logger="integrations.connections"):
        authorization_states_purge()

    assert len(revocations()) == 2
    assert "revoking the unused grant failed" in caplog.text and "r-1" not in caplog.text
    for state in (first, second):
        state.refresh_from_db()
        assert state.pending_token == ""


# --- one consent, several tenants: connections that share one grant ----------------------------------------------


@responses.activate
def test_one_consent_for_two_organisations_connects_both_on_one_grant(admin_client, admin_user, subsidiary):
    from integrations.services.connections import authorization_complete_tenants

    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    callback(admin_client, code="c", state=state.state)  # two tenants: the choose page
    state.refresh_from_db()

    first, second = authorization_complete_tenants(state=state, tenant_ids=["tenant-a", "tenant-b"])

    assert first.grant_id == second.grant_id
    grant = Grant.objects.get()
    assert (grant.access_token, grant.refresh_token, grant.granted_by) == (ACCESS, REFRESH, admin_user)
    assert {first.remote_tenant_id, second.remote_tenant_id} == {"tenant-a", "tenant-b"}
    assert first.name == "Xero NL · Demo Company (NZ)"
    assert len(calls_to(TOKEN_URL)) == 1


def on_one_grant(organization, subsidiary):
    grant = GrantFactory(organization=organization, token_expires_at=timezone.now() + timedelta(minutes=20))
    first = connected_to_a(organization, subsidiary, name="Xero NZ", grant=grant)
    second = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Xero UK",
        remote_tenant_id="tenant-b",
        remote_connection_id="c-b",
        grant=grant,
    )
    return grant, first, second


@responses.activate
def test_disconnecting_one_tenant_of_a_shared_grant_withdraws_only_that_tenant(admin_client, organization, subsidiary):
    grant, first, second = on_one_grant(organization, subsidiary)
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-a", status=204)

    admin_client.post(reverse("integrations:connection-disconnect", args=[first.pk]))

    (deleted,) = calls_to(CONNECTIONS_URL)
    assert deleted.request.url.endswith("/c-a")
    assert deleted.request.headers["Authorization"] == f"Bearer {grant.access_token}"
    assert not revocations()  # the token set lives on for organisation B
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == ConnectionStatus.DISCONNECTED and first.grant is None
    assert second.grant_id == grant.pk and Grant.objects.get(pk=grant.pk).access_token == grant.access_token


@responses.activate
def test_the_last_connection_of_a_grant_takes_the_credentials_along(admin_client, organization, subsidiary):
    grant, first, second = on_one_grant(organization, subsidiary)
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-a", status=204)
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/c-b", status=204)

    admin_client.post(reverse("integrations:connection-disconnect", args=[first.pk]))
    assert Grant.objects.filter(pk=grant.pk).exists()
    admin_client.post(reverse("integrations:connection-disconnect", args=[second.pk]))

    assert not Grant.objects.filter(pk=grant.pk).exists()
    assert [call.request.url.rsplit("/", 1)[-1] for call in calls_to(CONNECTIONS_URL)] == ["c-a", "c-b"]


@responses.activate
def test_reconnecting_replaces_the_shared_grants_credentials(admin_client, organization, subsidiary):
    grant, first, second = on_one_grant(organization, subsidiary)
    Connection.objects.filter(pk__in=[first.pk, second.pk]).update(status=ConnectionStatus.NEEDS_RECONNECT)
    state = reconnect(admin_client, first)
    mock_token_and_tenants([TENANT_A, TENANT_B])

    callback(admin_client, code="c", state=state.state)

    stored = Grant.objects.get(pk=grant.pk)
    assert (stored.access_token, stored.refresh_token) == (ACCESS, REFRESH)
    assert Grant.objects.count() == 1
    first.refresh_from_db()
    assert first.status == ConnectionStatus.ACTIVE and first.grant_id == grant.pk
    second.refresh_from_db()
    assert second.grant.access_token == ACCESS  # the other tenant of the consent uses the new token set too


@responses.activate
def test_a_refused_connect_leaves_no_grant_behind(admin_client, organization, subsidiary):
    existing = connected_to_a(organization, subsidiary)
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A], lists=False)
    responses.add(responses.POST, REVOKE_URL, status=200)

    response = callback(admin_client, code="c", state=state.state)

    assert any("already connected" in m for m in messages_of(response))
    assert list(Grant.objects.values_list("pk", flat=True)) == [existing.grant_id]
    assert Connection.objects.get() == existing
