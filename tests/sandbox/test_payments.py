"""Payments as Xero reports them: AmountDue/Status maintained, If-Modified-Since + paging, DELETED included."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from integrations.providers.xero.client import format_cursor
from integrations.sandbox.models import XeroInvoice, XeroOrg
from integrations.sandbox.xero import services
from integrations.sandbox.xero.demo import TRADING_TENANT_ID

from .conftest import SCOPE

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def pay(invoice_id: str, amount: str):
    invoice = XeroInvoice.objects.get(invoice_id=invoice_id)
    return services.payment_create(org=invoice.org, invoice=invoice, amount=amount)


def test_partial_then_full_payment_then_deletion_move_amount_due_and_status(connected, schemas):
    created = connected.create_invoice()  # total 120
    pay(created["InvoiceID"], "50")
    partly = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (partly["AmountPaid"], partly["AmountDue"], partly["Status"]) == (50, 70, "AUTHORISED")
    assert len(partly["Payments"]) == 1
    last = pay(created["InvoiceID"], "70")
    paid = connected.get(f"Invoices/{created['InvoiceID']}").json()
    schemas.assert_valid(paid, "Invoices")
    invoice = paid["Invoices"][0]
    assert (invoice["AmountDue"], invoice["Status"]) == (0, "PAID") and invoice["FullyPaidOnDate"]
    services.payment_delete(payment=last)
    again = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (again["AmountDue"], again["Status"], len(again["Payments"])) == (70, "AUTHORISED", 1)
    assert "FullyPaidOnDate" not in again


def test_overpayment_and_payment_on_a_draft_are_refused(connected):
    created = connected.create_invoice()
    with pytest.raises(services.ElementInvalid, match="exceeds the amount outstanding"):
        pay(created["InvoiceID"], "120.01")
    draft = connected.create_invoice(Status="DRAFT")
    with pytest.raises(services.ElementInvalid, match="Authorised documents"):
        pay(draft["InvoiceID"], "1")


def test_payments_list_matches_the_spec_and_links_the_invoice(connected, schemas):
    created = connected.create_invoice()
    pay(created["InvoiceID"], "20.50")
    body = connected.get("Payments").json()
    schemas.assert_valid(body, "Payments")
    (payment,) = body["Payments"]
    assert payment["Invoice"]["InvoiceID"] == created["InvoiceID"]
    assert (payment["Amount"], payment["Status"], payment["PaymentType"]) == (20.5, "AUTHORISED", "ACCRECPAYMENT")
    assert payment["UpdatedDateUTC"].startswith("/Date(") and payment["UpdatedDateUTCString"].endswith("Z")


def test_if_modified_since_returns_later_changes_including_deletions(connected):
    with time_machine.travel(START, tick=False) as traveller:
        created = connected.create_invoice()
        early = pay(created["InvoiceID"], "10")
        traveller.shift(dt.timedelta(minutes=10))
        pay(created["InvoiceID"], "20")
        traveller.shift(dt.timedelta(minutes=10))
        services.payment_delete(payment=early)
        since = connected.get("Payments", **{"If-Modified-Since": "2026-11-02T09:05:00"}).json()["Payments"]
    assert [(p["Amount"], p["Status"]) for p in since] == [(20, "AUTHORISED"), (10, "DELETED")]
    assert since[1]["PaymentID"] == str(early.payment_id)


@pytest.mark.parametrize(
    "since",
    [
        pytest.param(format_cursor(START + dt.timedelta(minutes=5)), id="our client's form (UTC, Z)"),
        pytest.param("2026-11-02T10:05:00+01:00", id="an offset, as in the spec's example"),
        pytest.param("2026-11-02T09:05:00.000Z", id="with milliseconds"),
    ],
)
def test_if_modified_since_in_rfc3339_utc_filters_by_that_instant(connected, since):
    with time_machine.travel(START, tick=False) as traveller:
        created = connected.create_invoice()
        pay(created["InvoiceID"], "10")
        traveller.shift(dt.timedelta(minutes=10))
        pay(created["InvoiceID"], "20")
        everything = connected.get("Payments").json()["Payments"]
        later = connected.get("Payments", **{"If-Modified-Since": since}).json()["Payments"]
    assert [p["Amount"] for p in everything] == [10, 20]
    assert [p["Amount"] for p in later] == [20]


def test_paging_defaults_to_100_and_honours_page_size(connected):
    created = connected.create_invoice(
        LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 1000, "AccountCode": "200", "TaxType": "NONE"}]
    )
    for _ in range(105):
        pay(created["InvoiceID"], "1")
    first = connected.get("Payments", {"page": 1}).json()
    second = connected.get("Payments", {"page": 2}).json()
    assert len(first["Payments"]) == 100 and len(second["Payments"]) == 5
    assert first["pagination"] == {"page": 1, "pageSize": 100, "pageCount": 2, "itemCount": 105}
    small = connected.get("Payments", {"page": 3, "pageSize": 50}).json()
    assert len(small["Payments"]) == 5
    ids = [p["PaymentID"] for p in first["Payments"] + second["Payments"]]
    assert len(set(ids)) == 105


def test_delete_over_the_api_needs_the_payments_scope_and_only_accepts_status(xero):
    code = xero.consent(scope=SCOPE.replace("accounting.payments.read", "accounting.payments"))["code"]
    xero.access_token = xero.exchange(code).json()["access_token"]
    created = xero.create_invoice()
    payment = pay(created["InvoiceID"], "120")
    url = f"Payments/{payment.payment_id}"
    refused = xero.post(url, {"Payments": [{"Amount": 1}]})
    assert refused.status_code == 400
    assert refused.json()["Elements"][0]["ValidationErrors"] == [{"Message": "Only Status accepted for updates."}]
    deleted = xero.post(url, {"Payments": [{"Status": "DELETED"}]})
    assert deleted.status_code == 200 and deleted.json()["Payments"][0]["Status"] == "DELETED"
    invoice = xero.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (invoice["Status"], invoice["AmountDue"]) == ("AUTHORISED", 120)


def test_read_only_payments_scope_cannot_delete(connected):
    created = connected.create_invoice()
    payment = pay(created["InvoiceID"], "1")
    response = connected.post(f"Payments/{payment.payment_id}", {"Payments": [{"Status": "DELETED"}]})
    assert response.status_code == 401


def test_create_payment_over_the_api(xero):
    code = xero.consent(scope=SCOPE + " accounting.payments")["code"]
    xero.access_token = xero.exchange(code).json()["access_token"]
    created = xero.create_invoice()
    body = {
        "Payments": [
            {
                "Invoice": {"InvoiceID": created["InvoiceID"]},
                "Account": {"Code": "090"},
                "Amount": 40,
                "Date": "2026-11-05",
            }
        ]
    }
    response = xero.put("Payments", body)
    assert response.status_code == 200
    org = XeroOrg.objects.get(tenant_id=TRADING_TENANT_ID)
    assert XeroInvoice.objects.get(org=org).amount_due == Decimal("80.00")
