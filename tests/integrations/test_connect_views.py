"""Connecting Xero from the App marketplace: the OAuth round trip, its failure modes, reconnect, the tenant
choice, setup and disconnect, and that no credential ever reaches a page, the admin or the logs."""

import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from billing.choices import Plan, Role
from billing.services import LineInput
from integrations.models import (
    AuthorizationState,
    Connection,
    ConnectionStatus,
    ContactLink,
    Grant,
    RemoteDocument,
    ServiceTypeMapping,
    TaxRateMapping,
)
from integrations.providers.xero.auth import code_challenge
from tests.factories import MembershipFactory, ServiceTypeFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory

TOKEN_URL = "https://identity.xero.com/connect/token"
CONNECTIONS_URL = "https://api.xero.com/connections"
API = "https://api.xero.com/api.xro/2.0"
ACCESS = "xero-access-SENTINEL-1234"
REFRESH = "xero-refresh-SENTINEL-5678"
TENANT_A = {"id": "c-a", "tenantId": "tenant-a", "tenantType": "ORGANISATION", "tenantName": "Demo Company (NZ)"}
TENANT_B = {"id": "c-b", "tenantId": "tenant-b", "tenantType": "ORGANISATION", "tenantName": "Demo Company (UK)"}

pytestmark = pytest.mark.django_db


def mock_token_and_tenants(tenants, *, lists=True):
    responses.add(
        responses.POST,
        TOKEN_URL,
        json={"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 1800, "token_type": "Bearer"},
    )
    responses.add(responses.GET, CONNECTIONS_URL, json=tenants)
    if lists:
        responses.add(
            responses.GET,
            f"{API}/Accounts",
            json={
                "Accounts": [
                    {"Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE", "TaxType": "OUTPUT2"}
                ]
            },
        )
        responses.add(
            responses.GET,
            f"{API}/TaxRates",
            json={
                "TaxRates": [
                    {
                        "Name": "15% GST on Income",
                        "TaxType": "OUTPUT2",
                        "Status": "ACTIVE",
                        "EffectiveRate": 15.0,
                        "CanApplyToRevenue": True,
                    },
                    {
                        "Name": "15% GST on Expenses",
                        "TaxType": "INPUT2",
                        "Status": "ACTIVE",
                        "EffectiveRate": 15.0,
                        "CanApplyToRevenue": False,
                    },
                ]
            },
        )
        responses.add(responses.GET, f"{API}/Items", json={"Items": []})
        responses.add(
            responses.GET,
            f"{API}/Organisation",
            json={
                "Organisations": [{"Name": "Demo", "ShortCode": "!mBdtL", "BaseCurrency": "NZD", "CountryCode": "NZ"}]
            },
        )


def start(client, subsidiary, name="Xero NL"):
    """POST the connect form; returns the state (and checks the redirect to Xero's authorize URL)."""
    response = client.post(reverse("integrations:connect", args=["xero"]), {"subsidiary": subsidiary.pk, "name": name})
    assert response.status_code == 302, response.content[:500]
    location = urlsplit(response["Location"])
    assert (
        f"{location.scheme}://{location.netloc}{location.path}" == "https://login.xero.com/identity/connect/authorize"
    )
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    state = AuthorizationState.objects.get(state=query["state"])
    assert query["response_type"] == "code"
    assert query["client_id"] == "test-xero-client-id"
    assert query["redirect_uri"] == "http://127.0.0.1:8000/integrations/xero/callback/"
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] == code_challenge(state.code_verifier)
    assert "offline_access" in query["scope"].split()
    return state


def callback(client, **params):
    return client.get(reverse("integrations:callback", args=["xero"]), params)


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- happy path ----------------------------------------------------------------------------------------------


