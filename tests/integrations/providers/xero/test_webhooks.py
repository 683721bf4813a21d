"""Xero's webhook events parsed as the Webhooks API spec shows them, and the signature scheme it uses."""

import json
from datetime import UTC, datetime

import pytest

from integrations.providers.base import (
    SYNC_IF_OUR_DOCUMENT,
    SYNC_NONE,
    WebhookPayloadError,
    hmac_sha256_base64,
    signatures_match,
)
from integrations.providers.xero.webhooks import parse, sign, verify

from . import spec


def test_the_signature_scheme_matches_a_published_vector():
    """Xero and Intuit both sign base64(HMAC-SHA256(raw body, key)); Intuit's .NET SDK publishes a vector."""
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40",'
        b'"operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43",'
        b'"operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}'
    )
    expected = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="
    assert hmac_sha256_base64("00faeec4-08d0-4996-bb37-698ae19f0149", body) == expected
    assert signatures_match(expected, f" {expected}\n")  # header values may carry whitespace
    assert not signatures_match(expected, expected[:-2] + "==")


def test_verify_reads_the_header_case_insensitively_and_needs_a_key():
    body = b'{"events":[]}'
    assert verify({"x-xero-signature": sign("k", body)}, body, "k")
    assert not verify({"x-xero-signature": sign("k", body)}, body, "")
    assert not verify({}, body, "k")


def test_the_specs_examples_parse():
    credit_note, contact = spec.webhook_examples()
    (note,) = parse(json.dumps(credit_note).encode())
    assert (note.resource_kind, note.event_type, note.wants_sync) == ("CREDITNOTE", "CREATE", SYNC_NONE)
    assert note.tenant_id == "aef86862-2015-4b6b-88bc-d89032cecc50"
    assert note.resource_id == "55d84274-a3da-4829-a7c0-0cab601b95cc"
    assert note.occurred_at == datetime(2025, 12, 2, 0, 44, 9, 923000, tzinfo=UTC)
    assert note.excerpt["data"] == {"Type": "ACCPAYCREDIT", "Status": "DRAFT"}
    assert note.key == (
        "aef86862-2015-4b6b-88bc-d89032cecc50:55d84274-a3da-4829-a7c0-0cab601b95cc:CREDITNOTE:CREATE:"
        "2025-12-02T00:44:09.923"
    )
    (update,) = parse(json.dumps(contact).encode())
    assert (update.resource_kind, update.event_type, update.wants_sync) == ("CONTACT", "UPDATE", SYNC_NONE)


def test_only_an_invoice_update_asks_for_a_payment_sync():
    delivery = spec.webhook_examples()[-1]
    delivery["events"][0].update(eventCategory="INVOICE", eventType="UPDATE")
    (notice,) = parse(json.dumps(delivery).encode())
    assert notice.wants_sync == SYNC_IF_OUR_DOCUMENT
    delivery["events"][0]["eventType"] = "CREATE"
    assert parse(json.dumps(delivery).encode())[0].wants_sync == SYNC_NONE


def test_intent_to_receive_has_no_events():
    assert parse(b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"X"}') == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"events": {}}',
        b'{"events": ["x"]}',
        b'{"events": [{"resourceId": "r", "eventDateUtc": "d", "eventType": "UPDATE", "eventCategory": "INVOICE"}]}',
        json.dumps(
            {
                "events": [
                    {
                        "resourceId": "r" * 201,
                        "eventDateUtc": "2026-01-01T00:00:00",
                        "eventType": "UPDATE",
                        "eventCategory": "INVOICE",
                        "tenantId": "t",
                    }
                ]
            }
        ).encode(),
    ],
    ids=["not json", "not utf-8", "a list", "events not a list", "event not an object", "no tenant", "too long"],
)
def test_what_is_not_xeros_shape_is_refused(body):
    with pytest.raises(WebhookPayloadError):
        parse(body)
