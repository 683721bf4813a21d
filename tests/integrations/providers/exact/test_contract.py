"""Exact Online passes the provider contract (export, feed, auth, webhooks) against FakeExact."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
import responses

from billing.services import LineInput
from tests.factories import CompanyFactory, make_invoice

from ..contract import ProviderContract
from .fake_exact import HOSTS, FakeExact
from .helpers import LEDGER, READY_SETTINGS, TOKEN_URL, exact_connection, serve_connect, token_answer
from .webhook_samples import account_update, financial_transaction, resign, unsigned


class ExactFeedServer:
    def __init__(self, mock):
        self.exact = FakeExact(mock).install()

    def pay(self, payment_id, lines, *, date="2026-11-10"):
        return self.exact.pay(payment_id, lines, date=date)

    def delete(self, payment_id):
        return self.exact.delete(payment_id)


class TestExactContract(ProviderContract):
    provider_key = "exact"
    configured_settings = {"EXACT_CLIENT_ID": "id", "EXACT_CLIENT_SECRET": "secret"}
    unconfigured_settings = {"EXACT_CLIENT_ID": ""}
    read_method = "list_accounts"
    read_url = re.compile(rf"{HOSTS['nl']}/api/v1/\d+/financial/GLAccounts.*")
    token_url = TOKEN_URL
    refreshed_token = "exact-again"

    def make_connection(self, **extra):
        return exact_connection(**extra)

    def mock_refresh(self, mock):
        mock.add(responses.POST, TOKEN_URL, json=token_answer("exact-again", "exact-refresh-2"))

    def mock_refresh_refused(self, mock):
        mock.add(
            responses.POST,
            TOKEN_URL,
            status=400,
            json={"error": "invalid_grant", "error_description": "The refresh token expired"},
        )

    def _round_trip(self, admin_user, organization, subsidiary):
        from integrations.services.connections import authorization_start

        from ..contract_auth import SESSION

        return authorization_start(
            provider=self.provider,
            organization=organization,
            user=admin_user,
            session_key=SESSION,
            subsidiary=subsidiary,
            name="Contract",
            options={"region": "nl"},
        )

    def mock_connect(self, mock, tenant_count):
        divisions = [4133185 + index for index in range(tenant_count)]
        serve_connect(mock, divisions)
        return [str(code) for code in divisions]

    def mock_api(self, mock):
        server = FakeExact(mock).install()
        server.accounts["a-1"] = {"ID": str(uuid.uuid4()), "Name": "Acme BV", "Email": "ap@acme.test", "Code": "  1"}
        server.pay("p-1", [(str(uuid.uuid4()), "10.00")])

    def invoice_payload(self):
        return {
            "Journal": "70",
            "Customer": str(uuid.uuid4()),
            "YourRef": "INV-1",
            "SalesEntryLines": [{"GLAccount": LEDGER, "AmountFC": Decimal("100.00"), "Description": "Design"}],
        }

    def feed_server(self, mock):
        return ExactFeedServer(mock)

    def feed_document_id(self):
        return str(uuid.uuid4())

    def serve_changed_payments(self, mock, count):
        server = FakeExact(mock).install()
        invoices = [str(uuid.uuid4()) for _ in range(7)]
        for index in range(count):
            server.pay(f"line-{index + 1}", [(invoices[index % 7], "1.00")])

    # webhooks: Exact signs inside the body (HashCode over the raw Content)

    def sign_webhook(self, body, key):
        return {}

    def signed_delivery(self, body, key):
        return resign(body, key), {}

    def unsigned_delivery(self, body):
        return unsigned(body), {}

    def webhook_samples(self, tenant_id):
        return [financial_transaction(tenant_id), account_update(tenant_id)]

    def webhook_payment_hint(self, tenant_id, resource_id, sequence):
        return financial_transaction(tenant_id, key=f"00000000-0000-4000-8000-{sequence:012d}")

    # export

    def serve_export(self, mock):
        return FakeExact(mock).install()

    def export_setup(self, organization, subsidiary):
        connection = self.make_connection(
            organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS)
        )
        invoice = make_invoice(
            organization=organization,
            subsidiary=subsidiary,
            company=CompanyFactory(organization=organization, name="Globex"),
            lines=[LineInput("Design", Decimal("2"), Decimal("150.00"), None, None)],
            finalize=True,
        )
        return connection, invoice

    def remote_documents(self, server):
        return dict(server.entries)

    def lose_write_answers(self, server, count):
        server.drop_answers = count


@pytest.mark.django_db
def test_the_contract_connects_through_the_locale_host():
    """The round trip of the contract's auth section goes to the host of the locale chosen."""
    provider = TestExactContract().provider
    assert provider.endpoint("authorize", {"region": "de"}) == "https://start.exactonline.de/api/oauth2/auth"
    assert provider.endpoint("token", {"region": "be"}) == "https://start.exactonline.be/api/oauth2/token"
