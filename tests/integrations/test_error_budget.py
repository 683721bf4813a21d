"""A provider's error budget in the client base (integrations/error_budget.py): answers of the counted statuses are
counted per connection and endpoint template, an endpoint spent down to what is kept in hand is refused unsent,
and it is called again once the window has let enough errors go. Both stores: the database (the default with a
per-process cache) and Django's cache (the shared one in production; LocMem here, which behaves the same)."""

import datetime as dt

import pytest
import responses
import time_machine
from django.core.cache import cache
from django.test import override_settings

from integrations.error_budget import ErrorBudget, endpoint_of, error_budget_spent, store_name
from integrations.exceptions import IntegrationError, ThrottledError
from integrations.http import ApiClient
from integrations.models import ErrorBudgetHit, LogLevel, SyncLogEntry
from integrations.views.copy import describe_error

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

BASE = "https://api.provider.test/v1/4133185"  # a division in the base, as at Exact
GUID = "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f"
START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)
BUDGET = ErrorBudget(errors=10, per_seconds=3600, statuses=frozenset({400, 401, 403, 404}), keep_in_hand=2)


class BudgetedClient(ApiClient):
    service_name = "Demo"
    base_url = BASE
    error_budget = BUDGET

    def __init__(self, **kwargs):
        kwargs.setdefault("retries", 0)
        kwargs.setdefault("sleep", lambda seconds: None)
        super().__init__(**kwargs)


@pytest.fixture(params=["database", "cache"])
def store(request, settings):
    settings.INTEGRATIONS_ERROR_BUDGET_STORE = request.param
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def api(store):
    return BudgetedClient(connection=ConnectionFactory())


def spent(api, endpoint="crm/Accounts") -> int:
    return error_budget_spent(api.connection.pk, endpoint, BUDGET, now=START.timestamp())


def fail(api, path, method="GET"):
    with pytest.raises(IntegrationError) as caught:
        api.request(method, path)
    assert not isinstance(caught.value, ThrottledError), caught.value
    return caught.value


def test_the_endpoint_is_the_path_template_without_keys_ids_or_query():
    assert endpoint_of(f"{BASE}/crm/Accounts(guid'{GUID}')", BASE) == "crm/Accounts"
    assert endpoint_of(f"{BASE}/crm/Accounts?$filter=Name eq 'x'&$select=ID", BASE) == "crm/Accounts"
    assert endpoint_of(f"{BASE}/salesentry/SalesEntries(guid'{GUID}')/SalesEntryLines", BASE) == (
        "salesentry/SalesEntries/SalesEntryLines"
    )
    assert endpoint_of(f"https://api.provider.test/v1/invoices/{GUID}/payments/42", "") == "v1/invoices/payments"
    assert endpoint_of(f"{BASE}/crm/Accounts", BASE) != endpoint_of(f"{BASE}/crm/Contacts", BASE)


@responses.activate
def test_counted_answers_of_one_endpoint_add_up_whatever_the_key_or_query_and_the_last_two_are_kept(api):
    responses.add(responses.GET, f"{BASE}/crm/Accounts(guid'{GUID}')", status=404, json={})
    responses.add(responses.GET, f"{BASE}/crm/Accounts", status=400, json={})
    responses.add(responses.GET, f"{BASE}/crm/Contacts", json={"d": []})
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            fail(api, f"crm/Accounts(guid'{GUID}')")
            fail(api, "crm/Accounts?$filter=Name eq 'Acme'")
        assert spent(api) == 8 and len(responses.calls) == 8

        with pytest.raises(ThrottledError) as refused:
            api.request("GET", "crm/Accounts", params={"$select": "ID"})
        assert api.request("GET", "crm/Contacts").data == {"d": []}  # another endpoint has its own budget
    assert len(responses.calls) == 9 and api.calls == 9  # the refused call was never sent
    assert refused.value.problem == "error-budget"
    assert refused.value.retry_after >= 3600 - 1
    assert str(refused.value) == (
        "Demo blocks a connection after 10 error answers from one endpoint within an hour, and crm/Accounts has "
        f"given 8: it is not called again until {START + dt.timedelta(seconds=refused.value.retry_after):%H:%M} "
        "UTC (nothing was sent)."
    )


