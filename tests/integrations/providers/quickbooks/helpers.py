"""Shared pieces of the QuickBooks tests: the API root, connections, a complete setup."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from ...factories import ConnectionFactory

API = "https://quickbooks.api.intuit.com/v3"
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE_URL = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
_realms = itertools.count(9130350000000001)


def realm_url(connection, entity: str) -> str:
    return f"{API}/company/{connection.remote_tenant_id}/{entity}"


def qbo_connection(**extra):
    extra.setdefault("remote_tenant_id", str(next(_realms)))
    extra.setdefault("name", "QuickBooks")
    return ConnectionFactory(provider="quickbooks", token_expires_at=timezone.now() + timedelta(minutes=50), **extra)


READY_SETTINGS = {
    "numbering": "app",
    "pdf": "ours",
    "memo": "subject",
    "default_item": "1",
    "lists": {"items": [{"code": "1", "name": "Services", "extra": {"type": "Service"}}]},
}
