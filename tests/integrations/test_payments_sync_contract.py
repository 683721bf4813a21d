"""The feed section of the provider contract holds for a provider that edits and splits payments and reports
deletions as stubs (the LedgerFeed test provider), so the cases Xero skips are proven to run; the remainder
section holds for the RemainderFeed test provider."""

import uuid

import pytest
from django.test import override_settings

from .factories import ConnectionFactory
from .feed_fakes import FEED_PROVIDERS, LedgerServer, RemainderServer
from .providers.contract_feed import PaymentFeedContract, RemainderFeedContract


@pytest.fixture(autouse=True)
def feed_providers():
    with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS):
        yield


class TestLedgerFeedContract(PaymentFeedContract):
    provider_key = "ledgerfeed"

    def make_connection(self, **extra):
        return ConnectionFactory(provider="ledgerfeed", **extra)

    def feed_server(self, mock):
        return LedgerServer(mock).install()

    def feed_document_id(self):
        return f"txn-{uuid.uuid4().hex[:8]}"


class TestRemainderFeedContract(PaymentFeedContract, RemainderFeedContract):
    """The remainder cases run; the cursor cases skip, saying why."""

    provider_key = "remainderfeed"

    def make_connection(self, **extra):
        return ConnectionFactory(provider="remainderfeed", **extra)

    def remainder_server(self, mock):
        return RemainderServer(mock).install()

    def feed_document_id(self):
        return f"booked-{uuid.uuid4().hex[:8]}"
