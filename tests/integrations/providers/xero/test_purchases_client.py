"""XeroApi for bills and purchase orders against `responses` serving the examples of Xero's OpenAPI spec: what we
send fits the spec's Invoice (ACCPAY) and PurchaseOrder schemas, attachments go as the file's bytes, answers read
as the engine needs them (number, status, state), and a bill payment in the spec's Payments shape is ours."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations.document_kinds import BILL, PURCHASE_ORDER
from integrations.documents import adapter_for
from integrations.exceptions import ProviderValidationError
from integrations.providers.xero.client import XeroApi
from integrations.providers.xero.mapping import XeroMappings
from integrations.providers.xero.payments import payments_from_json
from integrations.providers.xero.purchases import bill_payload, purchase_order_payload

from ...factories import ConnectionFactory
from ...purchases import make_expense, make_purchase_order
from . import spec

API = "https://api.xero.com/api.xro/2.0"
PO_ID = "15369a9f-17b6-4235-83c4-0029256d1c37"  # the spec's GET /PurchaseOrders/{PurchaseOrderID} example

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        access_token="live-access-token",
        remote_tenant_id="fe79f7dd-b6d4-4a92-ba7b-538af6289c58",
    )


@pytest.fixture
def api(connection):
    return XeroApi(connection, sleep=lambda seconds: None)


@responses.activate
def test_a_bill_fits_the_invoice_schema_and_reads_back(api, organization, subsidiary):
    expense = make_expense(organization, subsidiary)
    mappings = XeroMappings(default_account="400", tax_types={expense.tax_rate_id: "INPUT2"})
    payload = bill_payload(
        expense,
        adapter_for(BILL).lines(expense),
        mappings,
        contact_id="430fa14a-f945-44d3-9f97-5df5e28441b8",
        number="EXP-1",
    )
    answer = spec.example("/Invoices", "put")
    answer["Invoices"][0]["Type"] = "ACCPAY"
    responses.add(responses.PUT, f"{API}/Invoices", json=answer)

    remote = api.create_document(BILL, payload, "bill-key")

    sent = spec.parse_sent_json(responses.calls[0].request.body)["Invoices"][0]
    assert spec.schema_errors(sent, "Invoice") == []
    assert sent["Type"] == "ACCPAY" and sent["InvoiceNumber"] == "EXP-1"
    assert responses.calls[0].request.headers["Idempotency-Key"] == "bill-key"
    assert remote.id == answer["Invoices"][0]["InvoiceID"] and "AccountsPayable" in remote.url


@responses.activate
def test_a_purchase_order_fits_the_schema_and_reads_back(api, organization, subsidiary):
    order = make_purchase_order(organization, subsidiary)
    payload = purchase_order_payload(
        order,
        adapter_for(PURCHASE_ORDER).lines(order),
        XeroMappings(default_account="400", tax_types={order.lines.first().tax_rate_id: "INPUT2"}),
        contact_id="430fa14a-f945-44d3-9f97-5df5e28441b8",
        number=order.number,
        xero_numbers=False,
    )
    answer = spec.example("/PurchaseOrders/{PurchaseOrderID}", "get")  # an accepted one (PUT's example is refused)
    responses.add(responses.PUT, f"{API}/PurchaseOrders", json=answer)

    remote = api.create_document(PURCHASE_ORDER, payload, "po-key")

    call = responses.calls[0]
    sent = spec.parse_sent_json(call.request.body)
    assert list(sent) == ["PurchaseOrders"]
    assert spec.schema_errors(sent["PurchaseOrders"][0], "PurchaseOrder") == []
    assert parse_qs(urlsplit(call.request.url).query)["summarizeErrors"] == ["false"]
    element = answer["PurchaseOrders"][0]
    assert (remote.id, remote.number, remote.status) == (
        element["PurchaseOrderID"],
        element["PurchaseOrderNumber"],
        element["Status"],
    )
    assert "PurchaseOrders/View" in remote.url


@responses.activate
def test_the_spec_examples_refused_element_is_xeros_words_verbatim(api):
    """The spec's PUT /PurchaseOrders example answers 200 with an element in ERROR: its words, verbatim."""
    responses.add(responses.PUT, f"{API}/PurchaseOrders", json=spec.example("/PurchaseOrders", "put"))
    with pytest.raises(ProviderValidationError) as refused:
        api.create_document(PURCHASE_ORDER, {"Reference": "PO-0001"}, "po-key")
    assert refused.value.messages == ["Order number must be unique"]


