"""Purchase orders in the Xero sandbox over HTTP: numbering (Xero's or ours, unique), validation, Idempotency-Key
replay, the list's filters and paging, and the status a person moves them to on the organisation page."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from integrations.sandbox.models import XeroPurchaseOrder
from integrations.sandbox.xero.demo import TRADING_TENANT_ID

PAGE = f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/"


def messages(element: dict) -> list[str]:
    return [error["Message"] for error in element.get("ValidationErrors", [])]


def order(xero, **fields) -> dict:
    body = {
        "Contact": {"ContactID": xero.contact_id(name="Printing Partners")},
        "Date": "2026-11-03",
        "DeliveryDate": "2026-11-10",
        "Reference": "Campaign Q4",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Flyers", "Quantity": 1000, "UnitAmount": "0.12", "AccountCode": "461", "TaxType": "INPUT2"}
        ],
    }
    body.update(fields)
    return body


def put_orders(xero, *orders, **params):
    return xero.put("PurchaseOrders", {"PurchaseOrders": list(orders)}, params or None)


def test_xero_numbers_an_order_without_a_number_and_keeps_ours(connected, schemas):
    response = put_orders(connected, order(connected), order(connected, PurchaseOrderNumber="PO-APP-17"))
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "PurchaseOrders")
    generated, ours = body["PurchaseOrders"]
    assert (generated["PurchaseOrderNumber"], ours["PurchaseOrderNumber"]) == ("PO-0001", "PO-APP-17")
    assert (generated["Status"], generated["Type"], generated["HasErrors"]) == ("DRAFT", "PURCHASEORDER", False)
    assert (generated["SubTotal"], generated["TotalTax"], generated["Total"]) == (120, 24, 144)
    assert (generated["Reference"], generated["DeliveryDateString"]) == ("Campaign Q4", "2026-11-10T00:00:00")
    assert generated["LineItems"][0]["AccountCode"] == "461"


def test_a_number_must_be_unique(connected):
    put_orders(connected, order(connected, PurchaseOrderNumber="PO-APP-17"))
    clash = put_orders(connected, order(connected, PurchaseOrderNumber="po-app-17"))
    assert clash.status_code == 400
    assert messages(clash.json()["Elements"][0]) == ["Order number must be unique"]
    assert clash.json()["Elements"][0]["HasErrors"] is True
    assert XeroPurchaseOrder.objects.count() == 1


def test_validation_errors_per_element_with_summarize_errors_false(connected, schemas):
    response = put_orders(
        connected,
        order(connected, Contact=None),
        order(connected, CurrencyCode="JPY"),
        order(connected, LineItems=[{"Description": "x", "UnitAmount": 1, "AccountCode": "999"}]),
        order(connected, Status="SHIPPED"),
        order(connected),
        summarizeErrors="false",
    )
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid({**body, "PurchaseOrders": body["PurchaseOrders"][:3]}, "PurchaseOrders")  # not SHIPPED
    *failed, good = body["PurchaseOrders"]
    assert [messages(element) for element in failed] == [
        ["A Contact must be specified for this type of transaction"],
        ["Organisation is not subscribed to currency JPY"],
        ["Account code '999' is not a valid code for this document."],
        ["Status 'SHIPPED' is not valid for a purchase order."],
    ]
    assert all(element["StatusAttributeString"] == "ERROR" for element in failed)
    assert good["StatusAttributeString"] == "OK" and XeroPurchaseOrder.objects.count() == 1


def test_idempotency_key_replays_a_create(connected):
    key = {"Idempotency-Key": "po-17-v1"}
    first = connected.put("PurchaseOrders", {"PurchaseOrders": [order(connected)]}, **key)
    again = connected.put("PurchaseOrders", {"PurchaseOrders": [order(connected)]}, **key)
    assert (first.status_code, first.content) == (again.status_code, again.content)
    assert XeroPurchaseOrder.objects.count() == 1


def test_update_by_id_replaces_lines_and_upsert_by_number(connected):
    created = put_orders(connected, order(connected, PurchaseOrderNumber="PO-APP-17")).json()["PurchaseOrders"][0]
    lines = [{"Description": "Posters", "Quantity": 10, "UnitAmount": 5, "AccountCode": "461", "TaxType": "INPUT2"}]
    url = f"PurchaseOrders/{created['PurchaseOrderID']}"
    updated = connected.post(url, {"PurchaseOrders": [{"LineItems": lines, "Reference": "Q4 v2"}]})
    assert updated.status_code == 200
    po = updated.json()["PurchaseOrders"][0]
    assert (po["Total"], po["Reference"], len(po["LineItems"])) == (60, "Q4 v2", 1)
    upsert = connected.post(
        "PurchaseOrders", {"PurchaseOrders": [{"PurchaseOrderNumber": "PO-APP-17", "Reference": "v3"}]}
    )
    assert upsert.json()["PurchaseOrders"][0]["PurchaseOrderID"] == created["PurchaseOrderID"]
    assert XeroPurchaseOrder.objects.count() == 1


def test_sent_to_contact_only_once_approved(connected):
    created = put_orders(connected, order(connected, SentToContact=True)).json()["PurchaseOrders"][0]
    assert created["SentToContact"] is False
    assert created["Warnings"] == [
        {"Message": "Only AUTHORISED and BILLED purchase orders may have SentToContact updated."}
    ]
    url = f"PurchaseOrders/{created['PurchaseOrderID']}"
    approved = connected.post(url, {"PurchaseOrders": [{"Status": "AUTHORISED", "SentToContact": True}]})
    assert approved.json()["PurchaseOrders"][0]["SentToContact"] is True


def test_list_filters_status_dates_order_and_paging(connected, schemas):
    with time_machine.travel(dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC), tick=False) as traveller:
        for day in (1, 2, 3):
            put_orders(connected, order(connected, Date=f"2026-11-0{day}"))
            traveller.shift(dt.timedelta(minutes=5))
        third = XeroPurchaseOrder.objects.get(number="PO-0003")
        connected.post(f"PurchaseOrders/{third.purchase_order_id}", {"PurchaseOrders": [{"Status": "AUTHORISED"}]})
        everything = connected.get("PurchaseOrders").json()
        schemas.assert_valid(everything, "PurchaseOrders")
        assert [p["PurchaseOrderNumber"] for p in everything["PurchaseOrders"]] == ["PO-0001", "PO-0002", "PO-0003"]
        authorised = connected.get("PurchaseOrders", {"Status": "AUTHORISED"}).json()["PurchaseOrders"]
        assert [p["PurchaseOrderNumber"] for p in authorised] == ["PO-0003"]
        dated = connected.get("PurchaseOrders", {"DateFrom": "2026-11-02", "DateTo": "2026-11-02"}).json()
        assert [p["PurchaseOrderNumber"] for p in dated["PurchaseOrders"]] == ["PO-0002"]
        ordered = connected.get("PurchaseOrders", {"order": "PurchaseOrderNumber DESC"}).json()["PurchaseOrders"]
        assert [p["PurchaseOrderNumber"] for p in ordered] == ["PO-0003", "PO-0002", "PO-0001"]
        page = connected.get("PurchaseOrders", {"page": 2, "pageSize": 2}).json()
        assert page["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 2, "itemCount": 3}
        assert [p["PurchaseOrderNumber"] for p in page["PurchaseOrders"]] == ["PO-0003"]
        since = connected.get("PurchaseOrders", **{"If-Modified-Since": "2026-11-03T09:07:00"}).json()
        assert [p["PurchaseOrderNumber"] for p in since["PurchaseOrders"]] == ["PO-0003"]
        bad_date = connected.get("PurchaseOrders", {"DateFrom": "soon"})
        assert bad_date.status_code == 400


def test_one_by_id_or_number_and_as_pdf(connected, schemas):
    created = put_orders(connected, order(connected)).json()["PurchaseOrders"][0]
    by_id = connected.get(f"PurchaseOrders/{created['PurchaseOrderID']}").json()
    schemas.assert_valid(by_id, "PurchaseOrders")
    by_number = connected.get("PurchaseOrders/PO-0001").json()["PurchaseOrders"][0]
    assert by_number["PurchaseOrderID"] == created["PurchaseOrderID"]
    pdf = connected.get(f"PurchaseOrders/{created['PurchaseOrderID']}", accept="application/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert connected.get("PurchaseOrders/PO-9999").status_code == 404


def move(client: Client, po_id: str, status: str):
    return client.post(f"{PAGE}purchase-orders/{po_id}/status/", {"status": status}, follow=True)


def test_a_person_submits_approves_and_bills_an_order_on_the_page_and_the_api_reads_it(connected):
    created = put_orders(connected, order(connected)).json()["PurchaseOrders"][0]
    po_id = created["PurchaseOrderID"]
    page = connected.client.get(PAGE).content.decode()
    assert 'id="purchase-orders"' in page and "PO-0001" in page and "Submit for approval" in page
    for status in ("SUBMITTED", "AUTHORISED", "BILLED"):
        response = move(connected.client, po_id, status)
        assert f"now {status}" in response.content.decode()
        assert connected.get(f"PurchaseOrders/{po_id}").json()["PurchaseOrders"][0]["Status"] == status
    assert "Mark as billed" not in connected.client.get(PAGE).content.decode()


def test_a_billed_or_deleted_order_is_not_modified_over_the_api(connected):
    billed, deleted = put_orders(connected, order(connected), order(connected)).json()["PurchaseOrders"]
    for status in ("AUTHORISED", "BILLED"):
        move(connected.client, billed["PurchaseOrderID"], status)
    move(connected.client, deleted["PurchaseOrderID"], "DELETED")
    for po in (billed, deleted):
        response = connected.post(f"PurchaseOrders/{po['PurchaseOrderID']}", {"PurchaseOrders": [{"Reference": "x"}]})
        assert response.status_code == 400
        assert messages(response.json()["Elements"][0]) == ["Purchase order not of valid status for modification"]
    assert set(XeroPurchaseOrder.objects.values_list("reference", flat=True)) == {"Campaign Q4"}


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("DRAFT", "BILLED", "cannot be moved to BILLED"),
        ("BILLED", "DELETED", "cannot be moved to DELETED"),
        ("DRAFT", "", "cannot be moved to (nothing)"),
    ],
)
def test_moves_xero_does_not_offer_are_refused_on_the_page(connected, path, status, message):
    created = put_orders(connected, order(connected)).json()["PurchaseOrders"][0]
    if path == "BILLED":
        move(connected.client, created["PurchaseOrderID"], "AUTHORISED")
        move(connected.client, created["PurchaseOrderID"], "BILLED")
    response = move(connected.client, created["PurchaseOrderID"], status)
    assert message in response.content.decode()
    assert XeroPurchaseOrder.objects.get().status == path


def test_status_changes_need_csrf_and_a_known_order(connected):
    created = put_orders(connected, order(connected)).json()["PurchaseOrders"][0]
    strict = Client(enforce_csrf_checks=True)
    assert (
        strict.post(f"{PAGE}purchase-orders/{created['PurchaseOrderID']}/status/", {"status": "SUBMITTED"}).status_code
        == 403
    )
    assert XeroPurchaseOrder.objects.get().status == "DRAFT"
    unknown = move(connected.client, "6b0f4a1e-0000-4000-8000-000000000000", "SUBMITTED")
    assert "No such purchase order" in unknown.content.decode()
