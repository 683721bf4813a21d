"""Xero's webhook payload: INVOICE events as xero-webhooks.yaml describes them, signed with XERO_WEBHOOK_KEY.

Xero has no PAYMENT category: a payment recorded or deleted shows up as an UPDATE of its invoice.
"""

import secrets
import string

from django.conf import settings
from django.urls import reverse

from ..kit import webhooks
from ..kit.clock import now_ms
from ..kit.registry import get
from ..models import XeroInvoice


def _event_date(value) -> str:
    """ "2025-12-02T00:44:09.923": UTC, milliseconds, no zone suffix (as in Xero's examples)."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}"


def invoice_events_payload(tenant_id: str, changes: list[tuple[XeroInvoice, str]]) -> dict:
    first = webhooks.sequence_next("xero-webhook-events", len(changes))
    api_base = settings.SITE_URL.rstrip("/") + reverse("sandbox:xero-api", kwargs={"path": "Invoices/"})
    at = _event_date(now_ms())
    events = [
        {
            "resourceUrl": f"{api_base}{invoice.invoice_id}",
            "resourceId": str(invoice.invoice_id),
            "tenantId": str(tenant_id),
            "tenantType": "ORGANISATION",
            "eventCategory": "INVOICE",
            "eventType": event_type,
            "eventDateUtc": at,
        }
        for invoice, event_type in changes
    ]
    entropy = "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))
    return {
        "events": events,
        "firstEventSequence": first,
        "lastEventSequence": first + len(changes) - 1,
        "entropy": entropy,
    }


def invoice_events_send(tenant_id: str, changes: list[tuple[XeroInvoice, str]]) -> bool:
    """Send one delivery for these (invoice, "CREATE" | "UPDATE") changes once the action commits."""
    provider = get("xero")
    if not changes or not webhooks.webhook_key(provider):
        return False
    return webhooks.send(provider, str(tenant_id), invoice_events_payload(tenant_id, changes))
