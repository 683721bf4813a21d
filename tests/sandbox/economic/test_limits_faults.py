"""Fair-use limits (50,000 calls per agreement per day; no per-minute limit documented), the kit's fault
switches in e-conomic's shapes, and e-conomic's answers to wrong methods, media types and unknown resources."""

import datetime as dt

import time_machine
from django.test import override_settings

from integrations.sandbox.economic.demo import DANISH_AGREEMENT, SWEDISH_AGREEMENT
from integrations.sandbox.economic.models import EcoDocument
from integrations.sandbox.economic.provider import ECONOMIC
from integrations.sandbox.kit import limits

from .conftest import API, Eco, draft_payload


def test_the_day_limit_is_per_agreement_and_resets_at_utc_midnight(client):
    start = dt.datetime(2026, 11, 2, 23, 59, 0, tzinfo=dt.UTC)
    danish, swedish = Eco(client), Eco(client)
    with override_settings(SANDBOX_ECONOMIC_DAY_LIMIT=3), time_machine.travel(start, tick=False):
        danish.install(DANISH_AGREEMENT)
        swedish.install(SWEDISH_AGREEMENT)
        assert [danish.get("self").status_code for _ in range(4)] == [200, 200, 200, 429]
        throttled = danish.get("self")
        assert throttled.json()["httpStatusCode"] == 429 and throttled.json()["message"] == "Too many requests."
        assert swedish.get("self").status_code == 200
        with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
            assert danish.get("self").status_code == 200


def test_there_is_no_per_minute_limit_by_default(eco):
    assert all(eco.get("vat-zones").status_code == 200 for _ in range(70))


def test_faults_500_429_and_invalid_json_process_nothing(eco):
    for kind in ("server_error", "throttle", "invalid_json"):
        limits.fault_arm(ECONOMIC, str(DANISH_AGREEMENT), kind)
    assert eco.post("invoices/drafts", draft_payload()).status_code == 500
    throttled = eco.post("invoices/drafts", draft_payload())
    assert throttled.status_code == 429 and "Retry-After" not in throttled
    broken = eco.post("invoices/drafts", draft_payload())
    assert broken.status_code == 200 and broken.content == b'{"time": "'
    assert not EcoDocument.objects.filter(kind="invoices/drafts").exists()


@override_settings(SANDBOX_TIMEOUT_SECONDS=0)
def test_a_timeout_fault_still_processes_the_write(eco):
    limits.fault_arm(ECONOMIC, str(DANISH_AGREEMENT), "timeout")
    assert eco.post("invoices/drafts", draft_payload()).status_code == 201
    assert EcoDocument.objects.filter(kind="invoices/drafts").count() == 1


def test_methods_media_types_and_unknown_resources(eco):
    not_json = eco.client.post(f"{API}/customers", "name=x", content_type="text/plain", **eco.headers())
    assert not_json.status_code == 415 and not_json.json()["httpStatusCode"] == 415
    broken = eco.client.post(f"{API}/customers", "{", content_type="application/json", **eco.headers())
    assert broken.status_code == 400
    assert eco.post("layouts", {"name": "x"}).status_code == 405
    assert eco.put("customers", {}).status_code == 405
    assert eco.put("layouts/19", {}).status_code == 405
    assert eco.post("self", {}).status_code == 405
    missing = eco.get("nothing-here")
    assert missing.status_code == 404 and missing.json()["message"] == "Resource not found."
    assert eco.get("customers/999").status_code == 404
    assert eco.get("invoices/paid/1").status_code == 404
