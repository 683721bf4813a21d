"""Our purchase side → Xero payloads: an expense as an ACCPAY bill, a purchase order as a Xero PurchaseOrder.
Pure functions, as mapping.py (which dispatches to them): no queries, no HTTP.

Bills: AUTHORISED, for the vendor's contact, one line (the expense's amount, its tax rate mapped for purchases,
the account of its service type's purchase link or the default expense account), the expense's date and due date
(Xero approves a bill only with a due date), and our number "EXP-<id>" as its InvoiceNumber, which Xero shows as
the bill's Reference (the Reference field itself is ACCREC only). Purchase orders: their lines with accounts and
tax types, order and delivery date, our number as Reference and, unless Xero numbers purchase orders, as
PurchaseOrderNumber. https://developer.xero.com/documentation/api/accounting/invoices,
https://developer.xero.com/documentation/api/accounting/purchaseorders
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.providers.line_codes import code_for_line, line_code_missing

from .mapping import REFERENCE_MAX, LinePreview, XeroMappings, json_number

PO_STATUS_FOR_OURS = {"draft": "DRAFT", "sent": "AUTHORISED", "received": "AUTHORISED"}


def purchase_preview(kind_label: str, lines, mappings: XeroMappings, problems: list[str]) -> list[LinePreview]:
    """The lines, expense accounts and purchase tax types that will be sent; `problems` collects what is unmapped."""
    missing_taxes: dict[int, str] = {}
    previews = []
    for index, line in enumerate(lines, start=1):
        account, source = code_for_line(
            line, mappings.service_type_accounts, mappings.default_account, "default expense account"
        )
        if not account:
            problems.append(
                line_code_missing(
                    index, line, provider="Xero", code="expense account", setup="the Xero setup (Expenses)"
                )
            )
        tax_type = mappings.tax_types.get(line.tax_rate_id, "") if line.tax_rate_id else "NONE"
        if not tax_type:
            missing_taxes[line.tax_rate_id] = str(line.tax_rate)
        previews.append(
            LinePreview(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_price,
                amount=line.amount,
                tax_amount=line.tax_amount,
                account_code=account,
                account_source=source,
                tax_type=tax_type,
                tax_name=str(line.tax_rate) if line.tax_rate_id else "No tax",
            )
        )
    for name in missing_taxes.values():
        problems.append(f"Tax rate “{name}” has no Xero tax rate for purchases — map it in the Xero setup (Expenses).")
    if not previews:
        problems.append(f"The {kind_label} has no lines.")
    return previews


def bill_preview(expense, lines, mappings: XeroMappings) -> list[LinePreview]:
    problems: list[str] = []
    if expense.due_date is None:
        problems.append(
            "The expense has no due date: Xero approves a bill only with one. Set the due date on the expense."
        )
    previews = purchase_preview("expense", lines, mappings, problems)
    if problems:
        raise ValidationError(problems)
    return previews


def purchase_order_preview(order, lines, mappings: XeroMappings) -> list[LinePreview]:
    problems: list[str] = []
    previews = purchase_preview("purchase order", lines, mappings, problems)
    if problems:
        raise ValidationError(problems)
    return previews


def _line_items(previews: list[LinePreview]) -> list[dict]:
    return [
        {
            "Description": preview.description,
            "Quantity": json_number(preview.quantity),
            "UnitAmount": json_number(preview.unit_amount),
            "AccountCode": preview.account_code,
            "TaxType": preview.tax_type,
        }
        for preview in previews
    ]


def bill_payload(expense, lines, mappings: XeroMappings, *, contact_id: str, number: str | None) -> dict:
    """The ACCPAY invoice for PUT/POST /Invoices. `number`: ours ("EXP-<id>", or "EXP-<id>-2" for a new copy);
    None on an update (the bill keeps the number it has)."""
    previews = bill_preview(expense, lines, mappings)
    payload = {
        "Type": "ACCPAY",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": contact_id},
        "Date": expense.date.isoformat(),
        "DueDate": expense.due_date.isoformat(),
        "CurrencyCode": expense.currency,
        "LineAmountTypes": "Exclusive",
        "Url": f"{settings.SITE_URL}{expense.get_absolute_url()}",
        "LineItems": _line_items(previews),
    }
    if number:
        payload["InvoiceNumber"] = number[:REFERENCE_MAX]
    return payload


def purchase_order_payload(
    order, lines, mappings: XeroMappings, *, contact_id: str, number: str | None, xero_numbers: bool
) -> dict:
    """The PurchaseOrder for PUT/POST /PurchaseOrders. Its status follows ours, create and update alike: a draft
    stays a draft there, a sent or received one is AUTHORISED (an update after ours was sent approves it there;
    Xero refuses to change a billed one, in its own words)."""
    previews = purchase_order_preview(order, lines, mappings)
    payload = {
        "Contact": {"ContactID": contact_id},
        "Date": order.issue_date.isoformat(),
        "CurrencyCode": order.currency,
        "LineAmountTypes": "Exclusive",
        "Reference": order.number[:REFERENCE_MAX],
        "LineItems": _line_items(previews),
    }
    if order.delivery_date:
        payload["DeliveryDate"] = order.delivery_date.isoformat()
    if order.note:
        payload["DeliveryInstructions"] = order.note[:500]
    payload["Status"] = PO_STATUS_FOR_OURS.get(order.status, "DRAFT")
    if number and not xero_numbers:
        payload["PurchaseOrderNumber"] = number
    return payload
