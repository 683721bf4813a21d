"""Columns other apps add to billing's invoice list, without billing importing them.

An app registers an `InvoiceListColumn` (from its AppConfig.ready()): the list's selector asks it to annotate the
queryset (one subquery per row set, so the page's query count stays constant), the filter form offers its choices,
and the list template renders its cell template with the row's `invoice`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass(frozen=True)
class InvoiceListColumn:
    key: str  # the annotation's name and the filter's GET parameter
    label: str  # the column header and the filter's label
    any_label: str  # the filter's "no filter" choice
    choices: tuple[tuple[str, str], ...]
    annotate: Callable[[QuerySet], QuerySet]  # adds the `key` annotation, whose values are the choices' keys
    cell_template: str
    is_shown: Callable[[object], bool] = lambda organization: True  # for this organization (no query, ideally)


_columns: dict[str, InvoiceListColumn] = {}


def register_invoice_list_column(column: InvoiceListColumn) -> None:
    _columns[column.key] = column


def invoice_list_columns(organization=None) -> list[InvoiceListColumn]:
    """The registered columns (those shown for `organization`, when given)."""
    return [c for c in _columns.values() if organization is None or c.is_shown(organization)]
