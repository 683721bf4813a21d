"""Intuit's webhook signature (the SDK's verified test vector) and both payload shapes."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from integrations import registry
from integrations.models import WebhookEvent, WebhookResult
from integrations.providers.base import SYNC_NONE, SYNC_TENANT, WebhookPayloadError
from integrations.providers.quickbooks.webhooks import parse, verify

from .helpers import qbo_connection
from .webhook_samples import VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_VERIFIER, cloud_events, legacy_notification, sign


def test_intuits_test_vector():
    assert sign(VECTOR_VERIFIER, VECTOR_BODY) == VECTOR_SIGNATURE
    assert verify({"intuit-signature": VECTOR_SIGNATURE}, VECTOR_BODY, VECTOR_VERIFIER)
    assert not verify({"intuit-signature": VECTOR_SIGNATURE}, VECTOR_BODY + b"\n", VECTOR_VERIFIER)
    assert not verify({}, VECTOR_BODY, VECTOR_VERIFIER)
    assert not verify({"intuit-signature": VECTOR_SIGNATURE}, VECTOR_BODY, "")


def test_legacy_shape_payment_events_sync_the_realm():
    notices = parse(VECTOR_BODY)
    assert [(n.resource_kind, n.resource_id, n.event_type, n.wants_sync) for n in notices] == [
        ("Vendor", "40", "Update", SYNC_NONE),
        ("Customer", "43", "Create", SYNC_NONE),
    ]
    (payment, customer) = parse(legacy_notification("123"))
    assert payment.tenant_id == "123" and payment.wants_sync == SYNC_TENANT and customer.wants_sync == SYNC_NONE


def test_cloudevents_shape_with_two_realms():
    payment, invoice = parse(cloud_events("111", other_realm="222"))
    assert (payment.tenant_id, payment.resource_kind, payment.event_type, payment.wants_sync) == (
        "111",
        "Payment",
        "Created",
        SYNC_TENANT,
    )
    assert (invoice.tenant_id, invoice.wants_sync) == ("222", SYNC_NONE)
    assert payment.key == "ce:88cd52e5-2ba1-4d0f-9d5e-5e7f0a1b2c3d"


@pytest.mark.parametrize("body", [b"not json", b'{"events": []}', b'[{"id": "x"}]', b'{"eventNotifications": [1]}'])
def test_other_shapes_are_refused(body):
    with pytest.raises(WebhookPayloadError):
        parse(body)


@pytest.mark.django_db
def test_route_good_bad_missing_replayed_and_unknown_realm(settings, organization, subsidiary, caplog):
    settings.QUICKBOOKS_WEBHOOK_VERIFIER = VECTOR_VERIFIER
    assert registry.get("quickbooks").webhooks_on()
    url = reverse("integrations:webhooks", args=["quickbooks"])
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings={"sync_payments": True})
    body = legacy_notification(connection.remote_tenant_id, with_customer=False)
    client = Client(enforce_csrf_checks=True)

    def post(payload, signature):
        extra = {"HTTP_INTUIT_SIGNATURE": signature} if signature else {}
        return client.post(url, payload, content_type="application/json", **extra)

    assert post(body, "").status_code == 401
    assert post(body, sign("wrong", body)).status_code == 401
    assert not WebhookEvent.objects.exists()
    for _replay in range(2):
        assert post(body, sign(VECTOR_VERIFIER, body)).status_code == 200
    assert WebhookEvent.objects.filter(connection=connection).count() == 1
    connection.refresh_from_db()
    assert connection.sync_requested_at is not None, "a Payment event makes the realm's connection due"
    with caplog.at_level(logging.INFO, logger="integrations.webhooks"):
        stranger = legacy_notification("999999", with_customer=False)
        assert post(stranger, sign(VECTOR_VERIFIER, stranger)).status_code == 200
    assert WebhookEvent.objects.get(remote_tenant_id="999999").result == WebhookResult.UNKNOWN_TENANT
    assert any("quickbooks webhook" in record.getMessage() for record in caplog.records)
    assert json.loads(body)  # the body itself is never altered by the route