@responses.activate
def test_successes_server_errors_and_429s_are_not_counted(api):
    responses.add(responses.GET, f"{BASE}/crm/Accounts", json={})
    responses.add(responses.POST, f"{BASE}/crm/Accounts", status=500, json={})
    responses.add(responses.PUT, f"{BASE}/crm/Accounts", status=429, json={})
    with time_machine.travel(START, tick=False):
        for _ in range(10):
            api.request("GET", "crm/Accounts")
            fail(api, "crm/Accounts", "POST")
            with pytest.raises(ThrottledError, match="HTTP 429"):
                api.request("PUT", "crm/Accounts")
        assert spent(api) == 0
    assert len(responses.calls) == 30


@responses.activate
def test_the_window_lets_the_oldest_errors_go_and_the_endpoint_is_called_again(api):
    responses.add(responses.GET, f"{BASE}/crm/Accounts", status=404, json={})
    with time_machine.travel(START, tick=False) as traveller:
        fail(api, "crm/Accounts")  # the oldest
        traveller.move_to(START + dt.timedelta(minutes=10))
        for _ in range(7):
            fail(api, "crm/Accounts")
        with pytest.raises(ThrottledError) as refused:
            api.request("GET", "crm/Accounts")
        # The oldest error leaves the window an hour after it was made (the cache's minute buckets: by then).
        assert 50 * 60 - 1 <= refused.value.retry_after <= 51 * 60

        traveller.move_to(START + dt.timedelta(minutes=59))
        with pytest.raises(ThrottledError):
            api.request("GET", "crm/Accounts")
        traveller.move_to(START + dt.timedelta(minutes=61))
        fail(api, "crm/Accounts")  # one call free again: sent (and counted)
        with pytest.raises(ThrottledError):
            api.request("GET", "crm/Accounts")
    assert len(responses.calls) == 9


@responses.activate
def test_a_refused_write_is_logged_as_a_warning_and_budgets_are_per_connection(api):
    responses.add(responses.POST, f"{BASE}/crm/Accounts", status=400, json={})
    other = BudgetedClient(connection=ConnectionFactory(organization=api.connection.organization))
    with time_machine.travel(START, tick=False):
        for _ in range(8):
            fail(api, "crm/Accounts", "POST")
        with pytest.raises(ThrottledError):
            api.request("POST", "crm/Accounts", json={"Name": "Acme"}, action="contact.create")
        fail(other, "crm/Accounts", "POST")  # another division (or user): its own budget
    last = SyncLogEntry.objects.filter(connection=api.connection).order_by("-id").first()
    assert last.level == LogLevel.WARNING and last.action == "contact.create" and "nothing was sent" in last.message
    assert len(responses.calls) == 9


@responses.activate
def test_a_client_without_a_budget_or_without_a_connection_counts_nothing(store):
    responses.add(responses.GET, f"{BASE}/crm/Accounts", status=404, json={})

    class Unbudgeted(BudgetedClient):
        error_budget = None

    for client in (Unbudgeted(connection=ConnectionFactory()), BudgetedClient()):
        for _ in range(12):
            fail(client, "crm/Accounts")
    assert len(responses.calls) == 24 and not ErrorBudgetHit.objects.exists()


@responses.activate
def test_the_database_store_prunes_errors_that_left_the_window(settings):
    settings.INTEGRATIONS_ERROR_BUDGET_STORE = "database"
    api = BudgetedClient(connection=ConnectionFactory())
    responses.add(responses.GET, f"{BASE}/crm/Accounts", status=404, json={})
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(3):
            fail(api, "crm/Accounts")
        traveller.move_to(START + dt.timedelta(hours=2))
        fail(api, "crm/Accounts")
    assert ErrorBudgetHit.objects.filter(connection=api.connection).count() == 1


def test_auto_counts_in_the_cache_only_when_every_process_shares_it(settings):
    settings.INTEGRATIONS_ERROR_BUDGET_STORE = "auto"
    assert store_name() == "database"  # the test settings' LocMem cache is per process
    redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    with override_settings(CACHES=redis):
        assert store_name() == "cache"


@responses.activate
def test_a_page_says_when_to_try_again_not_that_the_provider_asked_us_to_wait(api):
    responses.add(responses.GET, f"{BASE}/crm/Accounts", status=404, json={})
    with time_machine.travel(START, tick=False):
        for _ in range(8):
            fail(api, "crm/Accounts")
        with pytest.raises(ThrottledError) as refused:
            api.request("GET", "crm/Accounts")
        problem = describe_error(refused.value)
    until = START + dt.timedelta(seconds=refused.value.retry_after)
    assert problem.status == 429 and problem.action == "Nothing to correct here: copy again after that time."
    assert f"not called again until {until:%H:%M} UTC" in problem.summary  # the time, said once
    assert "crm/Accounts has given 8" in problem.summary
