"""Invoices and bills: numbering, validation with Xero's messages, status rules, amounts derived from payments.

A bill (ACCPAY) differs from a sales invoice (ACCREC) as Xero documents it: its InvoiceNumber is the supplier's
reference (not unique, never generated, shown as "Reference" in Xero), its Reference field is ignored, discounts
are refused, and its default due date comes from the organisation's bill terms, which the demo organisations
leave unset, so an approved bill must carry its DueDate.
"""

import calendar
import datetime as dt
from decimal import Decimal

from ...models import XeroInvoice, XeroOrg
from ..formats import now_ms
from ..lines import compute_lines
from .common import CREATE_STATUSES, INVOICE_TYPES, NOT_FOUND, ElementInvalid, date_field, text_field
from .contacts import document_contact


def _next_invoice_number(org: XeroOrg) -> str:
    while True:
        number = f"INV-{org.next_invoice_number:04d}"
        org.next_invoice_number += 1
        if not _number_taken(org, number):
            org.save(update_fields=["next_invoice_number"])
            return number


def _number_taken(org: XeroOrg, number: str, exclude_pk=None) -> bool:
    clash = XeroInvoice.objects.filter(org=org, type="ACCREC", number__iexact=number).exclude(status="DELETED")
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def _invoice_target(org: XeroOrg, data: dict, invoice_id: str | None, create_only: bool) -> XeroInvoice | None:
    invoice_id = invoice_id or data.get("InvoiceID")
    if invoice_id:
        invoice = XeroInvoice.objects.filter(org=org, invoice_id=invoice_id).first()
        if invoice is None:
            raise ElementInvalid([NOT_FOUND])
        return invoice
    if not create_only and data.get("InvoiceNumber"):
        return XeroInvoice.objects.filter(
            org=org, type="ACCREC", number__iexact=str(data["InvoiceNumber"]), status__in=CREATE_STATUSES + ("PAID",)
        ).first()
    return None


def invoice_save(*, org: XeroOrg, data: dict, create_only: bool, invoice_id: str | None = None) -> XeroInvoice:
    """PUT (create_only) or POST (create or update, matched by InvoiceID or InvoiceNumber) of one invoice."""
    invoice = _invoice_target(org, data, invoice_id, create_only)
    if invoice is not None:
        return _invoice_update(org, invoice, data)
    errors: list[str] = []
    kind = data.get("Type")
    if kind not in INVOICE_TYPES:
        errors.append("Invoice Type must be specified." if not kind else f"Invoice Type '{kind}' is not valid.")
    status = data.get("Status") or "DRAFT"
    if status not in CREATE_STATUSES:
        errors.append(f"Invoice Status '{status}' is not valid for a new invoice.")
    contact = document_contact(org, data.get("Contact"), errors, customer=kind != "ACCPAY")
    invoice = XeroInvoice(org=org, type=kind or "ACCREC", status=status, created_at=now_ms())
    _invoice_apply(org, invoice, data, errors, status)
    if errors:
        raise ElementInvalid(errors)
    invoice.contact = contact
    if not invoice.number and invoice.type == "ACCREC":
        invoice.number = _next_invoice_number(org)
    invoice_store(invoice)
    _contact_role(contact, invoice.type)
    return invoice


def _contact_role(contact, kind: str) -> None:
    """Xero: IsSupplier once a contact has a bill, IsCustomer once it has a sales invoice."""
    flag = "is_supplier" if kind == "ACCPAY" else "is_customer"
    if not getattr(contact, flag):
        setattr(contact, flag, True)
        contact.save(update_fields=[flag])


DUE_DATE_MISSING = "The document DueDate field must be specified."
TERMS_SIDE = {"ACCREC": "Sales", "ACCPAY": "Bills"}


def _month_day(year: int, month: int, day: int) -> dt.date:
    if month > 12:
        year, month = year + 1, month - 12
    return dt.date(year, month, min(max(day, 1), calendar.monthrange(year, month)[1]))


def due_date_by_terms(org: XeroOrg, kind: str, date: dt.date) -> dt.date | None:
    """The default due date from the organisation's PaymentTerms for sales or bills (None when unset)."""
    terms = (org.payment_terms or {}).get(TERMS_SIDE.get(kind, "Sales")) or {}
    day, rule = terms.get("Day"), terms.get("Type")
    if day is None:
        return None
    if rule == "DAYSAFTERBILLDATE":
        return date + dt.timedelta(days=day)
    if rule == "DAYSAFTERBILLMONTH":
        return _month_day(date.year, date.month, 31) + dt.timedelta(days=day)
    if rule == "OFCURRENTMONTH":
        return _month_day(date.year, date.month, day)
    if rule == "OFFOLLOWINGMONTH":
        return _month_day(date.year, date.month + 1, day)
    return None


