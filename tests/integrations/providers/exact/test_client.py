"""ExactApi against Exact's documented shapes (its .NET SDK fixtures where they exist): the locale host and
division in every URL, `$select` always, `__next` paging, trimmed codes, `error.message.value` verbatim, no
idempotency header and no blind retry of a write, the lookup by YourRef, and pacing on the X-RateLimit-* headers
before the limit is reached."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations import registry
from integrations.exceptions import AmbiguousWriteError, ProviderValidationError, TerminalError, ThrottledError
from integrations.models import ConnectionStatus
from integrations.providers.base import INVOICE
from tests.factories import CompanyFactory
from tests.provider_specs import PROVIDER_SPECS_DIR

from .fake_exact import HOSTS, FakeExact, error
from .helpers import LEDGER, exact_connection

pytestmark = pytest.mark.django_db

SDK_FIXTURES = PROVIDER_SPECS_DIR / "exact" / "exactonline-api-dotnet-client-fixtures"


def sdk_fixture(name: str):
    path = SDK_FIXTURES / name
    if not path.exists():
        pytest.skip(f"Exact SDK fixture {name} not found under {SDK_FIXTURES} (shared/provider-specs is absent)")
    return json.loads(path.read_text(encoding="utf-8-sig"))


def query_of(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


@pytest.fixture
def connection():
    return exact_connection(region="be", remote_tenant_id="499156")


def api_of(connection, **kwargs):
    api = registry.get("exact").api(connection)
    for name, value in kwargs.items():
        setattr(api, name, value)
    return api


BE = f"{HOSTS['be']}/api/v1/499156"


def test_gl_accounts_follow_next_links_from_the_sdk_fixture(mock, connection):
    first = sdk_fixture("Response_Json_Array_GLAccount.txt")
    next_link = first["d"]["__next"].replace("https://start.exactonline.nl/api/v1/499156", BE)
    first["d"]["__next"] = next_link
    mock.add(
        responses.GET,
        f"{BE}/financial/GLAccounts",
        json=first,
        match=[
            responses.matchers.query_param_matcher(
                {"$filter": "Type eq 110 and IsBlocked eq false"}, strict_match=False
            )
        ],
    )
    last = {"d": {"results": [{"ID": "aa000000-0000-4000-8000-000000000001", "Code": "8000 ", "Description": "Omzet"}]}}
    mock.add(
        responses.GET, next_link, json=last, match=[responses.matchers.query_string_matcher(urlsplit(next_link).query)]
    )

    api = api_of(connection)
    ledgers = api.list_accounts()

    assert [c.code for c in ledgers][-1] == "aa000000-0000-4000-8000-000000000001"
    assert len(ledgers) == len(first["d"]["results"]) + 1 and ledgers[0].name == "4406 Test"
    assert api.calls == 2
    query = query_of(mock.calls[0])
    assert query["$select"] and "*" not in query["$select"] and query["$filter"] == "Type eq 110 and IsBlocked eq false"
    assert mock.calls[1].request.url == next_link  # the link as Exact gave it
    assert all(call.request.headers["Accept"] == "application/json" for call in mock.calls)


def test_accounts_from_the_sdk_fixture_and_a_quoted_search(mock, connection):
    rows = sdk_fixture("Response_Json_Array_Account.txt")
    mock.add(responses.GET, f"{BE}/crm/Accounts", json={"d": {"results": rows}})

    found = api_of(connection).search_contacts("O'Brien")

    assert [c.id for c in found] == [row["ID"] for row in rows]
    assert found[0].name == "Albex Winkelinrichting B.V."
    query = query_of(mock.calls[0])
    assert query["$filter"] == "substringof('O''Brien', Name) eq true" and query["$top"] == "50"
    assert query["$select"] == "ID,Name,Email,Code"


def test_vat_codes_and_journals_are_trimmed(mock, connection):
    server = FakeExact(mock, "499156", region="be").install()
    server.vat_codes.append({"Code": "5  ", "Description": "Inkoop", "Percentage": 0.21, "VATTransactionType": "P"})
    api = api_of(connection)
    assert [(c.code, c.name) for c in api.list_vat_codes()] == [("2", "2 · BTW hoog 21%"), ("0", "0 · BTW 0%")]
    assert [(c.code, c.name) for c in api.list_journals()] == [("70", "Verkoopboek")]
    assert all(call.request.url.startswith(HOSTS["be"]) for call in mock.calls)  # the connection's locale host


def test_an_exact_refusal_keeps_its_words(mock, connection):
    mock.add(responses.POST, f"{BE}/salesentry/SalesEntries", status=400, json=error("Mandatory: Journal"))
    with pytest.raises(ProviderValidationError) as caught:
        api_of(connection).create_document(INVOICE, {"SalesEntryLines": []}, "key-1")
    assert caught.value.messages == ["Mandatory: Journal"]


def test_wrong_division_is_terminal_with_exacts_words(mock, connection):
    mock.add(responses.GET, f"{BE}/vat/VATCodes", status=403, json=error("Forbidden - WrongDivision"))
    with pytest.raises(TerminalError) as caught:
        api_of(connection).list_vat_codes()
    assert caught.value.provider_message == "Forbidden - WrongDivision"
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT


def test_a_create_is_posted_once_without_an_idempotency_header_and_looked_up_by_your_ref(mock, connection):
    server = FakeExact(mock, "499156", region="be").install()
    server.drop_answers = 1
    api = api_of(connection)
    payload = {
        "Journal": "70",
        "Customer": "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f",
        "YourRef": "INV-7",
        "SalesEntryLines": [{"GLAccount": LEDGER, "AmountFC": Decimal("100.00")}],
    }
    with pytest.raises(AmbiguousWriteError):
        api.create_document(INVOICE, payload, "attempt-key")
    posts = [call for call in mock.calls if call.request.method == "POST"]
    assert len(posts) == 1  # never retried blindly
    assert not any(name.lower().startswith("idempotency") for name in posts[0].request.headers)
    assert posts[0].request.headers["Prefer"] == "return=representation"
    assert b'"AmountFC": 100.00' in posts[0].request.body  # Decimal, digit for digit

    found = api.find_document(INVOICE, number="INV-7", reference="INV-7")
    assert found is not None and found.number == "INV-7" and found.id in server.entries
    assert query_of(mock.calls[-1])["$filter"] == "YourRef eq 'INV-7'"
    assert found.total == Decimal("121.00") and found.state == "open"


def test_exact_numbers_the_copy_when_we_sent_only_our_reference(mock, connection):
    FakeExact(mock, "499156", region="be").install()
    payload = {
        "Journal": "70",
        "Customer": "c",
        "YourRef": "P#42",
        "SalesEntryLines": [{"GLAccount": LEDGER, "AmountFC": 1}],
    }
    created = api_of(connection).create_document(INVOICE, payload, "k")
    assert created.number.isdigit() and created.number != "P#42"


def test_void_deletes_the_entry_and_gone_is_success(mock, connection):
    server = FakeExact(mock, "499156", region="be").install()
    entry = server.book("e0000000-0000-4000-8000-000000000001")
    api = api_of(connection)
    assert api.void_document(INVOICE, entry["EntryID"], "k").state == "voided"
    assert api.void_document(INVOICE, entry["EntryID"], "k").state == "voided"  # already gone: 404
    paid = server.book("e0000000-0000-4000-8000-000000000002")
    server.pay("line-1", [(paid["EntryID"], "10.00")])
    with pytest.raises(ProviderValidationError, match="refused"):
        api.void_document(INVOICE, paid["EntryID"], "k")


def test_create_contact_reuses_the_account_of_that_name(mock, connection, organization):
    server = FakeExact(mock, "499156", region="be").install()
    company = CompanyFactory(
        organization=organization, name="Globex", billing_email="ap@globex.test", vat_number="NL001", country="NL"
    )
    first = api_of(connection).create_contact(company)
    again = api_of(connection).create_contact(company)
    assert first == again and len(server.accounts) == 1
    stored = next(iter(server.accounts.values()))
    assert (stored["Name"], stored["Status"], stored["Email"], stored["VATNumber"]) == (
        "Globex",
        "C",
        "ap@globex.test",
        "NL001",
    )
    assert stored["SalesCurrency"] == company.default_currency and stored["Country"] == "NL"


# --- pacing on the X-RateLimit-* headers ---------------------------------------------------------------------


def limits(minute_remaining: int, minute_reset_in: float, day_remaining: int = 4000, day_reset_in: float = 3600):
    now = time.time()
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(day_remaining),
        "X-RateLimit-Reset": str(int((now + day_reset_in) * 1000)),
        "X-RateLimit-Minutely-Limit": "60",
        "X-RateLimit-Minutely-Remaining": str(minute_remaining),
        "X-RateLimit-Minutely-Reset": str(int((now + minute_reset_in) * 1000)),
    }


def test_the_client_waits_for_the_minute_window_before_the_limit(mock, connection):
    page = {"d": {"results": [{"Code": "70", "Description": "Verkoopboek", "Type": 20}]}}
    mock.add(responses.GET, f"{BE}/financial/Journals", json=page, headers=limits(1, 20))
    mock.add(responses.GET, f"{BE}/financial/Journals", json=page, headers=limits(58, 60))
    slept = []
    api = api_of(connection, sleep=slept.append)

    api.list_journals()  # answered with 1 call left this minute: the reserve
    api.list_journals()

    assert api.calls == 2 and len(slept) == 1 and 18 <= slept[0] <= 20  # waited for the reset, no 429
    api.list_journals()
    assert len(slept) == 1  # 58 left: no wait


def test_the_daily_limit_is_not_run_into(mock, connection):
    mock.add(responses.GET, f"{BE}/financial/Journals", json={"d": {"results": []}}, headers=limits(50, 30, 0, 7200))
    api = api_of(connection, sleep=lambda seconds: pytest.fail("a day is not waited for in-process"))
    api.list_journals()
    with pytest.raises(ThrottledError) as caught:
        api.list_journals()
    assert api.calls == 1 and caught.value.problem == "daily" and 7100 <= caught.value.retry_after <= 7202


def test_a_429_waits_until_the_window_that_ran_out_resets(mock, connection):
    headers = {"X-RateLimit-Minutely-Remaining": "0", "X-RateLimit-Minutely-Reset": str(int((time.time() + 42) * 1000))}
    mock.add(responses.GET, f"{BE}/financial/Journals", status=429, headers=headers, json=error("Too many requests"))
    with pytest.raises(ThrottledError) as caught:
        api_of(connection).list_journals()
    assert 40 <= caught.value.retry_after <= 44 and caught.value.problem == "minutely"


def test_a_dropped_read_is_retried_but_counts_each_call(mock, connection, settings):
    settings.INTEGRATIONS_HTTP_RETRIES = 1
    mock.add(responses.GET, f"{BE}/financial/Journals", body=requests.exceptions.ConnectionError("reset"))
    mock.add(responses.GET, f"{BE}/financial/Journals", json={"d": {"results": []}})
    api = api_of(connection)
    assert api.list_journals() == [] and api.calls == 2
