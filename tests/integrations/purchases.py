"""What the bill and purchase order tests share: a Xero connection that sends expenses (default expense account
400, our 21 % VAT mapped to INPUT2 for purchases and OUTPUT2 for sales), an approved expense with a vendor and a
due date, a purchase order with two lines. Built through billing.services, as users make them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from billing.choices import ApprovalStatus
from billing.models import TaxRate
from billing.services import LineInput, expense_create, purchase_order_create
from integrations.models import MappingPurpose, TaxRateMapping
from tests.factories import BudgetFactory, CompanyFactory, TaxRateFactory

from .factories import ConnectionFactory

SETTINGS = {
    "numbering": "app",
    "default_account": "200",
    "sync_payments": True,
    "export_expenses": True,
    "default_expense_account": "400",
}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def vat_of(organization) -> TaxRate:
    return TaxRate.objects.filter(organization=organization, name="VAT").first() or TaxRateFactory(
        organization=organization, name="VAT", percentage=Decimal("21")
    )


def bills_connection(organization, subsidiary, **settings):
    vat = vat_of(organization)
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={**SETTINGS, **settings},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    TaxRateMapping.objects.create(
        connection=connection, tax_rate=vat, remote_code="INPUT2", purpose=MappingPurpose.PURCHASE
    )
    return connection


def vendor_of(organization, name="Paper Supplies Ltd"):
    return CompanyFactory(organization=organization, name=name, is_supplier=True, is_client=False)


def make_expense(organization, subsidiary, **fields):
    """An approved expense of 100.00 + 21 % VAT on a budget of the subsidiary, due 30 days after its date."""
    budget = fields.pop("budget", None) or BudgetFactory(organization=organization, subsidiary=subsidiary)
    values = {
        "budget": budget,
        "vendor": vendor_of(organization),
        "description": "Printing of brochures",
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "tax_rate": vat_of(organization),
        "date": datetime.date(2026, 11, 3),
        "due_date": datetime.date(2026, 12, 3),
        "approval_status": ApprovalStatus.APPROVED,
        **fields,
    }
    return expense_create(organization=organization, **values)


def make_purchase_order(organization, subsidiary, **fields):
    vat = vat_of(organization)
    values = {
        "subsidiary": subsidiary,
        "vendor": vendor_of(organization, "Hardware BV"),
        "issue_date": datetime.date(2026, 11, 4),
        "delivery_date": datetime.date(2026, 11, 20),
        "currency": "EUR",
        "note": "Deliver to the back door.",
        "status": "sent",
        **fields,
    }
    lines = fields.pop("lines", None) or [
        LineInput("Laptop stand", Decimal("2"), Decimal("45.50"), None, vat),
        LineInput("USB-C hub", Decimal("1"), Decimal("30.00"), None, None),
    ]
    values.pop("lines", None)
    return purchase_order_create(organization=organization, lines=lines, **values)
