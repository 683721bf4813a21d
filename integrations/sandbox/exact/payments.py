"""Payments as a bookkeeper enters them in Exact, each a bank entry (journal 20) of two transaction lines (type 40
"Cash flow"): the bank line (debit) and the customer's line on the receivables account (a credit).

- On one invoice (full or partial): the customer's line carries the invoice's number (InvoiceNumber, YourRef),
  so the app can list an invoice's payments; the invoice's receivable is matched (Status 50, IsFullyPaid) once
  they cover it. Edit and delete change or remove the lines (a deletion is listed by sync/Deleted).
- Bulk: one payment for several invoices, booked on the customer without an invoice number and then matched to
  them: their receivables show matched and fully paid, but no payment line names them (Exact's REST API has no
  match sets). Undoing the match opens them again.

Each action raises the rows' Timestamp and sends Exact's FinancialTransactions webhook.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from ..kit.declaration import PageError
from .booking import reporting, text
from .demo import BANK_GL, BANK_JOURNAL, RECEIVABLES_GL, user_id
from .models import ExactDivision, ExactEntity
from .store import entity_create, entity_delete, entity_save, epoch_ms, find_by, live, new_guid, next_entry_number
from .webhooks import notify

MATCHED_BY = "_matched_by"  # kept in the receivable's body, never answered (not an Exact property)


def amount_of(raw) -> Decimal:
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as exc:
        raise PageError("The amount must be a number, such as 120.50.") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PageError("The amount must be more than zero, with at most two decimals.")
    return amount


def date_of(raw) -> int:
    raw = str(raw or "").strip()
    if not raw:
        return epoch_ms(dt.datetime.combine(dt.date.today(), dt.time(), tzinfo=dt.UTC))
    try:
        return epoch_ms(dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(), tzinfo=dt.UTC))
    except ValueError as exc:
        raise PageError("The date must look like 2026-11-30.") from exc


def receivable_of(division: ExactDivision, invoice_key: str) -> ExactEntity | None:
    """The outstanding item of a booked entry (SalesEntry EntryID or processed SalesInvoice InvoiceID)."""
    return find_by(division, "Receivable", TransactionEntryID=invoice_key)


def payment_lines(division: ExactDivision, entry_id: str) -> list[ExactEntity]:
    return sorted(
        (row for row in live(division, "TransactionLine") if row.body["EntryID"] == entry_id),
        key=lambda row: row.body["LineNumber"],
    )


def paid_on(division: ExactDivision, receivable: ExactEntity, leaving: str = "") -> tuple[Decimal, int | None]:
    """What the payment lines naming this invoice add up to, and the latest of their dates."""
    total, last = Decimal(0), None
    for row in live(division, "TransactionLine"):
        body = row.body
        if body["Type"] != 40 or body["EntryID"] == leaving or body.get("InvoiceNumber") is None:
            continue
        if (
            body["InvoiceNumber"] == receivable.body["InvoiceNumber"]
            and body.get("Account") == receivable.body["Account"]
        ):
            total -= Decimal(body["AmountDC"])
            last = max(last or 0, body["Date"])
    return total, last


def receivable_refresh(division: ExactDivision, receivable: ExactEntity) -> ExactEntity:
    body = dict(receivable.body)
    paid, last = paid_on(division, receivable)
    matched = bool(body.get(MATCHED_BY))
    settled = matched or paid >= Decimal(body["AmountDC"])
    if matched:
        last = max(last or 0, body.get("_matched_on") or 0)
    body.update(
        Status=50 if settled else 20,
        IsFullyPaid=settled,
        LastPaymentDate=last,
        EndDate=last if settled else None,
    )
    return entity_save(receivable, body)


def _line(division, entry_id, number, entry_number, date, gl, amount, **extra) -> ExactEntity:
    year, period = reporting(date)
    key = new_guid()
    journal = find_by(division, "Journal", Code=BANK_JOURNAL)
    return entity_create(
        division,
        "TransactionLine",
        key,
        {
            "ID": key,
            "EntryID": entry_id,
            "EntryNumber": entry_number,
            "LineNumber": number,
            "Type": 40,
            "Status": 20,
            "Date": date,
            "DueDate": None,
            "FinancialYear": year,
            "FinancialPeriod": period,
            "JournalCode": journal.body["Code"],
            "JournalDescription": journal.body["Description"],
            "GLAccount": gl.key,
            "GLAccountCode": gl.body["Code"],
            "GLAccountDescription": gl.body["Description"],
            "AmountDC": text(amount),
            "AmountFC": text(amount),
            "AmountVATFC": "0",
            "Currency": division.currency,
            "Description": extra.pop("Description", "Bank payment"),
            "InvoiceNumber": None,
            "YourRef": None,
            **extra,
        },
        user=user_id(division.locale),
    )


def _bank_entry(division, receivable_body: dict, amount: Decimal, date: int, *, invoice_number, your_ref) -> str:
    entry_id, number = new_guid(), next_entry_number(division)
    bank, receivables = (
        find_by(division, "GLAccount", Code=BANK_GL),
        find_by(division, "GLAccount", Code=RECEIVABLES_GL),
    )
    customer = {
        "Account": receivable_body["Account"],
        "AccountCode": receivable_body["AccountCode"],
        "AccountName": receivable_body["AccountName"],
    }
    _line(division, entry_id, 0, number, date, bank, amount)
    _line(
        division,
        entry_id,
        1,
        number,
        date,
        receivables,
        -amount,
        InvoiceNumber=invoice_number,
        YourRef=your_ref,
        Description=f"Payment {receivable_body['AccountName']}",
        **customer,
    )
    return entry_id


def _open_receivable(division: ExactDivision, invoice_key: str) -> ExactEntity:
    receivable = receivable_of(division, invoice_key)
    if receivable is None:
        raise PageError("This invoice is not booked yet (process it first).")
    return receivable


def payment_register(division: ExactDivision, invoice_key: str, amount_raw, date_raw) -> str:
    receivable = _open_receivable(division, invoice_key)
    if receivable.body.get(MATCHED_BY):
        raise PageError("This invoice is matched to a bulk payment; undo the match first.")
    amount = amount_of(amount_raw)
    paid, _ = paid_on(division, receivable)
    open_amount = Decimal(receivable.body["AmountDC"]) - paid
    if amount > open_amount:
        raise PageError(f"The payment of {amount} is more than the open amount of {open_amount}.")
    body = receivable.body
    entry_id = _bank_entry(
        division, body, amount, date_of(date_raw), invoice_number=body["InvoiceNumber"], your_ref=body["YourRef"]
    )
    receivable_refresh(division, receivable)
    notify(division, "FinancialTransactions", "Create", entry_id, "financialtransaction/Transactions")
    return entry_id


def _payment(division: ExactDivision, entry_id: str) -> tuple[list[ExactEntity], ExactEntity]:
    lines = [row for row in payment_lines(division, entry_id) if row.body["Type"] == 40]
    if len(lines) != 2:
        raise PageError("No such payment.")
    return lines, lines[1]


def _receivables_of_payment(division: ExactDivision, customer_line: ExactEntity) -> list[ExactEntity]:
    number = customer_line.body.get("InvoiceNumber")
    rows = live(division, "Receivable")
    if number is None:
        return [row for row in rows if row.body.get(MATCHED_BY) == customer_line.body["EntryID"]]
    return [
        row
        for row in rows
        if row.body["InvoiceNumber"] == number and row.body["Account"] == customer_line.body["Account"]
    ]


def payment_edit(division: ExactDivision, entry_id: str, amount_raw, date_raw) -> None:
    lines, customer_line = _payment(division, entry_id)
    if customer_line.body.get("InvoiceNumber") is None:
        raise PageError("A bulk payment's amount follows its invoices; undo the match or delete it instead.")
    amount, date = amount_of(amount_raw), date_of(date_raw)
    receivable = _receivables_of_payment(division, customer_line)[0]
    paid, _ = paid_on(division, receivable, leaving=entry_id)
    open_amount = Decimal(receivable.body["AmountDC"]) - paid
    if amount > open_amount:
        raise PageError(f"The payment of {amount} is more than the open amount of {open_amount}.")
    for row, signed in zip(lines, (amount, -amount), strict=True):
        year, period = reporting(date)
        entity_save(
            row,
            {
                **row.body,
                "AmountDC": text(signed),
                "AmountFC": text(signed),
                "Date": date,
                "FinancialYear": year,
                "FinancialPeriod": period,
            },
        )
    receivable_refresh(division, receivable)
    notify(division, "FinancialTransactions", "Update", entry_id, "financialtransaction/Transactions")


def payment_delete(division: ExactDivision, entry_id: str) -> None:
    lines, customer_line = _payment(division, entry_id)
    receivables = _receivables_of_payment(division, customer_line)
    for row in lines:
        entity_delete(row)
    for receivable in receivables:
        if receivable.body.get(MATCHED_BY) == entry_id:
            receivable.body = {k: v for k, v in receivable.body.items() if k not in (MATCHED_BY, "_matched_on")}
        receivable_refresh(division, receivable)
    notify(division, "FinancialTransactions", "Delete", entry_id, "financialtransaction/Transactions")


def bulk_payment(division: ExactDivision, invoice_keys: list[str], date_raw) -> str:
    """One payment covering whole invoices of one customer, booked without an invoice number, then matched."""
    invoice_keys = list(dict.fromkeys(invoice_keys))
    if len(invoice_keys) < 2:
        raise PageError("Pick at least two invoices for one bulk payment.")
    receivables = [_open_receivable(division, key) for key in invoice_keys]
    if len({row.body["Account"] for row in receivables}) > 1:
        raise PageError("One bulk payment can only pay invoices of one customer.")
    for row in receivables:
        if row.body.get(MATCHED_BY) or row.body["IsFullyPaid"] or paid_on(division, row)[0]:
            raise PageError(f"Invoice {row.body['InvoiceNumber']} already has payments; pick open invoices.")
    total = sum((Decimal(row.body["AmountDC"]) for row in receivables), Decimal(0))
    date = date_of(date_raw)
    entry_id = _bank_entry(division, receivables[0].body, total, date, invoice_number=None, your_ref=None)
    for row in receivables:
        row.body = {**row.body, MATCHED_BY: entry_id, "_matched_on": date}
        receivable_refresh(division, row)
    notify(division, "FinancialTransactions", "Create", entry_id, "financialtransaction/Transactions")
    return entry_id


def match_undo(division: ExactDivision, entry_id: str) -> int:
    """The bookkeeper unmatches a bulk payment: its invoices are open again; the payment stays, unmatched."""
    _, customer_line = _payment(division, entry_id)
    receivables = (
        _receivables_of_payment(division, customer_line) if customer_line.body["InvoiceNumber"] is None else []
    )
    if not receivables:
        raise PageError("This payment is not matched to any invoice.")
    for row in receivables:
        row.body = {k: v for k, v in row.body.items() if k not in (MATCHED_BY, "_matched_on")}
        receivable_refresh(division, row)
    notify(division, "FinancialTransactions", "Update", entry_id, "financialtransaction/Transactions")
    return len(receivables)
