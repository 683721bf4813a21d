"""QuickBooksMapper through the real export engine against FakeQuickBooks: numbering both ways, the memo
choices, items per service type, the prompt's tax code (or none), and refusals before anything is sent."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import responses
from django.core.exceptions import ValidationError

from billing.services import LineInput
from integrations.models import ServiceTypeMapping
from integrations.providers.quickbooks.mapping import MAPPER
from integrations.services.invoice_copy import document_export
from tests.factories import CompanyFactory, ServiceTypeFactory, TaxRateFactory, make_invoice

from .fake_qbo import FakeQuickBooks
from .helpers import API, READY_SETTINGS, qbo_connection

pytestmark = pytest.mark.django_db


def _setup(organization, subsidiary, **settings):
    return qbo_connection(organization=organization, subsidiary=subsidiary, settings={**READY_SETTINGS, **settings})


def _invoice(organization, subsidiary, lines=None, **extra):
    return make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        lines=lines or [LineInput("Design", Decimal("2"), Decimal("150.0050"))],
        finalize=True,
        **extra,
    )


def _sent(server) -> dict:
    (invoice,) = server.invoices.values()
    return invoice


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_our_number_items_memo_and_no_tax(mock, organization, subsidiary):
    design = ServiceTypeFactory(organization=organization, name="Design")
    connection = _setup(organization, subsidiary, memo="po_number")
    ServiceTypeMapping.objects.create(connection=connection, service_type=design, remote_code="7")
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    invoice = _invoice(
        organization,
        subsidiary,
        lines=[
            LineInput("Design", Decimal("2"), Decimal("150.0050"), design),
            LineInput("Travel", Decimal("1"), Decimal("80")),
        ],
        po_number="PO-77",
    )
    copy = document_export(document=invoice, connection=connection)
    sent = _sent(server)
    assert copy.remote_number == invoice.number == sent["DocNumber"]
    assert [line["SalesItemLineDetail"]["ItemRef"]["value"] for line in sent["Line"]] == ["7", "1"]
    assert sent["Line"][0]["SalesItemLineDetail"]["UnitPrice"] == 150.005  # Decimal sent digit for digit
    assert all("TaxCodeRef" not in line["SalesItemLineDetail"] for line in sent["Line"])
    assert sent["GlobalTaxCalculation"] == "NotApplicable"
    assert sent["CustomerMemo"] == {"value": "PO-77"}
    assert sent["CurrencyRef"] == {"value": invoice.currency} and sent["TxnDate"] == invoice.issue_date.isoformat()
    assert invoice.number in sent["PrivateNote"]
    assert sent["CustomerRef"]["value"] == next(iter(server.customers))


def test_the_prompts_tax_code_on_every_line(mock, organization, subsidiary):
    connection = _setup(organization, subsidiary)
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    invoice = _invoice(organization, subsidiary, lines=[LineInput("Design", Decimal("1"), Decimal("100"), None, rate)])
    document_export(document=invoice, connection=connection, options={"tax_code": "TAX"})
    sent = _sent(server)
    assert sent["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert sent["GlobalTaxCalculation"] == "TaxExcluded"


def test_quickbooks_numbers_when_the_setup_says_so(mock, organization, subsidiary, settings):
    connection = _setup(organization, subsidiary, numbering="provider", tenant={"custom_txn_numbers": False})
    assert MAPPER.provider_numbers(connection, "invoice")

    server = FakeQuickBooks(mock, API, connection.remote_tenant_id)
    server.custom_txn_numbers = False
    server.install()
    invoice = _invoice(organization, subsidiary)
    invoice.number = ""  # finalized while QuickBooks numbers: no number of ours
    invoice.save(update_fields=["number"])
    copy = document_export(document=invoice, connection=connection)
    sent = _sent(server)
    (write,) = [r for r in server.requests if r.method == "POST" and r.url.split("?")[0].endswith("/invoice")]
    assert "DocNumber" not in json.loads(write.body)
    assert copy.remote_number == sent["DocNumber"] == "1001"
    invoice.refresh_from_db()
    assert invoice.number == "1001"


@pytest.mark.parametrize(
    ("memo", "expected"),
    [("subject", "Website"), ("note", "Thanks!"), ("custom", "Project X"), ("none", None)],
)
def test_memo_choices(organization, subsidiary, memo, expected):
    connection = _setup(organization, subsidiary, memo=memo, memo_custom_field="project")
    invoice = _invoice(
        organization, subsidiary, subject="Website", note="Thanks!", custom_fields={"project": "Project X"}
    )
    mappings = MAPPER.mappings(connection=connection, kind="invoice", service_type_codes={}, tax_codes={}, options={})
    payload = MAPPER.payload("invoice", invoice, list(invoice.lines.all()), mappings, contact_id="1", number=None)
    assert payload.get("CustomerMemo") == ({"value": expected} if expected else None)


def test_missing_item_and_long_number_are_refused_before_sending(organization, subsidiary):
    connection = _setup(organization, subsidiary, default_item="")
    invoice = _invoice(organization, subsidiary)
    mappings = MAPPER.mappings(connection=connection, kind="invoice", service_type_codes={}, tax_codes={}, options={})
    with pytest.raises(ValidationError) as caught:
        MAPPER.payload("invoice", invoice, list(invoice.lines.all()), mappings, contact_id="1", number="X" * 22)
    text = " ".join(caught.value.messages)
    assert "no QuickBooks item" in text and "at most 21 characters" in text


def test_lookup_keys_and_pdf_choice(organization, subsidiary):
    ours = _setup(organization, subsidiary)
    theirs = _setup(organization, subsidiary, pdf="provider")
    assert MAPPER.lookup_keys("invoice", None, number="INV-1").number == "INV-1"
    assert not MAPPER.lookup_keys("invoice", None, number="")  # requestid makes the retry safe instead
    assert MAPPER.attaches_our_pdf(ours, "invoice") and not MAPPER.pdf_from_provider(ours, "invoice")
    assert MAPPER.pdf_from_provider(theirs, "invoice") and not MAPPER.attaches_our_pdf(theirs, "invoice")


def test_a_customer_id_is_a_number():
    from integrations import registry

    provider = registry.get("quickbooks")
    assert provider.clean_contact_id(" 58 ") == "58" and provider.clean_contact_id("") == ""
    with pytest.raises(ValidationError, match="not a QuickBooks customer id"):
        provider.clean_contact_id("0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d")