@responses.activate
def test_connect_happy_path_creates_the_connection_and_goes_to_setup(admin_client, admin_user, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A])

    response = callback(admin_client, code="the-code", state=state.state)

    connection = Connection.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
    assert (connection.organization, connection.subsidiary, connection.provider) == (
        subsidiary.organization,
        subsidiary,
        "xero",
    )
    assert (connection.name, connection.remote_tenant_id, connection.remote_tenant_name) == (
        "Xero NL",
        "tenant-a",
        "Demo Company (NZ)",
    )
    assert connection.remote_connection_id == "c-a"
    assert connection.is_sandbox is False
    assert connection.status == ConnectionStatus.ACTIVE
    assert (connection.grant.access_token, connection.grant.refresh_token) == (ACCESS, REFRESH)
    assert (connection.grant.provider, connection.grant.granted_by) == ("xero", admin_user)
    assert connection.grant.access_token_obtained_at is not None
    assert connection.created_by == admin_user
    assert connection.settings["numbering"] == "app"
    assert [a["code"] for a in connection.settings["lists"]["accounts"]] == ["200"]
    assert connection.settings["tenant"] == {"short_code": "!mBdtL", "base_currency": "NZD", "country": "NZ"}
    # The code exchange: PKCE verifier, exact redirect URI, client credentials in Basic auth.
    sent = parse_qs(responses.calls[0].request.body)
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"] == ["the-code"]
    assert sent["code_verifier"] == [state.code_verifier]
    assert sent["redirect_uri"] == ["http://127.0.0.1:8000/integrations/xero/callback/"]
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert responses.calls[1].request.headers["Authorization"] == f"Bearer {ACCESS}"
    state.refresh_from_db()
    assert state.used_at and state.completed_at and state.pending_token == ""


@override_settings(XERO_USES_SANDBOX=True)
@responses.activate
def test_a_sandbox_connection_is_flagged(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A])
    callback(admin_client, code="c", state=state.state)
    assert Connection.objects.get().is_sandbox is True


@responses.activate
def test_several_tenants_lead_to_a_choice(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])

    response = callback(admin_client, code="c", state=state.state)
    assert response["Location"] == reverse("integrations:choose-tenant", args=["xero"])
    assert not Connection.objects.exists()
    page = admin_client.get(response["Location"])
    assert b"Demo Company (NZ)" in page.content and b"Demo Company (UK)" in page.content

    response = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"tenant": "tenant-b"})
    connection = Connection.objects.get()
    assert response["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
    assert (connection.remote_tenant_id, connection.remote_connection_id) == ("tenant-b", "c-b")
    # The choice is single use.
    again = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"tenant": "tenant-a"})
    assert again["Location"] == reverse("integrations:marketplace")
    assert Connection.objects.count() == 1


@responses.activate
def test_several_tenants_chosen_at_once_become_connections_on_one_grant(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    callback(admin_client, code="c", state=state.state)
    url = reverse("integrations:choose-tenant", args=["xero"])
    page = admin_client.get(url).content.decode()
    assert page.count('type="checkbox" name="tenant"') == 2

    nothing = admin_client.post(url, {})
    assert nothing.status_code == 200 and "Choose at least one organisation." in nothing.content.decode()
    assert not Connection.objects.exists()

    response = admin_client.post(url, {"tenant": ["tenant-a", "tenant-b"]})
    assert response["Location"] == reverse("integrations:marketplace")  # each card offers its own setup
    connections = list(Connection.objects.order_by("remote_tenant_id"))
    assert [c.remote_tenant_id for c in connections] == ["tenant-a", "tenant-b"]
    assert connections[0].grant_id == connections[1].grant_id is not None
    assert [c.name.split(" · ")[-1] for c in connections] == ["Demo Company (NZ)", "Demo Company (UK)"]
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert sum("is connected to" in m for m in messages) == 2


@responses.activate
def test_choosing_a_tenant_that_was_not_granted_is_refused(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A, TENANT_B])
    callback(admin_client, code="c", state=state.state)
    response = admin_client.post(reverse("integrations:choose-tenant", args=["xero"]), {"tenant": "tenant-evil"})
    assert response.status_code == 200
    assert not Connection.objects.exists()


# --- failures: a clear message and no connection --------------------------------------------------------------


def assert_refused(response, text):
    assert response.status_code == 302
    assert response["Location"] == reverse("integrations:marketplace")
    assert any(text in message for message in messages_of(response)), messages_of(response)
    assert not Connection.objects.exists()


