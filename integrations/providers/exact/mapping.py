"""Our invoice and company → Exact Online payloads, and Exact's rules about them (ExactMapper). Pure: no queries
of its own, no HTTP.

Invoices are copied as sales entries (`salesentry/SalesEntries` + `SalesEntryLines`), not as invoicing-module
documents (`salesinvoice/SalesInvoices`): a sales entry is booked straight into a sales journal with a GL account
(ledger) and VAT code per line, needs no Item per line, and is final at once. A SalesInvoice needs an Item
behind every line, stays "to be processed" until PrintedSalesInvoices processes it, and gets its InvoiceNumber
only then, which cannot be overridden (picqer/exact-php-client#171, #176). The journal, ledger and VAT code our
users choose map one to one onto a sales entry.

Numbering: Exact numbers every entry itself (EntryNumber, from the journal's free numbers). When this app
numbers invoices our number travels as `YourRef` and is the copy's number; when Exact numbers them YourRef holds
our reference (`REFERENCE_PREFIX` + our id) and the copy takes Exact's EntryNumber. Either way YourRef is what an
ambiguous create is looked up by before it is tried again (Exact has no idempotency key).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from integrations.providers.base import (
    NUMBERING_APP,
    NUMBERING_SETTING,
    InvoiceMapper,
    LookupKeys,
)
from integrations.providers.line_codes import code_for_line

JOURNAL_SETTING = "journal"  # the default sales journal code ("" = asked on every copy)
LEDGER_SETTING = "default_ledger"  # the default GL account (its GUID)
MANUAL_LEDGER_SETTING = "manual_ledger"  # the copy prompt asks the ledger every time
LEDGER_OPTION = "ledger"  # the copy prompt's ledger
VAT_CODE_SETTING = "vat_code"  # the copy prompt's VAT code ("" = the ledger's default VAT code)
REFERENCE_PREFIX = "P#"  # YourRef of an invoice Exact numbers: our id
YOUR_REF_MAX = 30  # assumption: Exact's YourRef is short; a longer number is refused before anything is sent
DESCRIPTION_MAX = 100
NAME_MAX = 50  # crm/Accounts.Name
ENTRY_TYPE_INVOICE = 20


@dataclass(frozen=True)
class ExactMappings:
    journal: str = ""
    ledger: str = ""  # this copy's ledger: the prompt's, else the default (unless manual)
    manual_ledger: bool = False
    service_type_ledgers: dict[int, str] = field(default_factory=dict)
    vat_code: str = ""
    numbering: str = NUMBERING_APP
    ledger_names: dict[str, str] = field(default_factory=dict)  # from the cached pick list, for the prompt


@dataclass(frozen=True)
class LinePreview:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    tax_amount: Decimal
    ledger: str
    ledger_source: str
    vat_code: str
    ledger_name: str = ""

    # What the copy prompt's table shows.
    @property
    def account_code(self) -> str:
        return self.ledger_name or self.ledger or "chosen on this prompt"

    @property
    def account_source(self) -> str:
        return self.ledger_source

    @property
    def tax_type(self) -> str:
        return self.vat_code or "—"

    @property
    def tax_name(self) -> str:
        return "Exact's VAT code" if self.vat_code else "the ledger's default VAT code, or the one chosen here"


def your_ref(document, number: str | None) -> str:
    number = document.number if number is None else number
    return number or f"{REFERENCE_PREFIX}{document.pk}"


def copy_number(entry: dict) -> str:
    """The number of a copy as Exact answers it: ours (YourRef) when we sent one, else Exact's EntryNumber."""
    reference = str(entry.get("YourRef") or "").strip()
    if reference and not reference.startswith(REFERENCE_PREFIX):
        return reference
    return str(entry.get("EntryNumber") or entry.get("InvoiceNumber") or "")


def _ledger_for(line, mappings) -> tuple[str, str]:
    return code_for_line(
        line,
        mappings.service_type_ledgers,
        mappings.ledger,
        "the invoice's ledger" if mappings.manual_ledger else "default ledger",
    )


