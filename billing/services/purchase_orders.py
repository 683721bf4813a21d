"""Purchase orders and their numbers."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import (
    Organization,
    PurchaseOrder,
    PurchaseOrderLine,
)
from .lines import LineInput, check_same_organization, clean_lines, write_lines

PURCHASE_ORDER_FIELDS = (
    "subsidiary",
    "vendor",
    "budget",
    "number",
    "issue_date",
    "delivery_date",
    "currency",
    "note",
    "status",
)


def _validate_purchase_order(organization: Organization, fields: dict, instance: PurchaseOrder | None) -> None:
    check_same_organization(
        organization,
        subsidiary=fields.get("subsidiary"),
        vendor=fields.get("vendor"),
        budget=fields.get("budget"),
    )
    errors = {}
    number = (fields.get("number") or "").strip()
    if not number:
        errors["number"] = "Enter the purchase order number."
    else:
        clash = PurchaseOrder.objects.filter(organization=organization, number=number)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["number"] = f"Purchase order {number} already exists."
    if fields.get("delivery_date") and fields.get("issue_date") and fields["delivery_date"] < fields["issue_date"]:
        errors["delivery_date"] = "The delivery date cannot be before the order date."
    budget = fields.get("budget")
    if budget is not None and fields.get("currency") and budget.currency != fields["currency"]:
        errors["currency"] = f"The budget is in {budget.currency}; the purchase order must be too."
    if errors:
        raise ValidationError(errors)


def purchase_order_next_number(*, organization: Organization) -> str:
    count = PurchaseOrder.objects.filter(organization=organization).count()
    return f"PO-{count + 1:04d}"


@transaction.atomic
def purchase_order_create(*, organization: Organization, lines: Iterable[LineInput] = (), **fields) -> PurchaseOrder:
    unknown = set(fields) - set(PURCHASE_ORDER_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if not fields.get("number"):
        fields["number"] = purchase_order_next_number(organization=organization)
    if not fields.get("currency") and fields.get("subsidiary"):
        fields["currency"] = fields["subsidiary"].default_currency
    _validate_purchase_order(organization, fields, None)
    cleaned = clean_lines(organization, lines, PurchaseOrderLine, PurchaseOrder)
    order = PurchaseOrder.objects.create(organization=organization, **fields)
    write_lines("purchase_order", order, PurchaseOrderLine, cleaned)
    return order


@transaction.atomic
def purchase_order_update(
    *, purchase_order: PurchaseOrder, lines: Iterable[LineInput] | None = None, **changes
) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    unknown = set(changes) - set(PURCHASE_ORDER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    merged = {name: changes.get(name, getattr(order, name)) for name in PURCHASE_ORDER_FIELDS}
    _validate_purchase_order(order.organization, merged, order)
    cleaned = clean_lines(order.organization, lines, PurchaseOrderLine, PurchaseOrder) if lines is not None else None
    for name, value in changes.items():
        setattr(order, name, value)
    order.save()
    if cleaned is not None:
        write_lines("purchase_order", order, PurchaseOrderLine, cleaned)
    return order
