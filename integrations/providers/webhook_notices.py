"""What a provider's webhook parser hands the receiver, and the signature helpers providers share."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime

# every connection of the tenant (a payment event of a provider that sends them).
SYNC_NONE = ""
SYNC_IF_OUR_DOCUMENT = "document"
SYNC_TENANT = "tenant"


@dataclass(frozen=True)
class WebhookNotice:
    """One event of a signed webhook delivery, in the provider's words. A hint that something changed, never data
    to apply: the payments sync it may queue reads the provider (polling stays the source of truth)."""

    key: str  # unique per provider for one real event, the same in every redelivery of it (the dedupe key)
    tenant_id: str  # the remote tenant: Connection.remote_tenant_id
    resource_kind: str  # e.g. "INVOICE", "Payment"
    resource_id: str
    event_type: str  # e.g. "UPDATE", "Delete"
    occurred_at: datetime | None = None
    wants_sync: str = SYNC_NONE
    # What support may read in the admin: a few of the event's own fields, never a secret or a signature.
    excerpt: dict = field(default_factory=dict)


class WebhookPayloadError(ValueError):
    """A correctly signed body that is not the provider's documented shape."""


def hmac_sha256_base64(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(body, key)): how Xero (x-xero-signature) and Intuit (intuit-signature) sign the raw body."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode("ascii")


def signatures_match(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures (never ==: its timing tells an attacker how much matched)."""
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))
