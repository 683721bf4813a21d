"""Xero's webhooks: the signature check and the events, as the Xero Webhooks API describes them.

Reference: https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/ and the spec
XeroAPI/Xero-OpenAPI xero-webhooks.yaml. One delivery URL and one webhook key per app; events arrive for every
organisation connected to the app. Categories: INVOICE, CONTACT, CREDITNOTE, SUBSCRIPTION; there is no PAYMENT
category, so a payment shows only as an UPDATE of its invoice (re-read through the payments poll).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from integrations.providers.base import (
    SYNC_IF_OUR_DOCUMENT,
    SYNC_NONE,
    WebhookNotice,
    WebhookPayloadError,
    hmac_sha256_base64,
    signatures_match,
)

SIGNATURE_HEADER = "x-xero-signature"
# The fields that identify one event (required by the spec): the same in every redelivery of it.
KEY_FIELDS = ("tenantId", "resourceId", "eventCategory", "eventType", "eventDateUtc")
FIELD_MAX = 200  # every field we keep is a GUID, a word or a URL: anything longer is not Xero's


def sign(key: str, body: bytes) -> str:
    """x-xero-signature: base64(HMAC-SHA256(raw body, webhook key))."""
    return hmac_sha256_base64(key, body)


def verify(headers: Mapping[str, str], body: bytes, key: str) -> bool:
    given = headers.get(SIGNATURE_HEADER) or ""
    if not key or not given:
        return False
    return signatures_match(sign(key, body), given)


def _text(event: dict, name: str) -> str:
    value = event.get(name)
    if not isinstance(value, str) or not value or len(value) > FIELD_MAX:
        raise WebhookPayloadError(f"event field {name} is missing or not a short string")
    return value


def _occurred_at(value: str) -> datetime | None:
    """eventDateUtc is UTC without a zone ("2025-12-02T00:44:09.923")."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _notice(event) -> WebhookNotice:
    if not isinstance(event, dict):
        raise WebhookPayloadError("an event is not an object")
    tenant_id, resource_id, category, event_type, occurred = (_text(event, name) for name in KEY_FIELDS)
    excerpt = {"eventCategory": category, "eventType": event_type, "tenantType": str(event.get("tenantType", ""))}
    data = event.get("data")
    if isinstance(data, dict):  # CREDITNOTE events say the credit note's type and status
        excerpt["data"] = {name: str(data.get(name, ""))[:40] for name in ("Type", "Status") if name in data}
    return WebhookNotice(
        key=":".join((tenant_id, resource_id, category, event_type, occurred)),
        tenant_id=tenant_id,
        resource_kind=category,
        resource_id=resource_id,
        event_type=event_type,
        occurred_at=_occurred_at(occurred),
        # A payment changes its invoice (status, amount due): that UPDATE is Xero's only sign of it. A CREATE is
        # the copy we just made (no payment yet); contacts and credit notes carry no payment of ours.
        wants_sync=SYNC_IF_OUR_DOCUMENT if (category, event_type) == ("INVOICE", "UPDATE") else SYNC_NONE,
        excerpt=excerpt,
    )


def parse(body: bytes) -> list[WebhookNotice]:
    """The events of a verified delivery. Intent to receive sends `"events": []`: no events, a 200."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookPayloadError("the body is not JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise WebhookPayloadError("the body has no events list")
    return [_notice(event) for event in payload["events"]]
