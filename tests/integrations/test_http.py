"""The client base's fault matrix: every failure maps to one exception class, retries are bounded and only
for requests that are safe to repeat, and writes are logged."""

import logging
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from integrations.exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from integrations.http import ApiClient, backoff_delay
from integrations.http_wire import BYTES, TEXT, IdempotencyStyle, RateWindow, dumps_json, parse_retry_after
from integrations.models import LogLevel, SyncLogEntry

from .factories import ConnectionFactory

BASE = "https://api.provider.test/v1"
SECRET = "sekrit-bearer-token"


class DemoClient(ApiClient):
    service_name = "Demo"
    base_url = BASE
    idempotency = IdempotencyStyle.header("Idempotency-Key", 128)

    def __init__(self, **kwargs):
        self.slept: list[float] = []
        kwargs.setdefault("sleep", self.slept.append)
        kwargs.setdefault("retries", 2)
        super().__init__(**kwargs)
        self.reauthorizations = 0
        self.allow_reauthorize = False

    def auth_headers(self):
        return {"Authorization": f"Bearer {SECRET}"}

    def reauthorize(self):
        self.reauthorizations += 1
        return self.allow_reauthorize

    def remote_id_from(self, data):
        return str((data or {}).get("id", ""))

    def error_messages(self, response):
        """Demo's documented error shape: {"errors": [{"message": …}]}."""
        try:
            return [str(e["message"]) for e in response.json()["errors"]]
        except (ValueError, KeyError, TypeError):
            return []


def demo_error(*messages):
    return {"errors": [{"message": message} for message in messages]}


@pytest.fixture
def client():
    return DemoClient()


# --- reads: retried, then the right class ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), TransientError),
        (requests.exceptions.ConnectTimeout("connect timed out"), TransientError),
        (requests.exceptions.ConnectionError("connection reset"), TransientError),
    ],
)
@responses.activate
def test_read_network_failures_are_retried_a_bounded_number_of_times(client, failure, expected):
    responses.add(responses.GET, f"{BASE}/things", body=failure)
    with pytest.raises(expected) as caught:
        client.request("GET", "things")
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert client.calls == 3 == len(responses.calls)
    assert len(client.slept) == 2


@responses.activate
def test_500_on_read_is_retried_then_succeeds(client):
    responses.add(responses.GET, f"{BASE}/things", status=500, body="oops")
    responses.add(responses.GET, f"{BASE}/things", json={"ok": True})
    assert client.request("GET", "things").data == {"ok": True}
    assert client.calls == 2
    assert len(client.slept) == 1


@responses.activate
def test_500_on_read_every_time_is_transient(client):
    responses.add(responses.GET, f"{BASE}/things", status=503, json=demo_error("down for maintenance"))
    with pytest.raises(TransientError) as caught:
        client.request("GET", "things")
    assert caught.value.http_status == 503
    assert "down for maintenance" in caught.value.provider_message
    assert client.calls == 3


@responses.activate
def test_invalid_json_is_transient_after_retries(client):
    responses.add(responses.GET, f"{BASE}/things", body="<html>gateway</html>", content_type="application/json")
    with pytest.raises(TransientError, match="not valid JSON"):
        client.request("GET", "things")
    assert client.calls == 3


@responses.activate
def test_429_is_throttled_with_retry_after_and_not_retried(client):
    responses.add(
        responses.GET,
        f"{BASE}/things",
        status=429,
        headers={"Retry-After": "37", "X-Rate-Limit-Problem": "minute"},
        body="",
    )
    with pytest.raises(ThrottledError) as caught:
        client.request("GET", "things")
    assert caught.value.retry_after == 37
    assert caught.value.problem == ""  # the base reads only Retry-After; a provider's hook reads more
    assert client.calls == 1
    assert client.slept == []


class ExactLikeThrottle(DemoClient):
    def throttle_from(self, response):
        return int(response.headers["X-RateLimit-Minutely-Reset"]), "minutely"


@responses.activate
def test_the_throttle_is_read_by_the_clients_hook():
    responses.add(responses.GET, f"{BASE}/things", status=429, headers={"X-RateLimit-Minutely-Reset": "55"})
    with pytest.raises(ThrottledError) as caught:
        ExactLikeThrottle().request("GET", "things")
    assert (caught.value.retry_after, caught.value.problem) == (55, "minutely")


def test_retry_after_accepts_an_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0  # in the past
    assert parse_retry_after("120") == 120
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None


