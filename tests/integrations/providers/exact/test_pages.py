"""Exact through the pages: connect (locale → host, the user's divisions, one grant), both setup screens, the copy
prompt (journal pre-filled, ledger pre-selected or manual, VAT codes from Exact or the "set them up first"
refusal), ledger fallback per service type, plan gating, and no credential in any page or log line."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from billing.choices import Plan
from billing.services import LineInput
from integrations import registry
from integrations.models import Connection, ContactLink, CopyStatus, Grant, ServiceTypeMapping
from tests.factories import CompanyFactory, ServiceTypeFactory, make_invoice

from .fake_exact import HOSTS, FakeExact
from .helpers import LEDGER, OTHER_LEDGER, READY_SETTINGS, exact_connection, serve_connect, token_answer

pytestmark = pytest.mark.django_db

ACCOUNT = "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f"


def test_connect_asks_the_locale_and_connects_the_chosen_divisions_on_one_grant(admin_client, subsidiary, caplog):
    caplog.set_level(logging.DEBUG)
    response = admin_client.post(
        reverse("integrations:connect", args=["exact"]), {"subsidiary": subsidiary.pk, "name": "Books", "region": "be"}
    )
    location = response["Location"]
    assert location.startswith("https://start.exactonline.be/api/oauth2/auth?")
    query = parse_qs(urlsplit(location).query)
    assert query["client_id"] == ["test-exact-client-id"] and query["response_type"] == ["code"]
    assert "code_challenge" not in query  # Exact documents no PKCE

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        serve_connect(mock, [101, 202], region="be")
        server = FakeExact(mock, region="be").install()
        callback = admin_client.get(
            reverse("integrations:callback", args=["exact"]), {"code": "c%21x", "state": query["state"][0]}
        )
        assert callback["Location"] == reverse("integrations:choose-tenant", args=["exact"])
        choose = admin_client.get(callback["Location"]).content.decode()
        assert "Demo 101 (101)" in choose and "Demo 202 (202)" in choose and "Divisions" in choose
        admin_client.post(callback["Location"], {"tenant": ["101", "202"]})
        token_call = next(call for call in mock.calls if call.request.url.endswith("/api/oauth2/token"))
        body = parse_qs(token_call.request.body)
        assert body["client_id"] == ["test-exact-client-id"] and body["client_secret"] == ["test-exact-client-secret"]
        assert body["grant_type"] == ["authorization_code"]
        connections = list(Connection.objects.filter(provider="exact").order_by("remote_tenant_id"))
        assert [(c.remote_tenant_id, c.region) for c in connections] == [("101", "be"), ("202", "be")]
        assert len({c.grant_id for c in connections}) == 1
        for connection in connections:
            admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
        assert all(call.request.url.startswith(HOSTS["be"]) for call in mock.calls)
        assert not server.subscriptions  # SITE_URL is not public here

    connections[0].refresh_from_db()
    lists = connections[0].settings["lists"]
    assert [j["code"] for j in lists["journals"]] == ["70"] and len(lists["ledgers"]) == 2
    assert connections[0].settings["tenant"]["base_currency"] == "EUR"
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Demo 101 (101) · BE" in page
    for secret in ("exact-access", "exact-refresh"):
        assert secret not in page and secret not in caplog.text


def test_a_refresh_goes_to_the_connections_locale_host(mock):
    connection = exact_connection(region="de", token_expires_at=timezone.now() - timedelta(seconds=5))
    mock.add(responses.POST, f"{HOSTS['de']}/api/oauth2/token", json=token_answer("de-access", "de-refresh"))
    from integrations.tokens import connection_access_token

    assert connection_access_token(connection) == "de-access"
    assert parse_qs(mock.calls[0].request.body)["grant_type"] == ["refresh_token"]
    assert Grant.objects.get(pk=connection.grant_id).refresh_token == "de-refresh"


def test_both_setup_screens_render_and_save(admin_client, organization, subsidiary):
    service = ServiceTypeFactory(organization=organization, name="Licences")
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    url = reverse("integrations:connection-setup", args=[connection.pk])
    page = admin_client.get(url).content.decode()
    for text in (
        "Division, numbering, journal and payments",
        "Ledgers",
        "Manually select ledger on invoice",
        f"Division {connection.remote_tenant_id}",
        "matched in Exact",
        "Licences",
    ):
        assert text in page, text
    response = admin_client.post(
        url,
        {
            "numbering": "provider",
            "journal": "",
            "sync_payments": "on",
            "default_ledger": LEDGER,
            f"service_ledger_{service.pk}": OTHER_LEDGER,
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    connection.refresh_from_db()
    assert connection.settings["numbering"] == "provider" and connection.settings["journal"] == ""
    assert ServiceTypeMapping.objects.get(connection=connection, service_type=service).remote_code == OTHER_LEDGER
    assert registry.get("exact").setup_is_complete(connection)


def prompt_url(invoice, connection):
    return reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk])


@pytest.fixture
def copy_case(organization, subsidiary):
    service = ServiceTypeFactory(organization=organization, name="Licences")
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    ServiceTypeMapping.objects.create(connection=connection, service_type=service, remote_code=OTHER_LEDGER)
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        lines=[
            LineInput("Design", Decimal("2"), Decimal("150.00"), None, None),
            LineInput("Licence", Decimal("1"), Decimal("99.00"), service, None),
        ],
        finalize=True,
    )
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=ACCOUNT, remote_name="Globex")
    return connection, invoice


def test_copy_prompt_prefills_and_lines_fall_back_to_the_default_ledger(admin_client, copy_case, mock):
    connection, invoice = copy_case
    page = admin_client.get(prompt_url(invoice, connection)).content.decode()
    assert 'value="70" selected' in page and f'value="{LEDGER}" selected' in page
    server = FakeExact(mock).install()
    response = admin_client.post(
        prompt_url(invoice, connection),
        {"contact": f"{ACCOUNT}::Globex", "journal": "70", "ledger": LEDGER, "vat_code": "2", "mode": "update"},
    )
    assert response.status_code in (200, 302)
    [entry] = server.entries.values()
    assert [line["GLAccount"] for line in entry["_lines"]] == [LEDGER, OTHER_LEDGER]  # unmapped → default
    assert {line["VATCode"] for line in entry["_lines"]} == {"2"}
    assert entry["Journal"] == "70" and entry["YourRef"] == invoice.number
    copy = invoice.copies.get()
    assert copy.status == CopyStatus.SUCCEEDED and copy.remote_number == invoice.number
    assert copy.remote_url.startswith(HOSTS["nl"]) and copy.remote_total == Decimal(str(entry["AmountFC"]))


def test_manual_ledger_is_required_on_the_prompt_and_not_preselected(admin_client, copy_case, mock):
    connection, invoice = copy_case
    connection.settings = {**connection.settings, "manual_ledger": True, "journal": ""}
    connection.save()
    page = admin_client.get(prompt_url(invoice, connection)).content.decode()
    assert "can&#x27;t be copied yet" not in page  # journal and ledger are asked here, not refused
    assert f'value="{LEDGER}" selected' not in page
    server = FakeExact(mock).install()
    refused = admin_client.post(
        prompt_url(invoice, connection),
        {"contact": f"{ACCOUNT}::Globex", "journal": "70", "ledger": "", "mode": "update"},
    )
    assert refused.status_code == 400 and "Choose the Exact ledger of this invoice" in refused.content.decode()
    assert not server.entries
    missing_journal = admin_client.post(
        prompt_url(invoice, connection), {"contact": f"{ACCOUNT}::Globex", "ledger": OTHER_LEDGER, "mode": "update"}
    )
    assert missing_journal.status_code == 400 and not server.entries
    admin_client.post(
        prompt_url(invoice, connection),
        {"contact": f"{ACCOUNT}::Globex", "journal": "70", "ledger": OTHER_LEDGER, "mode": "update"},
    )
    [entry] = server.entries.values()
    assert [line["GLAccount"] for line in entry["_lines"]] == [OTHER_LEDGER, OTHER_LEDGER]


def test_a_bulk_copy_with_manual_ledgers_refuses_unmapped_lines(copy_case, mock):
    from integrations import tasks

    connection, invoice = copy_case
    connection.settings = {**connection.settings, "manual_ledger": True}
    connection.save()
    server = FakeExact(mock).install()
    result = tasks.invoice_copy_batch_task(connection.pk, [invoice.pk], "update", None, 0)
    assert "ledgers are selected manually" in result or not invoice.copies.exists()
    assert not invoice.copies.exists() and not server.entries  # refused before anything was sent


def test_a_division_without_vat_codes_says_to_set_them_up_first(admin_client, copy_case, mock):
    connection, invoice = copy_case
    lists = {**connection.settings["lists"], "vat_codes": []}
    connection.settings = {**connection.settings, "lists": lists}
    connection.save()
    provider = registry.get("exact")
    assert any("VAT codes in Exact" in phrase for phrase in provider.setup_missing(connection))
    page = admin_client.get(prompt_url(invoice, connection)).content.decode()
    assert "VAT codes in Exact (this division has none: set them up in Exact first)" in page
    server = FakeExact(mock).install()
    admin_client.post(
        prompt_url(invoice, connection), {"contact": f"{ACCOUNT}::Globex", "journal": "70", "ledger": LEDGER}
    )
    assert not server.entries  # copying waits


def test_essential_sees_an_upgrade_hint_and_every_exact_url_refuses_it(
    admin_client, organization, subsidiary, copy_case, mock
):
    connection, invoice = copy_case
    organization.plan = Plan.ESSENTIAL
    organization.save()
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Exact Online is available on the Professional plan and higher" in page
    connect = admin_client.post(
        reverse("integrations:connect", args=["exact"]), {"subsidiary": subsidiary.pk, "name": "B", "region": "nl"}
    )
    assert connect.status_code != 302 or "exactonline" not in connect.get("Location", "")
    server = FakeExact(mock).install()
    admin_client.post(
        prompt_url(invoice, connection),
        {"contact": f"{ACCOUNT}::Globex", "journal": "70", "ledger": LEDGER, "mode": "update"},
    )
    assert not server.entries
    from integrations.services.payments_sync import payments_sync
    from integrations.tasks import payments_sync_connection

    payments_sync_connection(connection.pk)
    assert not mock.calls
    for plan in (Plan.PROFESSIONAL, Plan.ULTIMATE):
        organization.plan = plan
        organization.save()
        assert registry.get("exact").allows(organization)
    assert payments_sync  # the sync itself is gated by the task, as for every provider


def test_connect_says_what_exact_refused_when_listing_divisions(admin_user, organization, subsidiary, mock):
    from integrations.services.connections import authorization_callback, authorization_start

    provider = registry.get("exact")
    state, _url = authorization_start(
        provider=provider,
        organization=organization,
        user=admin_user,
        session_key="s",
        subsidiary=subsidiary,
        name="E",
        options={"region": "nl"},
    )
    mock.add(responses.POST, f"{HOSTS['nl']}/api/oauth2/token", json=token_answer())
    mock.add(
        responses.GET,
        f"{HOSTS['nl']}/api/v1/current/Me",
        status=403,
        json={"error": {"code": "", "message": {"lang": "", "value": "Forbidden - no licence"}}},
    )
    with pytest.raises(Exception) as caught:
        authorization_callback(
            provider=provider,
            params={"state": state.state, "code": "c"},
            user=admin_user,
            session_key="s",
            organization=organization,
        )
    assert "Forbidden - no licence" in str(getattr(caught.value, "provider_message", "")) + str(caught.value)
    assert not Connection.objects.filter(provider="exact").exists()


def test_below_the_plan_the_connections_pages_refuse_but_history_and_leaving_stay_open(
    admin_client, organization, copy_case, mock
):
    connection, invoice = copy_case
    organization.plan = Plan.ESSENTIAL
    organization.save()
    FakeExact(mock).install()
    refused = [
        reverse("integrations:connection-setup", args=[connection.pk]),
        reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk]),
        reverse("integrations:invoice-copy-contacts", args=[invoice.pk, connection.pk]) + "?q=Glo",
    ]
    for url in refused:
        assert admin_client.get(url).status_code == 403, url
    assert admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk])).status_code == 403
    assert not mock.calls  # nothing reached Exact
    assert admin_client.get(reverse("integrations:connection-activity", args=[connection.pk])).status_code == 200
    assert admin_client.get(reverse("integrations:connection-disconnect", args=[connection.pk])).status_code == 200
