"""Our invoice and company → Xero payloads, and Xero's rules about them (XeroMapper, the provider's
DocumentMapper). Pure functions: no queries of their own, no HTTP.

The caller loads the invoice with its lines and the connection's mappings (`XeroMappings`); everything here only
reads them. Only this module reads the setup's numbering choice: "the provider numbers it" and "look it up by
number, else by reference, before retrying" are Xero's rules, declared through XeroMapper.

Money is Decimal throughout; only at the JSON boundary `json_number` turns a Decimal into a JSON number whose text
is exactly the Decimal's value (checked: it refuses anything a double can't carry digit for digit, i.e. more than
15 significant digits, which our 4-decimal prices and 3-decimal quantities never reach).
A mapping problem raises one ValidationError listing everything to set in the Xero setup, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.providers.base import (
    BILL,
    INVOICE,
    NUMBERING_APP,
    NUMBERING_PROVIDER,
    NUMBERING_SETTING,
    PURCHASE_ORDER,
    DocumentMapper,
    KindNotExported,
    LookupKeys,
)
from integrations.providers.line_codes import code_for_line, line_code_missing

NO_TAX = "NONE"
CONTACT_NUMBER_PREFIX = "PRD-"
REFERENCE_MAX = 255
ADDRESS_LINES = 4
# Keys of Connection.settings written by the Xero setup form.
DEFAULT_ACCOUNT_SETTING = "default_account"
# The Expenses card: send expenses as bills, their default expense account; who numbers purchase orders.
EXPORT_EXPENSES_SETTING = "export_expenses"
DEFAULT_EXPENSE_ACCOUNT_SETTING = "default_expense_account"
PO_NUMBERING_SETTING = "po_xero_numbers"  # a toggle: Xero numbers purchase orders


@dataclass(frozen=True)
class XeroMappings:
    """What the connection's setup says for one side of the books: the default account (revenue for invoices,
    expense for bills and purchase orders), service type → account, tax rate → tax type, who numbers."""

    default_account: str = ""
    service_type_accounts: dict[int, str] = field(default_factory=dict)
    tax_types: dict[int, str] = field(default_factory=dict)
    numbering: str = NUMBERING_APP


def mappings_from(*, settings: dict, service_type_accounts: dict, tax_types: dict, kind: str = INVOICE) -> XeroMappings:
    """Build the mappings from the connection's settings and its mapping rows of the kind's purpose (loaded by the
    caller)."""
    if kind == INVOICE:
        account, numbering = settings.get(DEFAULT_ACCOUNT_SETTING), settings.get(NUMBERING_SETTING)
    else:
        account = settings.get(DEFAULT_EXPENSE_ACCOUNT_SETTING)
        xero_numbers = kind == PURCHASE_ORDER and bool(settings.get(PO_NUMBERING_SETTING))
        numbering = NUMBERING_PROVIDER if xero_numbers else NUMBERING_APP
    return XeroMappings(
        default_account=str(account or ""),
        service_type_accounts=dict(service_type_accounts),
        tax_types=dict(tax_types),
        numbering=numbering or NUMBERING_APP,
    )


@dataclass(frozen=True)
class LinePreview:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    tax_amount: Decimal
    account_code: str
    account_source: str  # "service type <name>" or "default account"
    tax_type: str
    tax_name: str


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with exactly its digits (trailing zeros aside): 99.9950 → 99.995, 10.000 → 10."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has more digits than a JSON number carries exactly.")
    return number


def _account_for(line, mappings) -> tuple[str, str]:
    return code_for_line(line, mappings.service_type_accounts, mappings.default_account, "default account")


def _tax_for(line, mappings: XeroMappings) -> str:
    if not line.tax_rate_id:
        return NO_TAX
    return mappings.tax_types.get(line.tax_rate_id, "")


def invoice_preview(invoice, lines, mappings: XeroMappings) -> list[LinePreview]:
    """The lines, accounts and tax types that will be sent; raises ValidationError listing what is not mapped."""
    problems: list[str] = []
    missing_taxes: dict[int, str] = {}
    previews = []
    for index, line in enumerate(lines, start=1):
        account, source = _account_for(line, mappings)
        if not account:
            problems.append(
                line_code_missing(index, line, provider="Xero", code="account", default="default revenue account")
            )
        tax_type = _tax_for(line, mappings)
        if not tax_type:
            missing_taxes[line.tax_rate_id] = str(line.tax_rate)
        previews.append(
            LinePreview(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_price,
                amount=line.amount,
                tax_amount=line.tax_amount,
                account_code=account,
                account_source=source,
                tax_type=tax_type,
                tax_name=str(line.tax_rate) if line.tax_rate_id else "No tax",
            )
        )
    for name in missing_taxes.values():
        problems.append(f"Tax rate “{name}” has no Xero tax type — map it in the Xero setup.")
    if not previews:
        problems.append("The invoice has no lines.")
    if problems:
        raise ValidationError(problems)
    return previews


def invoice_reference(invoice) -> str:
    """Xero's Reference: the client's PO number when there is one, else our subject."""
    return (invoice.po_number or invoice.subject or "")[:REFERENCE_MAX]


def invoice_url(invoice) -> str:
    return f"{settings.SITE_URL}{invoice.get_absolute_url()}"


def invoice_payload(invoice, lines, mappings: XeroMappings, *, contact_id: str, number: str | None = None) -> dict:
    """The ACCREC invoice for PUT/POST /Invoices (one element of the "Invoices" array). `number`: the number to
    send (default: the invoice's own); "" sends none, so Xero numbers it from its invoice settings."""
    previews = invoice_preview(invoice, lines, mappings)
    payload = {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": contact_id},
        "Date": invoice.issue_date.isoformat(),
        "DueDate": invoice.due_date.isoformat(),
        "CurrencyCode": invoice.currency,
        "LineAmountTypes": "Exclusive",
        "Reference": invoice_reference(invoice),
        "Url": invoice_url(invoice),
        "LineItems": [
            {
                "Description": preview.description,
                "Quantity": json_number(preview.quantity),
                "UnitAmount": json_number(preview.unit_amount),
                "AccountCode": preview.account_code,
                "TaxType": preview.tax_type,
            }
            for preview in previews
        ],
    }
    number = invoice.number if number is None else number
    if number:  # an issued invoice is always sent with its number, whoever numbers new ones
        payload["InvoiceNumber"] = number
    return payload


def contact_number(company) -> str:
    return f"{CONTACT_NUMBER_PREFIX}{company.pk}"


def _address_lines(text: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > ADDRESS_LINES:
        lines = lines[: ADDRESS_LINES - 1] + [", ".join(lines[ADDRESS_LINES - 1 :])]
    return lines


def contact_payload(company, *, name: str | None = None) -> dict:
    """A Xero contact created from our company (for PUT /Contacts). `name` overrides it after a name clash."""
    payload = {
        "Name": name or company.name,
        "ContactNumber": contact_number(company),
        "DefaultCurrency": company.default_currency,
    }
    if company.billing_email:
        payload["EmailAddress"] = company.billing_email
    if company.vat_number:
        payload["TaxNumber"] = company.vat_number
    lines = _address_lines(company.address)
    if lines or company.country:
        address = {"AddressType": "POBOX"}
        address.update({f"AddressLine{number}": text for number, text in enumerate(lines, start=1)})
        if company.country:
            address["Country"] = company.country
        payload["Addresses"] = [address]
    return payload


class XeroMapper(DocumentMapper):
    """Xero's side of the export engine: invoices as ACCREC invoices, bills (our expenses) as ACCPAY invoices,
    purchase orders as PurchaseOrders (purchases.py)."""

    kinds = frozenset({INVOICE, BILL, PURCHASE_ORDER})

    def _check(self, kind: str) -> None:
        if kind not in self.kinds:
            raise KindNotExported(f"Xero does not export {kind}s yet.")

    def mappings(
        self, *, connection, kind: str, service_type_codes: dict, tax_codes: dict, options: dict
    ) -> XeroMappings:
        self._check(kind)
        return mappings_from(
            settings=connection.settings or {},
            service_type_accounts=service_type_codes,
            tax_types=tax_codes,
            kind=kind,
        )

    def preview(self, kind: str, document, lines: list, mappings: XeroMappings) -> list[LinePreview]:
        from .purchases import bill_preview, purchase_order_preview

        self._check(kind)
        if kind == BILL:
            return bill_preview(document, lines, mappings)
        if kind == PURCHASE_ORDER:
            return purchase_order_preview(document, lines, mappings)
        return invoice_preview(document, lines, mappings)

    def payload(self, kind: str, document, lines: list, mappings, *, contact_id: str, number: str | None) -> dict:
        from .purchases import bill_payload, purchase_order_payload

        self._check(kind)
        if kind == BILL:
            return bill_payload(document, lines, mappings, contact_id=contact_id, number=number)
        if kind == PURCHASE_ORDER:
            xero_numbers = mappings.numbering == NUMBERING_PROVIDER
            return purchase_order_payload(
                document, lines, mappings, contact_id=contact_id, number=number, xero_numbers=xero_numbers
            )
        return invoice_payload(document, lines, mappings, contact_id=contact_id, number=number)

    def provider_numbers(self, connection, kind: str) -> bool:
        """The setup's choices "Xero numbers the invoices" / "… the purchase orders" (the number left out)."""
        settings = connection.settings or {}
        if kind == PURCHASE_ORDER:
            return bool(settings.get(PO_NUMBERING_SETTING))
        return kind == INVOICE and settings.get(NUMBERING_SETTING) == NUMBERING_PROVIDER

    def lookup_keys(self, kind: str, document, *, number: str) -> LookupKeys:
        """By the number sent (InvoiceNumbers, a purchase order's number), else, when Xero numbered it, by our
        Reference (a purchase order's is always our number)."""
        self._check(kind)
        if kind == PURCHASE_ORDER:  # the number sent (when we number them), else our number as its Reference
            return LookupKeys(number=number, reference=document.number)
        if number:
            return LookupKeys(number=number)
        return LookupKeys(reference=invoice_reference(document))


MAPPER = XeroMapper()
