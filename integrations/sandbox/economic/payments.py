"""Customer payments a person books on a booked invoice (full or partial) and reversals, which move the
remainder back. e-conomic's API shows only the remainder; the payments themselves live on the sandbox page."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from ..kit.clock import now_ms
from ..kit.declaration import PageError
from .models import EcoAgreement, EcoPayment
from .store import cents, find, remainder


def payment_register(agreement: EcoAgreement, booked_number: str, amount_text: str, date_text: str) -> EcoPayment:
    booked = find(agreement, "invoices/booked", booked_number)
    if booked is None:
        raise PageError(f"No booked invoice {booked_number}.")
    left = remainder(agreement, booked)
    try:
        amount = cents(amount_text.strip()) if amount_text.strip() else left
    except InvalidOperation as exc:
        raise PageError("The amount is not a number.") from exc
    if amount <= 0:
        raise PageError("The amount must be more than zero.")
    if amount > left:
        raise PageError(f"The amount is more than the remainder ({left}).")
    try:
        date = dt.date.fromisoformat(date_text) if date_text else timezone.now().date()
    except ValueError as exc:
        raise PageError("The date is not a valid date.") from exc
    return EcoPayment.objects.create(
        agreement=agreement,
        booked_invoice_number=int(booked.number),
        amount=amount,
        date=date,
        created_at=now_ms(),
    )


def payment_reverse(agreement: EcoAgreement, payment_id: str) -> EcoPayment:
    payment = EcoPayment.objects.filter(agreement=agreement, pk=payment_id if str(payment_id).isdigit() else 0).first()
    if payment is None:
        raise PageError("No such payment.")
    if payment.reversed_at is not None:
        raise PageError("This payment is already reversed.")
    payment.reversed_at = now_ms()
    payment.save(update_fields=["reversed_at"])
    return payment


def remainder_of(agreement: EcoAgreement, booked_number: int) -> Decimal:
    return remainder(agreement, find(agreement, "invoices/booked", booked_number))
