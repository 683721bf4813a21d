"""Exact Online's webhooks: the signature check, the events, and the subscriptions made on connect.

A delivery is `{"Content": {"Topic", "ClientId", "Division", "Action", "Key", "ExactOnlineEndpoint"},
"HashCode": "<HEX>"}`: HashCode = uppercase hex HMAC-SHA256, keyed with the app's webhook secret, of the raw JSON
text between `{"Content":` and `,"HashCode":` (picqer Webhook/Authenticatable; checked against a live delivery
in hookdeck/webhook-skills#152). The signature is inside the body, so it is cut out of the raw bytes before
anything is parsed. The event carries no data and no event id: it only makes the division due for a payments
sync (polling stays the source of truth). A new subscription is first checked with an empty POST (answered 200
by the receiver: Provider.webhook_validation_ping).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from integrations.providers.base import SYNC_NONE, SYNC_TENANT, WebhookNotice, WebhookPayloadError, signatures_match

# Exactly as Exact writes it (picqer: ^{"Content":(.*),"HashCode":"(.*)"}$): nothing before, between or after.
_SIGNED = re.compile(rb"^\{\"Content\":(?P<content>.*),\"HashCode\":\"(?P<hash>[0-9A-Fa-f]+)\"\}\Z", re.S)
# Topics whose events can mean a payment or a match on a copied invoice (the ledger's transactions and the
# receivables they move); the list of topics is not published in one place, these are the ones seen in use.
PAYMENT_TOPICS = ("FinancialTransactions",)
SYNC_TOPICS = {"financialtransactions", "bankentries", "cashentries", "salesentries", "receivables"}
FIELD_MAX = 200


def sign(secret: str, content: bytes) -> str:
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()


def signed_parts(body: bytes) -> tuple[bytes, str] | None:
    match = _SIGNED.match(body or b"")
    return (match["content"], match["hash"].decode()) if match else None


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> bool:
    parts = signed_parts(body)
    if not secret or parts is None:
        return False
    content, given = parts
    return signatures_match(sign(secret, content), given)


def _text(content: dict, name: str) -> str:
    value = content.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > FIELD_MAX:
        raise WebhookPayloadError(f"Content.{name} is missing or not a short string")
    return value


def parse(body: bytes) -> list[WebhookNotice]:
    parts = signed_parts(body)
    if parts is None:
        raise WebhookPayloadError("the body is not {Content, HashCode}")
    try:
        content = json.loads(parts[0])
    except (ValueError, UnicodeDecodeError):
        raise WebhookPayloadError("Content is not JSON") from None
    if not isinstance(content, dict):
        raise WebhookPayloadError("Content is not an object")
    topic, division, key = _text(content, "Topic"), _text(content, "Division"), _text(content, "Key")
    action = _text(content, "Action")
    return [
        WebhookNotice(
            # No event id exists: the signed content is the event (a redelivery repeats it exactly).
            key=f"{division}:{hashlib.sha256(parts[0]).hexdigest()[:40]}",
            tenant_id=division,
            resource_kind=topic,
            resource_id=key,
            event_type=action,
            wants_sync=SYNC_TENANT if topic.lower() in SYNC_TOPICS else SYNC_NONE,
            excerpt={"Topic": topic, "Action": action, "Key": key[:60]},
        )
    ]


def callback_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("integrations:webhooks", args=["exact"])


def site_is_public() -> bool:
    """Exact calls back over https only, and never a local address."""
    parts = urlsplit(settings.SITE_URL)
    host = (parts.hostname or "").lower()
    local = host in ("localhost", "127.0.0.1", "::1", "0.0.0.0") or host.endswith((".local", ".test", ".internal"))
    return parts.scheme == "https" and bool(host) and not local


def subscribe_once(api) -> str:
    """Make the division's payment-topic subscriptions this app lacks; what the setup page shows about them."""
    url = callback_url()
    existing = {(str(row.get("Topic")), str(row.get("CallbackURL"))) for row in api.webhook_subscriptions()}
    for topic in PAYMENT_TOPICS:
        if (topic, url) not in existing:
            api.subscribe(topic, url)
    return "subscribed"