@responses.activate
def test_update_posts_to_the_purchase_order_with_its_id(api):
    answer = spec.example("/PurchaseOrders/{PurchaseOrderID}", "get")
    responses.add(responses.POST, f"{API}/PurchaseOrders/{PO_ID}", json=answer)
    api.update_document(PURCHASE_ORDER, PO_ID, {"Reference": "PO-0001"}, "po-update-key")
    sent = spec.parse_sent_json(responses.calls[0].request.body)["PurchaseOrders"][0]
    assert sent["PurchaseOrderID"] == PO_ID and spec.schema_errors(sent, "PurchaseOrder") == []


@responses.activate
def test_a_purchase_order_is_read_back_with_its_status(api):
    answer = spec.example("/PurchaseOrders/{PurchaseOrderID}", "get")
    element = answer["PurchaseOrders"][0]
    responses.add(responses.GET, f"{API}/PurchaseOrders/{element['PurchaseOrderID']}", json=answer)

    remote = api.read_document(PURCHASE_ORDER, element["PurchaseOrderID"])

    assert remote.status == element["Status"] and remote.number == element["PurchaseOrderNumber"]


@responses.activate
def test_purchase_order_changes_since_a_moment_are_one_call(api):
    responses.add(responses.GET, f"{API}/PurchaseOrders", json=spec.example("/PurchaseOrders/{PurchaseOrderID}", "get"))

    found = api.document_changes(PURCHASE_ORDER, datetime.datetime(2026, 11, 10, 8, 0, tzinfo=datetime.UTC))

    (call,) = responses.calls
    assert call.request.headers["If-Modified-Since"] == "2026-11-10T08:00:00Z"
    assert parse_qs(urlsplit(call.request.url).query) == {"page": ["1"], "order": ["UpdatedDateUTC ASC"]}
    assert [r.id for r in found] == [PO_ID]


@responses.activate
def test_a_receipt_is_attached_as_its_bytes(api):
    invoice_id = "4074292c-09b3-456d-84e7-add864c6c39b"
    url = f"{API}/Invoices/{invoice_id}/Attachments/receipt-EXP-1.pdf"
    responses.add(responses.PUT, url, json=spec.example("/Invoices/{InvoiceID}/Attachments/{FileName}", "put"))

    api.attach_file(
        BILL,
        invoice_id,
        filename="receipt-EXP-1.pdf",
        content=b"%PDF-1.4",
        content_type="application/pdf",
        idempotency_key="attach-1",
    )

    call = responses.calls[0]
    assert call.request.body == b"%PDF-1.4" and call.request.headers["Content-Type"] == "application/pdf"
    assert call.request.headers["Idempotency-Key"] == "attach-1"


@responses.activate
def test_expense_accounts_are_the_expense_class(api):
    responses.add(
        responses.GET,
        f"{API}/Accounts",
        json={
            "Accounts": [
                {
                    "AccountID": "a",
                    "Code": "429",
                    "Name": "General Expenses",
                    "Type": "EXPENSE",
                    "Class": "EXPENSE",
                    "Status": "ACTIVE",
                }
            ]
        },
    )
    (choice,) = api.list_expense_accounts()
    assert (choice.code, choice.name) == ("429", "General Expenses")
    assert parse_qs(urlsplit(responses.calls[0].request.url).query)["where"] == [
        'Status=="ACTIVE" AND Class=="EXPENSE"'
    ]


def test_a_bill_payment_in_the_spec_shape_is_an_allocation_on_the_bill():
    body = spec.example("/Payments", "get")
    payment = body["Payments"][0]
    payment["PaymentType"] = "ACCPAYPAYMENT"
    payment["Invoice"]["Type"] = "ACCPAY"

    (record,) = payments_from_json({"Payments": [payment]})

    assert record.allocations[0].document_id == payment["Invoice"]["InvoiceID"]
    assert record.allocations[0].amount == Decimal(str(payment["Amount"]))
