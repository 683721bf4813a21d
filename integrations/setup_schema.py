"""A provider's setup, and the options asked on its copy prompt, declared as data.

A provider returns a `SetupSchema` from `Provider.setup_schema()`: sections of fields, each field one of
`Toggle`, `Radio`, `Pick` (one option of a pick list the provider offers: accounts, tax types, items, journals,
layouts…), `Text`, `Number`, or a `MappingTable` (one row per service type or tax rate of ours, a pick list per
row). One form (`integrations.forms.SetupForm`) builds itself from it, one template renders it, and one service
(`integrations.services.connection_setup`) validates and saves it. Nothing here queries the provider: pick lists
are read from the cache that "Refresh lists" fills (`services.pick_lists`).

Hooks, all plain functions of a `SetupContext` (the connection, its provider, the cached lists, our rows):
- `validators` on a field: (value, context) → "" or the refusal, shown on that field; nothing is saved;
- `row_validators` on a mapping table: (our row, the chosen option, context) → "" or the refusal on that row;
- `checks` on the schema: (values, context) → {field name: refusal}, for what only several fields tell;
- `warnings` on a mapping table or the schema: (context) → sentences shown on the page, never refusals.

"Needed" is about copying, never about saving: an incomplete setup saves, and `setup_missing` says what is
still needed (the marketplace card, the setup page, the copy refusal), one phrase per field or row. Reading a
schema against a connection (what is missing, what would be refused) is `integrations.setup_checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from integrations.document_kinds import INVOICE, PURCHASE, SALES  # noqa: F401 - PURCHASE: MappingTable.purpose

if TYPE_CHECKING:
    from integrations.models import Connection
    from integrations.providers.base import Provider

# Which of our rows a mapping table needs mapped before copying.
NEEDED_NONE = "none"  # all optional (e.g. service types falling back to a default account)
NEEDED_USED = "used"  # those used on the subsidiary's invoices (e.g. tax rates)
NEEDED_ALL = "all"


# --- Pick lists -----------------------------------------------------------------------------------------------


def code_and_name(option: dict) -> str:
    return f"{option['code']} · {option['name']}"


def name_only(option: dict) -> str:
    return option["name"]


@dataclass(frozen=True)
class PickList:
    """One list of choices the provider offers, cached per connection under `key` by "Refresh lists"."""

    key: str  # the cache key, and what fields name in `pick_list`
    plural: str  # for the page: "accounts", "tax rates"
    singular: str  # for refusals: "revenue account", "tax rate"
    method: str  # the AccountingApi method returning [RemoteChoice]: "list_accounts"
    option_label: Callable[[dict], str] = name_only


# --- Fields ---------------------------------------------------------------------------------------------------

Validator = Callable[[Any, "SetupContext"], str]
Text_ = str | Callable[["SetupContext"], str]  # a fixed text, or one worded from the context


def text_of(value: Text_, context: SetupContext) -> str:
    return value(context) if callable(value) else value


@dataclass(frozen=True, kw_only=True)
class SetupField:
    name: str  # the form field's name
    label: str
    help_text: Text_ = ""
    setting: str = ""  # the Connection.settings key ("" = `name`)
    needed: bool = False  # needed before copying (see the module docstring)
    missing: str = ""  # the setup_missing phrase when needed and empty
    validators: tuple[Validator, ...] = ()
    note: Callable[[SetupContext], str] | None = None  # a line under the field about the saved state

    @property
    def setting_key(self) -> str:
        return self.setting or self.name

    def default(self):
        return ""

    def stored(self, settings: dict):
        value = settings.get(self.setting_key)
        return self.default() if value in (None, "") else value


@dataclass(frozen=True, kw_only=True)
class Toggle(SetupField):
    def default(self):
        return False

    def stored(self, settings: dict):
        return bool(settings.get(self.setting_key))


@dataclass(frozen=True, kw_only=True)
class Radio(SetupField):
    choices: tuple[tuple[str, str], ...]
    initial: str = ""
    refusal: str = "Choose one of the options."

    def default(self):
        return self.initial or self.choices[0][0]


@dataclass(frozen=True, kw_only=True)
class Pick(SetupField):
    pick_list: str
    empty_label: str = "—"
    accept: Callable[[dict], bool] | None = None  # which options of the list fit here (e.g. sales journals only)


@dataclass(frozen=True, kw_only=True)
class Text(SetupField):
    max_length: int = 100


@dataclass(frozen=True, kw_only=True)
class Number(SetupField):
    min_value: int | None = None
    max_value: int | None = None

    def default(self):
        return None


RowValidator = Callable[[Any, dict, "SetupContext"], str]


@dataclass(frozen=True, kw_only=True)
class MappingTable:
    """One row per service type / tax rate of ours; a pick-list option per row. Form fields `<name>_<our id>`."""

    name: str
    target: str  # a MAPPING_TARGETS key: "service_type", "tax_rate"
    pick_list: str
    row_label: str  # the first column's heading: "Service type"
    column_label: Text_  # the second one's: "Xero revenue account"
    purpose: str = SALES
    needed: str = NEEDED_NONE
    empty_label: str = "— not mapped —"
    missing: str = ""  # "a Xero tax rate for “{row}”"
    needed_help: str = ""  # per row, when the row is needed / optional (empty: no hint)
    optional_help: str = ""
    intro: Text_ = ""
    accept: Callable[[dict], bool] | None = None
    row_validators: tuple[RowValidator, ...] = ()
    warnings: tuple[Callable[[SetupContext], list[str]], ...] = ()

    def field_name(self, row_id: int) -> str:
        return f"{self.name}_{row_id}"


@dataclass(frozen=True)
class Section:
    title: str
    items: tuple[SetupField | MappingTable, ...]
    intro: Text_ = ""


@dataclass(frozen=True)
class SetupSchema:
    sections: tuple[Section, ...]
    checks: tuple[Callable[[SetupValues, SetupContext], dict[str, str]], ...] = ()
    warnings: tuple[Callable[[SetupContext], list[str]], ...] = ()

    @property
    def fields(self) -> list[SetupField]:
        return [item for section in self.sections for item in section.items if isinstance(item, SetupField)]

    @property
    def tables(self) -> list[MappingTable]:
        return [item for section in self.sections for item in section.items if isinstance(item, MappingTable)]


@dataclass(frozen=True)
class SetupValues:
    """What a setup form says: field name → value, and table name → {our row id: remote code ("" = unmapped)}."""

    fields: dict[str, Any]
    mappings: dict[str, dict[int, str]] = field(default_factory=dict)


# --- What a mapping table maps ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MappingTarget:
    model: str  # our rows: "billing.TaxRate"
    mapping_model: str  # where the choice is kept: "integrations.TaxRateMapping"
    key: str  # the mapping model's foreign key to our row
    used_ids: Callable[[Connection], set[int]]  # the rows the subsidiary's invoices use
    empty_text: str  # when the organization has no such rows

    def rows(self, connection: Connection) -> list:
        from django.apps import apps

        return list(apps.get_model(self.model).objects.filter(organization_id=connection.organization_id))

    def mapping_rows(self, connection: Connection):
        from django.apps import apps

        return apps.get_model(self.mapping_model).objects.filter(connection=connection)


def _used_tax_rate_ids(connection: Connection) -> set[int]:
    from integrations.selectors import used_tax_rate_ids

    return used_tax_rate_ids(connection)


def _used_service_type_ids(connection: Connection) -> set[int]:
    from billing.models import InvoiceLine

    lines = InvoiceLine.objects.filter(
        invoice__subsidiary_id=connection.subsidiary_id, invoice__organization_id=connection.organization_id
    )
    return set(lines.exclude(service_type=None).values_list("service_type_id", flat=True).distinct())


MAPPING_TARGETS = {
    "service_type": MappingTarget(
        "billing.ServiceType",
        "integrations.ServiceTypeMapping",
        "service_type_id",
        _used_service_type_ids,
        "No service types yet (Settings › Service types).",
    ),
    "tax_rate": MappingTarget(
        "billing.TaxRate",
        "integrations.TaxRateMapping",
        "tax_rate_id",
        _used_tax_rate_ids,
        "No tax rates yet (Settings › Tax rates).",
    ),
}


# --- The context every hook reads -------------------------------------------------------------------------


class SetupContext:
    """One connection's setup as it stands: its provider, cached pick lists, our rows and the stored mappings.
    Everything is loaded on first use, so working out what is missing costs only the queries it needs."""

    def __init__(self, connection: Connection, provider: Provider):
        self.connection = connection
        self.provider = provider
        self.settings = connection.settings or {}
        self._rows: dict[str, list] = {}
        self._used: dict[str, set[int]] = {}
        self._stored: dict[str, dict[int, str]] = {}

    @cached_property
    def lists(self) -> dict:
        from integrations.services.pick_lists import cached_lists

        return cached_lists(self.connection)

    def options(self, pick_list: str, accept: Callable[[dict], bool] | None = None) -> list[dict]:
        options = self.lists.get(pick_list) or []
        return [option for option in options if accept is None or accept(option)]

    def option(self, pick_list: str, code: str, accept: Callable[[dict], bool] | None = None) -> dict | None:
        return next((option for option in self.options(pick_list, accept) if option["code"] == code), None)

    def pick_list(self, key: str) -> PickList:
        return next(p for p in self.provider.pick_lists if p.key == key)

    def rows(self, table: MappingTable) -> list:
        """Our rows, needed ones first (the rest are optional), each group in its usual order."""
        if table.name not in self._rows:
            rows = MAPPING_TARGETS[table.target].rows(self.connection)
            self._rows[table.name] = sorted(rows, key=lambda row: not self.row_needed(table, row))
        return self._rows[table.name]

    def used_ids(self, table: MappingTable) -> set[int]:
        if table.target not in self._used:
            self._used[table.target] = MAPPING_TARGETS[table.target].used_ids(self.connection)
        return self._used[table.target]

    def row_needed(self, table: MappingTable, row) -> bool:
        if table.needed == NEEDED_ALL:
            return True
        return table.needed == NEEDED_USED and row.pk in self.used_ids(table)

    def stored_mappings(self, table: MappingTable) -> dict[int, str]:
        """Our row id → the remote code saved for it."""
        if table.name not in self._stored:
            target = MAPPING_TARGETS[table.target]
            rows = target.mapping_rows(self.connection).filter(purpose=table.purpose)
            rows = rows.values_list(target.key, "remote_code")
            self._stored[table.name] = {row_id: code for row_id, code in rows if code}
        return self._stored[table.name]


# --- The copy prompt ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewColumn:
    """A column of the copy prompt's "What will be sent" table beside description, quantity, price and amount:
    the line preview's attribute `value`, and in small print beside it the attribute `note` (where it comes from)."""

    label: str
    value: str
    note: str = ""


ACCOUNT_AND_TAX = (
    PreviewColumn("Account", "account_code", "account_source"),
    PreviewColumn("Tax", "tax_type", "tax_name"),
)


@dataclass(frozen=True)
class CopyPrompt:
    """What the copy prompt of one document kind asks before sending.

    The contact part (search the provider's contacts, pick one, or create one from our company) and the
    "Update existing / Create new" choice on a re-copy are the core's; `fields` are the provider's own options
    for this one copy (e-conomic: book it now or keep it as a draft; Exact: the journal), built with the setup's
    field kinds. A field's `setting` names the setup value it starts from."""

    kind: str = INVOICE
    summary: str = "a sales invoice"  # how the document arrives there: "an approved sales invoice"
    contact: bool = True
    modes: bool = True
    fields: tuple[SetupField, ...] = ()
    preview_columns: tuple[PreviewColumn, ...] = ACCOUNT_AND_TAX  # what the provider's line previews carry