@responses.activate
def test_denied_consent(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    response = callback(admin_client, error="access_denied", state=state.state)
    assert_refused(response, "did not allow access")
    assert len(responses.calls) == 0


@responses.activate
def test_missing_state(admin_client, subsidiary):
    start(admin_client, subsidiary)
    assert_refused(callback(admin_client, code="c"), "no state")


@responses.activate
def test_unknown_state(admin_client, subsidiary):
    start(admin_client, subsidiary)
    assert_refused(callback(admin_client, code="c", state="forged"), "unknown")


@responses.activate
def test_replayed_state(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A])
    callback(admin_client, code="c", state=state.state)
    Connection.objects.all().delete()
    assert_refused(callback(admin_client, code="c", state=state.state), "already used")


@responses.activate
def test_expired_state(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = callback(admin_client, code="c", state=state.state)
    assert_refused(response, "expired")


@responses.activate
def test_state_of_another_session_is_refused(admin_user, subsidiary):
    first, second = Client(), Client()
    first.force_login(admin_user)
    second.force_login(admin_user)
    state = start(first, subsidiary)
    assert_refused(callback(second, code="c", state=state.state), "another user or in another browser session")
    state.refresh_from_db()
    assert state.used_at is None  # the rightful session can still finish


@responses.activate
def test_state_of_another_user_is_refused(admin_client, organization, subsidiary):
    other = get_user_model().objects.create_user("second@acme.test", "second@acme.test", "pw-123-pw")
    MembershipFactory(user=other, organization=organization, role=Role.ADMIN)
    state = start(admin_client, subsidiary)
    client = Client()
    client.force_login(other)
    assert_refused(callback(client, code="c", state=state.state), "another user")


@responses.activate
def test_token_error_is_shown_and_nothing_created(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    responses.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    assert_refused(callback(admin_client, code="stale", state=state.state), "invalid_grant")


@responses.activate
def test_no_tenant_granted(admin_client, subsidiary):
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([], lists=False)
    assert_refused(callback(admin_client, code="c", state=state.state), "did not grant access")


def test_connect_form_needs_an_own_subsidiary(admin_client, other_organization):
    from tests.factories import SubsidiaryFactory

    foreign = SubsidiaryFactory(organization=other_organization)
    response = admin_client.post(
        reverse("integrations:connect", args=["xero"]), {"subsidiary": foreign.pk, "name": "x"}
    )
    assert response.status_code == 200
    assert not AuthorizationState.objects.exists()


# --- reconnect ---------------------------------------------------------------------------------------------------


def _connection_with_history(organization, subsidiary, **extra):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        remote_tenant_id="tenant-a",
        remote_tenant_name="Old name",
        status=ConnectionStatus.NEEDS_RECONNECT,
        last_error="invalid_grant",
        **extra,
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    RemoteDocument.objects.create(
        organization=organization,
        invoice=invoice,
        connection=connection,
        idempotency_key="k1",
        status="succeeded",
        remote_id="r1",
        is_latest=True,
    )
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id="contact-1")
    TaxRateMapping.objects.create(
        connection=connection, tax_rate=TaxRateFactory(organization=organization), remote_code="OUTPUT2"
    )
    return connection


def reconnect(client, connection):
    response = client.post(reverse("integrations:connection-reconnect", args=[connection.pk]))
    assert response.status_code == 302
    query = {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}
    return AuthorizationState.objects.get(state=query["state"])


@responses.activate
def test_reconnect_same_tenant_keeps_everything(admin_client, organization, subsidiary):
    connection = _connection_with_history(organization, subsidiary)
    state = reconnect(admin_client, connection)
    assert state.reconnect == connection
    mock_token_and_tenants([TENANT_B, TENANT_A])  # several granted: the reconnected one is picked, no choice

    response = callback(admin_client, code="c", state=state.state)

    assert response["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
    assert Connection.objects.count() == 1
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE
    assert connection.last_error == ""
    assert (connection.grant.access_token, connection.grant.refresh_token) == (ACCESS, REFRESH)
    assert Grant.objects.count() == 1  # the reconnect replaced the grant's credentials
    assert connection.remote_tenant_name == "Demo Company (NZ)"
    assert connection.remote_documents.count() == 1
    assert connection.contact_links.count() == 1
    assert connection.tax_rate_mappings.count() == 1


@responses.activate
def test_reconnect_to_a_different_tenant_is_refused_and_changes_nothing(admin_client, organization, subsidiary):
    connection = _connection_with_history(organization, subsidiary)
    before = Connection.objects.values().get(pk=connection.pk)
    state = reconnect(admin_client, connection)
    mock_token_and_tenants([TENANT_B], lists=False)

    response = callback(admin_client, code="c", state=state.state)

    assert response["Location"] == reverse("integrations:marketplace")
    assert any("cannot switch" in m for m in messages_of(response))
    assert Connection.objects.values().get(pk=connection.pk) == before
    assert Connection.objects.count() == 1


def test_reconnect_of_another_organizations_connection_is_404(admin_client, other_organization):
    foreign = ConnectionFactory(organization=other_organization)
    response = admin_client.post(reverse("integrations:connection-reconnect", args=[foreign.pk]))
    assert response.status_code == 404
    assert not AuthorizationState.objects.exists()


# --- marketplace -------------------------------------------------------------------------------------------------


def test_marketplace_lists_connections_with_their_state(admin_client, organization, subsidiary):
    tax = TaxRateFactory(organization=organization)
    ready = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Ready one",
        settings={"default_account": "200"},
        last_synced_at=timezone.now(),
    )
    TaxRateMapping.objects.create(connection=ready, tax_rate=tax, remote_code="OUTPUT2")
    ConnectionFactory(organization=organization, subsidiary=subsidiary, name="Half done")
    ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Broken one",
        status=ConnectionStatus.NEEDS_RECONNECT,
        last_error="Xero said invalid_grant",
    )
    ConnectionFactory(organization=organization, name="Not ours", provider="xero").delete()

    page = admin_client.get(reverse("integrations:marketplace")).content.decode()

    assert "Connect app" in page and "xero/logo.svg" in page
    assert "✔ Ready" in page and "Setup incomplete" in page
    assert "Reconnect" in page and "Xero said invalid_grant" in page
    assert reverse("integrations:connection-setup", args=[ready.pk]) in page
    assert reverse("integrations:connection-disconnect", args=[ready.pk]) in page


