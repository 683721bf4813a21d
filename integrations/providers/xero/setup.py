"""Xero's setup as a declaration (integrations.setup_schema): payment sync, who numbers the invoices, the default
revenue account, service type → revenue account, tax rate → Xero tax type. The core renders, checks and saves
it; what is Xero's own is here: the wording, the tax types Xero refuses on revenue accounts, and the warning
when a mapped tax type's rate differs from ours.

Numbering: "Xero numbers invoices" gives Xero the subsidiary's numbering (integrations.services.numbering):
invoices already numbered keep their numbers and are sent with them; invoices finalized from then on have no
number until their first copy, which takes Xero's. Switching back numbers those still waiting with ours."""

from __future__ import annotations

from decimal import Decimal

from billing.choices import InvoiceStatus
from billing.money import format_percentage
from integrations.providers.base import NUMBERING_APP, NUMBERING_PROVIDER, NUMBERING_SETTING
from integrations.setup_schema import (
    NEEDED_USED,
    PURCHASE,
    CopyPrompt,
    MappingTable,
    Pick,
    PickList,
    Radio,
    Section,
    SetupContext,
    SetupSchema,
    Toggle,
    code_and_name,
)

from .mapping import (
    DEFAULT_ACCOUNT_SETTING,
    DEFAULT_EXPENSE_ACCOUNT_SETTING,
    EXPORT_EXPENSES_SETTING,
    PO_NUMBERING_SETTING,
)

NUMBERING_CHOICES = (
    (NUMBERING_APP, "This app numbers invoices (our number is sent to Xero)"),
    (NUMBERING_PROVIDER, "Xero numbers invoices (new invoices take Xero's number on their first copy)"),
)
NUMBERING_HELP = (
    "Invoices that already have a number keep their numbers, whichever you choose, and are sent to Xero with them. "
    "With “Xero numbers invoices”, invoices of {subsidiary} finalized from then on have no number here until "
    "their first copy to Xero, which gives them Xero's next number. Switching back to this app gives the invoices "
    "still waiting for Xero's number this app's next numbers at once. {counts}"
)


def tax_type_label(tax_type: dict) -> str:
    rate, name = tax_type["extra"].get("rate", ""), tax_type["name"]
    if rate in ("", None) or f"({format_percentage(rate)})" in name:  # Xero often names the rate already
        return name
    return f"{name} ({format_percentage(rate)})"


PICK_LISTS = (
    PickList("accounts", "accounts", "revenue account", "list_accounts", code_and_name),
    PickList("tax_types", "tax rates", "tax rate", "list_tax_types", tax_type_label),
    PickList("items", "items", "item", "list_items", code_and_name),
    PickList("expense_accounts", "expense accounts", "expense account", "list_expense_accounts", code_and_name),
)


def _numbering_help(context: SetupContext) -> str:
    from billing.models import Invoice

    connection = context.connection
    issued = Invoice.objects.filter(subsidiary_id=connection.subsidiary_id).exclude(status=InvoiceStatus.DRAFT)
    numbered = issued.exclude(number="").count()
    waiting = issued.filter(number="").count()
    counts = f"Now: {numbered} issued invoice{'s' if numbered != 1 else ''} with a number (they keep it)"
    counts += f", {waiting} waiting for Xero's number." if waiting else "."
    return NUMBERING_HELP.format(subsidiary=connection.subsidiary, counts=counts)


def _payment_sync_since(context: SetupContext) -> str:
    enabled = context.connection.payment_sync_enabled_at
    if enabled is None:
        return ""
    return f"Payment sync first turned on {enabled:%Y-%m-%d %H:%M}: earlier payments are not synced."


def _revenue_tax_type(_tax_rate, tax_type: dict, _context) -> str:
    # TaxRates.CanApplyToRevenue: Xero refuses this tax type on revenue accounts, i.e. on every line we send.
    if tax_type["extra"].get("can_apply_to_revenue", True):
        return ""
    name, code = tax_type["name"], tax_type["code"]
    return f"Xero does not allow “{name}” ({code}) on revenue accounts: choose a sales tax rate."


def _rate_mismatches(context: SetupContext) -> list[str]:
    """Mapped Xero tax types whose rate differs from ours (9 % mapped to a 0 % tax type): a warning, not a refusal."""
    table = TAX_RATES
    rates = {t["code"]: t["extra"].get("rate") for t in context.options(table.pick_list)}
    mapped = context.stored_mappings(table)
    warnings = []
    for tax_rate in context.rows(table):
        code = mapped.get(tax_rate.pk)
        theirs = rates.get(code)
        if code and theirs not in ("", None) and Decimal(str(theirs)) != tax_rate.percentage:
            warnings.append(
                f"“{tax_rate}” is mapped to {code} at {format_percentage(theirs)} in Xero: invoices copied with it "
                "carry a different tax amount there."
            )
    return warnings


