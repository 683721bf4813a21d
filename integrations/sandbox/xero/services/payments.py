"""Payments: created against AUTHORISED invoices up to the amount due, never edited, only deleted."""

from decimal import Decimal, InvalidOperation

from ...models import XeroAccount, XeroInvoice, XeroOrg, XeroPayment
from ..formats import now_ms
from .common import ElementInvalid, date_field
from .invoices import invoice_store


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
    invoice_store(invoice)
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
    date = date_field(data, "Date", errors)
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
    invoice_store(payment.invoice)
    return payment
