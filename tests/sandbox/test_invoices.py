"""Contacts and invoices: Xero's validation messages, numbering, batches, idempotency, updates, PDF."""

import datetime as dt

import pytest
import time_machine

from integrations.sandbox.models import XeroContact, XeroInvoice
from integrations.sandbox.xero.demo import TRADING_TENANT_ID

NAME_CLASH = (
    "The contact name Acme Widgets Ltd is already assigned to another contact. "
    "The contact name must be unique across all active contacts."
)


def messages(element: dict) -> list[str]:
    return [error["Message"] for error in element.get("ValidationErrors", [])]


def test_create_contact_and_name_clash(connected, schemas):
    created = connected.put("Contacts", {"Contacts": [{"Name": "New Client BV", "EmailAddress": "a@b.example"}]})
    assert created.status_code == 200
    body = created.json()
    schemas.assert_valid(body, "Contacts")
    assert body["Contacts"][0]["Name"] == "New Client BV" and body["Contacts"][0]["ContactStatus"] == "ACTIVE"

    clash = connected.put("Contacts", {"Contacts": [{"Name": "acme widgets ltd "}]})
    assert clash.status_code == 400
    error = clash.json()
    schemas.assert_valid(error, "Error")
    assert error["Type"] == "ValidationException" and error["ErrorNumber"] == 10
    assert messages(error["Elements"][0]) == [NAME_CLASH.replace("Acme Widgets Ltd", "acme widgets ltd")]
    assert XeroContact.objects.filter(name__iexact="acme widgets ltd").count() == 1


def test_an_archived_contact_does_not_block_the_name(connected):
    XeroContact.objects.filter(name="Acme Widgets Ltd").update(status="ARCHIVED")
    assert connected.put("Contacts", {"Contacts": [{"Name": "Acme Widgets Ltd"}]}).status_code == 200


def test_contact_clash_per_element_with_summarize_errors_false(connected):
    response = connected.put(
        "Contacts", {"Contacts": [{"Name": "Fresh Ltd"}, {"Name": "Acme Widgets Ltd"}]}, {"summarizeErrors": "false"}
    )
    assert response.status_code == 200
    fresh, clash = response.json()["Contacts"]
    assert fresh["StatusAttributeString"] == "OK" and "ValidationErrors" not in fresh
    assert clash["HasValidationErrors"] is True and messages(clash) == [NAME_CLASH]


def test_invoice_numbers_are_generated_and_totals_rounded_per_line(connected, schemas):
    first = connected.create_invoice()
    second = connected.create_invoice(
        LineItems=[
            {"Description": "A", "Quantity": 1, "UnitAmount": "10.05", "AccountCode": "200", "TaxType": "OUTPUT2"},
            {"Description": "B", "Quantity": 3, "UnitAmount": "0.33", "AccountCode": "200", "TaxType": "OUTPUT2"},
        ]
    )
    assert (first["InvoiceNumber"], second["InvoiceNumber"]) == ("INV-0001", "INV-0002")
    assert (first["SubTotal"], first["TotalTax"], first["Total"]) == (100, 20, 120)
    # 10.05 → tax 2.01; 0.99 → tax 0.20 (rounded per line): 11.04 + 2.21 = 13.25
    assert (second["SubTotal"], second["TotalTax"], second["Total"]) == (11.04, 2.21, 13.25)
    assert first["AmountDue"] == 120 and first["AmountPaid"] == 0 and first["Status"] == "AUTHORISED"
    body = connected.get(f"Invoices/{first['InvoiceID']}").json()
    schemas.assert_valid(body, "Invoices")
    invoice = body["Invoices"][0]
    assert invoice["Date"] == "/Date(1793491200000+0000)/" and invoice["DateString"] == "2026-11-01T00:00:00"
    assert invoice["DueDateString"] == "2026-11-15T00:00:00"
    assert invoice["LineItems"][0]["LineAmount"] == 100


