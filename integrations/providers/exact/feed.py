"""The payment feed: Exact's sync endpoints (Timestamp row versions) since the stored cursor.

Cursor (Connection.sync_cursors["payments"]): `{"terms": T, "lines": L, "deleted": D}`, the highest Timestamp
read from each of
- `sync/Cashflow/PaymentTerms` (customer receivables, LineType 20): every payment, edit, deletion and match on
  an invoice moves its receivable, so this is the change detector: an idle poll is this one call;
- `sync/Financial/TransactionLines` (Type 40): payment lines, read only when receivables moved;
- `sync/Deleted` (EntityType 1): deleted transaction lines, read only when a receivable that moved carries a
  payment line we mirror (a deleted line moves its receivable; one we never mirrored needs nothing).
Sync endpoints page by 1,000 (`__next`). Timestamps are Exact's row versions, not clocks: moving past rows that
carry no payment of ours (a new copy's receivable) loses nothing, so such a poll moves the cursor too; otherwise
every copy would cost two extra calls on every poll until its first payment.

Payment lines name the paid invoice by Exact's number (InvoiceNumber); the receivables read in the same poll
(and, for the rest, one `cashflow/Receivables` lookup per 20 numbers) give its entry id, our copy's remote id.
A settled receivable's "matched in Exact" payment needs what its payment lines paid: one
`financialtransaction/TransactionLines` read per 20 settled invoices, but none for an invoice whose lines in this
poll pay it in full (the usual payment in one go).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone

from integrations.providers.base import PaymentsPage

from . import odata
from .payments import (
    CASH_FLOW,
    DELETED_LINES,
    RECEIVABLE,
    deleted_line,
    invoice_number,
    is_invoice_payment,
    is_settled,
    line_payment,
    settlement,
)

TERM_FIELDS = (
    "Timestamp,TransactionEntryID,InvoiceNumber,Status,AmountFC,TransactionAmountFC,Currency,LastPaymentDate,"
    "EndDate,Modified"
)
LINE_FIELDS = "Timestamp,ID,Type,InvoiceNumber,AmountFC,Currency,Date,PaymentReference,Description,EntryNumber,Modified"
DELETED_FIELDS = "Timestamp,EntityKey,EntityType,DeletedDate"
CHUNK = 20  # invoice numbers per `or` filter


class PaymentFeedMixin:
    def sync_rows(self, path: str, *, select: str, since: int, extra: str = "") -> tuple[list[dict], int]:
        """(rows changed after `since`, their highest Timestamp or `since`)."""
        condition = f"Timestamp gt {int(since)}L" + (f" and {extra}" if extra else "")
        rows = self.rows(path, select=select, filter=condition)
        newest = max((int(row.get("Timestamp") or 0) for row in rows), default=int(since))
        return rows, max(newest, int(since))

    def fetch_payments(self, cursor: dict) -> Iterator[PaymentsPage]:
        cursor = dict(cursor or {})
        terms, terms_at = self.sync_rows(
            "sync/Cashflow/PaymentTerms",
            select=TERM_FIELDS,
            since=cursor.get("terms", 0),
            extra=f"LineType eq {RECEIVABLE}",
        )
        if not terms:
            yield PaymentsPage(payments=[], next_cursor=cursor, has_more=False)
            return
        lines, lines_at = self.sync_rows(
            "sync/Financial/TransactionLines",
            select=LINE_FIELDS,
            since=cursor.get("lines", 0),
            extra=f"Type eq {CASH_FLOW}",
        )
        deleted, deleted_at = [], cursor.get("deleted", 0)
        if self._may_have_lost_lines(terms):
            deleted, deleted_at = self.sync_rows(
                "sync/Deleted",
                select=DELETED_FIELDS,
                since=deleted_at,
                extra=f"EntityType eq {DELETED_LINES}",
            )
        payments = [row for row in lines if is_invoice_payment(row) and self._counted(row)]
        entries = self._entries_of(terms, {invoice_number(row) for row in payments})
        records = [line_payment(row, entries.get(invoice_number(row), "")) for row in payments]
        records += [deleted_line(row) for row in deleted if row.get("EntityKey")]
        records += self._settlements(terms, self._paid_by(lines))
        moved = {**cursor, "terms": terms_at, "lines": lines_at, "deleted": deleted_at}
        yield PaymentsPage(payments=records, next_cursor=moved, has_more=False)

    def _may_have_lost_lines(self, terms: list[dict]) -> bool:
        """Whether a payment line we mirror may have been deleted: only when a receivable that moved carries one
        (deleting a line moves its invoice's receivable, as every payment change does). New payments on invoices
        without any, the bulk of a busy poll, cost no sync/Deleted read; the deletions cursor then stays where it
        is, and the next read from it also brings what was skipped (lines we never mirrored, so nothing to do)."""
        from integrations.selectors import documents_with_mirrored_payments

        entries = {str(term["TransactionEntryID"]) for term in terms if term.get("TransactionEntryID")}
        return bool(entries) and documents_with_mirrored_payments(connection=self.connection, remote_ids=entries)

    def _counted(self, row: dict) -> bool:
        """Payments dated before sync was turned on are ignored (by the core too): not even looked up here, so a
        first poll that reads the division's history spends no calls on it."""
        enabled = getattr(self.connection, "payment_sync_enabled_at", None)
        day = odata.parse_date(row.get("Date"))
        return enabled is None or day is None or day >= enabled.date()

    def _entries_of(self, terms: list[dict], numbers: set[str]) -> dict[str, str]:
        """Exact invoice number → its entry id (our copy's remote id)."""
        entries = {
            invoice_number(term): str(term["TransactionEntryID"]) for term in terms if term.get("TransactionEntryID")
        }
        missing = sorted(number for number in numbers if number and number not in entries)
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            rows = self.rows(
                "cashflow/Receivables",
                select="InvoiceNumber,TransactionEntryID",
                filter=odata.any_of("InvoiceNumber", chunk, literal=int),
            )
            entries |= {
                invoice_number(row): str(row["TransactionEntryID"]) for row in rows if row.get("TransactionEntryID")
            }
        return entries

    @staticmethod
    def _paid_by(lines: list[dict]) -> dict[str, Decimal]:
        """What these payment lines paid on each invoice number (dated before sync or not: a line pays)."""
        paid: dict[str, Decimal] = {}
        for row in lines:
            if is_invoice_payment(row):
                number = invoice_number(row)
                paid[number] = paid.get(number, Decimal("0")) - odata.parse_amount(row.get("AmountFC"))
        return paid

    def _settlements(self, terms: list[dict], paid_in_poll: dict[str, Decimal]) -> list:
        """A "matched in Exact" payment for each settled receivable (what its lines do not explain), and the undo
        of one recorded earlier whose receivable is open again. An invoice whose lines in this poll already pay
        its whole amount (the usual full payment) needs no look-up of its other lines."""
        from integrations.selectors import recorded_remote_payment_ids

        latest: dict[str, dict] = {}
        for term in sorted(terms, key=lambda t: int(t.get("Timestamp") or 0)):
            if term.get("TransactionEntryID") and invoice_number(term):
                latest[str(term["TransactionEntryID"])] = term
        settled = [term for term in latest.values() if is_settled(term)]
        explained = {
            invoice_number(term)
            for term in settled
            if paid_in_poll.get(invoice_number(term), Decimal("0"))
            >= odata.parse_amount(term.get("TransactionAmountFC"))
        }
        paid = {number: paid_in_poll[number] for number in explained}
        paid |= self._paid_by_lines([invoice_number(term) for term in settled if invoice_number(term) not in explained])
        today = timezone.localdate()
        records = [
            settlement(term, paid_by_lines=paid.get(invoice_number(term), Decimal("0")), today=today)
            for term in settled
        ]
        records += [
            settlement({"TransactionEntryID": entry, "TransactionAmountFC": 0}, paid_by_lines=Decimal("0"), today=today)
            for entry, term in latest.items()
            if not is_settled(term)
        ]
        if not any(record.deleted for record in records):
            return records
        # An undo only for a settlement recorded before (a stub of one never made would be noise).
        recorded = recorded_remote_payment_ids(connection=self.connection)
        return [record for record in records if not record.deleted or record.id in recorded]

    def _paid_by_lines(self, numbers: list[str]) -> dict[str, Decimal]:
        """What all payment lines paid on each invoice number: one read per CHUNK numbers."""
        paid: dict[str, Decimal] = {}
        for start in range(0, len(numbers), CHUNK):
            chunk = numbers[start : start + CHUNK]
            rows = self.rows(
                "financialtransaction/TransactionLines",
                select="ID,Type,InvoiceNumber,AmountFC",
                filter=f"Type eq {CASH_FLOW} and " + odata.any_of("InvoiceNumber", chunk, literal=int),
            )
            paid |= self._paid_by(rows)
        return paid
