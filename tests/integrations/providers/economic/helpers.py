"""Shared pieces of the e-conomic tests: the API root, connections on a grant token, a complete setup."""

from __future__ import annotations

import itertools

from ...factories import ConnectionFactory
from .fake_economic import API, APP_PUBLIC, APP_SECRET  # noqa: F401 - re-exported

GRANT = "grant-token"
_agreements = itertools.count(1118081)

LISTS = {
    "layouts": [{"code": "19", "name": "DK. std. m. bankoplys. 1.5", "extra": {}}],
    "payment_terms": [{"code": "1", "name": "Netto 8 dage", "extra": {"type": "net", "days": 8}}],
    "vat_zones": [{"code": "1", "name": "Domestic", "extra": {}}],
    "products": [{"code": "1", "name": "Consulting", "extra": {}}],
    "customer_groups": [{"code": "1", "name": "Danske", "extra": {}}],
}
READY_SETTINGS = {
    "numbering": "app",
    "pdf": "ours",
    "booking": "draft",
    "layout": "19",
    "payment_terms": "1",
    "vat_zone": "1",
    "customer_group": "1",
    "default_product": "1",
    "lists": LISTS,
}


def economic_connection(**extra):
    """A live e-conomic connection: its grant holds the agreement grant token, with no expiry and no refresh token."""
    extra.setdefault("remote_tenant_id", str(next(_agreements)))
    extra.setdefault("name", "e-conomic")
    if "grant" not in extra:
        extra.setdefault("access_token", GRANT)
        extra.setdefault("refresh_token", "")
        extra.setdefault("token_expires_at", None)
    return ConnectionFactory(provider="economic", **extra)
