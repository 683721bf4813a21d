"""Exact's "no more than 10 errors per API key, per user, per company, per endpoint, per hour" (400, 401, 403, 404)
in the sandbox, over HTTP: the 11th error on one endpoint of a division blocks that endpoint for an hour (a 429 in
Exact's error shape), other endpoints and divisions stay open, the division page shows the block and clears it;
and the app's Exact client, against the live sandbox, stops at its error budget before the block."""

import datetime as dt
from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from integrations.exceptions import ProviderValidationError, ThrottledError
from integrations.providers.exact.client import ExactApi
from integrations.sandbox.exact.provider import EXACT
from integrations.sandbox.kit import error_limits
from productive.settings.sandbox import sandbox_provider_settings
from tests.integrations.factories import ConnectionFactory

from .conftest import NL_DIVISION, NL_EMPTY_DIVISION, Exact

START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)
MISSING = "crm/Accounts(guid'00000000-0000-4000-8000-000000000404')"


def _accounts(exact, division=None):
    return exact.get("crm/Accounts", {"$select": "ID", "$filter": "Name eq 'Acme'"}, division)


def _errors(exact, count: int) -> None:
    """`count` counted errors on crm/Accounts: 404s for a missing key and 400s for a read without $select."""
    for index in range(count):
        answer = exact.get(MISSING, {"$select": "ID"}) if index % 2 else exact.get("crm/Accounts")
        assert answer.status_code in (400, 404), answer.content


def test_ten_errors_are_tolerated_and_the_eleventh_blocks_the_endpoint_for_an_hour(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False) as traveller:
        exact.connect([NL_DIVISION, NL_EMPTY_DIVISION])
        _errors(exact, 10)
        assert _accounts(exact).status_code == 200  # 10 errors: still served
        _errors(exact, 1)

        blocked = _accounts(exact)
        assert blocked.status_code == 429
        message = "Too many errors on crm/accounts: the API key is blocked for an hour."
        assert blocked.json() == {"error": {"code": "", "message": {"lang": "", "value": message}}}
        assert exact.get(MISSING, {"$select": "ID"}).status_code == 429  # the key and query make no difference
        assert exact.get("financial/Journals", {"$select": "Code"}).status_code == 200  # another endpoint
        assert _accounts(exact, NL_EMPTY_DIVISION).status_code == 200  # another division

        traveller.move_to(START + timedelta(minutes=59))
        exact.connect([NL_DIVISION, NL_EMPTY_DIVISION])  # the access token lives 10 minutes
        assert _accounts(exact).status_code == 429
        traveller.move_to(START + timedelta(hours=1, seconds=1))
        exact.connect([NL_DIVISION, NL_EMPTY_DIVISION])
        assert _accounts(exact).status_code == 200


def test_successes_server_errors_and_throttles_are_not_counted(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect()
        for _ in range(11):
            assert _accounts(exact).status_code == 200
            assert client.post(f"/sandbox/exact/divisions/{NL_DIVISION}/faults/", {"kind": "server_error"})
            assert _accounts(exact).status_code == 500
        assert _accounts(exact).status_code == 200


def test_the_division_page_shows_the_block_and_clears_it(client):
    exact = Exact(client)
    page = reverse("sandbox:exact-division", kwargs={"tenant_id": NL_DIVISION})
    with time_machine.travel(START, tick=False):
        exact.connect()
        _errors(exact, 11)
        assert "crm/accounts until 10:00:05 UTC" in client.get(page).content.decode()
        cleared = client.post(f"/sandbox/exact/divisions/{NL_DIVISION}/faults/", {"kind": "clear_errors"}, follow=True)
        assert "Error counts cleared for 1 endpoint(s)" in cleared.content.decode()
        assert "until 10:00:05 UTC" not in cleared.content.decode()
        assert _accounts(exact).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_apps_exact_client_stops_at_its_error_budget_before_the_sandbox_blocks(live_server, client):
    with override_settings(**sandbox_provider_settings(live_server.url), SANDBOX_PROVIDERS=True):
        sandbox = Exact(client)
        sandbox.connect()
        connection = ConnectionFactory(
            provider="exact",
            region="nl",
            remote_tenant_id=str(NL_DIVISION),
            access_token=sandbox.access_token,
            refresh_token=sandbox.refresh_token,
            token_expires_at=timezone.now() + timedelta(minutes=9),
        )
        api = ExactApi(connection)
        for _ in range(8):  # Exact refuses a read without $select
            with pytest.raises(ProviderValidationError):
                api.request("GET", "crm/Accounts", params={"$filter": "Name eq 'Acme'"})
        with pytest.raises(ThrottledError) as refused:
            api.rows("crm/Accounts", select="ID", filter="Name eq 'Acme'")

        assert refused.value.problem == "error-budget" and api.calls == 8
        assert error_limits.blocked_for(EXACT, str(NL_DIVISION), "crm/accounts") == 0
        assert _accounts(sandbox).status_code == 200  # two errors still in hand at Exact
