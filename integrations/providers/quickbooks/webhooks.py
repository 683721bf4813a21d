"""Intuit's webhooks: the signature check and the events (developer.intuit.com "Webhooks").

`intuit-signature` = base64(HMAC-SHA256(raw body, the app's verifier token)). Two payload shapes: the CloudEvents
array Intuit moved to in 2026 (`[{"specversion": "1.0", "id", "type": "qbo.payment.created.v1", "time",
"intuitentityid", "intuitaccountid", …}]`, several realms per delivery) and the legacy `{"eventNotifications":
[{"realmId", "dataChangeEvent": {"entities": [{"name", "id", "operation", "lastUpdated"}]}}]}`. A Payment event
makes the realm's connections due for a payments sync; every other entity is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from integrations.providers.base import (
    SYNC_NONE,
    SYNC_TENANT,
    WebhookNotice,
    WebhookPayloadError,
    hmac_sha256_base64,
    signatures_match,
)

SIGNATURE_HEADER = "intuit-signature"
FIELD_MAX = 200
PAYMENT = "payment"


def sign(verifier: str, body: bytes) -> str:
    return hmac_sha256_base64(verifier, body)


def verify(headers: Mapping[str, str], body: bytes, verifier: str) -> bool:
    given = headers.get(SIGNATURE_HEADER) or ""
    if not verifier or not given:
        return False
    return signatures_match(sign(verifier, body), given)


def _text(event: dict, name: str) -> str:
    value = event.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > FIELD_MAX:
        raise WebhookPayloadError(f"event field {name} is missing or not a short string")
    return value


def _moment(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _cloud_event(event) -> WebhookNotice:
    """`type` is qbo.<entity>.<operation>.v<n>: the entity and operation are its middle parts."""
    if not isinstance(event, dict):
        raise WebhookPayloadError("an event is not an object")
    event_id, event_type = _text(event, "id"), _text(event, "type")
    realm, entity_id = _text(event, "intuitaccountid"), _text(event, "intuitentityid")
    parts = event_type.split(".")
    entity, operation = (parts[1], parts[2]) if len(parts) >= 4 else (event_type, "")
    return WebhookNotice(
        key=f"ce:{event_id}",
        tenant_id=realm,
        resource_kind=entity.capitalize(),
        resource_id=entity_id,
        event_type=operation.capitalize(),
        occurred_at=_moment(event.get("time")),
        wants_sync=SYNC_TENANT if entity.lower() == PAYMENT else SYNC_NONE,
        excerpt={"type": event_type, "time": str(event.get("time") or "")[:40]},
    )


def _legacy_events(payload: dict) -> list[WebhookNotice]:
    notices = []
    for notification in payload["eventNotifications"]:
        if not isinstance(notification, dict) or not isinstance(notification.get("dataChangeEvent"), dict):
            raise WebhookPayloadError("a notification has no dataChangeEvent")
        realm = _text(notification, "realmId")
        for entity in notification["dataChangeEvent"].get("entities") or []:
            if not isinstance(entity, dict):
                raise WebhookPayloadError("an entity is not an object")
            name, entity_id, operation = (_text(entity, field) for field in ("name", "id", "operation"))
            updated = _text(entity, "lastUpdated")
            notices.append(
                WebhookNotice(
                    key=":".join((realm, name, entity_id, operation, updated)),
                    tenant_id=realm,
                    resource_kind=name,
                    resource_id=entity_id,
                    event_type=operation,
                    occurred_at=_moment(updated),
                    wants_sync=SYNC_TENANT if name.lower() == PAYMENT else SYNC_NONE,
                    excerpt={"name": name, "operation": operation, "lastUpdated": updated[:40]},
                )
            )
    return notices


def parse(body: bytes) -> list[WebhookNotice]:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookPayloadError("the body is not JSON") from None
    if isinstance(payload, list):
        return [_cloud_event(event) for event in payload]
    if isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        return _legacy_events(payload)
    raise WebhookPayloadError("the body is neither a CloudEvents array nor eventNotifications")