@responses.activate
def test_401_is_terminal_when_it_cannot_reauthorize(client):
    responses.add(responses.GET, f"{BASE}/things", status=401, json={"Title": "Unauthorized"})
    with pytest.raises(TerminalError) as caught:
        client.request("GET", "things")
    assert caught.value.http_status == 401
    assert client.reauthorizations == 1
    assert client.calls == 1


@responses.activate
def test_401_reauthorizes_once_then_succeeds(client):
    client.allow_reauthorize = True
    responses.add(responses.GET, f"{BASE}/things", status=401)
    responses.add(responses.GET, f"{BASE}/things", json={"ok": 1})
    assert client.request("GET", "things").data == {"ok": 1}
    assert client.reauthorizations == 1


@responses.activate
def test_401_after_reauthorizing_is_terminal(client):
    client.allow_reauthorize = True
    responses.add(responses.GET, f"{BASE}/things", status=401)
    with pytest.raises(TerminalError):
        client.request("GET", "things")
    assert client.reauthorizations == 1
    assert client.calls == 2


@responses.activate
def test_400_is_a_validation_error_with_the_provider_words(client):
    responses.add(responses.POST, f"{BASE}/things", status=400, json=demo_error("Name is required."))
    with pytest.raises(ProviderValidationError) as caught:
        client.request("POST", "things", json={})
    assert caught.value.messages == ["Name is required."]


@responses.activate
def test_404_and_other_4xx_are_plain_integration_errors(client):
    responses.add(responses.GET, f"{BASE}/gone", status=404)
    responses.add(responses.GET, f"{BASE}/teapot", status=418)
    for path in ("gone", "teapot"):
        with pytest.raises(IntegrationError) as caught:
            client.request("GET", path)
        assert type(caught.value) is IntegrationError
    assert client.calls == 2


# --- writes: never repeated without an idempotency key ----------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [requests.exceptions.ReadTimeout("read timed out"), requests.exceptions.ConnectionError("reset by peer")],
)
@responses.activate
def test_write_without_key_is_not_retried_and_is_ambiguous(client, failure):
    responses.add(responses.POST, f"{BASE}/things", body=failure)
    with pytest.raises(AmbiguousWriteError):
        client.request("POST", "things", json={"a": 1})
    assert client.calls == 1
    assert client.slept == []


@responses.activate
def test_write_connect_timeout_is_transient_not_ambiguous(client):
    responses.add(responses.POST, f"{BASE}/things", body=requests.exceptions.ConnectTimeout())
    with pytest.raises(TransientError) as caught:
        client.request("POST", "things", json={"a": 1})
    assert not isinstance(caught.value, AmbiguousWriteError)


@responses.activate
def test_500_on_write_without_key_is_ambiguous_and_not_retried(client):
    responses.add(responses.PUT, f"{BASE}/things", status=500)
    with pytest.raises(AmbiguousWriteError):
        client.request("PUT", "things", json={"a": 1})
    assert client.calls == 1


@responses.activate
def test_invalid_json_after_a_write_is_ambiguous(client):
    responses.add(responses.PUT, f"{BASE}/things", body="not json")
    with pytest.raises(AmbiguousWriteError):
        client.request("PUT", "things", json={"a": 1})


@responses.activate
def test_write_with_idempotency_key_is_retried_with_the_same_key(client):
    responses.add(responses.PUT, f"{BASE}/things", body=requests.exceptions.ReadTimeout())
    responses.add(responses.PUT, f"{BASE}/things", json={"id": "r-1"})
    result = client.request("PUT", "things", json={"a": 1}, idempotency_key="k-1")
    assert result.data == {"id": "r-1"}
    assert [call.request.headers["Idempotency-Key"] for call in responses.calls] == ["k-1", "k-1"]


@responses.activate
def test_write_with_key_still_failing_is_ambiguous_after_bounded_retries(client):
    responses.add(responses.PUT, f"{BASE}/things", status=502)
    with pytest.raises(AmbiguousWriteError):
        client.request("PUT", "things", json={}, idempotency_key="k-2")
    assert client.calls == 3
    assert len(client.slept) == 2


def test_backoff_is_jittered_and_capped():
    delays = [backoff_delay(attempt) for attempt in range(1, 12) for _ in range(20)]
    assert all(0 <= delay <= 8.0 for delay in delays)
    assert len({round(delay, 6) for delay in delays}) > 100  # full jitter: no lock-step


