"""Our invoice and company → Exact's sales entry and account: journal, ledger per line (service type, else the
invoice's), VAT code, YourRef (our number, or our reference when Exact numbers), credit notes, and the refusals
before anything is sent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.services import LineInput
from integrations.providers.base import INVOICE
from integrations.providers.exact.mapping import MAPPER, REFERENCE_PREFIX, account_payload, copy_number
from tests.factories import CompanyFactory, ServiceTypeFactory, make_invoice

from .helpers import LEDGER, OTHER_LEDGER, READY_SETTINGS, exact_connection

pytestmark = pytest.mark.django_db


def build(connection, invoice, *, service_codes=None, options=None, number=None):
    mappings = MAPPER.mappings(
        connection=connection, kind=INVOICE, service_type_codes=service_codes or {}, tax_codes={}, options=options or {}
    )
    lines = list(invoice.lines.all())
    return MAPPER.payload(INVOICE, invoice, lines, mappings, contact_id="acc-1", number=number)


@pytest.fixture
def case(organization, subsidiary):
    service = ServiceTypeFactory(organization=organization)
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        lines=[
            LineInput("Design", Decimal("2"), Decimal("150.00"), None, None),
            LineInput("Licence", Decimal("1"), Decimal("99.99"), service, None),
        ],
        finalize=True,
        subject="November work",
    )
    return connection, invoice, service


def test_a_sales_entry_with_journal_ledgers_and_our_number(case):
    connection, invoice, service = case
    payload = build(connection, invoice, service_codes={service.pk: OTHER_LEDGER}, options={"vat_code": "2"})
    assert payload["Journal"] == "70" and payload["Customer"] == "acc-1" and payload["Type"] == 20
    assert payload["YourRef"] == invoice.number and payload["Description"] == "November work"
    assert payload["EntryDate"] == f"{invoice.issue_date.isoformat()}T00:00:00"
    assert payload["Currency"] == invoice.currency
    lines = payload["SalesEntryLines"]
    assert [(line["GLAccount"], line["AmountFC"], line["VATCode"]) for line in lines] == [
        (LEDGER, Decimal("300.00"), "2"),
        (OTHER_LEDGER, Decimal("99.99"), "2"),
    ]
    assert all(isinstance(line["AmountFC"], Decimal) for line in lines)


def test_the_prompts_ledger_and_journal_override_the_defaults_but_not_mapped_service_types(case):
    connection, invoice, service = case
    payload = build(
        connection, invoice, service_codes={service.pk: LEDGER}, options={"journal": "71", "ledger": OTHER_LEDGER}
    )
    assert payload["Journal"] == "71"
    assert [line["GLAccount"] for line in payload["SalesEntryLines"]] == [OTHER_LEDGER, LEDGER]
    assert all("VATCode" not in line for line in payload["SalesEntryLines"])  # the ledger's default VAT code


def test_without_journal_or_ledger_nothing_is_sent_but_the_prompt_may_still_ask(case):
    connection, invoice, _service = case
    connection.settings = {**connection.settings, "journal": "", "manual_ledger": True}
    with pytest.raises(ValidationError) as caught:
        build(connection, invoice)
    text = " ".join(caught.value.messages)
    assert "No Exact sales journal" in text and text.count("no Exact ledger") == 2
    mappings = MAPPER.mappings(connection=connection, kind=INVOICE, service_type_codes={}, tax_codes={}, options={})
    previews = MAPPER.prompt_preview(INVOICE, invoice, list(invoice.lines.all()), mappings)
    assert [p.account_code for p in previews] == ["chosen on this prompt"] * 2


def test_exact_numbering_sends_our_reference_and_the_copy_takes_exacts_number(case):
    connection, invoice, _service = case
    payload = build(connection, invoice, number="")
    assert payload["YourRef"] == f"{REFERENCE_PREFIX}{invoice.pk}"
    assert copy_number({"YourRef": payload["YourRef"], "EntryNumber": 26700012}) == "26700012"
    assert copy_number({"YourRef": "INV-0001", "EntryNumber": 26700012}) == "INV-0001"
    keys = MAPPER.lookup_keys(INVOICE, invoice, number="")
    assert keys.reference == payload["YourRef"]


def test_a_number_exact_cannot_keep_is_refused(case):
    connection, invoice, _service = case
    with pytest.raises(ValidationError, match="at most 30 characters"):
        build(connection, invoice, number="X" * 31)


def test_a_customer_from_our_company(organization):
    company = CompanyFactory(
        organization=organization,
        name="Globex International Holding BV with a very long registered name",
        billing_email="ap@globex.test",
        vat_number="NL123456789B01",
        address="Keizersgracht 1\n1015 CJ Amsterdam\n",
        country="NL",
        default_currency="EUR",
    )
    payload = account_payload(company)
    assert payload == {
        "Name": company.name[:50],
        "Status": "C",
        "IsSales": True,
        "Email": "ap@globex.test",
        "VATNumber": "NL123456789B01",
        "SalesCurrency": "EUR",
        "AddressLine1": "Keizersgracht 1",
        "AddressLine2": "1015 CJ Amsterdam",
        "Country": "NL",
    }
