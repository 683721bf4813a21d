"""Reading references and values out of a request payload the way e-conomic does: a referenced document by its
number or its `self` link, dates as YYYY-MM-DD, amounts with at most two decimals."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from .errors import MISSING, MISSING_REFERENCE, NOT_VALID, SCALE, Invalid
from .models import EcoAgreement, EcoDocument
from .store import find

# Exchange rates per 100 units in DKK (demo values) of the currencies in resources.CURRENCIES: the base-currency
# amounts of foreign-currency invoices.
RATES_IN_DKK = {"DKK": 100, "EUR": 746, "SEK": 65, "NOK": 63, "USD": 690, "GBP": 870}


def exchange_rate(currency: str, base_currency: str) -> Decimal:
    """Units of the base currency per 100 units of `currency` (e-conomic's exchangeRate)."""
    return (Decimal(RATES_IN_DKK[currency]) * 100 / Decimal(RATES_IN_DKK[base_currency])).quantize(Decimal("0.000001"))


def identifier(value, key: str):
    """The number a reference names: `{key: n}` or `{"self": ".../n"}`."""
    if not isinstance(value, dict):
        return None
    if value.get(key) not in (None, ""):
        return value[key]
    link = value.get("self")
    if isinstance(link, str) and link.rstrip("/"):
        return link.rstrip("/").rsplit("/", 1)[-1]
    return None


def referenced(
    agreement: EcoAgreement, errors: Invalid, payload: dict, prop: str, kind: str, key: str, *, required=True
) -> EcoDocument | None:
    value = payload.get(prop.rsplit(".", 1)[-1]) if "." not in prop else _nested(payload, prop)
    if value is None:
        if required:
            errors.add(prop, MISSING, f"Property {prop} is required.")
        return None
    number = identifier(value, key)
    if number is None:
        errors.add(prop, MISSING, f"No identifiers present on {prop.rsplit('.', 1)[-1]}. Include {key} or self.")
        return None
    row = find(agreement, kind, number)
    if row is None:
        name = prop.rsplit(".", 1)[-1]
        errors.add(
            prop,
            MISSING_REFERENCE,
            f"{name} does not exist.",
            value=number,
            hint=f"Find a list of resources at /{kind}.",
        )
    return row


def _nested(payload: dict, prop: str):
    value = payload
    for key in prop.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def date_value(errors: Invalid, payload: dict, prop: str, *, required: bool) -> dt.date | None:
    raw = payload.get(prop)
    if raw in (None, ""):
        if required:
            errors.add(prop, MISSING, f"Property {prop} is required.")
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors.add(prop, NOT_VALID, f"{prop} is not a valid date (YYYY-MM-DD).", value=raw)
        return None


def amount_value(errors: Invalid, value, prop: str, *, line: int | None = None, default=None) -> Decimal | None:
    if value is None:
        return default
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        errors.add(prop, NOT_VALID, f"{prop} is not a number.", value=value, line=line)
        return None
    if not amount.is_finite():
        errors.add(prop, NOT_VALID, f"{prop} is not a number.", value=value, line=line)
        return None
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(Decimal("0.01")):
        errors.add(
            prop,
            SCALE,
            f"{prop} scale cannot be greater then two decimal places.",
            value=value,
            hint="Please check the format of your data.",
            line=line,
        )
        return None
    return amount


def text_value(
    errors: Invalid, payload, key: str, max_length: int, *, required: bool = False, path: str = "", line=None
) -> str | None:
    """A text property of `payload`; errors are annotated at `path` (default: the key itself)."""
    prop = path or key
    raw = payload.get(key) if isinstance(payload, dict) else None
    if raw in (None, ""):
        if required:
            errors.add(prop, MISSING, f"Property {prop} is required.", line=line)
        return None
    if not isinstance(raw, str) or len(raw) > max_length:
        message = f"{prop} must be text of at most {max_length} characters."
        errors.add(prop, NOT_VALID, message, value=str(raw)[:50], line=line)
        return None
    return raw