@responses.activate
def test_decimals_are_sent_exactly(client):
    responses.add(responses.POST, f"{BASE}/things", json={})
    client.request("POST", "things", json={"amount": Decimal("12.50"), "rate": Decimal("0.333333")})
    assert responses.calls[0].request.body == b'{"amount": 12.50, "rate": 0.333333}'
    assert dumps_json({"n": Decimal("1E+2")}) == '{"n": 100}'


# --- the write log and the logs ----------------------------------------------------------------------------------


@pytest.mark.django_db
@responses.activate
def test_every_write_leaves_a_log_entry_with_its_outcome():
    connection = ConnectionFactory()
    client = DemoClient(connection=connection)
    responses.add(responses.PUT, f"{BASE}/things", json={"id": "remote-7"})
    responses.add(responses.POST, f"{BASE}/things", status=400, json=demo_error("Invoice # must be unique."))
    responses.add(responses.GET, f"{BASE}/things", json={})

    client.request("PUT", "things", json={}, action="thing.create")
    with pytest.raises(ProviderValidationError):
        client.request("POST", "things", json={}, action="thing.update")
    client.request("GET", "things")

    ok, failed = SyncLogEntry.objects.order_by("id")
    assert (ok.action, ok.level, ok.remote_id, ok.http_status) == ("thing.create", LogLevel.INFO, "remote-7", 200)
    assert (failed.action, failed.level, failed.http_status) == ("thing.update", LogLevel.ERROR, 400)
    assert "Invoice # must be unique." in failed.message
    assert ok.organization_id == connection.organization_id
    assert SyncLogEntry.objects.count() == 2  # reads are not logged


@pytest.mark.django_db
@responses.activate
def test_log_entries_bind_to_a_run_and_an_invoice():
    from tests.factories import make_invoice

    connection = ConnectionFactory()
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary)
    client = DemoClient(connection=connection)
    responses.add(responses.PUT, f"{BASE}/things", json={})
    with client.bind(invoice=invoice):
        client.request("PUT", "things", json={})
    client.request("PUT", "things", json={})
    first, second = SyncLogEntry.objects.order_by("id")
    assert first.invoice == invoice
    assert second.invoice is None


@responses.activate
def test_no_token_or_body_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    responses.add(responses.POST, f"{BASE}/things", status=500, body="boom")
    responses.add(responses.GET, f"{BASE}/things", body=requests.exceptions.ConnectionError("x"))
    with pytest.raises(AmbiguousWriteError):
        client.request("POST", "things", json={"password": "hunter2"})
    with pytest.raises(TransientError):
        client.request("GET", "things")
    assert caplog.records
    assert SECRET not in caplog.text
    assert "hunter2" not in caplog.text


@pytest.mark.django_db
@responses.activate
def test_a_post_that_is_not_a_data_write_is_neither_ambiguous_nor_logged():
    client = DemoClient(connection=ConnectionFactory())
    responses.add(responses.POST, f"{BASE}/token", status=500)
    with pytest.raises(TransientError) as caught:
        client.request("POST", "token", data={"grant_type": "refresh_token"}, idempotent=True, write=False)
    assert not isinstance(caught.value, AmbiguousWriteError)
    assert client.calls == 3
    assert not SyncLogEntry.objects.exists()


# --- idempotency styles: header, query parameter, none ---------------------------------------------------------


class QueryKeyClient(DemoClient):
    idempotency = IdempotencyStyle.query("requestid", 50)  # QuickBooks' style


class NoKeyClient(DemoClient):
    idempotency = IdempotencyStyle()  # Exact, e-conomic: nothing deduplicates a repeated write


@responses.activate
def test_a_query_parameter_key_is_sent_on_every_try_and_bounded_to_its_length():
    long_key = "copy-" + "x" * 80
    responses.add(responses.POST, f"{BASE}/invoice", status=503)
    responses.add(responses.POST, f"{BASE}/invoice", json={"id": "9"})
    client = QueryKeyClient()
    assert client.request("POST", "invoice", json={}, idempotency_key=long_key).data == {"id": "9"}
    sent = [parse_qs(urlsplit(call.request.url).query)["requestid"] for call in responses.calls]
    assert len(sent) == 2 and sent[0] == sent[1]
    assert len(sent[0][0]) == 50 and sent[0][0] != long_key[:50]  # a digest: two long keys never collide
    assert "Idempotency-Key" not in responses.calls[0].request.headers
    short = QueryKeyClient()
    responses.add(responses.POST, f"{BASE}/short", json={})
    short.request("POST", "short", json={}, idempotency_key="k-7")
    assert parse_qs(urlsplit(responses.calls[-1].request.url).query)["requestid"] == ["k-7"]


