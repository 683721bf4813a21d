"""Exact's webhooks: `{"Content": {...}, "HashCode": "<HEX>"}` where HashCode is the upper-case hex
HMAC-SHA256 of the raw `Content` JSON with the app's webhook secret; Exact's empty, unsigned validation POST to
a new subscription's callback; delivery to the division's subscriptions for the topic (by the kit's sender).

When the app has subscribed to nothing in the division, FinancialTransactions events go to the kit's default
URL (SANDBOX_WEBHOOK_URL or SITE_URL + /integrations/exact/webhooks/), as if the app had subscribed there: a
deployment without a public SITE_URL cannot subscribe, but the demo should still show the webhook path.
"""

import hashlib
import hmac
import json

from django.conf import settings

from ..kit import registry
from ..kit.webhooks import send, send_raw
from .models import ExactDivision
from .store import live

DEFAULT_TOPIC = "FinancialTransactions"


def hash_code(content: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), content, hashlib.sha256).hexdigest().upper()


def seal(payload: dict, secret: str) -> tuple[bytes, dict]:
    """The body Exact sends: the HashCode signs exactly the bytes between {"Content": and ,"HashCode":."""
    content = json.dumps(payload, separators=(",", ":")).encode()
    body = b'{"Content":' + content + b',"HashCode":"' + hash_code(content, secret).encode() + b'"}'
    return body, {"Content-Type": "application/json"}


def _api_base(division: ExactDivision) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/sandbox/exact/{division.locale}/api/v1"


def content(division: ExactDivision, topic: str, action: str, key: str, path: str) -> dict:
    provider = registry.get("exact")
    return {
        "Topic": topic,
        "ClientId": provider.client_id,
        "Division": division.code,
        "Action": action,
        "Key": key,
        "ExactOnlineEndpoint": f"{_api_base(division)}/{division.code}/{path}(guid'{key}')",
    }


def notify(division: ExactDivision, topic: str, action: str, key: str, path: str) -> int:
    """Queue one delivery per matching subscription (after commit); the number queued."""
    provider = registry.get("exact")
    payload = content(division, topic, action, key, path)
    subscriptions = [
        row.body for row in live(division, "WebhookSubscription") if row.body["ClientID"] == provider.client_id
    ]
    if not subscriptions:
        return int(topic == DEFAULT_TOPIC and send(provider, str(division.code), payload))
    targets = sorted({s["CallbackURL"] for s in subscriptions if s["Topic"] == topic})
    return sum(1 for url in targets if send(provider, str(division.code), payload, url=url))


def validation_ping(division: ExactDivision, url: str) -> None:
    """About a second after a subscription is made Exact POSTs an empty body (content-length 0), unsigned."""
    send_raw(registry.get("exact"), str(division.code), url=url, body=b"", headers={"Content-Length": "0"})