def test_marketplace_shows_upgrade_hint_on_essential(admin_client, organization):
    organization.plan = Plan.ESSENTIAL
    organization.save()
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Upgrade to the Professional plan to export expenses as bills" in page
    organization.plan = Plan.PROFESSIONAL
    organization.save()
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Upgrade" not in page


def test_marketplace_shows_expense_export_and_purchase_orders_as_working(admin_client):
    """Issue 10 built them: no longer "coming soon" on the Xero card."""
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "✓ Copy invoices" in page
    assert "✓ Export expenses as bills" in page and "✓ Copy purchase orders" in page
    assert 'Export expenses as bills <span class="small">(coming soon)</span>' not in page


@override_settings(XERO_CLIENT_ID="")
def test_unconfigured_provider_is_hidden_and_its_urls_404(admin_client, organization, subsidiary):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Connect app" not in page
    assert admin_client.get(reverse("integrations:connect", args=["xero"])).status_code == 404
    assert admin_client.get(reverse("integrations:callback", args=["xero"]), {"state": "x"}).status_code == 404
    assert admin_client.get(reverse("integrations:choose-tenant", args=["xero"])).status_code == 404
    assert admin_client.get(reverse("integrations:connection-setup", args=[connection.pk])).status_code == 404
    assert admin_client.get(reverse("integrations:connection-disconnect", args=[connection.pk])).status_code == 404


def test_unknown_provider_is_404(admin_client):
    assert admin_client.get(reverse("integrations:connect", args=["nope"])).status_code == 404


# --- setup -------------------------------------------------------------------------------------------------------


LISTS = {
    "accounts": [
        {"code": "200", "name": "Sales", "extra": {"tax_type": "OUTPUT2"}},
        {"code": "260", "name": "Other Revenue", "extra": {"tax_type": "OUTPUT2"}},
    ],
    "tax_types": [
        {"code": "OUTPUT2", "name": "15% GST on Income", "extra": {"rate": "15.0", "can_apply_to_revenue": True}},
        {"code": "INPUT2", "name": "15% GST on Expenses", "extra": {"rate": "15.0", "can_apply_to_revenue": False}},
    ],
    "items": [],
    "refreshed_at": "2026-11-21T10:00:00+00:00",
}