def test_inclusive_and_no_tax_lines(connected):
    inclusive = connected.create_invoice(
        LineAmountTypes="Inclusive",
        LineItems=[{"Description": "X", "Quantity": 1, "UnitAmount": 120, "AccountCode": "200", "TaxType": "OUTPUT2"}],
    )
    assert (inclusive["SubTotal"], inclusive["TotalTax"], inclusive["Total"]) == (100, 20, 120)
    no_tax = connected.create_invoice(
        LineAmountTypes="NoTax", LineItems=[{"Description": "X", "UnitAmount": 50, "AccountCode": "200"}]
    )
    assert (no_tax["TotalTax"], no_tax["Total"]) == (0, 50)


def test_duplicate_invoice_number_is_rejected(connected):
    connected.create_invoice(InvoiceNumber="APP-100")
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": connected.contact_id()},
        "InvoiceNumber": "APP-100",
        "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "200"}],
    }
    response = connected.put("Invoices", {"Invoices": [invoice]})
    assert response.status_code == 400
    assert messages(response.json()["Elements"][0]) == ["Invoice # must be unique."]
    assert XeroInvoice.objects.filter(number="APP-100").count() == 1
    # Bills (ACCPAY) carry the supplier's number, which need not be unique.
    bill = {**invoice, "Type": "ACCPAY", "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "400"}]}
    assert connected.put("Invoices", {"Invoices": [bill, bill]}).status_code == 200


def test_summarized_batch_still_creates_the_valid_elements_and_summarize_false_reports_each(connected, schemas):
    contact = {"ContactID": connected.contact_id()}
    good = {"Type": "ACCREC", "Contact": contact, "LineItems": [{"Description": "ok", "UnitAmount": 5}]}
    bad = {
        "Type": "ACCREC",
        "Contact": contact,
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "bad", "UnitAmount": 5, "AccountCode": "999", "TaxType": "INPUT2"}],
    }
    summarized = connected.put("Invoices", {"Invoices": [good, bad]})
    assert summarized.status_code == 400
    assert len(summarized.json()["Elements"]) == 1
    assert XeroInvoice.objects.count() == 1  # as in Xero: the valid one was created anyway

    detailed = connected.put("Invoices", {"Invoices": [good, bad]}, {"summarizeErrors": "false"})
    assert detailed.status_code == 200
    body = detailed.json()
    schemas.assert_valid(body, "Invoices")
    ok, failed = body["Invoices"]
    assert ok["HasErrors"] is False and ok["InvoiceNumber"] == "INV-0002"
    assert failed["HasErrors"] is True and failed["StatusAttributeString"] == "ERROR"
    assert messages(failed) == [
        "Account code '999' is not a valid code for this document.",
        "The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction.",
    ]


def test_missing_contact_and_unknown_currency(connected):
    response = connected.put(
        "Invoices",
        {"Invoices": [{"Type": "ACCREC", "CurrencyCode": "JPY", "LineItems": []}]},
        {"summarizeErrors": "false"},
    )
    assert messages(response.json()["Invoices"][0]) == [
        "A Contact must be specified for this type of transaction",
        "Organisation is not subscribed to currency JPY",
    ]


def test_a_contact_given_by_an_unknown_name_is_created(connected):
    connected.create_invoice(Contact={"Name": "Walk-in Customer"})
    assert XeroContact.objects.filter(name="Walk-in Customer", is_customer=True).exists()


def test_idempotency_key_replays_the_first_response(connected):
    invoice = {
        "Type": "ACCREC",
        "Contact": {"ContactID": connected.contact_id()},
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "x", "UnitAmount": 10, "AccountCode": "200"}],
    }
    params = {"summarizeErrors": "false"}
    first = connected.put("Invoices", {"Invoices": [invoice]}, params, **{"Idempotency-Key": "copy-1"})
    again = connected.put("Invoices", {"Invoices": [invoice]}, params, **{"Idempotency-Key": "copy-1"})
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert XeroInvoice.objects.count() == 1
    other = connected.put("Invoices", {"Invoices": [invoice]}, params, **{"Idempotency-Key": "copy-2"})
    assert other.json()["Invoices"][0]["InvoiceNumber"] == "INV-0002"


