"""Intuit's webhooks in the CloudEvents format: a JSON array of events, signed in `intuit-signature`
(base64 HMAC-SHA256 of the raw body with the app's verifier token) by the kit's sender."""

import uuid

from ..kit import registry
from ..kit.clock import now_ms
from ..kit.webhooks import send
from .models import QboCompany, QboEntity

SOURCE = "intuit.sandbox.quickbooks"


def cloud_event(company: QboCompany, entity: str, row: QboEntity, operation: str) -> dict:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": SOURCE,
        "type": f"qbo.{entity}.{operation}.v1",
        "datacontenttype": "application/json",
        "time": now_ms().isoformat().replace("+00:00", "Z"),
        "intuitentityid": row.entity_id,
        "intuitaccountid": company.realm_id,
        "data": {},
    }


def events_send(company: QboCompany, changes: list[tuple[str, QboEntity, str]]) -> bool:
    """One delivery per action, after its transaction commits; nothing when the app has no verifier token."""
    events = [cloud_event(company, entity, row, operation) for entity, row, operation in changes]
    return send(registry.get("quickbooks"), company.realm_id, events)