@pytest.fixture
def set_up(organization, subsidiary):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, settings={"lists": LISTS})
    return connection, ServiceTypeFactory(organization=organization), TaxRateFactory(organization=organization)


def setup_post(client, connection, **fields):
    return client.post(reverse("integrations:connection-setup", args=[connection.pk]), {"numbering": "app", **fields})


def test_setup_saves_and_completes(admin_client, set_up):
    connection, service_type, tax_rate = set_up
    page = admin_client.get(reverse("integrations:connection-setup", args=[connection.pk]))
    assert page.status_code == 200 and b"Sales" in page.content

    response = setup_post(
        admin_client,
        connection,
        sync_payments="on",
        numbering="provider",
        default_account="200",
        **{f"service_type_{service_type.pk}": "260", f"tax_rate_{tax_rate.pk}": "OUTPUT2"},
    )

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.settings["numbering"] == "provider"
    assert connection.settings["default_account"] == "200"
    assert connection.settings["sync_payments"] is True
    assert connection.payment_sync_enabled_at is not None
    assert ServiceTypeMapping.objects.get(connection=connection).remote_code == "260"
    assert TaxRateMapping.objects.get(connection=connection).remote_code == "OUTPUT2"
    assert "is set up" in " ".join(messages_of(response))
    assert "✔ Ready" in admin_client.get(reverse("integrations:marketplace")).content.decode()


def test_turning_payment_sync_off_and_on_keeps_the_first_enable_time(admin_client, set_up):
    connection, _service_type, _tax_rate = set_up
    setup_post(admin_client, connection, sync_payments="on")
    connection.refresh_from_db()
    first = connection.payment_sync_enabled_at
    setup_post(admin_client, connection)
    connection.refresh_from_db()
    assert connection.settings["sync_payments"] is False
    assert connection.payment_sync_enabled_at == first
    setup_post(admin_client, connection, sync_payments="on")
    connection.refresh_from_db()
    assert connection.payment_sync_enabled_at == first


def test_a_tax_type_xero_refuses_on_revenue_is_rejected_and_nothing_saved(admin_client, set_up):
    connection, _service_type, tax_rate = set_up
    response = setup_post(admin_client, connection, default_account="200", **{f"tax_rate_{tax_rate.pk}": "INPUT2"})
    assert response.status_code == 200
    assert "does not allow “15% GST on Expenses” (INPUT2) on revenue accounts" in response.content.decode()
    connection.refresh_from_db()
    assert "default_account" not in connection.settings
    assert not TaxRateMapping.objects.exists()


def test_an_incomplete_setup_saves_with_a_warning(admin_client, set_up, organization, subsidiary):
    connection, _service_type, tax_rate = set_up
    # Only a tax rate the subsidiary's invoices use is needed: this one is.
    make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        lines=[LineInput("Design", Decimal("1"), Decimal("100.00"), tax_rate=tax_rate)],
    )
    response = setup_post(admin_client, connection, default_account="200")
    text = " ".join(messages_of(response))
    assert "not ready to copy invoices" in text and f"a Xero tax rate for “{tax_rate}”" in text


def test_another_organizations_tax_rate_is_never_mapped(admin_client, set_up, other_organization):
    connection, _service_type, _tax_rate = set_up
    foreign = TaxRateFactory(organization=other_organization)
    setup_post(admin_client, connection, **{f"tax_rate_{foreign.pk}": "OUTPUT2"})
    assert not TaxRateMapping.objects.filter(tax_rate=foreign).exists()


@responses.activate
def test_refresh_lists(admin_client, set_up):
    connection, _service_type, _tax_rate = set_up
    mock_token_and_tenants([], lists=True)
    responses.calls.reset()
    response = admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert [a["code"] for a in connection.settings["lists"]["accounts"]] == ["200"]
    assert "Lists refreshed" in " ".join(messages_of(response))


@responses.activate
def test_refresh_lists_failure_is_shown(admin_client, set_up):
    connection, _service_type, _tax_rate = set_up
    responses.add(responses.GET, f"{API}/Accounts", status=503)
    response = admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
    assert "Could not load the lists" in " ".join(messages_of(response))
    connection.refresh_from_db()
    assert connection.settings["lists"] == LISTS
    assert connection.status == ConnectionStatus.ACTIVE


