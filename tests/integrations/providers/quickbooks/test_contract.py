"""QuickBooks Online passes the provider contract (export, feed, auth, webhooks) against FakeQuickBooks."""

from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from billing.services import LineInput
from tests.factories import CompanyFactory, make_invoice

from ..contract import ProviderContract
from .fake_qbo import FakeQuickBooks
from .helpers import API, READY_SETTINGS, TOKEN_URL, qbo_connection
from .webhook_samples import cloud_events, legacy_notification, sign


class QuickBooksFeedServer:
    def __init__(self, mock, realm):
        self.qbo = FakeQuickBooks(mock, API, realm).install()

    def pay(self, payment_id, lines, *, date="2026-11-10"):
        return self.qbo.pay(payment_id, lines, date=date)

    def delete(self, payment_id):
        return self.qbo.delete(payment_id)


class TestQuickBooksContract(ProviderContract):
    provider_key = "quickbooks"
    configured_settings = {"QUICKBOOKS_CLIENT_ID": "id", "QUICKBOOKS_CLIENT_SECRET": "secret"}
    unconfigured_settings = {"QUICKBOOKS_CLIENT_ID": ""}
    read_method = "list_items"
    token_url = TOKEN_URL
    refreshed_token = "qbo-again"
    _realm = "9130350000009999"

    @property
    def read_url(self):
        import re

        return re.compile(rf"{API}/company/\d+/query.*")

    def make_connection(self, **extra):
        if "grant" not in extra and "remote_tenant_id" not in extra and not getattr(self, "_made", False):
            self._made = True
            extra["remote_tenant_id"] = self._realm
        return qbo_connection(**extra)

    def mock_refresh(self, mock):
        mock.add(
            responses.POST,
            TOKEN_URL,
            json={"token_type": "bearer", "access_token": "qbo-again", "refresh_token": "r2", "expires_in": 3600},
        )

    def mock_refresh_refused(self, mock):
        mock.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})

    def callback_params(self):
        return {"code": "contract-code", "realmId": self._realm}

    def mock_connect(self, mock, tenant_count):
        if tenant_count > 1:
            pytest.skip("an Intuit consent grants exactly one company (realmId): there is nothing to choose")
        mock.add(
            responses.POST,
            TOKEN_URL,
            json={"token_type": "bearer", "access_token": "a", "refresh_token": "r", "expires_in": 3600},
        )
        FakeQuickBooks(mock, API, self._realm).install()
        return [self._realm]

    def mock_api(self, mock):
        server = FakeQuickBooks(mock, API, self._realm)
        server.reference = LISTS
        server.install()
        server._create_customer({"DisplayName": "Acme Ltd"})
        server.pay("p-1", [("130", "10.00")])

    def invoice_payload(self):
        return {
            "CustomerRef": {"value": "1"},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": 100.0,
                    "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrice": 100},
                }
            ],
        }

    def feed_server(self, mock):
        return QuickBooksFeedServer(mock, self._realm)

    def feed_document_id(self):
        import uuid

        return str(uuid.uuid4().int % 10**6)

    def serve_changed_payments(self, mock, count):
        server = FakeQuickBooks(mock, API, self._realm).install()
        for index in range(count):
            server.pay(f"{index + 1}", [(f"{index % 7 + 1}", "1.00")])

    # webhooks

    def sign_webhook(self, body, key):
        return {"intuit-signature": sign(key, body)}

    def webhook_samples(self, tenant_id):
        return [cloud_events(tenant_id), legacy_notification(tenant_id)]

    def webhook_payment_hint(self, tenant_id, resource_id, sequence):
        return legacy_notification(
            tenant_id, payment_id=f"{sequence}", moment=f"2026-11-12T09:30:{sequence:02d}.000Z", with_customer=False
        )

    # export

    def serve_export(self, mock):
        return FakeQuickBooks(mock, API, self._realm).install()

    def export_setup(self, organization, subsidiary):
        connection = self.make_connection(
            organization=organization,
            subsidiary=subsidiary,
            remote_tenant_id=self._realm,
            settings=dict(READY_SETTINGS),
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
        return dict(server.invoices)

    def lose_write_answers(self, server, count):
        server.drop_answers = count

    def remote_version(self, server, remote_id):
        return server.invoices[remote_id]["SyncToken"]


LISTS = {
    "Item": [
        {"Id": "1", "Name": "Services", "FullyQualifiedName": "Services", "Type": "Service", "Active": True},
        {"Id": "2", "Name": "Design", "FullyQualifiedName": "Design", "Type": "Service", "Active": True},
    ],
    "Account": [{"Id": "79", "Name": "Sales of Product Income", "AccountType": "Income", "Active": True}],
    "TaxCode": [{"Id": "2", "Name": "21% BTW", "Taxable": True, "Active": True}],
}
