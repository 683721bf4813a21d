"""Test-only providers for the setup schema, registered with override_settings(INTEGRATION_PROVIDERS=[...]).

`LedgerlyProvider` is shaped like QuickBooks / Exact: its tenants are "companies", every service type needs an
item (no default account to fall back on), the invoices go to a sales journal, it has tax codes, a who-numbers
choice, payment terms in days and a number prefix; its copy prompt asks "book now or keep as draft" and the
journal. It has no template of its own: the core's pages render it. Its API serves in-memory lists and counts
the calls, so the tests see exactly what a refresh fetched.

`XeroWithOptions` is Xero with two options on its invoice prompt, to drive the prompt's own fields through the
real copy (FakeXero answers it).
"""

from __future__ import annotations

from integrations.exceptions import IntegrationError
from integrations.providers.base import COPY_INVOICE, AccountingApi, Provider, RemoteChoice, RemoteTenant, TokenSet
from integrations.providers.xero.mapping import XeroMapper, mappings_from
from integrations.providers.xero.provider import XeroProvider
from integrations.setup_schema import (
    NEEDED_ALL,
    NEEDED_USED,
    CopyPrompt,
    MappingTable,
    Number,
    Pick,
    PickList,
    Radio,
    Section,
    SetupSchema,
    Text,
    code_and_name,
)

ITEMS = [RemoteChoice("1", "Consulting"), RemoteChoice("2", "Design hours")]
JOURNALS = [
    RemoteChoice("70", "Sales journal", {"type": 20}),
    RemoteChoice("60", "Purchase journal", {"type": 22}),
]
TAX_CODES = [RemoteChoice("TAX", "Standard 21%", {"rate": "21"})]


class LedgerlyApi(AccountingApi):
    calls: list[str] = []  # class-wide: the provider builds a new client per use

    def _list(self, name, rows):
        LedgerlyApi.calls.append(name)
        return list(rows)

    def list_items(self):
        return self._list("list_items", ITEMS)

    def list_journals(self):
        return self._list("list_journals", JOURNALS)

    def list_tax_codes(self):
        return self._list("list_tax_codes", TAX_CODES)

    def list_accounts(self):
        raise AssertionError("Ledgerly declares no accounts list: the refresh must not ask for one.")

    def list_tax_types(self):
        raise AssertionError("Ledgerly declares tax codes, not tax types.")

    def _unused(self, *args, **kwargs):
        raise IntegrationError("Not part of the setup tests.")

    search_contacts = create_contact = create_document = update_document = _unused
    find_document = void_document = fetch_payments = revoke = _unused


def _sales_journal(option: dict) -> bool:
    return option["extra"].get("type") == 20


def _prefix_needs_our_numbering(values, context) -> dict[str, str]:
    if values.fields.get("numbering") == "ledgerly" and values.fields.get("number_prefix"):
        return {"number_prefix": "A prefix applies only when this app numbers the invoices."}
    return {}


SCHEMA = SetupSchema(
    sections=(
        Section(
            "Items",
            (
                MappingTable(
                    name="service_item",
                    target="service_type",
                    pick_list="items",
                    row_label="Service type",
                    column_label="Ledgerly item",
                    needed=NEEDED_ALL,
                    missing="an item for “{row}”",
                    intro="Every line is booked through the item of its service type.",
                ),
            ),
        ),
        Section(
            "Journal and numbers",
            (
                Pick(
                    name="journal",
                    label="Sales journal",
                    pick_list="journals",
                    accept=_sales_journal,
                    needed=True,
                    missing="a sales journal",
                ),
                Radio(
                    name="numbering",
                    label="Invoice numbers",
                    choices=(("app", "This app numbers invoices"), ("ledgerly", "Custom transaction numbers off")),
                ),
                Text(name="number_prefix", label="Number prefix", max_length=5),
                Number(name="payment_days", label="Payment terms (days)", min_value=0, max_value=365),
            ),
        ),
        Section(
            "Tax codes",
            (
                MappingTable(
                    name="tax_code",
                    target="tax_rate",
                    pick_list="tax_codes",
                    row_label="Our tax rate",
                    column_label="Ledgerly tax code",
                    needed=NEEDED_USED,
                    missing="a tax code for “{row}”",
                ),
            ),
        ),
    ),
    checks=(_prefix_needs_our_numbering,),
)


