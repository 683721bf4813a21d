"""QuickBooks Payment JSON → RemotePaymentRecord. Pure parsing; feed.py does the reading.

Finance.xsd `Payment`: one payment may pay several invoices, one `Line` per invoice, each with `LinkedTxn[]`
entries of TxnType "Invoice" (CreditMemo lines apply a credit and pay nothing of ours). Edits keep the Id (new
SyncToken), so each change carries the whole allocation set. CDC answers a deleted payment as a stub
`{"status": "Deleted", "Id": …, "MetaData": {…}}`; a voided payment keeps its Id with its amounts zeroed and
PrivateNote "Voided": both become deletions. Amounts become Decimal through their text, never a float.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from integrations.exceptions import TransientError
from integrations.providers.base import FEED_CURSOR, PaymentAllocation, PaymentFeed, RemotePaymentRecord

QUICKBOOKS_PAYMENT_FEED = PaymentFeed(kind=FEED_CURSOR, edits=True, splits=True)
DELETED = "Deleted"
VOIDED_NOTE = "Voided"


def parse_amount(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise TransientError(f"QuickBooks sent an amount we cannot read: {value!r}.") from None


def parse_datetime(value) -> datetime | None:
    """MetaData.LastUpdatedTime: ISO 8601 with an offset ("2026-11-10T01:02:03-08:00")."""
    if value in (None, ""):
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise TransientError(f"QuickBooks sent a time we cannot read: {value!r}.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_date(value) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise TransientError(f"QuickBooks sent a date we cannot read: {value!r}.") from None


def is_voided(data: dict) -> bool:
    return str(data.get("PrivateNote") or "").startswith(VOIDED_NOTE) and not parse_amount(data.get("TotalAmt", 0))


def _allocations(data: dict) -> tuple[PaymentAllocation, ...]:
    amounts: dict[str, Decimal] = {}
    for line in data.get("Line") or []:
        invoices = [t for t in line.get("LinkedTxn") or [] if t.get("TxnType") == "Invoice" and t.get("TxnId")]
        if len(invoices) != 1:  # a line pays one transaction; a credit memo line pays none of ours
            continue
        invoice_id = str(invoices[0]["TxnId"])
        amounts[invoice_id] = amounts.get(invoice_id, Decimal("0")) + parse_amount(line.get("Amount", 0))
    return tuple(PaymentAllocation(amount=amount, document_id=invoice_id) for invoice_id, amount in amounts.items())


def payment_from_json(data: dict) -> RemotePaymentRecord:
    updated_at = parse_datetime((data.get("MetaData") or {}).get("LastUpdatedTime"))
    if data.get("status") == DELETED or is_voided(data):
        return RemotePaymentRecord(id=str(data["Id"]), deleted=True, updated_at=updated_at)
    return RemotePaymentRecord(
        id=str(data["Id"]),
        allocations=_allocations(data),
        currency=str((data.get("CurrencyRef") or {}).get("value") or ""),
        date=parse_date(data.get("TxnDate")),
        reference=str(data.get("PaymentRefNum") or ""),
        updated_at=updated_at,
    )


def deleted_stub(payment_id: str) -> RemotePaymentRecord:
    """A payment the connection recorded that QuickBooks no longer has (found by the full re-sync's diff)."""
    return RemotePaymentRecord(id=payment_id, deleted=True)
