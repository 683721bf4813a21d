"""Xero passes the provider contract."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import responses
from django.utils import timezone

from billing.models import TaxRate
from billing.services import LineInput
from tests.factories import CompanyFactory, make_invoice

from ...factories import ConnectionFactory, ready_xero_connection
from ...fake_xero import FakeXero
from ..contract import ProviderContract
from . import spec

API = "https://api.xero.com/api.xro/2.0"
CHANGES_START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


class XeroFeedServer:
    """Xero's side of the payment feed: a payment pays one invoice, and a deletion is the payment again with
    Status DELETED (it keeps its invoice); each change is a second later than the one before."""

    def __init__(self, mock):
        self.xero = FakeXero(mock, API).install()
        self.changes = 0
        self.paid: dict[str, dict] = {}

    def _updated(self):
        self.changes += 1
        return CHANGES_START + timedelta(seconds=self.changes)

    def pay(self, payment_id, lines, *, date="2026-11-10"):
        [(invoice_id, amount)] = lines  # one invoice per Xero payment
        self.paid[payment_id] = {"invoice_id": invoice_id, "amount": amount, "date": date}
        return self.xero.add_payment(updated=self._updated(), payment_id=payment_id, **self.paid[payment_id])

    def delete(self, payment_id):
        return self.xero.add_payment(
            updated=self._updated(), payment_id=payment_id, status="DELETED", **self.paid[payment_id]
        )


class TestXeroContract(ProviderContract):
    provider_key = "xero"
    configured_settings = {"XERO_CLIENT_ID": "id", "XERO_CLIENT_SECRET": "secret"}
    unconfigured_settings = {"XERO_CLIENT_ID": ""}
    read_method = "list_accounts"
    read_url = f"{API}/Accounts"

    def make_connection(self, **extra):
        return ConnectionFactory(provider="xero", token_expires_at=timezone.now() + timedelta(minutes=30), **extra)

    def mock_refresh(self, mock):
        mock.add(
            responses.POST,
            "https://identity.xero.com/connect/token",
            json={"access_token": "again", "refresh_token": "r", "expires_in": 1800},
        )

    token_url = "https://identity.xero.com/connect/token"
    refreshed_token = "again"

    def mock_connect(self, mock, tenant_count):
        tenants = [
            {"id": f"c-{n}", "tenantId": f"tenant-{n}", "tenantType": "ORGANISATION", "tenantName": f"Org {n}"}
            for n in range(tenant_count)
        ]
        mock.add(responses.POST, self.token_url, json={"access_token": "a", "refresh_token": "r", "expires_in": 1800})
        mock.add(responses.GET, "https://api.xero.com/connections", json=tenants)
        mock.add(responses.GET, f"{API}/Organisation", json={"Organisations": [{"BaseCurrency": "EUR"}]})
        return [tenant["tenantId"] for tenant in tenants]

    def mock_refresh_refused(self, mock):
        mock.add(responses.POST, self.token_url, status=400, json={"error": "invalid_grant"})

    def mock_api(self, mock):
        mock.add(responses.GET, f"{API}/Accounts", json=spec.example("/Accounts", "get"))
        mock.add(responses.GET, f"{API}/TaxRates", json=spec.example("/TaxRates", "get"))
        mock.add(responses.GET, f"{API}/Items", json=spec.example("/Items", "get"))
        mock.add(responses.GET, f"{API}/Contacts", json=spec.example("/Contacts", "get"))
        mock.add(responses.PUT, f"{API}/Invoices", json=spec.example("/Invoices", "put"))
        mock.add(responses.GET, f"{API}/Invoices", json=spec.example("/Invoices", "get"))
        mock.add(responses.GET, f"{API}/Payments", json=spec.example("/Payments", "get"))

    def invoice_payload(self):
        return spec.request_example("/Invoices", "put")["Invoices"][0]

    def feed_server(self, mock):
        return XeroFeedServer(mock)

    def feed_document_id(self):
        return str(uuid.uuid4())

    def serve_changed_payments(self, mock, count):
        xero = FakeXero(mock, API).install()
        for index in range(count):
            xero.add_payment(
                invoice_id=f"invoice-{index % 7}",
                amount="1.00",
                date="2026-11-10",
                updated=CHANGES_START + timedelta(seconds=index),
            )

    def sign_webhook(self, body, key):
        return {"x-xero-signature": base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()}

    def webhook_samples(self, tenant_id):
        samples = spec.webhook_examples()
        for sample in samples:
            for event in sample["events"]:
                event["tenantId"] = tenant_id
        return [json.dumps(sample).encode() for sample in samples]

    def webhook_payment_hint(self, tenant_id, resource_id, sequence):
        """The spec's contact example as an INVOICE update: how Xero tells of a payment (it has no PAYMENT events)."""
        delivery = spec.webhook_examples()[-1]
        (event,) = delivery["events"]
        event.update(
            resourceUrl=f"https://api.xero.com/api.xro/2.0/Invoices/{resource_id}",
            resourceId=resource_id,
            eventCategory="INVOICE",
            eventType="UPDATE",
            tenantId=tenant_id,
            eventDateUtc=f"2026-11-12T09:30:{sequence:02d}.000",
        )
        delivery.update(firstEventSequence=sequence, lastEventSequence=sequence)
        return json.dumps(delivery).encode()

    # --- export: Xero's invoices, served by FakeXero (PUT/POST /Invoices, InvoiceNumbers lookup) -------------

    def serve_export(self, mock):
        return FakeXero(mock, API).install()

    def export_setup(self, organization, subsidiary):
        connection = ready_xero_connection(
            organization, subsidiary, settings={"numbering": "app", "default_account": "200"}
        )
        rate = TaxRate.objects.get(organization=organization, percentage=21)
        invoice = make_invoice(
            organization=organization,
            subsidiary=subsidiary,
            company=CompanyFactory(organization=organization, name="Globex"),
            lines=[LineInput("Design", Decimal("2"), Decimal("150.00"), None, rate)],
            finalize=True,
        )
        return connection, invoice

    def remote_documents(self, server):
        return dict(server.invoices)

    def lose_write_answers(self, server, count):
        server.drop_answers = count
