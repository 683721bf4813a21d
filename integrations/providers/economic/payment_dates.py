"""When a remainder fell, the date it was paid, from e-conomic's booked customer-payment entries.

A booked invoice shows only its remainder; each payment is a `customerPayment` entry of an accounting year
(restdocs "Accounting Years": `GET /accounting-years/:accountingYear/entries`, entries carry `amount` (a payment
is negative, its reversal the positive counter-entry), `date`, `currency`, `entryNumber`, `invoiceNumber`,
`bookedInvoice.bookedInvoiceNumber`, `customer.customerNumber`). `invoiceNumber` is not filterable, so the entries
are asked by customer: one call finds the accounting years of the last LOOKBACK_DAYS (`GET /accounting-years`,
filtered on fromDate/toDate), then one call per year (one, or two across a year end) reads the payment entries of
every customer whose invoice fell, `entryType$eq:customerPayment$and:customer.customerNumber$in:[…]$and:date$gte:…`.
Nothing is asked when nothing fell.

A fall is dated by the invoice's newest entries (booking order) whose amounts add up to it, at the latest date
among them; a fall they do not explain (an entry booked without the invoice number, another currency, a payment
older than the look-back) is left out, and the core dates it the day it was seen. So are all falls when
e-conomic refuses the reads (a role without ledger access, say): a date is not worth holding the payments back.
A throttle, an outage or a revoked grant still stops the run, which asks again next time.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

from django.utils import timezone

from integrations.exceptions import IntegrationError, TerminalError, ThrottledError, TransientError
from integrations.providers.base import RemainderFall

from .filters import any_of, chunks

logger = logging.getLogger(__name__)
LOOKBACK_DAYS = 92  # a payment booked back-dated up to a quarter is found (two years in a year's first quarter)
ZERO = Decimal("0")


class PaymentDatesMixin:
    def date_remainder_falls(self, falls: list[RemainderFall]) -> dict[str, dt.date]:
        falls = [
            fall for fall in falls if fall.remainder.lookup.get("booked") and fall.remainder.lookup.get("customer")
        ]
        if not falls:
            return {}
        try:
            return self._dated(falls)
        except (TerminalError, ThrottledError, TransientError):
            raise
        except IntegrationError as exc:
            logger.warning("e-conomic refused the customer-payment entries; payments dated the day seen: %s", exc)
            return {}

    def _dated(self, falls: list[RemainderFall]) -> dict[str, dt.date]:
        since = (timezone.localdate() - dt.timedelta(days=LOOKBACK_DAYS)).isoformat()
        today = timezone.localdate().isoformat()
        years = self.collection("accounting-years", filter=f"toDate$gte:{since}$and:fromDate$lte:{today}")
        customers = sorted({int(fall.remainder.lookup["customer"]) for fall in falls})
        by_invoice: dict[str, list[tuple[str, int, dict]]] = {}
        for year in years:
            path = self._entries_path(year)
            for group in chunks(customers):
                filter = (
                    f"entryType$eq:customerPayment$and:{any_of('customer.customerNumber', group)}$and:date$gte:{since}"
                )
                for entry in self.collection(path, filter=filter):
                    if invoice := _invoice_of(entry):
                        order = (str(year.get("fromDate") or ""), int(entry.get("entryNumber") or 0), entry)
                        by_invoice.setdefault(invoice, []).append(order)
        dated = {}
        for fall in falls:
            entries = [entry for *_, entry in sorted(by_invoice.get(fall.remainder.lookup["booked"], []), key=_order)]
            if paid_on := _explained(entries, fall):
                dated[fall.remainder.document_id] = paid_on
        return dated

    def _entries_path(self, year: dict) -> str:
        """The year's `entries` link (e-conomic asks clients to follow links; a year may be named 2025/2026)."""
        link = str(year.get("entries") or "")
        base = self.base_url.rstrip("/") + "/"
        return link.removeprefix(base) if link.startswith(base) else f"accounting-years/{year.get('year')}/entries"


def _order(item: tuple[str, int, dict]) -> tuple[str, int]:
    return item[0], item[1]


def _invoice_of(entry: dict) -> str:
    booked = (entry.get("bookedInvoice") or {}).get("bookedInvoiceNumber")
    return str(booked or entry.get("invoiceNumber") or "")


def _explained(entries: list[dict], fall: RemainderFall) -> dt.date | None:
    """The latest date of the newest payment entries that add up to the fall, or None."""
    from .invoices import parse_money

    walked, dates = ZERO, []
    for entry in reversed(entries):
        amount = parse_money(entry.get("amount"))
        currency = str(entry.get("currency") or "")
        if amount is None or (currency and fall.remainder.currency and currency != fall.remainder.currency):
            return None
        try:
            date = dt.date.fromisoformat(str(entry.get("date") or ""))
        except ValueError:
            return None
        walked -= amount  # a payment is a negative entry, its reversal positive
        if amount < 0:
            dates.append(date)
        if walked == fall.amount and dates:
            return max(dates)
    return None
