"""Money arithmetic: Decimal only, rounded half-up to the cent per line (as Xero and QuickBooks do)."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# ISO 4217 codes the app offers; amounts of all of them have two minor units.
CURRENCIES = ["EUR", "GBP", "USD", "AUD", "NZD", "CAD", "CHF", "DKK", "SEK", "NOK", "PLN", "ZAR"]
CURRENCY_CHOICES = [(code, code) for code in CURRENCIES]


def to_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Showing numbers: the one format of every page, document and message ---------------------------------

# Wide enough for any number a database column can hand back (SQLite keeps out-of-range values as floats).
_DISPLAY_CONTEXT = Context(prec=400)


def _as_decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value).strip())


def format_number(value) -> str:
    """A quantity, unit price or rate as plain digits: no exponent, no trailing zeros (20.000 → 20, 1E+1 → 10)."""
    number = _as_decimal(value)
    if number.is_zero():
        return "0"
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_unit_price(value) -> str:
    """A unit price: thousands grouped, at least the cents, up to the four decimals we store (250 → "250.00",
    99.995 → "99.995", 1234.5 → "1,234.50")."""
    number = _as_decimal(value)
    text = f"{number.quantize(Decimal('0.0001'), context=_DISPLAY_CONTEXT):,f}"
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.rstrip('0').ljust(2, '0')}"


def format_percentage(value) -> str:
    """20 → "20%", 5.500 → "5.5%", 0 → "0%"."""
    return f"{format_number(value)}%"


def format_money(amount, currency: str = "") -> str:
    """Two decimals (half-up), thousands grouped, then the ISO code: 489.7, "EUR" → "489.70 EUR"."""
    cents = _as_decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP, context=_DISPLAY_CONTEXT)
    text = f"{cents:,f}"
    return f"{text} {currency}" if currency else text


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
