"""Our invoice and company → QuickBooks payloads, and QuickBooks' rules about them (QuickBooksMapper). Pure: no
queries of its own, no HTTP.

Every sales line needs an Item (QuickBooks books revenue through the item's income account, there is no account
per line): the service type's item, else the default item. Tax: the copy prompt's tax code on every line, or none
(our tax rates are not mirrored: QuickBooks computes its own tax from the code). DocNumber (at most 21
characters) is left out when QuickBooks numbers invoices (the company's "custom transaction numbers" off).
Money stays Decimal; ApiClient writes it into the JSON digit for digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError

from integrations.providers.base import (
    INVOICE,
    NUMBERING_APP,
    NUMBERING_SETTING,
    InvoiceMapper,
    LookupKeys,
)
from integrations.providers.line_codes import code_for_line, line_code_missing

PDF_SETTING = "pdf"
PDF_OURS = "ours"  # our PDF is attached to the copy; "Download PDF" stays ours
PDF_PROVIDER = "provider"  # QuickBooks renders it; "Download PDF" fetches QuickBooks'
DEFAULT_ITEM_SETTING = "default_item"
TAX_CODE_SETTING = "tax_code"  # the copy prompt's tax code ("" = no tax)
MEMO_SETTING = "memo"
MEMO_CUSTOM_FIELD_SETTING = "memo_custom_field"
SALES_TERM_SETTING = "sales_term"
MEMO_NONE, MEMO_SUBJECT, MEMO_NOTE, MEMO_PO_NUMBER, MEMO_CUSTOM = "none", "subject", "note", "po_number", "custom"
DOC_NUMBER_MAX = 21
MEMO_MAX = 1000  # CustomerMemo
PRIVATE_NOTE_MAX = 4000
DISPLAY_NAME_MAX = 100


@dataclass(frozen=True)
class QuickBooksMappings:
    default_item: str = ""
    service_type_items: dict[int, str] = field(default_factory=dict)
    tax_code: str = ""
    memo: str = MEMO_SUBJECT
    memo_custom_field: str = ""
    numbering: str = NUMBERING_APP
    sales_term: str = ""
    # Names from the cached pick lists, for the prompt's preview (the payload sends the ids).
    item_names: dict[str, str] = field(default_factory=dict)
    tax_code_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinePreview:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    tax_amount: Decimal
    item: str
    item_source: str
    tax_code: str
    tax_name: str
    item_name: str = ""


def _item_for(line, mappings) -> tuple[str, str]:
    return code_for_line(line, mappings.service_type_items, mappings.default_item, "default item")


def invoice_preview(invoice, lines, mappings: QuickBooksMappings, *, number: str | None = None) -> list[LinePreview]:
    problems: list[str] = []
    previews = []
    for index, line in enumerate(lines, start=1):
        item, source = _item_for(line, mappings)
        if not item:
            problems.append(line_code_missing(index, line, provider="QuickBooks", code="item"))
        previews.append(
            LinePreview(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_price,
                amount=line.amount,
                tax_amount=line.tax_amount,
                item=item,
                item_source=source,
                tax_code=mappings.tax_code,
                tax_name=mappings.tax_code_names.get(mappings.tax_code, mappings.tax_code)
                or "No tax (QuickBooks computes tax from a tax code; ours is not copied)",
                item_name=mappings.item_names.get(item, item),
            )
        )
    number = invoice.number if number is None else number
    if number and len(number) > DOC_NUMBER_MAX:
        problems.append(f"QuickBooks invoice numbers have at most {DOC_NUMBER_MAX} characters; “{number}” is longer.")
    if not previews:
        problems.append("The invoice has no lines.")
    if problems:
        raise ValidationError(problems)
    return previews


def _names(connection, list_key: str) -> dict[str, str]:
    rows = ((connection.settings or {}).get("lists") or {}).get(list_key) or []
    return {str(row.get("code")): str(row.get("name") or row.get("code")) for row in rows if isinstance(row, dict)}


def customer_memo(invoice, mappings: QuickBooksMappings) -> str:
    """The message printed on the invoice, from the setup's memo choice."""
    if mappings.memo == MEMO_CUSTOM:
        text = (invoice.custom_fields or {}).get(mappings.memo_custom_field, "")
    else:
        text = {MEMO_SUBJECT: invoice.subject, MEMO_NOTE: invoice.note, MEMO_PO_NUMBER: invoice.po_number}.get(
            mappings.memo, ""
        )
    return str(text or "")[:MEMO_MAX]


