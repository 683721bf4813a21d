"""Purchase orders: numbered PO-0001.. unless the request names its own (unique) number, priced like invoices,
statuses DRAFT → SUBMITTED → AUTHORISED → BILLED (or DELETED); a billed or deleted one is no longer modified.
"""

from ...models import XeroOrg, XeroPurchaseOrder
from ..formats import now_ms
from ..lines import compute_lines
from .common import NOT_FOUND, PO_STATUSES, ElementInvalid, date_field, text_field
from .contacts import document_contact


def _next_po_number(org: XeroOrg) -> str:
    while True:
        number = f"PO-{org.next_purchase_order_number:04d}"
        org.next_purchase_order_number += 1
        if not XeroPurchaseOrder.objects.filter(org=org, number__iexact=number).exists():
            org.save(update_fields=["next_purchase_order_number"])
            return number


NOT_MODIFIABLE = "Purchase order not of valid status for modification"  # paraphrase of Xero's invoice message
NUMBER_TAKEN = "Order number must be unique"  # the spec's example
SENT_TO_CONTACT = "Only AUTHORISED and BILLED purchase orders may have SentToContact updated."  # the spec's example


def _number_taken(org: XeroOrg, number: str, exclude_pk=None) -> bool:
    clash = XeroPurchaseOrder.objects.filter(org=org, number__iexact=number).exclude(status="DELETED")
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def purchase_order_save(
    *, org: XeroOrg, data: dict, create_only: bool, purchase_order_id: str | None = None
) -> XeroPurchaseOrder:
    errors: list[str] = []
    po_id = purchase_order_id or data.get("PurchaseOrderID")
    order = None
    if po_id:
        order = XeroPurchaseOrder.objects.filter(org=org, purchase_order_id=po_id).first()
        if order is None:
            raise ElementInvalid([NOT_FOUND])
    elif not create_only and str(data.get("PurchaseOrderNumber") or "").strip():
        number = str(data["PurchaseOrderNumber"]).strip()
        order = XeroPurchaseOrder.objects.filter(org=org, number__iexact=number).exclude(status="DELETED").first()
    if order is not None and order.status in ("BILLED", "DELETED"):
        raise ElementInvalid([NOT_MODIFIABLE])
    order = order or XeroPurchaseOrder(org=org, status="DRAFT", created_at=now_ms(), date=now_ms().date())
    status = data.get("Status") or order.status
    if status not in PO_STATUSES:
        errors.append(f"Status '{status}' is not valid for a purchase order.")
    if "Contact" in data or order.pk is None:
        contact = document_contact(org, data.get("Contact"), errors, customer=False)
        if contact is not None:
            order.contact = contact
    number = (text_field(data, "PurchaseOrderNumber", 255, errors) or "").strip()
    if number and _number_taken(org, number, exclude_pk=order.pk):
        errors.append(NUMBER_TAKEN)
    elif number:
        order.number = number
    for key, attr, max_length in (
        ("Reference", "reference", 255),
        ("DeliveryAddress", "delivery_address", 500),
        ("AttentionTo", "attention_to", 255),
        ("Telephone", "telephone", 50),
        ("DeliveryInstructions", "delivery_instructions", 500),
    ):
        value = text_field(data, key, max_length, errors)
        if value is not None:
            setattr(order, attr, value)
    order.date = date_field(data, "Date", errors) or order.date
    order.delivery_date = date_field(data, "DeliveryDate", errors) or order.delivery_date
    currency = data.get("CurrencyCode") or order.currency_code or org.base_currency
    if currency not in org.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    order.currency_code = currency
    if "LineItems" in data or "LineAmountTypes" in data or order.pk is None:
        line_amount_types = data.get("LineAmountTypes") or order.line_amount_types or "Exclusive"
        computed = compute_lines(
            org,
            data.get("LineItems", order.line_items) or [],
            line_amount_types,
            revenue=False,
            require_accounts=False,
            allow_discount=True,
        )
        errors.extend(computed.errors)
        order.line_amount_types = line_amount_types
        order.line_items = computed.lines
        order.sub_total, order.total_tax, order.total = computed.sub_total, computed.total_tax, computed.total
    if errors:
        raise ElementInvalid(errors)
    order.warnings = []
    if "SentToContact" in data:
        if status in ("AUTHORISED", "BILLED"):
            order.sent_to_contact = bool(data["SentToContact"])
        else:
            order.warnings.append(SENT_TO_CONTACT)
    if not order.number:
        order.number = _next_po_number(org)
    order.status = status
    order.updated_at = now_ms()
    order.save()
    return order