def invoice_preview(
    invoice, lines, mappings: ExactMappings, *, number: str | None = None, prompting: bool = False
) -> list[LinePreview]:
    """The lines as they will be sent; ValidationError listing every problem. `prompting`: the copy prompt shows
    it before its journal and ledger are chosen, so those are not refused yet (sending checks them)."""
    problems: list[str] = []
    if not mappings.journal and not prompting:
        problems.append("No Exact sales journal: choose one on the copy prompt or a default in the Exact setup.")
    previews = []
    for index, line in enumerate(lines, start=1):
        ledger, source = _ledger_for(line, mappings)
        if not ledger and not prompting:
            if mappings.manual_ledger:
                what = "choose the ledger on the copy prompt (ledgers are selected manually on each invoice)"
            else:
                what = "choose a default ledger in the Exact setup"
            problems.append(f"Line {index} (“{line.description}”): no Exact ledger — {what}.")
        previews.append(
            LinePreview(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_price,
                amount=line.amount,
                tax_amount=line.tax_amount,
                ledger=ledger,
                ledger_source=source,
                vat_code=mappings.vat_code,
                ledger_name=mappings.ledger_names.get(ledger, ""),
            )
        )
    reference = your_ref(invoice, number)
    if len(reference) > YOUR_REF_MAX:
        problems.append(f"Exact keeps at most {YOUR_REF_MAX} characters of our number; “{reference}” is longer.")
    if not previews:
        problems.append("The invoice has no lines.")
    if problems:
        raise ValidationError(problems)
    return previews


def _iso(day) -> str:
    return f"{day.isoformat()}T00:00:00"


def invoice_payload(invoice, lines, mappings: ExactMappings, *, contact_id: str, number: str | None) -> dict:
    previews = invoice_preview(invoice, lines, mappings, number=number)
    description = invoice.subject or f"Invoice {your_ref(invoice, number)}"
    return {
        "Journal": mappings.journal,
        "Customer": contact_id,
        "Type": ENTRY_TYPE_INVOICE,  # our invoices never go below zero (no credit notes, Type 21, yet)
        "EntryDate": _iso(invoice.issue_date),
        "DueDate": _iso(invoice.due_date),
        "Currency": invoice.currency,
        "Description": description[:DESCRIPTION_MAX],
        "YourRef": your_ref(invoice, number),
        "SalesEntryLines": [
            {
                "GLAccount": preview.ledger,
                "Description": preview.description[:DESCRIPTION_MAX],
                "Quantity": preview.quantity,
                "AmountFC": preview.amount,  # excluding VAT: Exact computes VAT from the code
                **({"VATCode": preview.vat_code} if preview.vat_code else {}),
            }
            for preview in previews
        ],
    }


def account_payload(company, *, name: str | None = None) -> dict:
    """crm/Accounts: a customer (Status "C") from our company."""
    payload = {"Name": (name or company.name)[:NAME_MAX], "Status": "C", "IsSales": True}
    if company.billing_email:
        payload["Email"] = company.billing_email
    if company.vat_number:
        payload["VATNumber"] = company.vat_number
    if company.default_currency:
        payload["SalesCurrency"] = company.default_currency
    lines = [line.strip() for line in (company.address or "").splitlines() if line.strip()]
    for index, text in enumerate(lines[:3], start=1):
        payload[f"AddressLine{index}"] = text[:100]
    if company.country:
        payload["Country"] = company.country
    return payload


class ExactMapper(InvoiceMapper):
    provider_name = "Exact Online"
    build_preview = staticmethod(invoice_preview)
    build_payload = staticmethod(invoice_payload)

    def mappings(self, *, connection, kind, service_type_codes, tax_codes, options) -> ExactMappings:
        self.check_kind(kind)
        saved = connection.settings or {}
        options = options or {}
        manual = bool(saved.get(MANUAL_LEDGER_SETTING))
        ledger = str(options.get(LEDGER_OPTION) or ("" if manual else saved.get(LEDGER_SETTING) or ""))
        return ExactMappings(
            journal=str(options.get(JOURNAL_SETTING) or saved.get(JOURNAL_SETTING) or ""),
            ledger=ledger,
            manual_ledger=manual,
            service_type_ledgers=dict(service_type_codes),
            vat_code=str(options.get(VAT_CODE_SETTING) or ""),
            numbering=str(saved.get(NUMBERING_SETTING) or NUMBERING_APP),
            ledger_names={
                str(option.get("code")): str(option.get("name"))
                for option in ((saved.get("lists") or {}).get("ledgers") or [])
                if isinstance(option, dict)
            },
        )

    def prompt_preview(self, kind, document, lines, mappings):
        self.check_kind(kind)
        return invoice_preview(document, lines, mappings, prompting=True)

    def lookup_keys(self, kind, document, *, number):
        """YourRef, which carries our number, or our reference when Exact numbers the invoice."""
        self.check_kind(kind)
        return LookupKeys(number=number, reference=your_ref(document, number))


MAPPER = ExactMapper()
