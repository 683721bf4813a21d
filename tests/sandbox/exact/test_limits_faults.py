"""Exact's limits per division (60 a minute, a daily limit shrunk here through its setting) with the
X-RateLimit-* headers (resets in UTC epoch ms; over the minutely limit only the minutely headers), and the
kit's one-shot fault switches in Exact's error body."""

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from integrations.sandbox.models import ExactEntity

from .conftest import NL_DIVISION, NL_EMPTY_DIVISION, Exact

START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)
MS = 1000


def _ms(moment: dt.datetime) -> str:
    return str(int(moment.timestamp() * MS))


def _journals(exact, division=None):
    return exact.get("financial/Journals", {"$select": "Code"}, division)


def test_every_answer_carries_the_daily_and_minutely_headers(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect()
        answer = _journals(exact)
    assert answer["X-RateLimit-Limit"] == "5000" and answer["X-RateLimit-Remaining"] == "4999"
    assert answer["X-RateLimit-Reset"] == _ms(dt.datetime(2026, 11, 3, tzinfo=dt.UTC))
    assert answer["X-RateLimit-Minutely-Limit"] == "60" and answer["X-RateLimit-Minutely-Remaining"] == "59"
    assert answer["X-RateLimit-Minutely-Reset"] == _ms(START + dt.timedelta(seconds=60))


def test_sixty_a_minute_per_division_then_429_with_only_the_minutely_headers(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect([NL_DIVISION, NL_EMPTY_DIVISION])
        remaining = [_journals(exact)["X-RateLimit-Minutely-Remaining"] for _ in range(60)]
        assert remaining[0] == "59" and remaining[-1] == "0"
        refused = _journals(exact)
        assert _journals(exact, NL_EMPTY_DIVISION).status_code == 200  # the limit is per division
    assert refused.status_code == 429
    assert refused.json()["error"]["message"]["value"].startswith("API rate limit exceeded")
    assert refused["X-RateLimit-Minutely-Remaining"] == "0"
    assert refused["X-RateLimit-Minutely-Reset"] == _ms(START + dt.timedelta(seconds=60))
    assert not refused.has_header("X-RateLimit-Remaining") and not refused.has_header("X-RateLimit-Limit")
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert _journals(exact).status_code == 200


@override_settings(SANDBOX_EXACT_DAY_LIMIT=3)
def test_the_daily_limit_is_switchable_and_answers_429_until_midnight(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect()
        assert [_journals(exact)["X-RateLimit-Remaining"] for _ in range(3)] == ["2", "1", "0"]
        refused = _journals(exact)
    assert refused.status_code == 429 and "daily" in refused.json()["error"]["message"]["value"]
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Reset"] == _ms(dt.datetime(2026, 11, 3, tzinfo=dt.UTC))
    with time_machine.travel(dt.datetime(2026, 11, 3, 0, 0, 1, tzinfo=dt.UTC), tick=False):
        exact.connect()  # the access token of yesterday has expired
        assert _journals(exact).status_code == 200


def _arm(client, kind: str, division=NL_DIVISION):
    assert client.post(f"/sandbox/exact/divisions/{division}/faults/", {"kind": kind}).status_code == 302


def test_fault_switches_answer_once_in_exacts_shape(exact, client):
    _arm(client, "server_error")
    failed = _journals(exact)
    assert failed.status_code == 500
    assert failed.json()["error"]["message"]["value"].startswith("A problem has occurred.")
    _arm(client, "throttle")
    assert _journals(exact).status_code == 429
    _arm(client, "unauthorized")
    assert _journals(exact).status_code == 401
    _arm(client, "invalid_json")
    broken = _journals(exact)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert _journals(exact).status_code == 200


def _entries() -> int:
    return ExactEntity.objects.filter(entity="SalesEntry").count()


@override_settings(SANDBOX_TIMEOUT_SECONDS=0)
def test_timeout_processes_the_write_and_500_writes_nothing(exact, client):
    body = {
        "Journal": "70",
        "Customer": exact.customer(),
        "SalesEntryLines": [{"GLAccount": exact.gl(), "AmountFC": "5"}],
    }
    _arm(client, "server_error")
    assert exact.post("salesentry/SalesEntries", body).status_code == 500
    assert _entries() == 0
    _arm(client, "timeout")
    assert exact.post("salesentry/SalesEntries", body).status_code == 201
    assert _entries() == 1


def test_revoking_access_makes_calls_403_and_the_refresh_token_dead(exact, client):
    _arm(client, "revoke")
    assert _journals(exact).status_code == 403
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10), tick=False):
        answer = exact.token({"grant_type": "refresh_token", "refresh_token": exact.refresh_token})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