def _invoice_apply(org: XeroOrg, invoice: XeroInvoice, data: dict, errors: list[str], status: str) -> None:
    """Fields shared by create and update; recomputes lines when given (or when new)."""
    number = text_field(data, "InvoiceNumber", 255, errors)
    if number is not None:
        number = number.strip()
        if number and invoice.type == "ACCREC" and _number_taken(org, number, exclude_pk=invoice.pk):
            errors.append("Invoice # must be unique.")
        invoice.number = number
    reference = text_field(data, "Reference", 255, errors) if invoice.type == "ACCREC" else None
    if reference is not None:
        invoice.reference = reference  # "ACCREC only": a bill's Reference is silently dropped
    url = text_field(data, "Url", 2000, errors)
    if url is not None:
        if url and not url.startswith(("http://", "https://")):
            errors.append("The Url must be a valid absolute URL.")
        invoice.url = url
    currency = data.get("CurrencyCode")
    if currency is not None:
        if currency not in org.currencies:
            errors.append(f"Organisation is not subscribed to currency {currency}")
        invoice.currency_code = currency
    elif not invoice.currency_code:
        invoice.currency_code = org.base_currency
    date = date_field(data, "Date", errors)
    invoice.date = date or invoice.date or now_ms().date()
    due_date = date_field(data, "DueDate", errors)
    if due_date:
        invoice.due_date = due_date
    elif not invoice.due_date:
        invoice.due_date = due_date_by_terms(org, invoice.type, invoice.date)
    if not invoice.due_date and status in ("SUBMITTED", "AUTHORISED") and not data.get("DueDate"):
        errors.append(DUE_DATE_MISSING)
    if invoice.due_date and invoice.due_date < invoice.date:
        errors.append("Due Date must be on or after the invoice Date.")
    if "LineItems" in data or "LineAmountTypes" in data or invoice.pk is None:
        line_amount_types = data.get("LineAmountTypes") or invoice.line_amount_types or "Exclusive"
        raw_lines = data["LineItems"] if "LineItems" in data else invoice.line_items
        computed = compute_lines(
            org,
            raw_lines or [],
            line_amount_types,
            revenue=invoice.type != "ACCPAY",
            require_accounts=status in ("SUBMITTED", "AUTHORISED"),
            allow_discount=invoice.type == "ACCREC",
        )
        errors.extend(computed.errors)
        if status in ("SUBMITTED", "AUTHORISED") and not computed.lines and not computed.errors:
            errors.append("At least one line item is required to approve an invoice.")
        invoice.line_amount_types = line_amount_types
        invoice.line_items = computed.lines
        invoice.sub_total, invoice.total_tax, invoice.total = computed.sub_total, computed.total_tax, computed.total


def _invoice_update(org: XeroOrg, invoice: XeroInvoice, data: dict) -> XeroInvoice:
    errors: list[str] = []
    status = data.get("Status") or invoice.status
    has_payments = invoice.amount_paid > 0
    content_keys = {"LineItems", "LineAmountTypes", "CurrencyCode", "Contact", "Date", "Type"}
    if invoice.status in ("PAID", "VOIDED", "DELETED") and (status != invoice.status or content_keys & data.keys()):
        raise ElementInvalid(["Invoice not of valid status for modification"])
    if has_payments and (content_keys & data.keys() or status != invoice.status):
        raise ElementInvalid(["This document cannot be edited as it has a payment or credit note allocated to it."])
    allowed = {
        "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
        "AUTHORISED": ("AUTHORISED", "VOIDED"),
    }
    if status not in allowed.get(invoice.status, (invoice.status,)):
        raise ElementInvalid(["Invoice not of valid status for modification"])
    if "Type" in data and data["Type"] != invoice.type:
        errors.append("The Type of an existing invoice cannot be changed.")
    if "Contact" in data:
        contact = document_contact(org, data.get("Contact"), errors, customer=invoice.type == "ACCREC")
        if contact is not None:
            invoice.contact = contact
    _invoice_apply(org, invoice, data, errors, status)
    if errors:
        raise ElementInvalid(errors)
    invoice.status = status
    invoice_store(invoice)
    return invoice


def invoice_store(invoice: XeroInvoice) -> None:
    """Save with AmountPaid / AmountDue / PAID derived from the invoice's live payments."""
    paid_rows = list(invoice.payments.filter(status="AUTHORISED")) if invoice.pk else []
    invoice.amount_paid = sum((p.amount for p in paid_rows), Decimal("0.00"))
    if invoice.status in ("VOIDED", "DELETED"):
        invoice.amount_due = Decimal("0.00")
    else:
        invoice.amount_due = invoice.total - invoice.amount_paid
    if invoice.status in ("AUTHORISED", "PAID"):
        fully_paid = invoice.amount_due <= 0
        invoice.status = "PAID" if fully_paid else "AUTHORISED"
        last_payment = max((p.date for p in paid_rows), default=invoice.date)
        invoice.fully_paid_on = last_payment if fully_paid else None
    invoice.updated_at = now_ms()
    invoice.save()
