"""Posting sales invoices: `salesentry/SalesEntries` (a booking straight into a sales journal: numbered at once,
in the ledger at once) and `salesinvoice/SalesInvoices` (a draft in the invoicing module, Status 20, no number
until `salesinvoice/PrintedSalesInvoices` processes it: Status 50, numbered, booked).

Validation answers Exact's error body with close paraphrases of its messages (the wording of each refusal is
not in the stored sources).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from .booking import Booking, Line, book, cents, text
from .demo import user_id
from .models import ExactDivision, ExactEntity
from .odata import ODataError
from .store import entity_create, entity_save, epoch_ms, find, live, new_guid, next_entry_number

_WCF_DATE = re.compile(r"^/Date\((-?\d+)\)/$")
TYPE_DESCRIPTIONS = {20: "Sales entry", 21: "Sales credit note", 8020: "Normal", 8021: "Credit note"}


def parse_date(raw, field: str) -> int:
    """Dates as a client sends them: 2026-11-01, 2026-11-01T00:00:00 or /Date(ms)/ → epoch ms (UTC)."""
    if isinstance(raw, str):
        wcf = _WCF_DATE.match(raw.strip())
        if wcf:
            return int(wcf.group(1))
        try:
            moment = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            moment = None
        if moment is not None:
            return epoch_ms(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
    raise ODataError(f"Invalid value: {field}")


def _amount(raw, field: str) -> Decimal:
    try:
        amount = Decimal(str(raw))
    except (InvalidOperation, ValueError) as exc:
        raise ODataError(f"Invalid value: {field}") from exc
    if not amount.is_finite():
        raise ODataError(f"Invalid value: {field}")
    return amount


def _guid(raw) -> str:
    return str(raw or "").strip().lower()


def customer_of(division: ExactDivision, raw, field: str) -> ExactEntity:
    if not raw:
        raise ODataError(f"Mandatory: {field}")
    row = find(division, "Account", _guid(raw))
    if row is None:
        raise ODataError(f"Invalid value: {field} - Account not found")
    return row


def _journal(division: ExactDivision, raw) -> ExactEntity:
    code = str(raw or "").strip()
    if not code:
        raise ODataError("Mandatory: Journal")
    row = next((j for j in live(division, "Journal") if j.body["Code"] == code), None)
    if row is None:
        raise ODataError(f"Invalid value: Journal '{code}' does not exist")
    if row.body["Type"] != 20:
        raise ODataError(f"Journal {code} is not a sales journal")
    return row


def _vat_code(division: ExactDivision, raw, gl: ExactEntity) -> ExactEntity | None:
    """The line's VAT code, else the GL account's default one (Exact's rule), else none (no VAT)."""
    code = str(raw or "").strip() or (gl.body.get("VATCode") or "").strip()
    if not code:
        return None
    row = next((v for v in live(division, "VATCode") if v.body["Code"].strip() == code), None)
    if row is None:
        raise ODataError(f"Invalid value: VAT code '{code}'")
    if row.body["VATTransactionType"] not in ("S", "B") or row.body["IsBlocked"]:
        raise ODataError(f"VAT code '{code}' can not be used for sales")
    return row


def _line(division: ExactDivision, raw: dict, net: Decimal, index: int) -> Line:
    if not raw.get("GLAccount"):
        raise ODataError(f"Mandatory: G/L account (line {index})")
    gl = find(division, "GLAccount", _guid(raw["GLAccount"]))
    if gl is None:
        raise ODataError(f"Invalid value: G/L account (line {index})")
    vat_code = _vat_code(division, raw.get("VATCode"), gl)
    if raw.get("VATAmountFC") is not None:
        vat = cents(_amount(raw["VATAmountFC"], "VATAmountFC"))
    else:
        vat = cents(net * Decimal(vat_code.body["Percentage"])) if vat_code else Decimal(0)
    return Line(gl, cents(net), vat, vat_code, str(raw.get("Description") or "")[:100])


def _lines(body: dict, name: str) -> list[dict]:
    lines = body.get(name)
    if isinstance(lines, dict):  # {"results": [...]} is accepted too
        lines = lines.get("results")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise ODataError(f"Mandatory: {name}")
    return lines


def _entry_number(division: ExactDivision, journal: ExactEntity, raw) -> int:
    if raw in (None, ""):
        return next_entry_number(division)
    if not str(raw).isdigit():
        raise ODataError("Invalid value: EntryNumber")
    number = int(raw)
    taken = any(
        row.body.get("EntryNumber") == number and row.body.get("Journal") == journal.body["Code"]
        for entity in ("SalesEntry", "SalesInvoice")
        for row in live(division, entity)
    )
    if taken:
        raise ODataError(f"Entry number {number} already exists in journal {journal.body['Code']}")
    return number


def _due(body: dict, name: str, date: int) -> int:
    if body.get(name):
        return parse_date(body[name], name)
    return date + 30 * 86_400_000  # the demo customers' payment condition: 30 days


def _line_body(line: Line, key: str, number: int, extra: dict) -> dict:
    code = line.vat_code.body if line.vat_code else {}
    return {
        "ID": key,
        "LineNumber": number,
        "Description": line.description,
        "GLAccount": line.gl.key,
        "AmountFC": text(line.net),
        "AmountDC": text(line.net),
        "VATCode": code.get("Code"),
        "VATCodeDescription": code.get("Description"),
        "VATPercentage": code.get("Percentage", "0"),
        "VATAmountFC": text(line.vat),
        "VATAmountDC": text(line.vat),
        **extra,
    }


def entry_lines(division: ExactDivision, body: dict) -> list[Line]:
    raw_lines = _lines(body, "SalesEntryLines")
    return [_line(division, raw, _amount(raw.get("AmountFC", 0), "AmountFC"), i) for i, raw in enumerate(raw_lines, 1)]


def entry_body(division: ExactDivision, booking: Booking, kind: int, payment_reference) -> dict:
    """A SalesEntry as stored: the header from the booking, its lines inline."""
    year, period = dt.datetime.fromtimestamp(booking.date / 1000, tz=dt.UTC).timetuple()[:2]
    lines = []
    for number, line in enumerate(booking.lines, 1):
        extra = {
            "EntryID": booking.entry_id,
            "GLAccountCode": line.gl.body["Code"],
            "GLAccountDescription": line.gl.body["Description"],
            "Type": kind,
            "Quantity": "1",
            "VATBaseAmountFC": text(line.net),
            "VATBaseAmountDC": text(line.net),
            "Division": division.code,
        }
        lines.append(_line_body(line, new_guid(), number, extra))
    gross = booking.net + booking.vat
    return {
        "EntryID": booking.entry_id,
        "EntryNumber": booking.number,
        "InvoiceNumber": booking.number,
        "Journal": booking.journal.body["Code"],
        "JournalDescription": booking.journal.body["Description"],
        "Customer": booking.customer.key,
        "CustomerName": booking.customer.body["Name"],
        "EntryDate": booking.date,
        "DueDate": booking.due,
        "Currency": booking.currency,
        "Description": booking.description,
        "YourRef": booking.your_ref or None,
        "PaymentCondition": "30",
        "PaymentReference": str(payment_reference or "") or None,
        "AmountFC": text(gross),
        "AmountDC": text(gross),
        "VATAmountFC": text(booking.vat),
        "VATAmountDC": text(booking.vat),
        "ReportingYear": year,
        "ReportingPeriod": period,
        "Status": 20,
        "StatusDescription": "Open",
        "Type": kind,
        "TypeDescription": TYPE_DESCRIPTIONS[kind],
        "SalesEntryLines": lines,
    }


def entry_type(body: dict, allowed=(20, 21)) -> int:
    raw = str(body.get("Type") or allowed[0])
    kind = int(raw) if raw.isdigit() else 0
    if kind not in allowed:
        raise ODataError("Invalid value: Type")
    return kind


def sales_entry_create(division: ExactDivision, body: dict) -> ExactEntity:
    journal = _journal(division, body.get("Journal"))
    customer = customer_of(division, body.get("Customer"), "Customer")
    date = parse_date(body["EntryDate"], "EntryDate") if body.get("EntryDate") else epoch_ms(dt.datetime.now(dt.UTC))
    kind = entry_type(body)
    lines = entry_lines(division, body)
    booking = Booking(
        entry_id=new_guid(),
        number=_entry_number(division, journal, body.get("EntryNumber")),
        journal=journal,
        customer=customer,
        date=date,
        due=_due(body, "DueDate", date),
        currency=str(body.get("Currency") or division.currency),
        description=str(body.get("Description") or "")[:60],
        your_ref=str(body.get("YourRef") or "")[:40],
        lines=lines,
        user=user_id(division.locale),
    )
    book(division, booking)
    body_stored = entry_body(division, booking, kind, body.get("PaymentReference"))
    return entity_create(division, "SalesEntry", booking.entry_id, body_stored, user=booking.user)


def sales_invoice_create(division: ExactDivision, body: dict) -> ExactEntity:
    """A draft in the invoicing module: validated like an entry, but not numbered or booked until printed."""
    journal = _journal(division, body.get("Journal"))
    customer = customer_of(division, body.get("InvoiceTo") or body.get("OrderedBy"), "InvoiceTo")
    date = parse_date(body["InvoiceDate"], "InvoiceDate") if body.get("InvoiceDate") else None
    kind = entry_type(body, (8020, 8021))
    lines, stored = [], []
    invoice_id = new_guid()
    for index, raw in enumerate(_lines(body, "SalesInvoiceLines"), 1):
        quantity = _amount(raw.get("Quantity", 1), "Quantity")
        price = _amount(raw.get("UnitPrice", 0), "UnitPrice")
        line = _line(division, raw, quantity * price, index)
        lines.append(line)
        extra = {
            "InvoiceID": invoice_id,
            "GLAccountDescription": line.gl.body["Description"],
            "Quantity": str(quantity),
            "UnitPrice": str(price),
            "NetPrice": str(price),
            "Discount": "0",
            "Item": raw.get("Item"),
            "Division": division.code,
        }
        stored.append(_line_body(line, new_guid(), index, extra))
    net = sum((line.net for line in lines), Decimal(0))
    vat = sum((line.vat for line in lines), Decimal(0))
    return entity_create(
        division,
        "SalesInvoice",
        invoice_id,
        {
            "InvoiceID": invoice_id,
            "InvoiceNumber": None,  # assigned when printed (the journal numbers at printing)
            "InvoiceTo": customer.key,
            "InvoiceToName": customer.body["Name"],
            "OrderedBy": customer.key,
            "OrderedByName": customer.body["Name"],
            "InvoiceDate": date,
            "OrderDate": date,
            "DueDate": parse_date(body["DueDate"], "DueDate") if body.get("DueDate") else None,
            "Journal": journal.body["Code"],
            "JournalDescription": journal.body["Description"],
            "Currency": str(body.get("Currency") or division.currency),
            "Description": str(body.get("Description") or "")[:60],
            "YourRef": str(body.get("YourRef") or "")[:40] or None,
            "Remarks": body.get("Remarks"),
            "PaymentCondition": "30",
            "PaymentConditionDescription": "30 dagen",
            "OrderNumber": next_entry_number(division),
            "AmountFC": text(net + vat),
            "AmountDC": text(net + vat),
            "VATAmountFC": text(vat),
            "VATAmountDC": text(vat),
            "Status": 20,
            "StatusDescription": "Open",
            "Type": kind,
            "TypeDescription": TYPE_DESCRIPTIONS[kind],
            "SalesInvoiceLines": stored,
        },
        user=user_id(division.locale),
    )


def sales_invoice_print(division: ExactDivision, body: dict) -> dict:
    """POST salesinvoice/PrintedSalesInvoices {InvoiceID}: process the draft (Status 50, numbered, booked)."""
    if not body.get("InvoiceID"):
        raise ODataError("Mandatory: InvoiceID")
    invoice = find(division, "SalesInvoice", _guid(body["InvoiceID"]))
    if invoice is None:
        raise ODataError("Invalid value: InvoiceID - Sales invoice not found")
    if invoice.body["Status"] == 50:
        raise ODataError("This invoice has already been processed. Processed invoices can't be reopened")
    data = invoice.body
    journal = _journal(division, data["Journal"])
    date = data["InvoiceDate"] or epoch_ms(dt.datetime.now(dt.UTC))
    lines = [
        Line(
            find(division, "GLAccount", line["GLAccount"]),
            Decimal(line["AmountFC"]),
            Decimal(line["VATAmountFC"]),
            _vat_code(division, line["VATCode"], find(division, "GLAccount", line["GLAccount"])),
            line["Description"],
        )
        for line in data["SalesInvoiceLines"]
    ]
    number = next_entry_number(division)
    due = data["DueDate"] or date + 30 * 86_400_000
    book(
        division,
        Booking(
            entry_id=invoice.key,
            number=number,
            journal=journal,
            customer=find(division, "Account", data["InvoiceTo"]),
            date=date,
            due=due,
            currency=data["Currency"],
            description=data["Description"],
            your_ref=data["YourRef"] or "",
            lines=lines,
            user=user_id(division.locale),
        ),
    )
    entity_save(
        invoice,
        {
            **data,
            "Status": 50,
            "StatusDescription": "Processed",
            "InvoiceNumber": number,
            "InvoiceDate": date,
            "DueDate": due,
        },
    )
    return {
        "InvoiceID": invoice.key,
        "DocumentLayout": body.get("DocumentLayout"),
        "SendEmailToCustomer": bool(body.get("SendEmailToCustomer", False)),
        "Status": 50,
    }
