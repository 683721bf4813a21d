"""Accounting years and their booked entries (GET /accounting-years, /accounting-years/:year/entries), derived
from the booked invoices and the customer payments a person registered or reversed on the agreement page.

Each booked invoice is a `customerInvoice` entry (amount = gross, remainder = the invoice's remainder), each
payment a `customerPayment` entry (negative amount, dated the payment's date, `invoiceNumber` set because the
page books it against the invoice), each reversal a `customerPayment` counter-entry (positive, dated the day it
was reversed). Entries are numbered in the order they were booked, so their numbers never change.
"""

import datetime as dt
from decimal import Decimal

from .models import EcoAgreement, EcoPayment
from .store import cents, documents, paid_totals, wire

DEBTORS_ACCOUNT = 5600
FIRST_PAYMENT_VOUCHER = 10_001


def _entry(
    base: str,
    invoice: dict,
    *,
    entry_type: str,
    amount: Decimal,
    date: str,
    text: str,
    voucher: int,
    remainder: Decimal,
) -> dict:
    number, customer, rate = (
        invoice["bookedInvoiceNumber"],
        invoice["customer"]["customerNumber"],
        invoice["exchangeRate"],
    )
    entry = {
        "account": {"accountNumber": DEBTORS_ACCOUNT, "self": f"{base}/accounts/{DEBTORS_ACCOUNT}"},
        "amount": str(amount),
        "amountInBaseCurrency": str(cents(amount * Decimal(rate) / 100)),
        "bookedInvoice": {"bookedInvoiceNumber": number, "self": f"{base}/invoices/booked/{number}"},
        "currency": invoice["currency"],
        "customer": {"customerNumber": customer, "self": f"{base}/customers/{customer}"},
        "date": date,
        "entryType": entry_type,
        "invoiceNumber": str(number),
        "remainder": str(remainder),
        "remainderInBaseCurrency": str(cents(remainder * Decimal(rate) / 100)),
        "text": text,
        "voucherNumber": voucher,
    }
    if entry_type == "customerInvoice":
        entry["dueDate"] = invoice["dueDate"]
    return entry


def entries(agreement: EcoAgreement, base: str) -> list[dict]:
    """Every entry of the agreement, oldest first, as e-conomic answers it (with entryNumber and self)."""
    paid = paid_totals(agreement)
    invoices = {int(row.number): row for row in documents(agreement, "invoices/booked")}
    events = []  # (booked at, tie-breaker, entry without number)
    for number, row in invoices.items():
        left = cents(row.body["grossAmount"]) - paid.get(number, 0)
        entry = _entry(
            base,
            row.body,
            entry_type="customerInvoice",
            amount=cents(row.body["grossAmount"]),
            date=row.body["date"],
            text=f"Faktura {number}",
            voucher=number,
            remainder=left,
        )
        events.append((row.created_at, (0, row.pk), entry))
    payments = EcoPayment.objects.filter(agreement=agreement, booked_invoice_number__in=invoices).order_by("pk")
    for voucher, payment in enumerate(payments, start=FIRST_PAYMENT_VOUCHER):
        invoice, number = invoices[payment.booked_invoice_number].body, payment.booked_invoice_number
        common = {"voucher": voucher, "remainder": Decimal("0.00"), "entry_type": "customerPayment"}
        paid_entry = _entry(
            base, invoice, amount=-payment.amount, date=payment.date.isoformat(), text=f"Indbetaling {number}", **common
        )
        events.append((payment.created_at, (1, payment.pk), paid_entry))
        if payment.reversed_at is not None:
            back = _entry(
                base,
                invoice,
                amount=payment.amount,
                date=payment.reversed_at.date().isoformat(),
                text=f"Tilbageført indbetaling {number}",
                **common,
            )
            events.append((payment.reversed_at, (2, payment.pk), back))
    found = []
    for entry_number, (_, _, entry) in enumerate(sorted(events, key=lambda e: (e[0], e[1])), start=1):
        year = entry["date"][:4]
        link = f"{base}/accounting-years/{year}/entries/{entry_number}"
        found.append(wire({**entry, "entryNumber": entry_number, "self": link}))
    return found


def year_entries(agreement: EcoAgreement, base: str, year: str) -> list[dict]:
    return [entry for entry in entries(agreement, base) if entry["date"].startswith(f"{year}-")]


def accounting_years(agreement: EcoAgreement, base: str, today: dt.date) -> list[dict]:
    years = {int(entry["date"][:4]) for entry in entries(agreement, base)} | {today.year}
    found = []
    for year in sorted(years):
        link = f"{base}/accounting-years/{year}"
        found.append(
            {
                "fromDate": f"{year}-01-01",
                "toDate": f"{year}-12-31",
                "year": str(year),
                "periods": f"{link}/periods",
                "entries": f"{link}/entries",
                "totals": f"{link}/totals",
                "vouchers": f"{link}/vouchers",
                "self": link,
            }
        )
    return found
