"""Xero mapping: our invoice and company → the payloads Xero's API takes (pure functions, no HTTP)."""

import json
from decimal import Decimal

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.test import override_settings

from billing.services import LineInput
from integrations.providers.xero import mapping
from tests.factories import CompanyFactory, ServiceTypeFactory, TaxRateFactory, make_invoice
from tests.provider_specs import PROVIDER_SPECS_DIR

pytestmark = pytest.mark.django_db

SPEC = PROVIDER_SPECS_DIR / "xero" / "xero_accounting.yaml"


@pytest.fixture(scope="module")
def spec_schemas():
    if not SPEC.exists():
        pytest.skip(f"Xero OpenAPI spec not available at {SPEC}")
    return yaml.safe_load(SPEC.read_text())["components"]["schemas"]


@pytest.fixture
def setup(organization, subsidiary):
    design = ServiceTypeFactory(organization=organization, name="Design")
    hosting = ServiceTypeFactory(organization=organization, name="Hosting")
    vat = TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        subject="Website redesign",
        lines=[
            LineInput("Design work", Decimal("10.5"), Decimal("99.9950"), design, vat),
            LineInput("Hosting", Decimal("1"), Decimal("20.00"), hosting, None),
        ],
        finalize=True,
    )
    mappings = mapping.XeroMappings(
        default_account="200",
        service_type_accounts={design.pk: "210"},
        tax_types={vat.pk: "OUTPUT2"},
        numbering="app",
    )
    lines = list(invoice.lines.select_related("service_type", "tax_rate"))
    return invoice, lines, mappings, vat


@override_settings(SITE_URL="https://billing.example")
def test_invoice_payload_is_an_authorised_accrec_with_exact_amounts_and_a_link_back(setup):
    invoice, lines, mappings, _ = setup

    payload = mapping.invoice_payload(invoice, lines, mappings, contact_id="c-1")

    assert payload["Type"] == "ACCREC"
    assert payload["Status"] == "AUTHORISED"
    assert payload["Contact"] == {"ContactID": "c-1"}
    assert payload["Date"] == "2026-11-01" and payload["DueDate"] == "2026-12-01"
    assert payload["CurrencyCode"] == "EUR"
    assert payload["LineAmountTypes"] == "Exclusive"
    assert payload["Reference"] == "Website redesign"
    assert payload["Url"] == f"https://billing.example/invoices/{invoice.pk}/"
    assert payload["InvoiceNumber"] == invoice.number
    first, second = payload["LineItems"]
    assert first == {
        "Description": "Design work",
        "Quantity": 10.5,
        "UnitAmount": 99.995,
        "AccountCode": "210",
        "TaxType": "OUTPUT2",
    }
    # The JSON text carries exactly our Decimal's digits.
    sent = json.loads(json.dumps(payload), parse_float=Decimal)
    assert sent["LineItems"][0]["UnitAmount"] == Decimal("99.9950")
    assert sent["LineItems"][1]["UnitAmount"] == Decimal("20.00") and sent["LineItems"][1]["Quantity"] == 1
    assert second["AccountCode"] == "200"  # unmapped service type → default account
    assert second["TaxType"] == "NONE"  # no tax rate


@pytest.mark.parametrize(
    ("value", "text"),
    [("99.9950", "99.995"), ("0.0001", "0.0001"), ("1234567890.1234", "1234567890.1234"), ("10.000", "10")],
)
def test_json_number_is_exact(value, text):
    assert json.dumps(mapping.json_number(Decimal(value))) == text


def test_json_number_refuses_digits_a_double_cannot_carry():
    with pytest.raises(ValueError):
        mapping.json_number(Decimal("12345678901234.56789"))


