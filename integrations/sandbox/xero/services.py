"""What the sandbox Xero does with a submitted object: validate with Xero's messages, then write.

Each function takes one submitted element (a dict from the request body) and either returns the saved row or
raises ElementInvalid with the messages Xero would put in that element's ValidationErrors. Callers hold the
organisation row lock (see api.py), so numbering and uniqueness checks cannot race.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from ..models import XeroAccount, XeroContact, XeroInvoice, XeroOrg, XeroPayment, XeroPurchaseOrder
from .formats import now_ms, parse_date
from .lines import compute_lines


class ElementInvalid(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


NOT_FOUND = "The document with the supplied id was not found for this endpoint."
INVOICE_TYPES = ("ACCREC", "ACCPAY")
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
PO_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED")


def _text(data: dict, key: str, max_length: int, errors: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    value = str(value)
    if len(value) > max_length:
        errors.append(f"{key} must not be more than {max_length} characters long.")
    return value


def _date(data: dict, key: str, errors: list[str]) -> dt.date | None:
    try:
        return parse_date(data.get(key))
    except ValueError:
        errors.append(f"{key} '{data.get(key)}' is not a valid date.")
        return None


# --- Contacts -----------------------------------------------------------------------------------------------


def _name_taken(org: XeroOrg, name: str, exclude_pk=None) -> bool:
    clash = XeroContact.objects.filter(org=org, status="ACTIVE", name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    return clash.exists()


def contact_save(*, org: XeroOrg, data: dict, create_only: bool, contact_id: str | None = None) -> XeroContact:
    errors: list[str] = []
    contact_id = contact_id or data.get("ContactID")
    contact = None
    if contact_id:
        contact = XeroContact.objects.filter(org=org, contact_id=contact_id).first()
        if contact is None:
            raise ElementInvalid([NOT_FOUND])
    elif not create_only and data.get("ContactNumber"):
        contact = XeroContact.objects.filter(org=org, contact_number=data["ContactNumber"]).first()
    name = _text(data, "Name", 255, errors)
    if contact is None and not (name or "").strip():
        errors.append("The contact name must be specified.")
    if name and name.strip() and _name_taken(org, name, exclude_pk=contact.pk if contact else None):
        errors.append(
            f"The contact name {name.strip()} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        )
    fields = {
        "first_name": _text(data, "FirstName", 255, errors),
        "last_name": _text(data, "LastName", 255, errors),
        "email": _text(data, "EmailAddress", 255, errors),
        "contact_number": _text(data, "ContactNumber", 50, errors),
        "account_number": _text(data, "AccountNumber", 50, errors),
        "tax_number": _text(data, "TaxNumber", 50, errors),
        "default_currency": _text(data, "DefaultCurrency", 3, errors),
    }
    status = data.get("ContactStatus")
    if status is not None and status not in ("ACTIVE", "ARCHIVED"):
        errors.append(f"ContactStatus '{status}' is not valid.")
    if errors:
        raise ElementInvalid(errors)
    contact = contact or XeroContact(org=org)
    if name:
        contact.name = name.strip()
    for attr, value in fields.items():
        if value is not None:
            setattr(contact, attr, value)
    if status:
        contact.status = status
    contact.updated_at = now_ms()
    contact.save()
    return contact


def _contact_for(org: XeroOrg, data, errors: list[str], *, customer: bool) -> XeroContact | None:
    """The Contact of a document: by ContactID, ContactNumber, or Name (Xero creates it when unknown)."""
    if not isinstance(data, dict) or not any(data.get(k) for k in ("ContactID", "ContactNumber", "Name")):
        errors.append("A Contact must be specified for this type of transaction")
        return None
    if data.get("ContactID"):
        contact = XeroContact.objects.filter(org=org, contact_id=str(data["ContactID"])).first()
        if contact is None:
            errors.append("The contact specified could not be found.")
        return contact
    if data.get("ContactNumber"):
        contact = XeroContact.objects.filter(org=org, contact_number=data["ContactNumber"]).first()
        if contact is not None:
            return contact
    name = str(data.get("Name") or "").strip()
    if not name:
        errors.append("The contact specified could not be found.")
        return None
    contact = XeroContact.objects.filter(org=org, status="ACTIVE", name__iexact=name).first()
    if contact is None:
        contact = XeroContact.objects.create(
            org=org,
            name=name,
            contact_number=str(data.get("ContactNumber") or "")[:50],
            email=str(data.get("EmailAddress") or "")[:255],
            is_customer=customer,
            is_supplier=not customer,
            updated_at=now_ms(),
        )
    return contact


# --- Invoices -----------------------------------------------------------------------------------------------


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
    contact = _contact_for(org, data.get("Contact"), errors, customer=kind != "ACCPAY")
    invoice = XeroInvoice(org=org, type=kind or "ACCREC", status=status, created_at=now_ms())
    _invoice_apply(org, invoice, data, errors, status)
    if errors:
        raise ElementInvalid(errors)
    invoice.contact = contact
    if not invoice.number and invoice.type == "ACCREC":
        invoice.number = _next_invoice_number(org)
    _invoice_store(invoice)
    return invoice


def _invoice_apply(org: XeroOrg, invoice: XeroInvoice, data: dict, errors: list[str], status: str) -> None:
    """Fields shared by create and update; recomputes lines when given (or when new)."""
    number = _text(data, "InvoiceNumber", 255, errors)
    if number is not None:
        number = number.strip()
        if number and invoice.type == "ACCREC" and _number_taken(org, number, exclude_pk=invoice.pk):
            errors.append("Invoice # must be unique.")
        invoice.number = number
    reference = _text(data, "Reference", 255, errors)
    if reference is not None:
        invoice.reference = reference
    url = _text(data, "Url", 2000, errors)
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
    date = _date(data, "Date", errors)
    invoice.date = date or invoice.date or now_ms().date()
    due_date = _date(data, "DueDate", errors)
    if due_date:
        invoice.due_date = due_date
    elif not invoice.due_date:
        invoice.due_date = invoice.date + dt.timedelta(days=30)
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
        contact = _contact_for(org, data.get("Contact"), errors, customer=invoice.type == "ACCREC")
        if contact is not None:
            invoice.contact = contact
    _invoice_apply(org, invoice, data, errors, status)
    if errors:
        raise ElementInvalid(errors)
    invoice.status = status
    _invoice_store(invoice)
    return invoice


def _invoice_store(invoice: XeroInvoice) -> None:
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


# --- Payments -----------------------------------------------------------------------------------------------


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return None


def payment_create(
    *, org: XeroOrg, invoice: XeroInvoice, amount, account: XeroAccount | None = None, date=None, reference: str = ""
) -> XeroPayment:
    errors: list[str] = []
    amount = _amount(amount)
    account = account or XeroAccount.objects.filter(org=org, type="BANK", status="ACTIVE").first()
    if invoice.status != "AUTHORISED":
        errors.append("Payments can only be made against Authorised documents.")
    if amount is None or amount <= 0:
        errors.append("Payment amount must be greater than zero.")
    elif invoice.status == "AUTHORISED" and amount > invoice.amount_due:
        errors.append("Payment amount exceeds the amount outstanding on this document.")
    if account is None or account.type != "BANK":
        errors.append("Account type is invalid for making a payment to/from.")
    if errors:
        raise ElementInvalid(errors)
    now = now_ms()
    payment = XeroPayment.objects.create(
        org=org,
        invoice=invoice,
        account=account,
        amount=amount,
        date=date or now.date(),
        reference=reference or "",
        created_at=now,
        updated_at=now,
    )
    _invoice_store(invoice)
    return payment


def payment_create_from_data(*, org: XeroOrg, data: dict) -> XeroPayment:
    """PUT /Payments element: Invoice by InvoiceID or InvoiceNumber, Account by AccountID or Code."""
    ref = data.get("Invoice") if isinstance(data.get("Invoice"), dict) else {}
    invoices = XeroInvoice.objects.filter(org=org)
    invoice = None
    if ref.get("InvoiceID"):
        invoice = invoices.filter(invoice_id=ref["InvoiceID"]).first()
    elif ref.get("InvoiceNumber"):
        invoice = invoices.filter(number__iexact=ref["InvoiceNumber"]).exclude(status="DELETED").first()
    if invoice is None:
        raise ElementInvalid(["Invoice could not be found"])
    account_ref = data.get("Account") if isinstance(data.get("Account"), dict) else {}
    accounts = XeroAccount.objects.filter(org=org)
    account = None
    if account_ref.get("AccountID"):
        account = accounts.filter(account_id=account_ref["AccountID"]).first()
    elif account_ref.get("Code"):
        account = accounts.filter(code=account_ref["Code"]).first()
    if account is None:
        raise ElementInvalid(["Account could not be found"])
    errors: list[str] = []
    date = _date(data, "Date", errors)
    if errors:
        raise ElementInvalid(errors)
    return payment_create(
        org=org,
        invoice=invoice,
        amount=data.get("Amount"),
        account=account,
        date=date,
        reference=data.get("Reference") or "",
    )


def payment_delete(*, payment: XeroPayment) -> XeroPayment:
    if payment.status == "DELETED":
        raise ElementInvalid(["Payment has already been deleted."])
    payment.status = "DELETED"
    payment.updated_at = now_ms()
    payment.save(update_fields=["status", "updated_at"])
    _invoice_store(payment.invoice)
    return payment


# --- Purchase orders ----------------------------------------------------------------------------------------


def _next_po_number(org: XeroOrg) -> str:
    while True:
        number = f"PO-{org.next_purchase_order_number:04d}"
        org.next_purchase_order_number += 1
        if not XeroPurchaseOrder.objects.filter(org=org, number__iexact=number).exists():
            org.save(update_fields=["next_purchase_order_number"])
            return number


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
    if order is not None and order.status in ("BILLED", "DELETED") and data.get("Status", order.status) != order.status:
        raise ElementInvalid(["Purchase order not of valid status for modification"])
    order = order or XeroPurchaseOrder(org=org, status="DRAFT", created_at=now_ms(), date=now_ms().date())
    status = data.get("Status") or order.status
    if status not in PO_STATUSES:
        errors.append(f"Status '{status}' is not valid for a purchase order.")
    if "Contact" in data or order.pk is None:
        contact = _contact_for(org, data.get("Contact"), errors, customer=False)
        if contact is not None:
            order.contact = contact
    number = _text(data, "PurchaseOrderNumber", 255, errors)
    if number:
        order.number = number
    for key, attr, max_length in (
        ("Reference", "reference", 255),
        ("DeliveryAddress", "delivery_address", 500),
        ("AttentionTo", "attention_to", 255),
        ("Telephone", "telephone", 50),
        ("DeliveryInstructions", "delivery_instructions", 500),
    ):
        value = _text(data, key, max_length, errors)
        if value is not None:
            setattr(order, attr, value)
    order.date = _date(data, "Date", errors) or order.date
    order.delivery_date = _date(data, "DeliveryDate", errors) or order.delivery_date
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
    if not order.number:
        order.number = _next_po_number(org)
    order.status = status
    order.updated_at = now_ms()
    order.save()
    return order
