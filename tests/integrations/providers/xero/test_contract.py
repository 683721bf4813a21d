"""Xero passes the provider contract."""

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

    def serve_changed_payments(self, mock, count):
        xero = FakeXero(mock, API).install()
        for index in range(count):
            xero.add_payment(
                invoice_id=f"invoice-{index % 7}",
                amount="1.00",
                date="2026-11-10",
                updated=CHANGES_START + timedelta(seconds=index),
            )

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
