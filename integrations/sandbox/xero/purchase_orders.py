"""Purchase orders as the API shows them (GET /PurchaseOrders with Status, DateFrom/DateTo, order and paging; one
by PurchaseOrderID or PurchaseOrderNumber, also as a PDF) and as a person moves them on in Xero: submit for
approval, approve, mark as billed, delete (the sandbox page; Xero sends no webhook for purchase orders).
"""

import uuid

from django.db import transaction

from ..kit.declaration import PageError
from ..models import XeroOrg, XeroPurchaseOrder
from .formats import date_string, is_guid, ms_date, now_ms, number, parse_date, parse_if_modified_since
from .pdf import document_pdf
from .responses import Reply, json_reply, not_found, validation_reply
from .shapes import contact_summary, envelope, line_items

# What a person can do to a purchase order in each status (Xero's buttons), and what each action is called.
PERSON_MOVES = {
    "DRAFT": ("SUBMITTED", "AUTHORISED", "DELETED"),
    "SUBMITTED": ("AUTHORISED", "DELETED"),
    "AUTHORISED": ("BILLED", "DELETED"),
    "BILLED": (),
    "DELETED": (),
}
MOVE_LABELS = {
    "SUBMITTED": "Submit for approval",
    "AUTHORISED": "Approve",
    "BILLED": "Mark as billed",
    "DELETED": "Delete",
}


def shape(row: XeroPurchaseOrder) -> dict:
    discount = sum(
        (
            float(line["Quantity"]) * float(line["UnitAmount"]) - float(line["LineAmount"])
            for line in row.line_items
            if line.get("DiscountRate")
        ),
        0.0,
    )
    body = {
        "PurchaseOrderID": str(row.purchase_order_id),
        "PurchaseOrderNumber": row.number,
        "Reference": row.reference,
        "Type": "PURCHASEORDER",
        "Contact": contact_summary(row.contact),
        "DateString": date_string(row.date),
        "Date": ms_date(row.date),
        "Status": row.status,
        "LineAmountTypes": row.line_amount_types,
        "LineItems": line_items(row.line_items),
        "SubTotal": number(row.sub_total),
        "TotalTax": number(row.total_tax),
        "Total": number(row.total),
        "TotalDiscount": round(discount, 2),
        "IsDiscounted": discount > 0,
        "CurrencyCode": row.currency_code,
        "CurrencyRate": 1.0,
        "HasErrors": False,
        "HasAttachments": False,
        "SentToContact": row.sent_to_contact,
        "DeliveryAddress": row.delivery_address,
        "AttentionTo": row.attention_to,
        "Telephone": row.telephone,
        "DeliveryInstructions": row.delivery_instructions,
        "UpdatedDateUTC": ms_date(row.updated_at),
    }
    if row.delivery_date:
        body["DeliveryDateString"] = date_string(row.delivery_date)
        body["DeliveryDate"] = ms_date(row.delivery_date)
    return body


def get(call, listing) -> Reply:
    """`listing(call, collection, objects, pageable)`: the resources' shared where/order/paging."""
    rows = XeroPurchaseOrder.objects.filter(org=call.org).select_related("contact").order_by("updated_at", "id")
    if call.ident:
        match = rows.filter(purchase_order_id=call.ident) if is_guid(call.ident) else rows.filter(number=call.ident)
        order = match.first()
        if order is None:
            return not_found()
        if "application/pdf" in call.request.headers.get("Accept", ""):
            return Reply(200, document_pdf(call.org, order, title="Purchase order"), "application/pdf")
        return json_reply(envelope("PurchaseOrders", [shape(order)]))
    if call.param("Status"):
        rows = rows.filter(status=call.param("Status").upper())
    try:
        date_from, date_to = parse_date(call.param("DateFrom")), parse_date(call.param("DateTo"))
    except ValueError:
        return validation_reply("DateFrom and DateTo must be dates (YYYY-MM-DD).")
    if date_from:
        rows = rows.filter(date__gte=date_from)
    if date_to:
        rows = rows.filter(date__lte=date_to)
    since = parse_if_modified_since(call.request.headers.get("If-Modified-Since", ""))
    objects = [shape(p) for p in (rows.filter(updated_at__gt=since) if since else rows)]
    return listing(call, "PurchaseOrders", objects, pageable=True)


def person_moves(order: XeroPurchaseOrder) -> list[tuple[str, str]]:
    return [(status, MOVE_LABELS[status]) for status in PERSON_MOVES.get(order.status, ())]


def status_change(tenant_key: str, purchase_order_id: str, form) -> str:
    """A person moves the purchase order on in Xero (what the app then reads back as its status)."""
    target = form.get("status", "")
    with transaction.atomic():
        org = XeroOrg.objects.select_for_update().get(tenant_id=tenant_key)
        order = XeroPurchaseOrder.objects.filter(org=org, purchase_order_id=_uuid(purchase_order_id)).first()
        if order is None:
            raise PageError("No such purchase order.")
        if target not in PERSON_MOVES.get(order.status, ()):
            raise PageError(f"A {order.status.lower()} purchase order cannot be moved to {target or '(nothing)'}.")
        order.status = target
        order.updated_at = now_ms()
        order.save(update_fields=["status", "updated_at"])
    return f"{order.number}: {MOVE_LABELS[target].lower()} done, now {target}."


def _uuid(value: str) -> uuid.UUID | None:
    return uuid.UUID(value) if is_guid(value) else None
