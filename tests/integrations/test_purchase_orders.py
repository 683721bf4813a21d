"""Purchase orders sent to Xero: the PurchaseOrder payload (contact, lines with accounts and purchase tax types,
dates, our number or Xero's), "Update existing" after edits, and Xero's status (DRAFT … BILLED) read back: with the
payment sync while one is open (one GET /PurchaseOrders since a cursor; nothing asked when none is open) or now."""

import datetime
import json
import re
from decimal import Decimal

import pytest

from billing.choices import Plan
from billing.services import LineInput, purchase_order_update
from integrations.document_kinds import PURCHASE_ORDER
from integrations.models import ContactRole, CopyStatus, RemoteDocument, SyncLogEntry
from integrations.services.document_statuses import copy_status_refresh
from integrations.services.invoice_copy import MODE_NEW, document_send
from integrations.services.payments_sync import payments_sync

from .purchases import bills_connection, make_purchase_order, vat_of

API = "https://api.xero.com/api.xro/2.0"
PURCHASE_ORDERS = re.compile(rf"{re.escape(API)}/PurchaseOrders(\?.*)?$")


@pytest.fixture
def connection(organization, subsidiary):
    return bills_connection(organization, subsidiary)


@pytest.fixture
def order(organization, subsidiary):
    return make_purchase_order(organization, subsidiary)


def send(order, connection, **options):
    return document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection, **options)


def po_writes(xero):
    return [r for r in xero.requests if r.method in ("PUT", "POST") and "/PurchaseOrders" in r.url]


def test_a_purchase_order_is_sent_with_its_lines_accounts_taxes_dates_and_number(xero, connection, order):
    copy = send(order, connection)

    (put,) = po_writes(xero)
    body = json.loads(put.body)["PurchaseOrders"][0]
    assert body["PurchaseOrderNumber"] == order.number == body["Reference"]
    assert (body["Date"], body["DeliveryDate"], body["CurrencyCode"]) == ("2026-11-04", "2026-11-20", "EUR")
    assert body["Status"] == "AUTHORISED"  # ours is sent
    assert body["DeliveryInstructions"] == "Deliver to the back door."
    assert body["LineItems"] == [
        {"Description": "Laptop stand", "Quantity": 2, "UnitAmount": 45.5, "AccountCode": "400", "TaxType": "INPUT2"},
        {"Description": "USB-C hub", "Quantity": 1, "UnitAmount": 30, "AccountCode": "400", "TaxType": "NONE"},
    ]
    assert xero.contacts[body["Contact"]["ContactID"]]["Name"] == "Hardware BV"
    assert copy.status == CopyStatus.SUCCEEDED and copy.remote_number == order.number
    assert copy.remote_status == "AUTHORISED" and copy.remote_state == "open"
    assert "PurchaseOrders" in copy.remote_url
    assert order.vendor.pk in set(
        connection.contact_links.filter(role=ContactRole.SUPPLIER).values_list("company_id", flat=True)
    )


def test_a_draft_here_is_a_draft_there(xero, connection, organization, subsidiary):
    order = make_purchase_order(organization, subsidiary, status="draft")
    copy = send(order, connection)
    assert json.loads(po_writes(xero)[0].body)["PurchaseOrders"][0]["Status"] == "DRAFT"
    assert copy.remote_status == "DRAFT" and copy.remote_state == "draft"


def test_xero_numbers_it_when_the_setup_says_so(xero, connection, order):
    connection.settings = {**connection.settings, "po_xero_numbers": True}
    connection.save()

    copy = send(order, connection)

    body = json.loads(po_writes(xero)[0].body)["PurchaseOrders"][0]
    assert "PurchaseOrderNumber" not in body and body["Reference"] == order.number
    assert copy.remote_number == "XPO-0001"
    order.refresh_from_db()
    assert order.number.startswith("PO-")  # ours stays ours


def test_update_existing_after_edits_changes_it_in_place(xero, connection, order, organization):
    first = send(order, connection)
    purchase_order_update(
        purchase_order=order,
        note="Deliver to the front desk.",
        lines=[LineInput("Laptop stand", Decimal("3"), Decimal("45.50"), None, vat_of(organization))],
    )

    updated = send(order, connection)

    put, post = po_writes(xero)
    assert post.method == "POST" and post.url.split("?")[0].endswith(f"/PurchaseOrders/{first.remote_id}")
    body = json.loads(post.body)["PurchaseOrders"][0]
    assert body["PurchaseOrderID"] == first.remote_id and body["Status"] == "AUTHORISED"
    assert body["LineItems"][0]["Quantity"] == 3 and body["DeliveryInstructions"] == "Deliver to the front desk."
    assert updated.remote_id == first.remote_id and RemoteDocument.objects.filter(purchase_order=order).count() == 2


def test_create_new_makes_a_second_one_with_a_suffixed_number(xero, connection, order):
    send(order, connection)
    new = send(order, connection, mode=MODE_NEW)
    assert new.remote_number == f"{order.number}-2" and len(xero.purchase_orders) == 2


def test_purchase_orders_need_no_plan_beyond_xeros(xero, connection, order, organization):
    organization.plan = Plan.ESSENTIAL
    organization.save()
    assert send(order, connection).status == CopyStatus.SUCCEEDED


def test_the_status_in_xero_is_read_back_with_the_payment_sync(xero, connection, order):
    copy = send(order, connection)
    xero.set_purchase_order_status(copy.remote_id, "BILLED")

    run = payments_sync(connection=connection)

    copy.refresh_from_db()
    assert copy.remote_status == "BILLED" and copy.remote_state == "booked"
    assert run.counts["statuses"] == 1 and run.api_calls == 2  # GET /Payments and one GET /PurchaseOrders
    status_read = next(r for r in xero.requests if r.method == "GET" and PURCHASE_ORDERS.match(r.url))
    assert "If-Modified-Since" not in status_read.headers  # the first read has no cursor yet
    assert "billed there now" in SyncLogEntry.objects.get(purchase_order=order, action="purchase_order.status").message

    idle = payments_sync(connection=connection)  # billed is final: nothing left to read back
    assert idle.api_calls == 1


def test_the_status_read_asks_only_for_changes_since_the_last_read(xero, connection, order):
    copy = send(order, connection)
    payments_sync(connection=connection)
    xero.set_purchase_order_status(copy.remote_id, "SUBMITTED", updated=datetime.datetime.now(datetime.UTC))

    payments_sync(connection=connection)

    reads = [r for r in xero.requests if r.method == "GET" and PURCHASE_ORDERS.match(r.url)]
    assert len(reads) == 2 and "If-Modified-Since" in reads[1].headers
    copy.refresh_from_db()
    assert copy.remote_status == "SUBMITTED"


def test_no_open_purchase_order_means_no_status_read(xero, connection):
    run = payments_sync(connection=connection)
    assert run.api_calls == 1
    assert not any("/PurchaseOrders" in r.url for r in xero.requests)


def test_a_copy_status_is_read_now_from_its_page(xero, connection, order):
    copy = send(order, connection)
    xero.set_purchase_order_status(copy.remote_id, "SUBMITTED")

    copy = copy_status_refresh(copy=copy)

    assert copy.remote_status == "SUBMITTED"
    get = [r for r in xero.requests if r.method == "GET"][-1]
    assert get.url.split("?")[0].endswith(f"/PurchaseOrders/{copy.remote_id}")
