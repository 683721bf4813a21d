"""Booking a sales invoice into the ledger as Exact does: the entry's transaction lines (type 20: the receivable
on the customer, revenue and VAT as credits) and one outstanding item in cashflow/Receivables."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from .demo import RECEIVABLES_GL, VAT_GL
from .models import ExactDivision, ExactEntity
from .store import entity_create, entity_delete, entity_save, find_by, live, new_guid

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def text(value: Decimal) -> str:
    return str(cents(value))


@dataclass
class Line:
    gl: ExactEntity
    net: Decimal
    vat: Decimal
    vat_code: ExactEntity | None
    description: str


@dataclass
class Booking:
    entry_id: str
    number: int
    journal: ExactEntity
    customer: ExactEntity
    date: int  # epoch ms
    due: int
    currency: str
    description: str
    your_ref: str
    lines: list[Line]
    user: str

    @property
    def net(self) -> Decimal:
        return sum((line.net for line in self.lines), Decimal(0))

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), Decimal(0))


def reporting(date_ms: int) -> tuple[int, int]:
    moment = dt.datetime.fromtimestamp(date_ms / 1000, tz=dt.UTC)
    return moment.year, moment.month


def _ledger_line(division: ExactDivision, booking: Booking, number: int, gl: ExactEntity, amount: Decimal, **extra):
    year, period = reporting(booking.date)
    key = new_guid()
    body = {
        "ID": key,
        "EntryID": booking.entry_id,
        "EntryNumber": booking.number,
        "LineNumber": number,
        "Type": 20,
        "Status": 20,
        "Date": booking.date,
        "DueDate": booking.due,
        "FinancialYear": year,
        "FinancialPeriod": period,
        "JournalCode": booking.journal.body["Code"],
        "JournalDescription": booking.journal.body["Description"],
        "GLAccount": gl.key,
        "GLAccountCode": gl.body["Code"],
        "GLAccountDescription": gl.body["Description"],
        "AmountDC": text(amount),
        "AmountFC": text(amount),
        "Currency": booking.currency,
        "Description": booking.description,
        "InvoiceNumber": booking.number,
        "YourRef": booking.your_ref or None,
        **extra,
    }
    return entity_create(division, "TransactionLine", key, body, user=booking.user)


def unbook(division: ExactDivision, entry_id: str) -> None:
    """Remove an entry's own transaction lines (type 20/21), e.g. before it is booked again with new amounts."""
    for row in live(division, "TransactionLine"):
        if row.body["EntryID"] == entry_id and row.body["Type"] in (20, 21):
            entity_delete(row)


def book(division: ExactDivision, booking: Booking, receivable: ExactEntity | None = None) -> ExactEntity:
    """The transaction lines and the receivable of a booked sales invoice (a new one, or `receivable` updated with
    the new amounts when the entry is booked again); returns the receivable."""
    receivables = find_by(division, "GLAccount", Code=RECEIVABLES_GL)
    vat_gl = find_by(division, "GLAccount", Code=VAT_GL)
    gross = booking.net + booking.vat
    customer = booking.customer.body
    header = _ledger_line(
        division,
        booking,
        0,
        receivables,
        gross,
        Account=booking.customer.key,
        AccountCode=customer["Code"],
        AccountName=customer["Name"],
        AmountVATFC=text(booking.vat),
    )
    for number, line in enumerate(booking.lines, start=1):
        code = line.vat_code.body["Code"] if line.vat_code else None
        _ledger_line(division, booking, number, line.gl, -line.net, Description=line.description, VATCode=code)
    if booking.vat:
        _ledger_line(division, booking, len(booking.lines) + 1, vat_gl, -booking.vat)
    key = receivable.key if receivable else new_guid()
    fields = {
        "ID": key,
        "EntryID": key,
        "Account": booking.customer.key,
        "AccountCode": customer["Code"],
        "AccountName": customer["Name"],
        "AmountDC": text(gross),
        "AmountFC": text(gross),
        "Currency": booking.currency,
        "Description": booking.description,
        "DueDate": booking.due,
        "EndDate": None,
        "EntryDate": booking.date,
        "EntryNumber": booking.number,
        "GLAccount": receivables.key,
        "GLAccountCode": receivables.body["Code"],
        "InvoiceDate": booking.date,
        "InvoiceNumber": booking.number,
        "IsFullyPaid": False,
        "Journal": booking.journal.body["Code"],
        "JournalDescription": booking.journal.body["Description"],
        "LastPaymentDate": None,
        "PaymentCondition": "30",
        "Status": 20,
        "TransactionAmountDC": text(gross),
        "TransactionAmountFC": text(gross),
        "TransactionDueDate": booking.due,
        "TransactionEntryID": booking.entry_id,
        "TransactionID": header.key,
        "TransactionType": 20,
        "YourRef": booking.your_ref or None,
        "LineType": 20,  # what sync/Cashflow/PaymentTerms answers (a receipt); not a Receivables property
        "ApprovalStatus": 1,  # N/A
    }
    if receivable is not None:
        kept = {
            k: v for k, v in receivable.body.items() if k in ("Status", "IsFullyPaid", "LastPaymentDate", "EndDate")
        }
        hidden = {k: v for k, v in receivable.body.items() if k.startswith("_")}
        return entity_save(receivable, {**receivable.body, **fields, **kept, **hidden})
    return entity_create(division, "Receivable", key, fields, user=booking.user)
