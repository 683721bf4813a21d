"""The export engine's records: a remote document of exactly its kind's document, mappings per purpose, contact
links per role, and the invoice copy reading only the sales mappings and the customer link."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.models import Expense, PurchaseOrder
from billing.services import LineInput
from integrations import registry
from integrations.documents import KindNotExported, adapter_for, adapter_of
from integrations.models import (
    ContactLink,
    ContactRole,
    CopyStatus,
    DocumentKind,
    MappingPurpose,
    RemoteDocument,
    ServiceTypeMapping,
    SyncLogEntry,
    TaxRateMapping,
)
from integrations.providers.base import BILL, INVOICE, PURCHASE_ORDER
from integrations.services.contact_links import contact_link_forget
from integrations.services.invoice_copy import invoice_copy
from tests.factories import BudgetFactory, CompanyFactory, ServiceTypeFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))


@pytest.fixture
def design(organization):
    return ServiceTypeFactory(organization=organization, name="Design")


@pytest.fixture
def connection(organization, subsidiary, vat):
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


@pytest.fixture
def invoice(organization, subsidiary, vat, design):
    company = CompanyFactory(organization=organization, name="Globex")
    return make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Design", Decimal("2"), Decimal("150.00"), design, vat)],
        finalize=True,
    )


@pytest.fixture
def expense(organization, subsidiary):
    budget = BudgetFactory(organization=organization, subsidiary=subsidiary)
    return Expense.objects.create(
        organization=organization,
        budget=budget,
        vendor=CompanyFactory(organization=organization, name="Initech"),
        description="Stock photos",
        amount=Decimal("40.00"),
        currency="EUR",
        date=datetime.date(2026, 11, 1),
    )


@pytest.fixture
def purchase_order(organization, subsidiary):
    return PurchaseOrder.objects.create(
        organization=organization,
        subsidiary=subsidiary,
        vendor=CompanyFactory(organization=organization, name="Hooli"),
        number="PO-1",
        issue_date=datetime.date(2026, 11, 1),
        currency="EUR",
    )


def _document(connection, key, **fields):
    return RemoteDocument.objects.create(
        organization_id=connection.organization_id, connection=connection, idempotency_key=key, **fields
    )


# --- the kind constraint ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_kind_holds_its_own_document(connection, invoice, expense, purchase_order):
    rows = [
        _document(connection, "i", kind=DocumentKind.INVOICE, invoice=invoice),
        _document(connection, "b", kind=DocumentKind.BILL, expense=expense),
        _document(connection, "p", kind=DocumentKind.PURCHASE_ORDER, purchase_order=purchase_order),
    ]
    assert [row.document for row in rows] == [invoice, expense, purchase_order]
    assert list(expense.copies.all()) == [rows[1]] and list(purchase_order.copies.all()) == [rows[2]]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, documents",
    [
        (DocumentKind.INVOICE, ()),  # no document at all
        (DocumentKind.BILL, ("invoice",)),  # the wrong kind's document
        (DocumentKind.INVOICE, ("invoice", "expense")),  # two documents
        (DocumentKind.PURCHASE_ORDER, ("expense",)),
        ("credit_note", ("invoice",)),  # a kind we do not know
    ],
)
def test_a_remote_document_without_exactly_its_kinds_document_is_refused_by_the_database(
    connection, invoice, expense, purchase_order, kind, documents
):
    available = {"invoice": invoice, "expense": expense, "purchase_order": purchase_order}
    with pytest.raises(IntegrityError), transaction.atomic():
        _document(connection, "k", kind=kind, **{name: available[name] for name in documents})
    assert not RemoteDocument.objects.exists()


@pytest.mark.django_db
def test_one_latest_copy_per_document_and_connection_holds_for_every_kind(connection, expense):
    _document(connection, "b1", kind=DocumentKind.BILL, expense=expense, is_latest=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        _document(connection, "b2", kind=DocumentKind.BILL, expense=expense, is_latest=True)
    _document(connection, "b3", kind=DocumentKind.BILL, expense=expense)  # an earlier attempt is fine
    assert expense.copies.count() == 2


# --- purposes and roles -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_service_type_and_a_tax_rate_map_once_per_purpose(connection, design, vat):
    ServiceTypeMapping.objects.create(connection=connection, service_type=design, remote_code="200")
    ServiceTypeMapping.objects.create(
        connection=connection, service_type=design, purpose=MappingPurpose.PURCHASE, remote_code="400"
    )
    TaxRateMapping.objects.create(
        connection=connection, tax_rate=vat, purpose=MappingPurpose.PURCHASE, remote_code="INPUT2"
    )
    assert dict(connection.service_type_mappings.values_list("purpose", "remote_code")) == {
        "sales": "200",
        "purchase": "400",
    }
    assert TaxRateMapping.objects.get(connection=connection, purpose=MappingPurpose.SALES).remote_code == "OUTPUT2"
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceTypeMapping.objects.create(connection=connection, service_type=design, remote_code="201")
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT3")


@pytest.mark.django_db
def test_a_company_has_one_link_per_role(connection, invoice):
    company = invoice.company
    ContactLink.objects.create(connection=connection, company=company, remote_id="c-1")
    ContactLink.objects.create(connection=connection, company=company, role=ContactRole.SUPPLIER, remote_id="s-1")
    assert ContactLink.objects.get(connection=connection, company=company, role=ContactRole.CUSTOMER).remote_id == "c-1"
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactLink.objects.create(connection=connection, company=company, remote_id="c-2")


@pytest.mark.django_db
def test_the_invoice_copy_sends_the_sales_account_and_the_customer_contact_only(xero, connection, invoice, design):
    """A purchase mapping and a supplier link of the same rows are another side of the books: never on an invoice."""
    ServiceTypeMapping.objects.create(connection=connection, service_type=design, remote_code="210")
    ServiceTypeMapping.objects.create(
        connection=connection, service_type=design, purpose=MappingPurpose.PURCHASE, remote_code="429"
    )
    supplier_id = "0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d"
    ContactLink.objects.create(
        connection=connection,
        company=invoice.company,
        role=ContactRole.SUPPLIER,
        remote_id=supplier_id,
        remote_name="Globex (supplier)",
    )

    copy = invoice_copy(invoice=invoice, connection=connection)

    assert copy.status == CopyStatus.SUCCEEDED and copy.kind == DocumentKind.INVOICE and copy.document == invoice
    (put,) = [r for r in xero.requests if r.method == "PUT" and "/Invoices" in r.url]
    sent = json.loads(put.body)["Invoices"][0]
    assert sent["LineItems"][0]["AccountCode"] == "210"
    customer = ContactLink.objects.get(connection=connection, company=invoice.company, role=ContactRole.CUSTOMER)
    assert sent["Contact"]["ContactID"] == customer.remote_id != supplier_id, "a new customer contact was made"
    assert ContactLink.objects.filter(company=invoice.company).count() == 2, "the supplier link is left as it was"
    assert copy.remote_state == "open"  # Xero's AUTHORISED
    entries = SyncLogEntry.objects.filter(connection=connection, action="invoice.created")
    assert [(e.invoice_id, e.expense_id, e.purchase_order_id) for e in entries] == [(invoice.pk, None, None)]


@pytest.mark.django_db
def test_forgetting_the_customer_link_keeps_the_supplier_link(connection, invoice):
    company = invoice.company
    ContactLink.objects.create(connection=connection, company=company, remote_id="c-1")
    ContactLink.objects.create(connection=connection, company=company, role=ContactRole.SUPPLIER, remote_id="s-1")
    forgotten = contact_link_forget(connection=connection, company=company)
    assert forgotten.remote_id == "c-1"
    assert list(ContactLink.objects.values_list("role", "remote_id")) == [("supplier", "s-1")]


# --- adapters and declared kinds -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_invoice_adapter_reads_the_invoice(invoice):
    adapter = adapter_of(invoice)
    assert adapter is adapter_for(INVOICE)
    assert (adapter.contact_role, adapter.mapping_purpose, adapter.field) == ("customer", "sales", "invoice")
    assert adapter.number(invoice) == invoice.number and adapter.total(invoice) == invoice.total == Decimal("363.00")
    assert adapter.company(invoice) == invoice.company and len(adapter.lines(invoice)) == 1


@pytest.mark.django_db
def test_bills_and_purchase_orders_have_their_adapters_and_xero_exports_them(connection, expense, mock):
    """Issue 10 gave bills and purchase orders their adapters; a kind no adapter knows is still refused by name,
    and a kind a client does not export is refused before any call."""
    assert adapter_for(BILL).model is type(expense) and adapter_of(expense).kind == BILL
    assert adapter_for(PURCHASE_ORDER).label == "purchase order"
    with pytest.raises(KindNotExported):
        adapter_for("credit_note")
    provider = registry.get("xero")
    assert provider.export_kinds == {INVOICE, BILL, PURCHASE_ORDER}
    api = provider.api(connection)
    with pytest.raises(KindNotExported):
        api.create_document("credit_note", {}, "note-key")
    assert api.calls == 0 and not mock.calls, "a kind the client does not export is refused before any call"


@pytest.mark.django_db
def test_the_provider_numbering_is_the_mappers_answer(connection):
    provider = registry.get("xero")
    assert not provider.numbers_documents(connection, INVOICE)
    connection.settings = {**connection.settings, "numbering": "provider"}
    assert provider.numbers_documents(connection, INVOICE) and provider.numbers_invoices(connection)
    assert not provider.numbers_documents(connection, BILL), "Xero numbers no bills: they carry the supplier's"