TAX_RATES = MappingTable(
    name="tax_rate",
    target="tax_rate",
    pick_list="tax_types",
    row_label="Our tax rate",
    column_label="Xero tax rate",
    needed=NEEDED_USED,
    missing="a Xero tax rate for “{row}”",
    needed_help="Used on this subsidiary's invoices: needed.",
    optional_help="Not used on this subsidiary's invoices yet: optional.",
    intro=lambda context: (
        f"The tax rates used on {context.connection.subsidiary.name}'s invoices need a Xero tax "
        "rate before invoices can be copied; the others are optional."
    ),
    row_validators=(_revenue_tax_type,),
    warnings=(_rate_mismatches,),
)


def _expenses_check(values, context: SetupContext) -> dict[str, str]:
    """Sending expenses needs the plan that has it, and a default expense account for unmapped service types."""
    from integrations.providers.base import EXPORT_EXPENSES

    if not values.fields.get(EXPORT_EXPENSES_SETTING):
        return {}
    if not context.provider.allows(context.connection.organization, EXPORT_EXPENSES):
        plan = context.provider.required_plan(EXPORT_EXPENSES)
        return {EXPORT_EXPENSES_SETTING: f"Sending expenses to Xero needs the {str(plan).title()} plan."}
    if not values.fields.get(DEFAULT_EXPENSE_ACCOUNT_SETTING):
        return {DEFAULT_EXPENSE_ACCOUNT_SETTING: "Choose the default expense account to send expenses to Xero."}
    return {}


EXPENSES = Section(
    "Expenses",
    (
        Toggle(
            name=EXPORT_EXPENSES_SETTING,
            label="Send expenses to Xero",
            help_text="Approved expenses with a vendor and a due date can be sent as approved bills; every expense "
            "then shows its payments from Xero. Turning it off hides them again (the history stays).",
        ),
        Pick(
            name=DEFAULT_EXPENSE_ACCOUNT_SETTING,
            label="Default expense account",
            help_text="For expenses and purchase order lines whose service type is not linked below.",
            pick_list="expense_accounts",
        ),
        MappingTable(
            name="expense_service_type",
            target="service_type",
            pick_list="expense_accounts",
            purpose=PURCHASE,
            row_label="Service type",
            column_label="Xero expense account",
            empty_label="— default expense account —",
        ),
        MappingTable(
            name="expense_tax_rate",
            target="tax_rate",
            pick_list="tax_types",
            purpose=PURCHASE,
            row_label="Our tax rate",
            column_label="Xero tax rate for purchases",
            intro="The Xero tax rate each of our tax rates is sent with on bills and purchase orders.",
        ),
    ),
)

PURCHASE_ORDERS = Section(
    "Purchase orders",
    (
        Toggle(
            name=PO_NUMBERING_SETTING,
            label="Xero numbers purchase orders",
            help_text="Off: a purchase order keeps its number here in Xero. On: Xero numbers it from its own "
            "settings, and our number is sent as its Reference.",
        ),
    ),
)


SCHEMA = SetupSchema(
    sections=(
        Section(
            "Payments and numbering",
            (
                Toggle(
                    name="sync_payments",
                    label="Synchronize payments from Xero",
                    help_text="Payments recorded in Xero on copied invoices and on bills sent from expenses are "
                    "added here; payments dated before you turn this on are ignored.",
                    note=_payment_sync_since,
                ),
                Radio(
                    name=NUMBERING_SETTING,
                    label="Invoice numbers",
                    choices=NUMBERING_CHOICES,
                    initial=NUMBERING_APP,
                    refusal="Choose who numbers the invoices.",
                    help_text=_numbering_help,
                ),
            ),
        ),
        Section(
            "Accounts",
            (
                Pick(
                    name=DEFAULT_ACCOUNT_SETTING,
                    label="Default revenue account",
                    help_text="For lines whose service type is not mapped.",
                    pick_list="accounts",
                    needed=True,
                    missing="a default revenue account",
                ),
                MappingTable(
                    name="service_type",
                    target="service_type",
                    pick_list="accounts",
                    row_label="Service type",
                    column_label="Xero revenue account",
                    empty_label="— default account —",
                ),
            ),
        ),
        Section("Tax rates", (TAX_RATES,)),
        EXPENSES,
        PURCHASE_ORDERS,
    ),
    checks=(_expenses_check,),
)

INVOICE_PROMPT = CopyPrompt(summary="an approved sales invoice")
BILL_PROMPT = CopyPrompt(kind="bill", summary="an approved bill")
PURCHASE_ORDER_PROMPT = CopyPrompt(kind="purchase_order", summary="a purchase order")