def test_an_issued_invoice_is_sent_with_its_number_whoever_numbers(setup):
    invoice, lines, mappings, _ = setup
    provider_numbers = mapping.XeroMappings(**{**mappings.__dict__, "numbering": "provider"})

    payload = mapping.invoice_payload(invoice, lines, provider_numbers, contact_id="c")
    assert payload["InvoiceNumber"] == invoice.number
    # The core passes the number to send: a copy suffix for "Create new", "" for Xero to number it.
    assert mapping.invoice_payload(invoice, lines, mappings, contact_id="c", number="X-2")["InvoiceNumber"] == "X-2"
    assert "InvoiceNumber" not in mapping.invoice_payload(invoice, lines, provider_numbers, contact_id="c", number="")


def test_reference_prefers_the_po_number(organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, subject="S", po_number="PO-77")
    assert mapping.invoice_reference(invoice) == "PO-77"


def test_unmapped_tax_rate_and_missing_account_are_listed_and_nothing_is_built(setup):
    invoice, lines, mappings, vat = setup
    broken = mapping.XeroMappings(default_account="", service_type_accounts={}, tax_types={}, numbering="app")

    with pytest.raises(ValidationError) as error:
        mapping.invoice_payload(invoice, lines, broken, contact_id="c")

    messages = error.value.messages
    assert any("Line 1" in m and "Design" in m and "default revenue account" in m for m in messages)
    assert any("Line 2" in m and "Hosting" in m for m in messages)
    assert any(f"Tax rate “{vat}” has no Xero tax type" in m for m in messages)


def test_preview_lists_lines_accounts_and_taxes(setup):
    invoice, lines, mappings, vat = setup

    preview = mapping.invoice_preview(invoice, lines, mappings)

    assert [(p.account_code, p.account_source, p.tax_type) for p in preview] == [
        ("210", "service type Design", "OUTPUT2"),
        ("200", "default account", "NONE"),
    ]
    assert preview[0].amount == Decimal("1049.95") and preview[0].tax_name == str(vat)


def test_contact_payload_from_our_company(organization):
    company = CompanyFactory(
        organization=organization,
        name="Globex BV",
        billing_email="ap@globex.test",
        vat_number="NL001",
        default_currency="EUR",
        address="Main street 1\n\n1000 AA Amsterdam\nNoord-Holland\nBuilding B\nFloor 3",
        country="NL",
    )

    payload = mapping.contact_payload(company)

    assert payload == {
        "Name": "Globex BV",
        "ContactNumber": f"PRD-{company.pk}",
        "DefaultCurrency": "EUR",
        "EmailAddress": "ap@globex.test",
        "TaxNumber": "NL001",
        "Addresses": [
            {
                "AddressType": "POBOX",
                "AddressLine1": "Main street 1",
                "AddressLine2": "1000 AA Amsterdam",
                "AddressLine3": "Noord-Holland",
                "AddressLine4": "Building B, Floor 3",
                "Country": "NL",
            }
        ],
    }
    assert mapping.contact_payload(company, name="Globex BV (2)")["Name"] == "Globex BV (2)"


def test_contact_payload_without_optional_fields(organization):
    company = CompanyFactory(organization=organization, name="Bare", billing_email="", address="", country="")
    assert set(mapping.contact_payload(company)) == {"Name", "ContactNumber", "DefaultCurrency"}


def test_payloads_only_use_fields_of_the_xero_spec(setup, organization, spec_schemas):
    invoice, lines, mappings, _ = setup
    payload = mapping.invoice_payload(invoice, lines, mappings, contact_id="c")
    contact = mapping.contact_payload(
        CompanyFactory(organization=organization, address="A\nB", country="NL", vat_number="X")
    )

    assert set(payload) <= set(spec_schemas["Invoice"]["properties"])
    for item in payload["LineItems"]:
        assert set(item) <= set(spec_schemas["LineItem"]["properties"])
    assert payload["Type"] in spec_schemas["Invoice"]["properties"]["Type"]["enum"]
    assert payload["Status"] in spec_schemas["Invoice"]["properties"]["Status"]["enum"]
    assert set(contact) <= set(spec_schemas["Contact"]["properties"])
    assert set(contact["Addresses"][0]) <= set(spec_schemas["Address"]["properties"])
    assert contact["Addresses"][0]["AddressType"] in spec_schemas["Address"]["properties"]["AddressType"]["enum"]
