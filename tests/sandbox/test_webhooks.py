"""The Xero sandbox sends signed INVOICE webhooks (xero-webhooks.yaml) when XERO_WEBHOOK_KEY is set: a person
records or deletes a payment on its pages, or the API creates or updates an invoice. The receiver is a
`responses` mock that checks the signature the way Xero documents it: base64(HMAC-SHA256(raw body, key))."""

import base64
import hashlib
import hmac
import json
import threading
from decimal import Decimal

import pytest
import requests
import responses
from django.test import override_settings

from integrations.sandbox.kit.webhooks import wait_for_deliveries
from integrations.sandbox.models import ApiCall, XeroInvoice, XeroPayment
from integrations.sandbox.xero.demo import TRADING_TENANT_ID

from .openapi import optional_schemas

KEY = "sandbox-webhook-key-for-tests"
RECEIVER = "http://testserver/integrations/xero/webhooks/"
PAGE = f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/"

webhooks_on = override_settings(
    XERO_WEBHOOK_KEY=KEY, SITE_URL="http://testserver", SANDBOX_WEBHOOK_RETRY_SECONDS=0, SANDBOX_WEBHOOK_URL=""
)


def signed_by_key(request) -> bool:
    expected = base64.b64encode(hmac.new(KEY.encode(), request.body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(request.headers["x-xero-signature"], expected)


@pytest.fixture
def receiver():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, RECEIVER, status=200)
        yield mock


def deliveries(mock) -> list[dict]:
    assert all(signed_by_key(call.request) for call in mock.calls)
    return [json.loads(call.request.body) for call in mock.calls]


@webhooks_on
def test_recording_a_payment_on_the_page_sends_a_signed_invoice_update(
    connected, receiver, django_capture_on_commit_callbacks
):
    created = connected.create_invoice()
    receiver.calls.reset()
    with django_capture_on_commit_callbacks(execute=True):
        connected.client.post(f"{PAGE}invoices/{created['InvoiceID']}/payments/", {"amount": "20"})
    (payload,) = deliveries(receiver)
    optional_schemas("xero-webhooks.yaml").assert_valid(payload, "WebhookEvent")
    (event,) = payload["events"]
    assert event["resourceId"] == created["InvoiceID"] and event["tenantId"] == TRADING_TENANT_ID
    assert (event["eventCategory"], event["eventType"], event["tenantType"]) == ("INVOICE", "UPDATE", "ORGANISATION")
    assert event["resourceUrl"].endswith(f"/sandbox/xero/api/api.xro/2.0/Invoices/{created['InvoiceID']}")
    assert payload["firstEventSequence"] == payload["lastEventSequence"] and len(payload["entropy"]) == 20
    sent = ApiCall.objects.get(provider="xero", direction="out")
    assert (sent.tenant_key, sent.path, sent.status_code) == (TRADING_TENANT_ID, RECEIVER, 200)
    assert "↗ POST http://testserver/integrations/xero/webhooks/" in connected.client.get(PAGE).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        connected.client.post(f"{PAGE}payments/{XeroPayment.objects.get().payment_id}/delete/")
    second = deliveries(receiver)[-1]
    assert second["events"][0]["eventType"] == "UPDATE" and second["events"][0]["resourceId"] == created["InvoiceID"]
    assert second["firstEventSequence"] > payload["lastEventSequence"]


@webhooks_on
def test_api_creates_and_updates_send_create_and_update_events(connected, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = connected.create_invoice()
    with django_capture_on_commit_callbacks(execute=True):
        connected.post(f"Invoices/{created['InvoiceID']}", {"Reference": "PO 7"})
    first, second = deliveries(receiver)
    assert [e["eventType"] for e in first["events"] + second["events"]] == ["CREATE", "UPDATE"]
    assert {e["resourceId"] for e in first["events"] + second["events"]} == {created["InvoiceID"]}
    assert second["firstEventSequence"] == first["lastEventSequence"] + 1


@webhooks_on
def test_a_write_that_changes_nothing_sends_nothing(connected, receiver, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = connected.put("Invoices", {"Invoices": [{"Type": "ACCREC"}]})
    assert response.status_code == 400 and not XeroInvoice.objects.exists()
    assert len(receiver.calls) == 0


def test_without_a_webhook_key_nothing_is_sent(connected, django_capture_on_commit_callbacks):
    with responses.RequestsMock() as mock:  # any request would fail: none is registered
        with django_capture_on_commit_callbacks(execute=True):
            created = connected.create_invoice()
            connected.client.post(f"{PAGE}invoices/{created['InvoiceID']}/payments/", {"amount": "20"})
        assert len(mock.calls) == 0
    assert not ApiCall.objects.filter(direction="out").exists()


@webhooks_on
@override_settings(SANDBOX_WEBHOOK_URL="http://receiver.example.test/hooks", SANDBOX_WEBHOOK_ATTEMPTS=3)
def test_failed_deliveries_are_retried_and_never_break_the_action(connected, django_capture_on_commit_callbacks):
    created = connected.create_invoice()
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, "http://receiver.example.test/hooks", status=503)
        mock.add(responses.POST, "http://receiver.example.test/hooks", body=requests.ConnectionError("refused"))
        mock.add(responses.POST, "http://receiver.example.test/hooks", status=500)
        with django_capture_on_commit_callbacks(execute=True):
            response = connected.client.post(
                f"{PAGE}invoices/{created['InvoiceID']}/payments/", {"amount": "20"}, follow=True
            )
        assert len(mock.calls) == 3 and all(signed_by_key(call.request) for call in mock.calls)
    assert "Payment of 20.00 recorded" in response.content.decode()
    assert (
        XeroInvoice.objects.get(invoice_id=created["InvoiceID"]).amount_due == Decimal(str(created["AmountDue"])) - 20
    )
    notes = list(ApiCall.objects.filter(direction="out").order_by("id").values_list("status_code", "note"))
    assert notes == [
        (503, "webhook attempt 1/3: HTTP 503 (not delivered)"),
        (0, "webhook attempt 2/3: ConnectionError (not delivered)"),
        (500, "webhook attempt 3/3: HTTP 500 (not delivered)"),
    ]


@webhooks_on
@override_settings(SANDBOX_WEBHOOK_ATTEMPTS=3)
def test_a_retry_that_gets_through_stops_retrying(connected, django_capture_on_commit_callbacks):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RECEIVER, status=502)
        mock.add(responses.POST, RECEIVER, status=200)
        with django_capture_on_commit_callbacks(execute=True):
            connected.create_invoice()
        assert len(mock.calls) == 2
    assert ApiCall.objects.filter(direction="out", status_code=200).count() == 1


@webhooks_on
@override_settings(SANDBOX_WEBHOOK_DELIVERY="background")
@pytest.mark.django_db(transaction=True)
def test_in_the_background_the_page_answers_before_the_webhook_is_sent(connected):
    """The demo's default: the person's page does not wait on the app's receiver (or its retries)."""
    created = connected.create_invoice()
    wait_for_deliveries()
    release = threading.Event()
    with responses.RequestsMock() as mock:

        def held_answer(request):
            release.wait(5)  # the app is slow to answer
            return 200, {}, ""

        mock.add_callback(responses.POST, RECEIVER, callback=held_answer)
        response = connected.client.post(f"{PAGE}invoices/{created['InvoiceID']}/payments/", {"amount": "20"})
        assert response.status_code == 302 and not release.is_set()  # answered while the delivery is held
        release.set()
        wait_for_deliveries()
        (call,) = mock.calls
    assert (
        signed_by_key(call.request) and json.loads(call.request.body)["events"][0]["resourceId"] == created["InvoiceID"]
    )
    assert ApiCall.objects.filter(direction="out", status_code=200, note="webhook attempt 1/3: HTTP 200").exists()