# --- disconnect --------------------------------------------------------------------------------------------------


@responses.activate
def test_disconnect_revokes_wipes_tokens_and_keeps_history(admin_client, organization, subsidiary):
    connection = _connection_with_history(organization, subsidiary)
    Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.ACTIVE)
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/{connection.remote_connection_id}", status=204)

    page = admin_client.get(reverse("integrations:connection-disconnect", args=[connection.pk]))
    assert page.status_code == 200 and b"1 invoice copy" in page.content
    response = admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))

    assert response["Location"] == reverse("integrations:marketplace")
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED
    assert connection.grant is None
    assert not Grant.objects.exists()  # no connection uses it any more: the credentials are gone
    assert connection.remote_documents.count() == 1 and connection.contact_links.count() == 1
    assert len(responses.calls) == 1


@responses.activate
def test_disconnect_when_xero_fails_still_disconnects(admin_client, organization, subsidiary, caplog):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    responses.add(responses.DELETE, f"{CONNECTIONS_URL}/{connection.remote_connection_id}", status=500)
    response = admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.grant is None
    assert connection.log_entries.filter(action="connection.revoke", level="warning").exists()
    assert "revoking at xero failed" in caplog.text


# --- security ----------------------------------------------------------------------------------------------------


def _all_pages(connection):
    return [
        ("get", reverse("integrations:marketplace")),
        ("get", reverse("integrations:connect", args=["xero"])),
        ("post", reverse("integrations:connect", args=["xero"])),
        ("get", reverse("integrations:choose-tenant", args=["xero"])),
        ("post", reverse("integrations:choose-tenant", args=["xero"])),
        ("get", reverse("integrations:callback", args=["xero"])),
        ("get", reverse("integrations:connection-setup", args=[connection.pk])),
        ("post", reverse("integrations:connection-setup", args=[connection.pk])),
        ("post", reverse("integrations:connection-refresh-lists", args=[connection.pk])),
        ("post", reverse("integrations:connection-reconnect", args=[connection.pk])),
        ("get", reverse("integrations:connection-disconnect", args=[connection.pk])),
        ("post", reverse("integrations:connection-disconnect", args=[connection.pk])),
    ]


@responses.activate
def test_member_gets_403_on_every_integrations_page(member_client, organization, subsidiary):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    for method, url in _all_pages(connection):
        assert getattr(member_client, method)(url).status_code == 403, url
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE
    assert len(responses.calls) == 0


def test_another_organizations_connection_is_404(admin_client, other_organization):
    foreign = ConnectionFactory(organization=other_organization)
    for method, url in _all_pages(foreign):
        if "/connections/" in url:
            assert getattr(admin_client, method)(url).status_code == 404, url
    foreign.refresh_from_db()
    assert foreign.status == ConnectionStatus.ACTIVE and foreign.grant.access_token


@responses.activate
def test_no_token_appears_in_pages_admin_or_logs(admin_client, admin_user, subsidiary, caplog):
    caplog.set_level(logging.DEBUG)
    state = start(admin_client, subsidiary)
    mock_token_and_tenants([TENANT_A])
    callback(admin_client, code="c", state=state.state)
    connection = Connection.objects.get()
    tax = TaxRateFactory(organization=subsidiary.organization)
    setup_post(admin_client, connection, default_account="200", **{f"tax_rate_{tax.pk}": "OUTPUT2"})

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    pages = [
        reverse("integrations:marketplace"),
        reverse("integrations:connection-setup", args=[connection.pk]),
        reverse("integrations:connection-disconnect", args=[connection.pk]),
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_authorizationstate_changelist"),
        reverse("admin:integrations_authorizationstate_change", args=[state.pk]),
        reverse("admin:integrations_synclogentry_changelist"),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in (ACCESS, REFRESH, state.code_verifier):
            assert secret not in body, f"{url} shows a credential"
    for secret in (ACCESS, REFRESH, state.code_verifier):
        assert secret not in caplog.text


TENANT_UUID = "fe79f7dd-b6d4-4a92-ba7b-538af6289c58"


def test_a_sandbox_connection_card_links_to_the_sandbox_organisation(admin_client, organization, subsidiary):
    ConnectionFactory(organization=organization, subsidiary=subsidiary, is_sandbox=True, remote_tenant_id=TENANT_UUID)
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert reverse("sandbox:xero-org", kwargs={"tenant_id": TENANT_UUID}) in page


@responses.activate
def test_reviving_a_disconnected_connection_whose_tenant_is_connected_again_is_refused(
    admin_client, organization, subsidiary
):
    old = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        remote_tenant_id="tenant-a",
        status=ConnectionStatus.DISCONNECTED,
    )
    ConnectionFactory(organization=organization, subsidiary=subsidiary, remote_tenant_id="tenant-a")
    state = reconnect(admin_client, old)
    mock_token_and_tenants([TENANT_A], lists=False)
    response = callback(admin_client, code="c", state=state.state)
    assert any("by another connection now" in m for m in messages_of(response))
    old.refresh_from_db()
    assert old.status == ConnectionStatus.DISCONNECTED


