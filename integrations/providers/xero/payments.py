"""Xero Payment JSON → RemotePaymentRecord. Pure parsing; the client does the paging.

A Xero payment pays exactly one invoice (one allocation), and is never edited: an edit in Xero is the payment
deleted and a new one created (XERO_PAYMENT_FEED says so to the contract suite).

Xero dates come as MS JSON dates ("/Date(1552262400000+0000)/") or ISO strings ("2019-03-11T00:00:00");
amounts are JSON numbers and become Decimal through their text, never through float arithmetic.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from integrations.exceptions import TransientError
from integrations.providers.base import FEED_CURSOR, PaymentAllocation, PaymentFeed, RemotePaymentRecord

_MS_DATE = re.compile(r"^/Date\((?P<millis>-?\d+)(?P<offset>[+-]\d{4})?\)/$")
DELETED = "DELETED"

XERO_PAYMENT_FEED = PaymentFeed(
    kind=FEED_CURSOR,
    edits=False,
    splits=False,
    note="Xero never edits or splits a payment: it deletes it and creates a new one, on one invoice each.",
)


def parse_datetime(value) -> datetime | None:
    """An aware UTC datetime from either Xero date format (ISO without an offset is UTC)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        # The milliseconds are since the epoch in UTC; the offset only says which local zone it was shown in.
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match["millis"]))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise TransientError(f"Xero sent a date we cannot read: {text!r}.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value) -> date | None:
    """A calendar date. MS dates of whole days are midnight UTC; ISO dates may carry a time part."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if _MS_DATE.match(text):
        return parse_datetime(text).date()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise TransientError(f"Xero sent a date we cannot read: {text!r}.") from None


def parse_amount(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise TransientError(f"Xero sent an amount we cannot read: {value!r}.") from None


def payment_from_json(data: dict) -> RemotePaymentRecord:
    invoice = data.get("Invoice") or {}
    invoice_id = str(invoice.get("InvoiceID") or "")
    amount = parse_amount(data.get("Amount", 0))
    return RemotePaymentRecord(
        id=str(data["PaymentID"]),
        allocations=(PaymentAllocation(amount=amount, document_id=invoice_id),) if invoice_id else (),
        currency=str(invoice.get("CurrencyCode") or data.get("CurrencyCode") or ""),
        date=parse_date(data.get("Date")),
        reference=str(data.get("Reference") or ""),
        deleted=str(data.get("Status", "")).upper() == DELETED,
        updated_at=parse_datetime(data.get("UpdatedDateUTC") or data.get("UpdatedDateUTCString")),
    )


def payments_from_json(body: dict) -> list[RemotePaymentRecord]:
    """The records of one GET /Payments page."""
    return [payment_from_json(item) for item in (body.get("Payments") or [])]
