"""Every purchasing shape the sandbox answers, checked against the official spec (skipped, with the reason, when
the spec is absent): bills (ACCPAY) alone, listed and with attachments, Attachments, PurchaseOrders (created,
refused, read, listed), payments on bills, expense-type accounts and the organisation's payment terms; and the
operations' own rules the sandbox follows (scopes, raw body, parameters)."""

import pytest

from .openapi import xero_schemas
from .test_attachments import PDF, a_bill, upload
from .test_attachments import with_attachments as with_attachments  # noqa: F401 (fixture)
from .test_bills import bill, pay_on_page, put_bills
from .test_purchase_orders import order, put_orders


@pytest.fixture
def spec():
    return xero_schemas()


def test_bill_shapes(with_attachments, spec):  # noqa: F811
    created = a_bill(with_attachments)
    upload(with_attachments, created["InvoiceID"], "receipt.pdf", PDF, query="?IncludeOnline=true")
    pay_on_page(with_attachments.client, created["InvoiceID"], "100")
    for path, params in (
        (f"Invoices/{created['InvoiceID']}", None),
        ("Invoices", {"where": 'Type=="ACCPAY"'}),
        ("Invoices", {"page": 1, "Statuses": "AUTHORISED"}),
    ):
        spec.assert_valid(with_attachments.get(path, params).json(), "Invoices")
    refused = put_bills(with_attachments, bill(with_attachments, DueDate=None))
    spec.assert_valid(refused.json(), "Error")
    detailed = put_bills(with_attachments, bill(with_attachments, DueDate=None), summarizeErrors="false")
    spec.assert_valid(detailed.json(), "Invoices")


def test_attachment_and_payment_shapes(with_attachments, spec):  # noqa: F811
    created = a_bill(with_attachments)
    spec.assert_valid(upload(with_attachments, created["InvoiceID"], "a.png", b"\x89PNG").json(), "Attachments")
    spec.assert_valid(with_attachments.get(f"Invoices/{created['InvoiceID']}/Attachments").json(), "Attachments")
    pay_on_page(with_attachments.client, created["InvoiceID"], "300")
    spec.assert_valid(with_attachments.get("Payments").json(), "Payments")
    spec.assert_valid(with_attachments.get("Payments", {"page": 1}).json(), "Payments")


def test_purchase_order_shapes(connected, spec):
    created = put_orders(connected, order(connected, SentToContact=True)).json()
    spec.assert_valid(created, "PurchaseOrders")
    po_id = created["PurchaseOrders"][0]["PurchaseOrderID"]
    spec.assert_valid(connected.get(f"PurchaseOrders/{po_id}").json(), "PurchaseOrders")
    spec.assert_valid(connected.get("PurchaseOrders", {"page": 1}).json(), "PurchaseOrders")
    refused = put_orders(connected, order(connected, Contact=None))
    spec.assert_valid(refused.json(), "Error")
    detailed = put_orders(connected, order(connected, CurrencyCode="JPY"), summarizeErrors="false")
    spec.assert_valid(detailed.json(), "PurchaseOrders")


def test_setup_shapes(connected, spec):
    spec.assert_valid(connected.get("Accounts", {"where": 'Class=="EXPENSE"'}).json(), "Accounts")
    spec.assert_valid(connected.get("Organisation").json(), "Organisations")
    spec.assert_valid(connected.get("Contacts", {"where": "IsSupplier==true"}).json(), "Contacts")


def test_the_operations_rules_the_sandbox_follows(spec):
    paths = spec.spec["paths"]
    upload_op = paths["/Invoices/{InvoiceID}/Attachments/{FileName}"]["put"]
    assert upload_op["security"] == [{"OAuth2": ["accounting.attachments"]}]
    assert list(upload_op["requestBody"]["content"]) == ["application/octet-stream"]
    names = {spec.resolve(p)["name"] for p in upload_op["parameters"]}
    assert {"IncludeOnline", "Idempotency-Key", "FileName", "InvoiceID"} <= names
    listing = paths["/PurchaseOrders"]["get"]
    assert {spec.resolve(p)["name"] for p in listing["parameters"]} >= {"Status", "DateFrom", "DateTo", "page"}
    status = spec.schema("PurchaseOrder")["properties"]["Status"]["enum"]
    assert status == ["DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED"]
    account_types = spec.schema("AccountType")["enum"]
    assert {"EXPENSE", "DIRECTCOSTS", "OVERHEADS"} <= set(account_types)
