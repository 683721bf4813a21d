"""Exact's setup as a declaration (integrations.setup_schema), rendered, checked and saved by the core.

Screen 1, the division: who numbers invoices, the division (chosen when connecting: one connection per division,
"Connect app" again adds another), the default sales journal (may stay empty: the copy prompt then asks),
payment sync. Screen 2, ledgers: the default GL account, "select the ledger manually on each invoice", and
service type → ledger (unmapped types fall back to the invoice's ledger). The copy prompt asks the journal
(pre-filled), the ledger (pre-selected unless chosen manually, then required) and the VAT code (from Exact; a
division without VAT codes cannot be copied to until they are set up in Exact).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.providers.base import NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING
from integrations.setup_schema import (
    CopyPrompt,
    MappingTable,
    Pick,
    PickList,
    Radio,
    Section,
    SetupContext,
    SetupSchema,
    Toggle,
    name_only,
)

from .mapping import JOURNAL_SETTING, LEDGER_OPTION, LEDGER_SETTING, MANUAL_LEDGER_SETTING, VAT_CODE_SETTING

PICK_LISTS = (
    PickList("journals", "sales journals", "sales journal", "list_journals", name_only),
    PickList("ledgers", "ledgers", "revenue ledger", "list_ledgers", name_only),
    PickList("vat_codes", "VAT codes", "VAT code", "list_vat_codes", name_only),
)
LOCALES = {"be": "Belgium", "nl": "Netherlands", "de": "Germany"}
NO_VAT_CODES = (
    "This Exact division has no VAT codes: set up VAT codes in Exact first (Financial › VAT codes), then refresh "
    "the lists here. Copying waits until then."
)
SYNC_HELP = (
    "Synced: payments registered in Exact directly on a copied invoice (partial ones too), their edits and "
    "deletions. A bulk payment matched in Exact to several invoices names no invoice, so it cannot be synced as "
    "such: an invoice it settles completely gets one payment “matched in Exact” of what is left, removed again "
    "if the match is undone. A partial bulk match is not synced. Payments dated before you turn this on are "
    "ignored."
)


def lists_loaded(context: SetupContext) -> bool:
    return bool(context.lists.get("refreshed_at"))


def has_no_vat_codes(context: SetupContext) -> bool:
    return lists_loaded(context) and not context.options("vat_codes")


def _division_intro(context: SetupContext) -> str:
    connection = context.connection
    locale = LOCALES.get(connection.region, connection.region or "?")
    return (
        f"Division {connection.remote_tenant_id} · {connection.remote_tenant_name} ({locale}). Each connection is one "
        "division; “Connect app” again adds another division (of the same or another locale)."
    )


def _vat_help(context: SetupContext) -> str:
    if has_no_vat_codes(context):
        return NO_VAT_CODES
    return "Exact computes the VAT from this code; empty: each ledger's own default VAT code."


def _vat_codes_exist(value, context: SetupContext) -> str:
    return NO_VAT_CODES if has_no_vat_codes(context) else ""


SCHEMA = SetupSchema(
    sections=(
        Section(
            "Division, numbering, journal and payments",
            (
                Radio(
                    name=NUMBERING_SETTING,
                    label="Invoice numbers",
                    choices=(
                        (NUMBERING_APP, "This app numbers invoices (our number is Exact's “your reference”)"),
                        (NUMBERING_PROVIDER, "Exact numbers invoices (from the journal's numbering)"),
                    ),
                    initial=NUMBERING_APP,
                ),
                Pick(
                    name=JOURNAL_SETTING,
                    label="Default sales journal",
                    pick_list="journals",
                    empty_label="— ask on every copy —",
                    help_text="May be left empty and set later: the copy prompt asks for it then.",
                ),
                Toggle(name="sync_payments", label="Synchronize payments from Exact", help_text=SYNC_HELP),
            ),
            intro=_division_intro,
        ),
        Section(
            "Ledgers",
            (
                Pick(
                    name=LEDGER_SETTING,
                    label="Default ledger",
                    pick_list="ledgers",
                    help_text="The Exact GL account of every line whose service type is not mapped below.",
                ),
                Toggle(
                    name=MANUAL_LEDGER_SETTING,
                    label="Manually select ledger on invoice",
                    help_text="The copy prompt then asks the ledger every time (bulk copy needs mapped service "
                    "types for every line).",
                ),
                MappingTable(
                    name="service_ledger",
                    target="service_type",
                    pick_list="ledgers",
                    row_label="Service type",
                    column_label="Exact ledger",
                    empty_label="— the invoice's ledger —",
                    intro="Map service types to Exact ledgers: each line carries its service type's ledger; "
                    "unmapped types fall back to the default (or manually chosen) ledger.",
                ),
            ),
        ),
    ),
)


@dataclass(frozen=True, kw_only=True)
class LedgerPick(Pick):
    """The prompt's ledger: pre-selected from the default ledger, unless ledgers are chosen on each invoice."""

    def stored(self, settings: dict):
        return "" if settings.get(MANUAL_LEDGER_SETTING) else super().stored(settings)


def _ledger_if_manual(value, context: SetupContext) -> str:
    if context.settings.get(MANUAL_LEDGER_SETTING) and not value:
        return "Choose the Exact ledger of this invoice (ledgers are selected manually in the Exact setup)."
    return ""


INVOICE_PROMPT = CopyPrompt(
    summary="a sales entry in the sales journal",
    fields=(
        Pick(
            name=JOURNAL_SETTING,
            label="Exact sales journal",
            pick_list="journals",
            needed=True,
            help_text="Pre-filled from the setup's default journal.",
        ),
        LedgerPick(
            name=LEDGER_OPTION,
            label="Exact ledger",
            setting=LEDGER_SETTING,
            pick_list="ledgers",
            empty_label="— the default ledger —",
            validators=(_ledger_if_manual,),
            help_text="Lines of mapped service types keep their own ledger.",
        ),
        Pick(
            name=VAT_CODE_SETTING,
            label="Exact VAT code",
            pick_list="vat_codes",
            empty_label="— each ledger's default VAT code —",
            validators=(_vat_codes_exist,),
            help_text=_vat_help,
        ),
    ),
)
