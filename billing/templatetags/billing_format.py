"""Numbers on pages, through the billing.money helpers: {% load billing_format %}, then
{{ invoice.total|money:invoice.currency }}, {{ rate.percentage|percent }}, {{ line.quantity|number }}."""

from django import template

from billing.money import format_money, format_number, format_percentage

register = template.Library()

EMPTY = "—"


@register.filter
def money(amount, currency=""):
    if amount is None or amount == "":
        return EMPTY
    return format_money(amount, currency)


@register.filter
def percent(value):
    if value is None or value == "":
        return EMPTY
    return format_percentage(value)


@register.filter
def number(value):
    if value is None or value == "":
        return EMPTY
    return format_number(value)