def private_note(invoice) -> str:
    """The internal memo: where the invoice comes from (what support searches by in QuickBooks)."""
    return f"Productive invoice {invoice.number or invoice.pk}: {settings.SITE_URL}{invoice.get_absolute_url()}"[
        :PRIVATE_NOTE_MAX
    ]


def invoice_payload(invoice, lines, mappings: QuickBooksMappings, *, contact_id: str, number: str | None) -> dict:
    previews = invoice_preview(invoice, lines, mappings, number=number)
    payload = {
        "CustomerRef": {"value": contact_id},
        "TxnDate": invoice.issue_date.isoformat(),
        "DueDate": invoice.due_date.isoformat(),
        "CurrencyRef": {"value": invoice.currency},
        "PrivateNote": private_note(invoice),
        "GlobalTaxCalculation": "TaxExcluded" if mappings.tax_code else "NotApplicable",
        "Line": [
            {
                "DetailType": "SalesItemLineDetail",
                "Amount": preview.amount,
                "Description": preview.description,
                "SalesItemLineDetail": {
                    "ItemRef": {"value": preview.item},
                    "Qty": preview.quantity,
                    "UnitPrice": preview.unit_amount,
                    **({"TaxCodeRef": {"value": preview.tax_code}} if preview.tax_code else {}),
                },
            }
            for preview in previews
        ],
    }
    if mappings.sales_term:
        payload["SalesTermRef"] = {"value": mappings.sales_term}
    memo = customer_memo(invoice, mappings)
    if memo:
        payload["CustomerMemo"] = {"value": memo}
    number = invoice.number if number is None else number
    if number:  # an issued invoice always carries its number; without one QuickBooks numbers it
        payload["DocNumber"] = number
    return payload


def _address(company) -> dict:
    lines = [line.strip() for line in (company.address or "").splitlines() if line.strip()]
    address = {f"Line{index}": text for index, text in enumerate(lines[:5], start=1)}
    if company.country:
        address["Country"] = company.country
    return address


def customer_payload(company, *, name: str | None = None) -> dict:
    payload = {
        "DisplayName": (name or company.name)[:DISPLAY_NAME_MAX],
        "CompanyName": company.name[:DISPLAY_NAME_MAX],
        "CurrencyRef": {"value": company.default_currency},
    }
    if company.billing_email:
        payload["PrimaryEmailAddr"] = {"Address": company.billing_email}
    address = _address(company)
    if address:
        payload["BillAddr"] = address
    return payload


class QuickBooksMapper(InvoiceMapper):
    provider_name = "QuickBooks"
    build_preview = staticmethod(invoice_preview)
    build_payload = staticmethod(invoice_payload)

    def mappings(self, *, connection, kind, service_type_codes, tax_codes, options) -> QuickBooksMappings:
        self.check_kind(kind)
        chosen = {**(connection.settings or {}), **(options or {})}
        return QuickBooksMappings(
            default_item=str(chosen.get(DEFAULT_ITEM_SETTING) or ""),
            service_type_items=dict(service_type_codes),
            tax_code=str(chosen.get(TAX_CODE_SETTING) or ""),
            memo=str(chosen.get(MEMO_SETTING) or MEMO_SUBJECT),
            memo_custom_field=str(chosen.get(MEMO_CUSTOM_FIELD_SETTING) or ""),
            numbering=str(chosen.get(NUMBERING_SETTING) or NUMBERING_APP),
            sales_term=str(chosen.get(SALES_TERM_SETTING) or ""),
            item_names=_names(connection, "items"),
            tax_code_names=_names(connection, "tax_codes"),
        )

    def lookup_keys(self, kind, document, *, number):
        """By DocNumber when we sent one. QuickBooks cannot search by a reference (PrivateNote is not queryable):
        a create QuickBooks numbered is repeated with the same requestid instead, which Intuit answers with the
        first execution's invoice rather than making a second one."""
        self.check_kind(kind)
        return LookupKeys(number=number) if number else LookupKeys()

    def pdf_from_provider(self, connection, kind) -> bool:
        return kind == INVOICE and (connection.settings or {}).get(PDF_SETTING) == PDF_PROVIDER

    def attaches_our_pdf(self, connection, kind) -> bool:
        return kind == INVOICE and (connection.settings or {}).get(PDF_SETTING, PDF_OURS) == PDF_OURS


MAPPER = QuickBooksMapper()
