"""QuickBooks' setup as a declaration (integrations.setup_schema), rendered, checked and saved by the core:
who numbers invoices (only possible while the company's "custom transaction numbers" preference is off), who
makes the PDF, payment sync, the memo printed on the invoice, the default item and service type → item. The copy
prompt asks the tax code of each copy (our tax rates are not mirrored: QuickBooks computes tax from its code)."""

from __future__ import annotations

from integrations.providers.base import NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING
from integrations.setup_schema import (
    CopyPrompt,
    MappingTable,
    Pick,
    PickList,
    PreviewColumn,
    Radio,
    Section,
    SetupContext,
    SetupSchema,
    Text,
    Toggle,
    code_and_name,
    name_only,
)

from .mapping import (
    DEFAULT_ITEM_SETTING,
    MEMO_CUSTOM,
    MEMO_CUSTOM_FIELD_SETTING,
    MEMO_NONE,
    MEMO_NOTE,
    MEMO_PO_NUMBER,
    MEMO_SETTING,
    MEMO_SUBJECT,
    PDF_OURS,
    PDF_PROVIDER,
    PDF_SETTING,
    TAX_CODE_SETTING,
)

PICK_LISTS = (
    PickList("items", "items", "item", "list_items", code_and_name),
    PickList("tax_codes", "tax codes", "tax code", "list_tax_codes", name_only),
    PickList("terms", "payment terms", "payment term", "list_terms", name_only),
)
CUSTOM_NUMBERS = "custom_txn_numbers"  # tenant details: Preferences.SalesFormsPrefs.CustomTxnNumbers


def custom_numbers_on(context: SetupContext) -> bool | None:
    value = ((context.connection.settings or {}).get("tenant") or {}).get(CUSTOM_NUMBERS)
    return None if value is None else bool(value)


def _numbering_help(context: SetupContext) -> str:
    state = custom_numbers_on(context)
    if state is None:
        return "Refresh the lists to read whether QuickBooks can number invoices in this company."
    if state:
        return (
            "“Custom transaction numbers” is on in this QuickBooks company, so QuickBooks does not number invoices "
            "itself: this app numbers them (turn it off in QuickBooks → Settings → Sales to let QuickBooks number)."
        )
    return (
        "QuickBooks can number invoices (“custom transaction numbers” is off). Invoices already numbered keep their "
        "numbers; with “QuickBooks numbers invoices” new ones take QuickBooks' next number on their first copy."
    )


def _numbering_possible(values, context: SetupContext) -> dict[str, str]:
    if values.fields.get(NUMBERING_SETTING) == NUMBERING_PROVIDER and custom_numbers_on(context) is not False:
        return {
            NUMBERING_SETTING: "QuickBooks cannot number invoices while “custom transaction numbers” is on in the "
            "company (or before the lists were refreshed): this app numbers them."
        }
    return {}


def _custom_field_named(values, context: SetupContext) -> dict[str, str]:
    if values.fields.get(MEMO_SETTING) == MEMO_CUSTOM and not str(values.fields.get(MEMO_CUSTOM_FIELD_SETTING) or ""):
        return {MEMO_CUSTOM_FIELD_SETTING: "Name the custom field whose value is printed on the invoice."}
    return {}


SCHEMA = SetupSchema(
    sections=(
        Section(
            "Payments, numbering and PDF",
            (
                Toggle(
                    name="sync_payments",
                    label="Synchronize payments from QuickBooks",
                    help_text="Payments recorded in QuickBooks on copied invoices are added here (also when one "
                    "payment pays several invoices); payments dated before you turn this on are ignored.",
                ),
                Radio(
                    name=NUMBERING_SETTING,
                    label="Invoice numbers",
                    choices=(
                        (NUMBERING_APP, "This app numbers invoices (our number is sent to QuickBooks)"),
                        (NUMBERING_PROVIDER, "QuickBooks numbers invoices"),
                    ),
                    initial=NUMBERING_APP,
                    help_text=_numbering_help,
                ),
                Radio(
                    name=PDF_SETTING,
                    label="Invoice PDF",
                    choices=(
                        (PDF_OURS, "This app makes the PDF (attached to the QuickBooks invoice)"),
                        (PDF_PROVIDER, "QuickBooks makes the PDF (“Download PDF” fetches QuickBooks')"),
                    ),
                    initial=PDF_OURS,
                ),
            ),
        ),
        Section(
            "Invoice message",
            (
                Radio(
                    name=MEMO_SETTING,
                    label="Message on the invoice",
                    choices=(
                        (MEMO_SUBJECT, "The invoice's subject"),
                        (MEMO_NOTE, "The invoice's note"),
                        (MEMO_PO_NUMBER, "The client's PO number"),
                        (MEMO_CUSTOM, "A custom field"),
                        (MEMO_NONE, "Nothing"),
                    ),
                    initial=MEMO_SUBJECT,
                ),
                Text(name=MEMO_CUSTOM_FIELD_SETTING, label="Custom field (for “A custom field”)", max_length=60),
                Pick(name="sales_term", label="Payment terms", pick_list="terms", help_text="Optional."),
            ),
        ),
        Section(
            "Items",
            (
                Pick(
                    name=DEFAULT_ITEM_SETTING,
                    label="Default item",
                    help_text="For lines whose service type is not mapped: every QuickBooks line needs an item.",
                    pick_list="items",
                    needed=True,
                    missing="a default item",
                ),
                Pick(
                    name=TAX_CODE_SETTING,
                    label="Default tax code",
                    pick_list="tax_codes",
                    empty_label="— no tax —",
                    help_text="What a bulk copy sends and where the copy prompt starts. QuickBooks computes the tax "
                    "from this code (our tax rates are not copied); a company outside the US needs one on every line.",
                ),
                MappingTable(
                    name="service_item",
                    target="service_type",
                    pick_list="items",
                    row_label="Service type",
                    column_label="QuickBooks item",
                    empty_label="— default item —",
                ),
            ),
        ),
    ),
    checks=(_numbering_possible, _custom_field_named),
)

INVOICE_PROMPT = CopyPrompt(
    summary="an invoice",
    preview_columns=(
        PreviewColumn("QuickBooks item", "item_name", "item_source"),
        PreviewColumn("QuickBooks tax code", "tax_name"),
    ),
    fields=(
        Pick(
            name=TAX_CODE_SETTING,
            label="QuickBooks tax code",
            pick_list="tax_codes",
            empty_label="— no tax —",
            help_text="QuickBooks computes the tax from this code; our tax rates are not copied.",
        ),
    ),
)
