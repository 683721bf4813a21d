"""Exact's payment rows → RemotePaymentRecord. Pure parsing; feed.py does the reading.

Where payments live (research note providers-exact-economic.md A5): not in cashflow/Payments (that is the
supplier side) but in the ledger. A payment registered on an invoice is a cash-flow transaction line (Type 40)
booked on the customer's receivable with the invoice's number (`InvoiceNumber`), a credit: its `AmountFC` is
negative, the payment is its opposite. Each line has its own ID, date and amount, so partial payments, edits and
deletions (sync/Deleted, EntityType 1) are mirrored line by line. The bank side of the same entry (a debit) and
lines without an invoice number (a bulk payment booked on the customer) are not payments of one of our invoices.

A bulk payment matched to invoices afterwards leaves no line naming the invoice: Exact's REST API has no match
sets (exactonline-api-dotnet-client#102). What it does show is the invoice's receivable: matched (Status 50) or
fully paid (`IsFullyPaid`). Such an invoice gets one payment "matched in Exact" of what its lines do not explain
(the receivable's total minus the invoice's payment lines), keyed `matched:<entry id>`, undone (a deleted stub)
when the receivable is open again.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from integrations.providers.base import FEED_CURSOR, PaymentAllocation, PaymentFeed, RemotePaymentRecord

from . import odata

EXACT_PAYMENT_FEED = PaymentFeed(
    kind=FEED_CURSOR,
    edits=True,
    splits=False,
    note="A payment line in Exact pays one invoice (its InvoiceNumber); a payment over several invoices is a "
    "bulk payment matched in Exact, which comes back as one “matched in Exact” payment per invoice.",
)
CASH_FLOW = 40  # TransactionLines.Type of payments
RECEIVABLE = 20  # PaymentTerms.LineType of customer items
MATCHED = 50  # Receivables / PaymentTerms Status: matched with other items or statement lines
MATCHED_PREFIX = "matched:"
MATCHED_REFERENCE = "Matched in Exact"
DELETED_LINES = 1  # sync/Deleted EntityType of TransactionLines


def invoice_number(row: dict) -> str:
    value = row.get("InvoiceNumber")
    return "" if value in (None, "", 0) else str(value).strip()


def is_invoice_payment(row: dict) -> bool:
    """A receipt on one of the customer's invoices: cash flow, an invoice number, a credit."""
    return (
        int(row.get("Type") or 0) == CASH_FLOW
        and bool(invoice_number(row))
        and odata.parse_amount(row.get("AmountFC")) < 0
    )


def line_payment(row: dict, entry_id: str) -> RemotePaymentRecord:
    """One payment line; `entry_id` is the paid invoice's entry (our copy's remote id), "" when unknown (then it
    matches by Exact's invoice number)."""
    allocation = PaymentAllocation(
        amount=-odata.parse_amount(row.get("AmountFC")),
        document_id=entry_id,
        document_number="" if entry_id else invoice_number(row),
    )
    return RemotePaymentRecord(
        id=str(row["ID"]),
        allocations=(allocation,),
        currency=odata.trimmed(row.get("Currency")),
        date=odata.parse_date(row.get("Date")),
        reference=odata.trimmed(row.get("PaymentReference") or row.get("Description") or row.get("EntryNumber")),
        updated_at=odata.parse_datetime(row.get("Modified")),
    )


def deleted_line(row: dict) -> RemotePaymentRecord:
    return RemotePaymentRecord(
        id=str(row["EntityKey"]), deleted=True, updated_at=odata.parse_datetime(row.get("DeletedDate"))
    )


def is_settled(term: dict) -> bool:
    return bool(term.get("IsFullyPaid")) or int(term.get("Status") or 0) == MATCHED


def settlement_id(entry_id: str) -> str:
    return f"{MATCHED_PREFIX}{entry_id}"


def settlement(term: dict, *, paid_by_lines: Decimal, today: date) -> RemotePaymentRecord:
    """The "matched in Exact" payment of a settled receivable: what its payment lines do not explain (a deleted
    stub when they explain all of it)."""
    entry_id = str(term["TransactionEntryID"])
    amount = odata.parse_amount(term.get("TransactionAmountFC")) - paid_by_lines
    if amount <= 0:
        return RemotePaymentRecord(id=settlement_id(entry_id), deleted=True)
    moment = odata.parse_date(term.get("LastPaymentDate")) or odata.parse_date(term.get("EndDate")) or today
    return RemotePaymentRecord(
        id=settlement_id(entry_id),
        allocations=(PaymentAllocation(amount=amount, document_id=entry_id),),
        currency=odata.trimmed(term.get("Currency")),
        date=moment,
        reference=MATCHED_REFERENCE,
        updated_at=odata.parse_datetime(term.get("Modified")),
    )
