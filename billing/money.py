"""Money arithmetic: Decimal only, rounded half-up to the cent per line (as Xero and QuickBooks do)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# ISO 4217 codes the app offers; amounts of all of them have two minor units.
CURRENCIES = ["EUR", "GBP", "USD", "AUD", "NZD", "CAD", "CHF", "DKK", "SEK", "NOK", "PLN", "ZAR"]
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


def to_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    tax: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, tax_percentage: Decimal | None) -> LineAmounts:
    """Net and tax of one line, each rounded to the cent (per-line rounding)."""
    net = to_cents(Decimal(quantity) * Decimal(unit_price))
    tax = to_cents(net * Decimal(tax_percentage or 0) / Decimal(100))
    return LineAmounts(net=net, tax=tax)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax


def totals_of(lines: Iterable[LineAmounts]) -> Totals:
    lines = list(lines)
    return Totals(
        subtotal=sum((line.net for line in lines), ZERO),
        tax=sum((line.tax for line in lines), ZERO),
    )
