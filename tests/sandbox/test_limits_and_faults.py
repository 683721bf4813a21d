"""Per-tenant limits (minute window, concurrency) and the one-shot fault switches."""

import datetime as dt

import time_machine
from django.test import override_settings

from integrations.sandbox.kit import limits
from integrations.sandbox.models import Fault, InFlight, XeroInvoice, XeroOrg
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID
from integrations.sandbox.xero.provider import XERO

START = dt.datetime(2026, 11, 2, 9, 0, 10, tzinfo=dt.UTC)


def trading():
    return XeroOrg.objects.get(tenant_id=TRADING_TENANT_ID)


def arm(kind: str, tenant=TRADING_TENANT_ID):
    return limits.fault_arm(XERO, tenant, kind)


@override_settings(SANDBOX_XERO_MINUTE_LIMIT=3)
def test_minute_limit_gives_429_with_retry_after_and_resets_with_the_window(connected):
    with time_machine.travel(START, tick=False) as traveller:
        remaining = [connected.get("Organisation")["X-MinLimit-Remaining"] for _ in range(3)]
        assert remaining == ["2", "1", "0"]
        traveller.shift(dt.timedelta(seconds=20))
        refused = connected.get("Organisation")
        assert refused.status_code == 429
        assert refused["X-Rate-Limit-Problem"] == "minute"
        assert refused["Retry-After"] == "40"
        assert connected.get("Organisation", tenant=DESIGN_TENANT_ID).status_code == 200  # per tenant
        traveller.shift(dt.timedelta(seconds=40))
        assert connected.get("Organisation").status_code == 200


@override_settings(SANDBOX_XERO_DAY_LIMIT=2)
def test_day_limit(connected):
    with time_machine.travel(START, tick=False):
        connected.get("Organisation")
        connected.get("Organisation")
        refused = connected.get("Organisation")
    assert refused.status_code == 429 and refused["X-Rate-Limit-Problem"] == "day"
    assert int(refused["Retry-After"]) == 24 * 3600 - 9 * 3600 - 10


def test_five_calls_in_flight_make_the_sixth_429_concurrent(connected):
    in_flight = InFlight.objects.filter(provider="xero", tenant_key=str(trading().tenant_id))
    with time_machine.travel(START, tick=False):
        for _ in range(5):
            InFlight.objects.create(provider="xero", tenant_key=TRADING_TENANT_ID, started_at=START)
        refused = connected.get("Organisation")
        assert refused.status_code == 429
        assert refused["X-Rate-Limit-Problem"] == "concurrent" and refused["Retry-After"]
        in_flight.first().delete()
        assert connected.get("Organisation").status_code == 200
    assert in_flight.count() == 4  # the admitted call released its slot


def test_abandoned_in_flight_markers_expire(connected):
    for _ in range(5):
        InFlight.objects.create(
            provider="xero", tenant_key=TRADING_TENANT_ID, started_at=START - dt.timedelta(minutes=5)
        )
    with time_machine.travel(START, tick=False):
        assert connected.get("Organisation").status_code == 200


def test_500_fault_is_one_shot(connected):
    arm("server_error")
    response = connected.get("Organisation")
    assert response.status_code == 500 and response.json()["Status"] == 500
    assert connected.get("Organisation").status_code == 200
    assert not Fault.objects.filter(consumed_at__isnull=True).exists()


def test_500_fault_on_a_write_changes_nothing(connected):
    connected.contact_id()
    arm("server_error")
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Acme Widgets Ltd"}, "LineItems": []}
    assert connected.put("Invoices", {"Invoices": [invoice]}).status_code == 500
    assert XeroInvoice.objects.count() == 0


@override_settings(SANDBOX_XERO_FAULT_RETRY_AFTER=7)
def test_429_fault(connected):
    arm("throttle")
    response = connected.get("Organisation")
    assert response.status_code == 429
    assert (response["Retry-After"], response["X-Rate-Limit-Problem"]) == ("7", "minute")
    assert connected.get("Organisation").status_code == 200


@override_settings(SANDBOX_TIMEOUT_SECONDS=0.2)
def test_timeout_fault_processes_the_write_then_holds_the_answer(connected, monkeypatch):
    slept = []
    monkeypatch.setattr("integrations.sandbox.kit.pipeline.time.sleep", slept.append)
    arm("timeout")
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Acme Widgets Ltd"}, "LineItems": []}
    response = connected.put("Invoices", {"Invoices": [invoice]}, **{"Idempotency-Key": "k1"})
    assert slept == [0.2]
    assert XeroInvoice.objects.count() == 1  # the outcome is ambiguous to a client that gave up waiting
    retry = connected.put("Invoices", {"Invoices": [invoice]}, **{"Idempotency-Key": "k1"})
    assert retry.content == response.content and XeroInvoice.objects.count() == 1
    assert slept == [0.2]


def test_revoke_now_gives_403_then_invalid_grant_on_refresh(connected):
    refresh_token = connected.refresh_token
    response = connected.client.post(f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/faults/", {"kind": "revoke"})
    assert response.status_code == 302
    denied = connected.get("Organisation")
    assert (denied.status_code, denied.json()["Detail"]) == (403, "AuthenticationUnsuccessful")
    assert connected.get("Organisation", tenant=DESIGN_TENANT_ID).status_code == 403  # the whole token set
    assert connected.refresh(refresh_token).json() == {"error": "invalid_grant"}
    # Reconnecting works again, with the same connection id.
    connected.connect()
    assert connected.get("Organisation").status_code == 200


def test_faults_are_per_tenant_and_consumed_in_order(connected):
    arm("throttle", tenant=DESIGN_TENANT_ID)
    arm("server_error")
    arm("throttle")
    assert connected.get("Organisation").status_code == 500
    assert connected.get("Organisation").status_code == 429
    assert connected.get("Organisation").status_code == 200
    assert connected.get("Organisation", tenant=DESIGN_TENANT_ID).status_code == 429
