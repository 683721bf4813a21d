"""Invoice payments and the derived paid amount and status (shared with expenses)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..amount_limits import too_large
from ..choices import InvoiceStatus, PaymentSource, PaymentStatus
from ..models import (
    Invoice,
    Payment,
)
from ..money import ZERO, format_money, to_cents
from .lines import decimal_input, sentence


def payment_status_for(*, total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return PaymentStatus.UNPAID
    if paid < total:
        return PaymentStatus.PARTIALLY_PAID
    if paid == total:
        return PaymentStatus.PAID
    return PaymentStatus.OVERPAID


def refresh_paid(parent, payments, total: Decimal) -> None:
    """Recompute amount paid and payment status from the active payments (never incrementally)."""
    paid = sum((p.amount for p in payments.filter(is_deleted=False)), ZERO)
    too_wide = too_large(type(parent), {"amount_paid": paid})
    if too_wide:
        raise ValidationError({"amount": [sentence(problem) for problem in too_wide]})
    parent.amount_paid = paid
    parent.payment_status = payment_status_for(total=total, paid=paid)
    parent.save(update_fields=["amount_paid", "payment_status", "updated_at"])


def invoice_refresh_payments(*, invoice: Invoice) -> Invoice:
    refresh_paid(invoice, invoice.payments, invoice.total)
    return invoice


def invoice_payment_refusal(invoice: Invoice) -> str:
    """Why the invoice takes no payment ("" when it does)."""
    if invoice.status != InvoiceStatus.FINALIZED:
        return f"Payments can only be recorded on finalized invoices; this one is {invoice.status}."
    return ""


def validate_payment(*, model: type, amount, currency: str | None, expected_currency: str) -> Decimal:
    """The amount as a Decimal once it fits its column, is positive, has at most cents and is in the parent's
    currency (else a ValidationError naming the field)."""
    amount = decimal_input(amount, "amount")
    too_wide = too_large(model, {"amount": amount})
    if too_wide:
        raise ValidationError({"amount": [sentence(problem) for problem in too_wide]})
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be greater than zero."})
    if to_cents(amount) != amount:
        raise ValidationError({"amount": "Amounts have at most two decimals."})
    if currency and currency != expected_currency:
        raise ValidationError({"currency": f"The payment must be in {expected_currency}, the invoice's currency."})
    return amount


def _check_overpayment(parent, amount: Decimal, *, source: str, confirmed: bool) -> None:
    """A manual payment beyond the amount due must be confirmed; one reported by an accounting tool already
    happened there and is recorded as is."""
    due = parent.total - parent.amount_paid
    if source != PaymentSource.MANUAL or confirmed or amount <= due:
        return
    noun, currency = parent._meta.verbose_name, parent.currency
    if due <= 0:
        message = (
            f"Nothing is due on this {noun}; confirm the overpayment to record {format_money(amount, currency)} anyway."
        )
    else:
        message = (
            f"{format_money(amount, currency)} is {format_money(amount - due, currency)} more than the "
            f"{format_money(due, currency)} due on this {noun}; confirm the overpayment to record it."
        )
    raise ValidationError({"confirm_overpayment": message})


def create_payment(
    model, parent_field: str, parent, *, amount, date, reference, currency, source, external_id, user, confirmed
):
    """One payment row of an invoice or an expense, in the parent's currency, after validating the input."""
    amount = validate_payment(model=model, amount=amount, currency=currency, expected_currency=parent.currency)
    if date is None:
        raise ValidationError({"date": "Enter the payment date."})
    _check_overpayment(parent, amount, source=source, confirmed=confirmed)
    return model.objects.create(
        organization_id=parent.organization_id,
        **{parent_field: parent},
        amount=amount,
        currency=parent.currency,
        date=date,
        reference=reference,
        source=source,
        external_id=external_id,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    date: date,
    reference: str = "",
    currency: str | None = None,
    source: str = PaymentSource.MANUAL,
    external_id: str = "",
    user=None,
    confirm_overpayment: bool = False,
) -> Payment:
    """Record a payment of a finalized invoice. A manual one beyond the amount due needs
    `confirm_overpayment=True` (else a ValidationError on that field, naming the amount due)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    refusal = invoice_payment_refusal(invoice)
    if refusal:
        raise ValidationError(refusal)
    payment = create_payment(
        Payment,
        "invoice",
        invoice,
        amount=amount,
        date=date,
        reference=reference,
        currency=currency,
        source=source,
        external_id=external_id,
        user=user,
        confirmed=confirm_overpayment,
    )
    invoice_refresh_payments(invoice=invoice)
    return payment


def set_payment_deleted(model: type, parent_field: str, payment, *, deleted: bool):
    """Soft-delete (kept for the record, no longer counting) or restore one payment of an invoice or an expense,
    then recompute its parent's amount paid and status. Call inside a transaction."""
    payment = model.objects.select_for_update().get(pk=payment.pk)
    if payment.is_deleted != deleted:
        payment.is_deleted = deleted
        payment.deleted_at = timezone.now() if deleted else None
        payment.save(update_fields=["is_deleted", "deleted_at"])
    parent = getattr(payment, parent_field)
    refresh_paid(parent, parent.payments, parent.total)
    return payment


def change_payment(model: type, parent_field: str, payment, *, amount: Decimal, date: date, reference: str | None):
    """Change a payment's amount, date (and reference) to what the accounting tool now says; its parent's amount
    paid and status follow. Reported payments already happened there, so no overpayment question. Call inside a
    transaction."""
    payment = model.objects.select_for_update().select_related(parent_field).get(pk=payment.pk)
    amount = validate_payment(model=model, amount=amount, currency=None, expected_currency=payment.currency)
    if date is None:
        raise ValidationError({"date": "Enter the payment date."})
    payment.amount, payment.date = amount, date
    if reference is not None:
        payment.reference = reference
    payment.save(update_fields=["amount", "date", "reference"])
    parent = getattr(payment, parent_field)
    refresh_paid(parent, parent.payments, parent.total)
    return payment


def refuse_unless_manual(payment) -> None:
    """A user removes only a payment they recorded; payments synced from an accounting tool are removed there."""
    if payment.source != PaymentSource.MANUAL:
        raise ValidationError(
            f"This payment came from {payment.get_source_display()}; remove it there and it is removed here."
        )


@transaction.atomic
def payment_delete(*, payment: Payment) -> Payment:
    """Soft-delete: the payment stays for the record but no longer counts towards the invoice."""
    return set_payment_deleted(Payment, "invoice", payment, deleted=True)


@transaction.atomic
def payment_restore(*, payment: Payment) -> Payment:
    """Undo a soft delete (a payment the accounting tool reports as active again)."""
    return set_payment_deleted(Payment, "invoice", payment, deleted=False)


@transaction.atomic
def payment_update(*, payment: Payment, amount: Decimal, date: date, reference: str | None = None) -> Payment:
    """Change a payment to what the accounting tool now says it is (change_payment)."""
    return change_payment(Payment, "invoice", payment, amount=amount, date=date, reference=reference)


def payment_delete_manual(*, payment: Payment) -> Payment:
    """A user removes a payment they recorded (refuse_unless_manual)."""
    refuse_unless_manual(payment)
    return payment_delete(payment=payment)
