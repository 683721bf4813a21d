"""The kit's migration carries Xero's sandbox rows (consents, token sets, connections, limits, faults, replays,
the call log) into the provider-keyed tables, and a sandbox connected before it keeps working after it."""

import datetime as dt
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from integrations.sandbox.models import (
    ApiCall,
    AuthCode,
    Connection,
    Fault,
    Grant,
    IdempotentResponse,
    InFlight,
    RateCounter,
    Token,
)
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID

BEFORE_KIT = [("sandbox", "0001_initial")]
KIT = [("sandbox", "0002_kit_tables_keyed_by_provider")]
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
FAR = NOW + dt.timedelta(days=3650)  # tokens still live when the test runs


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _fill_old_tables(apps) -> dict:
    org_model = apps.get_model("sandbox", "XeroOrg")
    common = {"legal_name": "x", "version": "UK", "timezone": "UTC", "short_code": "!x", "created_at": NOW}
    trading = org_model.objects.create(
        tenant_id=TRADING_TENANT_ID, name="Sandbox Trading Ltd", base_currency="GBP", country_code="GB", **common
    )
    design = org_model.objects.create(
        tenant_id=DESIGN_TENANT_ID, name="Sandbox Design B.V.", base_currency="EUR", country_code="NL", **common
    )
    model = lambda name: apps.get_model("sandbox", f"Xero{name}")  # noqa: E731
    grant = model("Grant").objects.create(
        client_id="sandbox-xero-client", scope="openid accounting.settings.read", created_at=NOW
    )
    grant.orgs.set([trading, design])
    model("Token").objects.create(
        grant=grant, kind="access", token_hash=_sha("old-access"), expires_at=FAR, created_at=NOW
    )
    model("Token").objects.create(
        grant=grant, kind="refresh", token_hash=_sha("old-refresh"), expires_at=FAR, created_at=NOW
    )
    code = model("AuthCode").objects.create(
        code_hash=_sha("old-code"),
        client_id="sandbox-xero-client",
        redirect_uri="http://x/cb",
        scope="openid",
        expires_at=NOW,
        created_at=NOW,
    )
    code.orgs.set([design])
    for org in (trading, design):
        model("Connection").objects.create(
            client_id="sandbox-xero-client", org=org, auth_event_id=grant.auth_event_id, created_at=NOW, updated_at=NOW
        )
    model("RateCounter").objects.create(org=trading, window_count=7, day=NOW.date(), day_count=42)
    model("InFlight").objects.create(org=design, started_at=NOW)
    model("Fault").objects.create(org=trading, kind="server_error", created_at=NOW)
    model("IdempotentResponse").objects.create(
        org=trading,
        key="k-1",
        method="PUT",
        path="/x",
        status_code=200,
        content_type="application/json",
        body="{}",
        created_at=NOW,
    )
    model("ApiCall").objects.create(org=trading, at=NOW, method="GET", path="/Organisation", status_code=200)
    model("ApiCall").objects.create(org=None, at=NOW, method="GET", path="/Invoices", status_code=401)
    return {"auth_event_id": grant.auth_event_id}


@pytest.mark.django_db(transaction=True)
def test_xero_rows_move_to_the_kit_tables_and_the_old_token_still_works():
    executor = _migrate(BEFORE_KIT)
    try:
        filled = _fill_old_tables(executor.loader.project_state(BEFORE_KIT).apps)
        _migrate(KIT)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    grant = Grant.objects.get()
    assert (grant.provider, grant.auth_event_id) == ("xero", filled["auth_event_id"])
    assert sorted(grant.tenant_keys) == sorted([TRADING_TENANT_ID, DESIGN_TENANT_ID])
    assert set(Token.objects.values_list("grant_id", "kind", "token_hash")) == {
        (grant.pk, "access", _sha("old-access")),
        (grant.pk, "refresh", _sha("old-refresh")),
    }
    assert AuthCode.objects.get().tenant_keys == [DESIGN_TENANT_ID]
    assert set(Connection.objects.values_list("provider", "tenant_key", "is_active")) == {
        ("xero", TRADING_TENANT_ID, True),
        ("xero", DESIGN_TENANT_ID, True),
    }
    counter = RateCounter.objects.get(provider="xero", tenant_key=TRADING_TENANT_ID)
    assert (counter.window_count, counter.day_count) == (7, 42)
    assert InFlight.objects.get().tenant_key == DESIGN_TENANT_ID
    assert Fault.objects.get().tenant_key == TRADING_TENANT_ID
    assert IdempotentResponse.objects.get().key == "k-1"
    assert set(ApiCall.objects.values_list("tenant_key", "status_code")) == {(TRADING_TENANT_ID, 200), ("", 401)}

    # The app's stored access token from before the migration still opens the organisation.
    response = Client().get(
        "/sandbox/xero/api/connections", HTTP_AUTHORIZATION="Bearer old-access", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert {row["tenantId"] for row in response.json()} == {TRADING_TENANT_ID, DESIGN_TENANT_ID}


@pytest.mark.django_db(transaction=True)
def test_the_migration_reverses_with_the_rows():
    executor = _migrate(BEFORE_KIT)
    try:
        _fill_old_tables(executor.loader.project_state(BEFORE_KIT).apps)
        _migrate(KIT)
        executor = _migrate(BEFORE_KIT)
        old = executor.loader.project_state(BEFORE_KIT).apps
        grant = old.get_model("sandbox", "XeroGrant").objects.get()
        assert {str(org.tenant_id) for org in grant.orgs.all()} == {TRADING_TENANT_ID, DESIGN_TENANT_ID}
        assert old.get_model("sandbox", "XeroToken").objects.filter(grant=grant).count() == 2
        assert old.get_model("sandbox", "XeroConnection").objects.count() == 2
        assert old.get_model("sandbox", "XeroRateCounter").objects.get().day_count == 42
        assert old.get_model("sandbox", "XeroApiCall").objects.count() == 2
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