def test_idempotency_key_replays_a_validation_error_too(connected):
    body = {"Invoices": [{"Type": "ACCREC", "LineItems": []}]}
    first = connected.put("Invoices", body, **{"Idempotency-Key": "bad-1"})
    assert first.status_code == 400
    connected.put("Contacts", {"Contacts": [{"Name": "Anything"}]})
    again = connected.put("Invoices", body, **{"Idempotency-Key": "bad-1"})
    assert (again.status_code, again.content) == (400, first.content)
    too_long = connected.put("Invoices", body, **{"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_update_by_id_and_upsert_by_number(connected):
    created = connected.create_invoice(InvoiceNumber="APP-7", Reference="first")
    url = f"Invoices/{created['InvoiceID']}"
    updated = connected.post(url, {"Invoices": [{"Reference": "second", "Url": "https://app.example/i/7"}]})
    assert updated.status_code == 200
    invoice = updated.json()["Invoices"][0]
    assert (invoice["Reference"], invoice["Url"], invoice["Total"]) == ("second", "https://app.example/i/7", 120)
    assert invoice["UpdatedDateUTC"] >= created["UpdatedDateUTC"]

    upsert = {"InvoiceNumber": "APP-7", "LineItems": [{"Description": "y", "UnitAmount": 30, "AccountCode": "200"}]}
    response = connected.post("Invoices", {"Invoices": [upsert]})
    assert response.json()["Invoices"][0]["Total"] == 36
    assert XeroInvoice.objects.count() == 1

    voided = connected.post(url, {"Invoices": [{"Status": "VOIDED"}]}).json()["Invoices"][0]
    assert voided["Status"] == "VOIDED" and voided["AmountDue"] == 0
    reopened = connected.post(url, {"Invoices": [{"Status": "AUTHORISED"}]})
    assert messages(reopened.json()["Elements"][0]) == ["Invoice not of valid status for modification"]


def test_update_of_unknown_id_is_document_not_found(connected):
    response = connected.post("Invoices/6b0f4a1e-0000-4000-8000-000000000000", {"Invoices": [{"Reference": "x"}]})
    assert response.status_code == 400
    assert messages(response.json()["Elements"][0]) == [
        "The document with the supplied id was not found for this endpoint."
    ]


def test_invoice_pdf(connected):
    created = connected.create_invoice()
    response = connected.get(f"Invoices/{created['InvoiceID']}", accept="application/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_list_filters_paging_and_line_items_only_when_paging(connected):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        first = connected.create_invoice(InvoiceNumber="A-1")
        traveller.shift(dt.timedelta(minutes=5))
        second = connected.create_invoice(InvoiceNumber="A-2", Status="DRAFT")
        everything = connected.get("Invoices").json()["Invoices"]
        assert [i["InvoiceNumber"] for i in everything] == ["A-1", "A-2"]
        assert all(i["LineItems"] == [] for i in everything)
        paged = connected.get("Invoices", {"page": 1}).json()
        assert paged["pagination"]["itemCount"] == 2 and paged["Invoices"][0]["LineItems"]
        assert [
            i["InvoiceNumber"] for i in connected.get("Invoices", {"IDs": second["InvoiceID"]}).json()["Invoices"]
        ] == ["A-2"]
        numbers = connected.get("Invoices", {"InvoiceNumbers": "A-1"}).json()["Invoices"]
        assert [i["InvoiceID"] for i in numbers] == [first["InvoiceID"]]
        drafts = connected.get("Invoices", {"where": 'Status=="DRAFT"'}).json()["Invoices"]
        assert [i["InvoiceNumber"] for i in drafts] == ["A-2"]
        since = connected.get("Invoices", **{"If-Modified-Since": "2026-11-02T09:01:00"}).json()["Invoices"]
        assert [i["InvoiceNumber"] for i in since] == ["A-2"]


def test_tenants_are_isolated(connected):
    created = connected.create_invoice()
    from integrations.sandbox.xero.demo import DESIGN_TENANT_ID

    assert connected.get(f"Invoices/{created['InvoiceID']}", tenant=DESIGN_TENANT_ID).status_code == 404
    assert connected.get("Invoices", tenant=DESIGN_TENANT_ID).json()["Invoices"] == []
    assert connected.get(f"Invoices/{created['InvoiceID']}", tenant=TRADING_TENANT_ID).status_code == 200


def test_purchase_orders(connected, schemas):
    supplier = connected.contact_id(name="Printing Partners")
    order = {
        "Contact": {"ContactID": supplier},
        "Date": "2026-11-03",
        "DeliveryDate": "2026-11-10",
        "LineItems": [{"Description": "Flyers", "Quantity": 1000, "UnitAmount": "0.12", "AccountCode": "429"}],
    }
    created = connected.put("PurchaseOrders", {"PurchaseOrders": [order]})
    assert created.status_code == 200
    body = created.json()
    schemas.assert_valid(body, "PurchaseOrders")
    po = body["PurchaseOrders"][0]
    assert (po["PurchaseOrderNumber"], po["Status"], po["Total"]) == ("PO-0001", "DRAFT", 144)
    updated = connected.post(f"PurchaseOrders/{po['PurchaseOrderID']}", {"PurchaseOrders": [{"Status": "AUTHORISED"}]})
    assert updated.json()["PurchaseOrders"][0]["Status"] == "AUTHORISED"
    listed = connected.get("PurchaseOrders", {"Status": "AUTHORISED"}).json()["PurchaseOrders"]
    assert [p["PurchaseOrderNumber"] for p in listed] == ["PO-0001"]
    assert (
        connected.get("PurchaseOrders/PO-0001").json()["PurchaseOrders"][0]["PurchaseOrderID"] == po["PurchaseOrderID"]
    )
    no_contact = connected.put("PurchaseOrders", {"PurchaseOrders": [{"LineItems": []}]})
    assert no_contact.status_code == 400


def test_invalid_json_is_post_data_invalid(connected):
    response = connected.client.put(
        "/sandbox/xero/api/api.xro/2.0/Invoices", "{nope", content_type="application/json", **connected.headers()
    )
    assert response.status_code == 400 and response.json()["Type"] == "PostDataInvalidException"


def test_unit_amounts_keep_two_decimals_unless_unitdp_4(connected):
    line = {"Description": "x", "Quantity": 3, "UnitAmount": "0.3333", "AccountCode": "200", "TaxType": "NONE"}
    two = connected.create_invoice(LineItems=[line])
    assert (two["LineItems"][0]["UnitAmount"], two["Total"]) == (0.33, 0.99)
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Acme Widgets Ltd"}, "LineItems": [line]}
    four = connected.put("Invoices", {"Invoices": [invoice]}, {"unitdp": 4}).json()["Invoices"][0]
    assert (four["LineItems"][0]["UnitAmount"], four["Total"]) == (0.3333, 1.0)


def test_voiding_is_refused_with_xeros_error_shape_while_the_invoice_has_payments(connected, schemas):
    from integrations.sandbox.xero import services

    created = connected.create_invoice(InvoiceNumber="APP-200")  # total 120
    invoice = XeroInvoice.objects.get(invoice_id=created["InvoiceID"])
    payment = services.payment_create(org=invoice.org, invoice=invoice, amount="20")
    url = f"Invoices/{created['InvoiceID']}"
    body = {"Invoices": [{"InvoiceID": created["InvoiceID"], "Status": "VOIDED"}]}

    refused = connected.post(url, body, {"summarizeErrors": "false"})
    assert refused.status_code == 200  # with summarizeErrors=false: the element carries the errors
    element = refused.json()["Invoices"][0]
    assert element["HasErrors"] is True and messages(element) == [
        "This document cannot be edited as it has a payment or credit note allocated to it."
    ]
    summarized = connected.post(url, body)
    assert summarized.status_code == 400
    schemas.assert_valid(summarized.json(), "Error")
    assert XeroInvoice.objects.get(pk=invoice.pk).status == "AUTHORISED"

    services.payment_delete(payment=payment)  # "remove the payment in Xero first"
    voided = connected.post(url, body, {"summarizeErrors": "false"}).json()["Invoices"][0]
    assert (voided["Status"], voided["AmountDue"]) == ("VOIDED", 0)


def test_a_paid_invoice_cannot_be_voided(connected):
    from integrations.sandbox.xero import services

    created = connected.create_invoice()
    invoice = XeroInvoice.objects.get(invoice_id=created["InvoiceID"])
    services.payment_create(org=invoice.org, invoice=invoice, amount="120")
    response = connected.post(f"Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert response.status_code == 400
    assert messages(response.json()["Elements"][0]) == ["Invoice not of valid status for modification"]


def test_a_voided_invoice_keeps_its_number_so_a_second_copy_needs_another(connected):
    """Why "Create new" sends a copy suffix: the number of a voided invoice is still taken (a deleted one's is not)."""
    created = connected.create_invoice(InvoiceNumber="APP-300")
    connected.post(f"Invoices/{created['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    again = {
        "Type": "ACCREC",
        "Contact": {"ContactID": connected.contact_id()},
        "InvoiceNumber": "APP-300",
        "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "200"}],
    }
    refused = connected.put("Invoices", {"Invoices": [again]})
    assert refused.status_code == 400 and messages(refused.json()["Elements"][0]) == ["Invoice # must be unique."]
    assert connected.put("Invoices", {"Invoices": [{**again, "InvoiceNumber": "APP-300-2"}]}).status_code == 200


def test_reads_show_two_decimals_of_a_unit_amount_unless_unitdp_4_but_totals_use_all_four(connected):
    line = {"Description": "x", "Quantity": 3, "UnitAmount": "99.995", "AccountCode": "200", "TaxType": "NONE"}
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Acme Widgets Ltd"}, "LineItems": [line]}
    created = connected.put("Invoices", {"Invoices": [invoice]}, {"unitdp": 4}).json()["Invoices"][0]
    assert (created["LineItems"][0]["UnitAmount"], created["Total"]) == (99.995, 299.99)

    plain = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (plain["LineItems"][0]["UnitAmount"], plain["LineItems"][0]["LineAmount"]) == (100.0, 299.99)
    assert plain["Total"] == 299.99  # stored with 4 decimals: only the shown unit amount is rounded
    four = connected.get(f"Invoices/{created['InvoiceID']}", {"unitdp": 4}).json()["Invoices"][0]
    assert four["LineItems"][0]["UnitAmount"] == 99.995
    listed = connected.get("Invoices", {"page": 1}).json()["Invoices"]
    assert [i["LineItems"][0]["UnitAmount"] for i in listed if i["InvoiceID"] == created["InvoiceID"]] == [100.0]


GUID_PLACES = {
    "a contact": lambda body: body["Contact"].update(ContactID="not-a-guid"),
    "an invoice": lambda body: body.update(InvoiceID="12345"),
    "a line item": lambda body: body["LineItems"][0].update(LineItemID="line-1"),
    "an account": lambda body: body["LineItems"][0].update(AccountID="abc-def"),
}


@pytest.mark.parametrize("method", ["PUT", "POST"])
@pytest.mark.parametrize("place", sorted(GUID_PLACES))
def test_an_id_that_is_not_a_guid_is_refused_like_xero_does_not_a_500(connected, schemas, method, place):
    """Xero answers an unparseable GUID with its error shape (ErrorNumber 14, PostDataInvalidException)."""
    body = {
        "Type": "ACCREC",
        "Contact": {"ContactID": connected.contact_id()},
        "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "200", "TaxType": "NONE"}],
    }
    GUID_PLACES[place](body)
    connected.client.raise_request_exception = False
    before = XeroInvoice.objects.count()

    response = connected.send(method, "Invoices", {"Invoices": [body]}, {"summarizeErrors": "false"})

    assert response.status_code == 400, response.content[:200]
    error = response.json()
    schemas.assert_valid(error, "Error")
    assert (error["ErrorNumber"], error["Type"], error["Message"]) == (
        14,
        "PostDataInvalidException",
        "Unrecognized Guid format.",
    )
    assert XeroInvoice.objects.count() == before


def test_a_contact_id_xero_never_issued_is_a_validation_error_of_the_element(connected, schemas):
    body = {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": "0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d"},
        "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "200", "TaxType": "NONE"}],
    }
    summarized = connected.put("Invoices", {"Invoices": [body]})
    assert summarized.status_code == 400
    schemas.assert_valid(summarized.json(), "Error")
    assert messages(summarized.json()["Elements"][0]) == ["The contact specified could not be found."]
    detailed = connected.put("Invoices", {"Invoices": [body]}, {"summarizeErrors": "false"})
    assert detailed.status_code == 200 and detailed.json()["Invoices"][0]["HasErrors"] is True
    assert not XeroInvoice.objects.exists()