@responses.activate
@pytest.mark.parametrize("failure", [dict(status=502), dict(body=requests.exceptions.ReadTimeout())])
def test_without_idempotency_a_write_is_never_retried_even_with_a_key(failure):
    responses.add(responses.POST, f"{BASE}/invoice", **failure)
    client = NoKeyClient()
    with pytest.raises(AmbiguousWriteError):  # the copy engine looks the document up before a new try
        client.request("POST", "invoice", json={}, idempotency_key="k-1")
    assert client.calls == 1 and client.slept == []
    assert "Idempotency-Key" not in responses.calls[0].request.headers
    assert "k-1" not in responses.calls[0].request.url


@responses.activate
def test_without_idempotency_reads_are_still_retried():
    responses.add(responses.GET, f"{BASE}/things", status=503)
    responses.add(responses.GET, f"{BASE}/things", json={"ok": True})
    client = NoKeyClient()
    assert client.request("GET", "things").data == {"ok": True}
    assert client.calls == 2


# --- answers that are not JSON -----------------------------------------------------------------------------------


@responses.activate
def test_a_request_can_ask_for_bytes_or_text():
    pdf = b"%PDF-1.7\n\x00\xff binary"
    responses.add(responses.GET, f"{BASE}/invoice.pdf", body=pdf, content_type="application/pdf")
    responses.add(responses.GET, f"{BASE}/export.csv", body="a;b\n1;2\n", content_type="text/csv")
    client = DemoClient()
    assert client.request("GET", "invoice.pdf", expect=BYTES).data == pdf
    assert client.request("GET", "export.csv", expect=TEXT).data == "a;b\n1;2\n"
    assert client.calls == 2  # neither is "invalid JSON", so neither is retried


@responses.activate
def test_a_json_request_answered_with_something_else_is_still_transient(client):
    responses.add(responses.GET, f"{BASE}/things", body=b"%PDF-1.7", content_type="application/pdf")
    with pytest.raises(TransientError, match="not valid JSON"):
        client.request("GET", "things")


# --- pacing on announced budgets (ApiClient.rate_windows) -----------------------------------------------------


class BudgetClient(DemoClient):
    """A provider announcing its budget as `X-Budget-Left` / `X-Budget-Reset` (epoch seconds), on a fake clock."""

    pace_reserve = 0

    def __init__(self, **kwargs):
        self.now = 1000.0
        super().__init__(clock=lambda: self.now, **kwargs)
        self.sleep = self._sleep

    def _sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def rate_windows(self, response):
        if "X-Budget-Left" not in response.headers:
            return []
        return [RateWindow("window", int(response.headers["X-Budget-Left"]), float(response.headers["X-Budget-Reset"]))]


@responses.activate
def test_a_spent_window_is_waited_out_before_the_next_call():
    api = BudgetClient()
    responses.add(responses.GET, f"{BASE}/things", json={}, headers={"X-Budget-Left": "0", "X-Budget-Reset": "1030"})
    responses.add(responses.GET, f"{BASE}/things", json={})
    api.request("GET", "things")
    api.request("GET", "things")
    assert api.slept == [30.0] and api.calls == 2


@responses.activate
def test_a_window_resetting_later_than_the_longest_wait_refuses_the_call_unsent():
    api = BudgetClient()
    responses.add(responses.GET, f"{BASE}/things", json={}, headers={"X-Budget-Left": "0", "X-Budget-Reset": "4600"})
    api.request("GET", "things")
    with pytest.raises(ThrottledError) as caught:
        api.request("GET", "things")
    assert api.calls == 1 and caught.value.retry_after == 3601 and caught.value.problem == "window"


@responses.activate
def test_budgets_left_or_a_reset_passed_cost_no_wait_and_providers_without_budgets_never_pace():
    api = BudgetClient()
    responses.add(responses.GET, f"{BASE}/things", json={}, headers={"X-Budget-Left": "3", "X-Budget-Reset": "1030"})
    api.request("GET", "things")
    api.request("GET", "things")
    api.windows = {"window": RateWindow("window", 0, 999.0)}
    api.request("GET", "things")  # its reset has passed
    plain = DemoClient()
    plain.request("GET", "things")
    assert api.slept == [] and plain.slept == [] and plain.windows == {}
