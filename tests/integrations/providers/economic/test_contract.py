"""e-conomic passes the provider contract (export, remainder feed, token connect) against FakeEconomic."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest

from billing.services import LineInput
from tests.factories import CompanyFactory, make_invoice

from ..contract import ProviderContract
from .fake_economic import API, FakeEconomic
from .helpers import GRANT, READY_SETTINGS, economic_connection

_numbers = itertools.count(20001)


class EconomicRemainderServer:
    dating_calls = 2  # the accounting years, then the year's customer-payment entries

    def __init__(self, mock):
        self.economic = FakeEconomic(mock).install()

    def book(self, invoice_id, total):
        return self.economic.book_invoice(int(invoice_id), total)

    def owe(self, invoice_id, remainder):
        return self.economic.owe(int(invoice_id), remainder)


class TestEconomicContract(ProviderContract):
    provider_key = "economic"
    configured_settings = {"ECONOMIC_APP_PUBLIC_TOKEN": "public", "ECONOMIC_APP_SECRET_TOKEN": "secret"}
    unconfigured_settings = {"ECONOMIC_APP_SECRET_TOKEN": ""}
    read_method = "list_items"
    read_url = re.compile(rf"{API}/products.*")
    token_url = f"{API}/no-token-endpoint"

    def make_connection(self, **extra):
        return economic_connection(**extra)

    def callback_params(self):
        return {"token": GRANT}

    def mock_connect(self, mock, tenant_count):
        if tenant_count > 1:
            pytest.skip("an e-conomic grant token is one agreement: there is nothing to choose")
        server = FakeEconomic(mock).install()
        return [str(server.agreement_number)]

    def mock_refresh_refused(self, mock):
        raise AssertionError("e-conomic never refreshes")

    def mock_api(self, mock):
        server = FakeEconomic(mock).install()
        server.add_customer("Acme Ltd", 1)
        server.book_invoice(31, "125.00")

    def remainder_document_id(self):
        return "31"

    def invoice_payload(self):
        return {
            "draft": {
                "date": "2026-11-01",
                "currency": "EUR",
                "customer": {"customerNumber": 1},
                "layout": {"layoutNumber": 19},
                "paymentTerms": {"paymentTermsNumber": 1},
                "recipient": {"name": "Acme Ltd", "vatZone": {"vatZoneNumber": 1}},
                "lines": [{"lineNumber": 1, "product": {"productNumber": "1"}, "quantity": 1, "unitNetPrice": 100}],
            },
            "book": None,
        }

    # the remainder feed

    def remainder_server(self, mock):
        return EconomicRemainderServer(mock)

    def feed_document_id(self):
        return str(next(_numbers))

    # export

    def serve_export(self, mock):
        return FakeEconomic(mock).install()

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
        held = {f"draft-{number}": draft for number, draft in server.drafts.items()}
        return held | {str(number): invoice for number, invoice in server.booked.items()}

    def lose_write_answers(self, server, count):
        server.drop_answers = count
