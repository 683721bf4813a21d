"""Exact's webhooks: HashCode verified over the raw Content before anything is read, payment topics make the
division due for a sync, and the subscription is made on connect only where SITE_URL is public (https)."""

from __future__ import annotations

import pytest

from integrations import registry
from integrations.providers.base import SYNC_NONE, SYNC_TENANT
from integrations.providers.exact.webhooks import callback_url, sign, site_is_public, verify
from integrations.services.pick_lists import connection_refresh_lists

from .fake_exact import FakeExact
from .helpers import exact_connection
from .webhook_samples import account_update, content_of, delivery, financial_transaction

pytestmark = pytest.mark.django_db


def test_hashcode_is_uppercase_hex_hmac_of_the_raw_content():
    body = financial_transaction("4133185")
    content = content_of(body)
    assert body.endswith(b',"HashCode":"' + sign("sample-secret", content).encode() + b'"}')
    assert sign("sample-secret", content).isupper()
    assert verify({}, body, "sample-secret")
    assert not verify({}, body, "other-secret") and not verify({}, body, "")
    assert not verify({}, body.replace(b"Update", b"Delete"), "sample-secret")  # content changed after signing
    assert not verify({}, body.replace(sign("sample-secret", content).encode(), b"00"), "sample-secret")


def test_payment_topics_ask_for_a_sync_of_the_division_and_others_do_not():
    provider = registry.get("exact")
    [payment] = provider.parse_webhook(financial_transaction("4133185"))
    [account] = provider.parse_webhook(account_update("4133185"))
    assert (payment.tenant_id, payment.resource_kind, payment.event_type) == (
        "4133185",
        "FinancialTransactions",
        "Update",
    )
    assert payment.wants_sync == SYNC_TENANT and account.wants_sync == SYNC_NONE
    assert payment.key != account.key and "HashCode" not in str(payment.excerpt)
    again = provider.parse_webhook(delivery({**_content(financial_transaction("4133185"))}, "another-secret"))
    assert again[0].key == payment.key  # the same event, however it was signed: one dedupe key


def _content(body: bytes) -> dict:
    import json

    return json.loads(content_of(body))


@pytest.mark.parametrize(
    ("site", "public"),
    [
        ("https://app.example.com", True),
        ("http://app.example.com", False),
        ("https://localhost:8000", False),
        ("https://127.0.0.1", False),
        ("https://demo.test", False),
    ],
)
def test_only_a_public_https_site_is_public(site, public, settings):
    settings.SITE_URL = site
    assert site_is_public() is public


def test_connecting_subscribes_once_when_the_site_is_public(mock, settings):
    settings.SITE_URL = "https://app.example.com"
    settings.EXACT_WEBHOOK_SECRET = "hook-secret"
    server = FakeExact(mock).install()
    connection = exact_connection()
    connection_refresh_lists(connection=connection)
    connection_refresh_lists(connection=connection)  # "Refresh lists" again: no second subscription
    assert [(s["Topic"], s["CallbackURL"]) for s in server.subscriptions] == [
        ("FinancialTransactions", "https://app.example.com/integrations/exact/webhooks/")
    ]
    assert callback_url() == "https://app.example.com/integrations/exact/webhooks/"
    connection.refresh_from_db()
    assert connection.settings["tenant"]["webhooks"] == "subscribed"


@pytest.mark.parametrize(
    ("site", "secret"), [("http://127.0.0.1:8000", "hook-secret"), ("https://app.example.com", "")]
)
def test_no_subscription_without_a_public_site_or_a_secret(site, secret, mock, settings):
    settings.SITE_URL, settings.EXACT_WEBHOOK_SECRET = site, secret
    server = FakeExact(mock).install()
    connection = exact_connection()
    connection_refresh_lists(connection=connection)
    assert not server.subscriptions
    assert not any("WebhookSubscriptions" in call.request.url for call in mock.calls)
    connection.refresh_from_db()
    assert connection.settings["tenant"]["webhooks"] == "off"
