"""Numbers on pages, through the billing.money helpers: {% load billing_format %}, then
{{ invoice.total|money:invoice.currency }}, {{ rate.percentage|percent }}, {{ line.quantity|number }},
{{ line.unit_price|unit_price }}.

An amount no money column can hold (a row written before the services checked) is shown as "out of range"
rather than as a number, so it is noticed and nothing is built on it."""

from django import template
from django.utils.html import format_html

from billing.amount_limits import money_fits, out_of_range_fields
from billing.money import format_money, format_number, format_percentage, format_unit_price

register = template.Library()

EMPTY = "—"
OUT_OF_RANGE_HINT = "Larger than the app can store: correct the draft, or ask support to delete the record."


def out_of_range():
    return format_html('<span class="out-of-range" title="{}">out of range</span>', OUT_OF_RANGE_HINT)


@register.filter
def money(amount, currency=""):
    if amount is None or amount == "":
        return EMPTY
    if not money_fits(amount):
        return out_of_range()
    return format_money(amount, currency)


@register.filter
def percent(value):
    if value is None or value == "":
        return EMPTY
    return format_percentage(value)


@register.filter
def unit_price(value):
    if value is None or value == "":
        return EMPTY
    return format_unit_price(value)


@register.filter
def number(value):
    if value is None or value == "":
        return EMPTY
    return format_number(value)


@register.filter
def holds_out_of_range(objects) -> bool:
    """Whether a row (or any row of a queryset or list) holds a value its column cannot hold."""
    rows = [objects] if hasattr(objects, "_meta") else objects
    return any(out_of_range_fields(row) for row in rows if row is not None)