class LedgerlyProvider(Provider):
    key = "ledgerly"
    name = "Ledgerly"
    description = "A QuickBooks-shaped test provider: items per service type, a sales journal, tax codes."
    logo = "integrations/ledgerly/logo.svg"
    capabilities = frozenset({COPY_INVOICE})
    tenant_noun = "company"
    tenant_noun_plural = "companies"
    pick_lists = (
        PickList("items", "items", "item", "list_items", code_and_name),
        PickList("journals", "journals", "journal", "list_journals", code_and_name),
        PickList("tax_codes", "tax codes", "tax code", "list_tax_codes"),
    )

    def api(self, connection):
        return LedgerlyApi()

    def setup_schema(self):
        return SCHEMA

    def copy_prompt(self, kind="invoice"):
        return CopyPrompt(summary="a draft invoice", fields=PROMPT_FIELDS) if kind == "invoice" else None

    def numbers_invoices(self, connection) -> bool:
        return (connection.settings or {}).get("numbering") == "ledgerly"

    def authorization_url(self, *, state, code_verifier, redirect_uri, options):
        return f"https://ledgerly.test/authorize?state={state}"

    def exchange_code(self, *, code, code_verifier, redirect_uri, options):
        return TokenSet("ledgerly-access", "ledgerly-refresh", None)

    def list_tenants(self, access_token, *, options):
        return [RemoteTenant("c-1", "Northwind Ltd"), RemoteTenant("c-2", "Southwind Ltd")]

    def revoke(self, connection):
        return None


PROMPT_FIELDS = (
    Radio(name="book", label="When copied", choices=(("draft", "Keep it as a draft"), ("book", "Book it now"))),
    Pick(name="journal", label="Journal", pick_list="journals", accept=_sales_journal, needed=True),
)


class XeroMapperWithOptions(XeroMapper):
    """Xero's mapper, letting the prompt's options override the setup's account and choose the status."""

    def mappings(self, *, connection, kind, service_type_codes, tax_codes, options):
        chosen = {**(connection.settings or {}), **{k: v for k, v in options.items() if k == "default_account"}}
        mappings = mappings_from(settings=chosen, service_type_accounts=service_type_codes, tax_types=tax_codes)
        return (mappings, options.get("status") or "AUTHORISED")

    def preview(self, kind, document, lines, mappings):
        return super().preview(kind, document, lines, mappings[0])

    def payload(self, kind, document, lines, mappings, *, contact_id, number):
        payload = super().payload(kind, document, lines, mappings[0], contact_id=contact_id, number=number)
        return {**payload, "Status": mappings[1]}


class XeroWithOptions(XeroProvider):
    """Xero, with options of its own on the invoice prompt (its mapper applies them)."""

    def mapper(self):
        return XeroMapperWithOptions()

    def copy_prompt(self, kind="invoice"):
        prompt = super().copy_prompt(kind)
        if prompt is None:
            return None
        return CopyPrompt(summary=prompt.summary, fields=XERO_PROMPT_FIELDS)


XERO_PROMPT_FIELDS = (
    Radio(name="status", label="Status in Xero", choices=(("AUTHORISED", "Approved"), ("DRAFT", "Draft"))),
    Pick(name="default_account", label="Account", pick_list="accounts", setting="default_account", needed=True),
)

LEDGERLY = ["tests.integrations.setup_fakes.LedgerlyProvider", "integrations.providers.xero.provider.XeroProvider"]
XERO_WITH_OPTIONS = ["tests.integrations.setup_fakes.XeroWithOptions"]
