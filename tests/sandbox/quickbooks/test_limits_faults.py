"""Intuit's limits per realm (500 requests a minute, 10 in flight → 429 ThrottleExceeded) and the kit's one-shot
fault switches on the QuickBooks sandbox (timeout, 500, invalid JSON, 429, 401)."""

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from integrations.sandbox.models import InFlight, QboEntity
from integrations.sandbox.quickbooks.demo import US_REALM_ID

from .conftest import REDIRECT_URI, Qbo, authorize_url, callback
from .test_api import _body
from .xsd import assert_response

START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)


def _throttled(response):
    assert response.status_code == 429, response.content
    error = response.json()["Fault"]["Error"][0]
    assert error["code"] == "3001" and "ThrottleExceeded" in error["Message"]
    assert_response(response.json())


def test_500_requests_a_minute_then_429_until_the_next_minute(client):
    qbo = Qbo(client)
    with time_machine.travel(START, tick=False):
        qbo.connect()
        statuses = [qbo.get("preferences").status_code for _ in range(500)]
        assert statuses == [200] * 500
        _throttled(qbo.get("preferences"))
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert qbo.get("preferences").status_code == 200


def test_ten_in_flight_make_the_eleventh_429(qbo):
    for _ in range(10):
        InFlight.objects.create(provider="quickbooks", tenant_key=US_REALM_ID, started_at=dt.datetime.now(dt.UTC))
    _throttled(qbo.get("preferences"))
    InFlight.objects.filter(provider="quickbooks").first().delete()
    assert qbo.get("preferences").status_code == 200


def _arm(client, kind: str):
    response = client.post(f"/sandbox/quickbooks/companies/{US_REALM_ID}/faults/", {"kind": kind})
    assert response.status_code == 302


def test_fault_switches_answer_once_in_intuits_shapes(qbo, client):
    _arm(client, "server_error")
    failed = qbo.get("preferences")
    assert failed.status_code == 500 and failed.json()["Fault"]["type"] == "SystemFault"
    _arm(client, "throttle")
    _throttled(qbo.get("preferences"))
    _arm(client, "unauthorized")
    refused = qbo.get("preferences")
    assert refused.status_code == 401 and refused.json()["Fault"]["type"] == "AuthenticationFault"
    _arm(client, "invalid_json")
    broken = qbo.get("preferences")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert qbo.get("preferences").status_code == 200


@override_settings(SANDBOX_TIMEOUT_SECONDS=0)
def test_timeout_fault_processes_the_write(qbo, client):
    body = _body(qbo.invoice())
    _arm(client, "timeout")
    assert qbo.post("invoice", body).status_code == 200
    assert QboEntity.objects.filter(entity="Invoice").count() == 2


def test_500_fault_writes_nothing(qbo, client):
    body = _body(qbo.invoice())
    _arm(client, "server_error")
    assert qbo.post("invoice", body).status_code == 500
    assert QboEntity.objects.filter(entity="Invoice").count() == 1


def test_other_realm_and_missing_scope_are_403(qbo, client):
    qbo.realm = "9341456000000202"  # the UK company, not granted by this consent
    assert qbo.get("preferences").status_code == 403
    other = Qbo(client)
    got = callback(client.post(authorize_url(scope="openid"), {"tenant": [US_REALM_ID], "allow": "1"}))
    body = other.token({"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT_URI})
    other.access_token = body.json()["access_token"]
    assert other.get("preferences").status_code == 403
    assert qbo.client.get(f"/sandbox/quickbooks/v3/company/{US_REALM_ID}/preferences").status_code == 401
