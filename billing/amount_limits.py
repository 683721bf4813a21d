"""How large a number each decimal column holds, read from the model field itself (max_digits, decimal_places).

The services check every amount they derive (line net and tax, subtotal, tax, total, amount paid) against its
column before writing: PostgreSQL would refuse a wider value ("numeric field overflow", a 500), and SQLite would
store it and then fail on every read of the row (decimal.InvalidOperation on the invoice list, the API, the admin).
A row that holds one anyway is read as is (TolerantDecimalField) and shown as out of range.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Context, Decimal

from django.db import models
from django.utils.functional import cached_property

from .money import format_money, format_number

# Every money column: up to 999,999,999,999.99.
MONEY = {"max_digits": 14, "decimal_places": 2}

# Enough digits for anything a column can hand back (SQLite returns an out-of-range value as a float, < 1e309).
_WIDE = Context(prec=400)


class TolerantDecimalField(models.DecimalField):
    """A DecimalField that reads back a value wider than its column instead of raising.

    Django's SQLite backend rounds what it reads within the field's `context` (max_digits of precision) and raises
    decimal.InvalidOperation on a wider value, so one such row took down every page that lists it. Read as is, it
    reaches the pages, which show it as out of range, and support can correct or delete the row. PostgreSQL's
    numeric(p, s) refuses such a value on write, so there the difference never shows.

    Stored, validated and migrated exactly like a DecimalField (it deconstructs as one: no migration).
    """

    @cached_property
    def context(self):
        return _WIDE

    def to_python(self, value):
        if isinstance(value, float):  # keep DecimalField's rounding of floats to max_digits
            value = Context(prec=self.max_digits).create_decimal_from_float(value)
        return super().to_python(value)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


def column_limit(field: models.DecimalField) -> Decimal:
    """The smallest magnitude the column cannot hold: 10 ** (max_digits - decimal_places)."""
    return Decimal(10) ** (field.max_digits - field.decimal_places)


def largest_value(field: models.DecimalField) -> Decimal:
    """The largest value the column holds, e.g. 999999999999.99 for max_digits=14, decimal_places=2."""
    return column_limit(field) - Decimal(1).scaleb(-field.decimal_places)


def fits(field: models.DecimalField, value) -> bool:
    """Whether the column holds `value` once rounded to its decimal places."""
    if value is None:
        return True
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return False
    rounded = number.quantize(Decimal(1).scaleb(-field.decimal_places), rounding=ROUND_HALF_UP, context=_WIDE)
    return abs(rounded) < column_limit(field)


_MONEY_FIELD = models.DecimalField(**MONEY)


def money_fits(amount) -> bool:
    """Whether a money column holds the amount (also for derived amounts without a column: amount due)."""
    return fits(_MONEY_FIELD, amount)


def out_of_range_fields(instance: models.Model) -> list[str]:
    """Names of the instance's decimal fields whose value its column cannot hold (a row written before the
    services checked, or by hand)."""
    return [
        field.name
        for field in instance._meta.concrete_fields
        if isinstance(field, models.DecimalField) and not fits(field, getattr(instance, field.attname))
    ]


def _shown(field: models.DecimalField, value) -> str:
    return format_money(value) if field.decimal_places == 2 else format_number(value)


def too_large(model: type[models.Model], values: Mapping[str, Decimal], *, field_name: str | None = None) -> list[str]:
    """A sentence per value (keyed by the model's field name) that its column cannot hold; [] when all fit.

    `field_name` checks every value against that one column instead (a derived value with no column of its
    own, such as an expense's total, is held to the column it is shown next to)."""
    problems = []
    for name, value in values.items():
        field = model._meta.get_field(field_name or name)
        if not fits(field, value):
            label = name.replace("_", " ") if field_name else field.verbose_name
            problems.append(
                f"the {label} of {_shown(field, value)} is more than {_article(model._meta.verbose_name)} can hold "
                f"(at most {_shown(field, largest_value(field))})"
            )
    return problems


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1].lower() in "aeiou" else f"a {noun}"