def test_integrations_admin_pages_open_and_connections_cannot_be_added(admin_client, admin_user, organization):
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    ConnectionFactory(organization=organization)
    for model in (
        "connection",
        "authorizationstate",
        "remotedocument",
        "contactlink",
        "servicetypemapping",
        "taxratemapping",
        "syncrun",
        "synclogentry",
        "remotepayment",
        "grant",
    ):
        assert admin_client.get(reverse(f"admin:integrations_{model}_changelist")).status_code == 200, model
    assert admin_client.get(reverse("admin:integrations_connection_add")).status_code == 403
    change = admin_client.get(reverse("admin:integrations_connection_change", args=[Connection.objects.get().pk]))
    assert "access_token" not in change.content.decode() and "refresh_token" not in change.content.decode()
    grant = admin_client.get(reverse("admin:integrations_grant_change", args=[Grant.objects.get().pk])).content.decode()
    assert 'field-access_token"' not in grant and 'field-refresh_token"' not in grant
    assert "access_token_obtained_at" in grant  # the page is the grant's, with what support may read
    assert "SECRET" not in grant  # the factory's tokens all carry it


def test_the_setup_page_shows_what_is_saved_and_saving_it_unchanged_changes_nothing(admin_client, set_up):
    connection, service_type, tax_rate = set_up
    setup_post(
        admin_client,
        connection,
        sync_payments="on",
        numbering="provider",
        default_account="200",
        **{f"service_type_{service_type.pk}": "260", f"tax_rate_{tax_rate.pk}": "OUTPUT2"},
    )
    form = admin_client.get(reverse("integrations:connection-setup", args=[connection.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    assert data["numbering"] == "provider" and data["default_account"] == "200" and data["sync_payments"] is True
    assert data[f"service_type_{service_type.pk}"] == "260" and data[f"tax_rate_{tax_rate.pk}"] == "OUTPUT2"
    connection.refresh_from_db()
    before = dict(connection.settings)
    setup_post(admin_client, connection, **{k: ("on" if v is True else v) for k, v in data.items() if v is not False})
    connection.refresh_from_db()
    assert connection.settings == before


def test_old_authorization_states_are_purged(admin_user, subsidiary):
    from integrations.services.connections import authorization_states_purge

    old = AuthorizationState.objects.create(
        provider="xero",
        organization=subsidiary.organization,
        subsidiary=subsidiary,
        user=admin_user,
        session_key_hash="x",
        connection_name="n",
        pending_token='{"access": "abandoned"}',
    )
    AuthorizationState.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    fresh = AuthorizationState.objects.create(
        provider="xero",
        organization=subsidiary.organization,
        subsidiary=subsidiary,
        user=admin_user,
        session_key_hash="y",
        connection_name="n",
    )
    assert authorization_states_purge() == 1
    assert list(AuthorizationState.objects.all()) == [fresh]


def test_sync_now_shows_on_active_connections_with_payment_sync_on(admin_client, organization, subsidiary):
    syncing = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"sync_payments": True},
        payment_sync_enabled_at=timezone.now(),
    )
    ConnectionFactory(organization=organization, subsidiary=subsidiary, settings={"sync_payments": False})
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert page.count("Sync now") == 1
    assert reverse("integrations:connection-sync", args=[syncing.pk]) in page
