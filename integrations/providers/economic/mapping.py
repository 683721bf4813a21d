"""Our invoice and company → e-conomic payloads, and e-conomic's rules about them (EconomicMapper). Pure: no
queries of its own, no HTTP.

A copy is a draft invoice (`POST /invoices/drafts`), booked at once (`POST /invoices/booked`) when the setup or
the copy prompt says so. The payload the client receives is {"draft": <draft invoice>, "book": None | {} |
{"bookWithNumber": n}}. Every line needs a product (e-conomic books revenue and VAT through the product's group
and the recipient's VAT zone; there is no VAT code per line, so our tax rates are not copied): the service type's
product, else the default product. Prices and quantities have at most two decimals there (E04740).

Numbers: e-conomic invoice numbers are whole numbers. When this app numbers invoices, booking sends the number
part of ours as `bookWithNumber` ("INV-0042" → 42) and our whole number travels in `references.other` (what a
lookup searches by); when e-conomic numbers them, it gives the number on booking, so those copies are booked at
once (a draft has no invoice number yet).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError

from integrations.providers.base import (
    INVOICE,
    NUMBERING_APP,
    NUMBERING_PROVIDER,
    NUMBERING_SETTING,
    InvoiceMapper,
    LookupKeys,
)
from integrations.providers.line_codes import code_for_line, line_code_missing

PDF_SETTING = "pdf"
PDF_OURS = "ours"
PDF_PROVIDER = "provider"  # "Download PDF" fetches e-conomic's PDF of the booked invoice
BOOKING_SETTING = "booking"
BOOKING_DRAFT = "draft"  # left as a draft for a bookkeeper to book in e-conomic
BOOKING_BOOK = "book"
LAYOUT_SETTING = "layout"
PAYMENT_TERMS_SETTING = "payment_terms"
VAT_ZONE_SETTING = "vat_zone"
CUSTOMER_GROUP_SETTING = "customer_group"
DEFAULT_PRODUCT_SETTING = "default_product"
PRODUCT_TABLE = "service_product"
REFERENCE_MAX = 250  # references.other
NAME_MAX = 255  # customer and recipient names
HEADING_MAX = 250  # notes.heading
DESCRIPTION_MAX = 2500
DUE_DATE_TERMS = "dueDate"  # the only payment terms type whose draft carries its own dueDate
_TRAILING_NUMBER = re.compile(r"(\d+)\D*$")
CENT = Decimal("0.01")


def book_number(number: str) -> int | None:
    """The whole number e-conomic books our number with: its last run of digits ("INV-0042" → 42)."""
    match = _TRAILING_NUMBER.search(number or "")
    value = int(match.group(1)) if match else 0
    return value if 0 < value <= 999_999_999 else None


@dataclass(frozen=True)
class EconomicMappings:
    layout: str = ""
    payment_terms: str = ""
    payment_terms_type: str = ""
    vat_zone: str = ""
    default_product: str = ""
    service_type_products: dict[int, str] = field(default_factory=dict)
    numbering: str = NUMBERING_APP
    booking: str = BOOKING_DRAFT

    @property
    def books(self) -> bool:
        return self.booking == BOOKING_BOOK or self.numbering == NUMBERING_PROVIDER


@dataclass(frozen=True)
class LinePreview:
    description: str
    quantity: Decimal
    unit_amount: Decimal
    amount: Decimal
    tax_amount: Decimal
    product: str
    product_source: str
    tax_name: str = "From the product's group and the VAT zone (our tax rates are not copied)"


def _two_places(value: Decimal) -> Decimal | None:
    """The value with two decimals when that loses nothing; None when it has more (e-conomic refuses those)."""
    rounded = value.quantize(CENT)
    return rounded if rounded == value else None


def _product_for(line, mappings) -> tuple[str, str]:
    return code_for_line(line, mappings.service_type_products, mappings.default_product, "default product")


def invoice_preview(invoice, lines, mappings: EconomicMappings, *, number: str | None = None) -> list[LinePreview]:
    problems: list[str] = []
    previews = []
    for index, line in enumerate(lines, start=1):
        product, source = _product_for(line, mappings)
        if not product:
            problems.append(line_code_missing(index, line, provider="e-conomic", code="product"))
        if _two_places(line.unit_price) is None or _two_places(line.quantity) is None:
            problems.append(
                f"Line {index} (“{line.description}”): e-conomic takes prices and quantities with at most two "
                f"decimals ({line.quantity} × {line.unit_price})."
            )
        previews.append(
            LinePreview(
                description=line.description,
                quantity=line.quantity,
                unit_amount=line.unit_price,
                amount=line.amount,
                tax_amount=line.tax_amount,
                product=product,
                product_source=source,
            )
        )
    for value, label in ((mappings.layout, "a layout"), (mappings.payment_terms, "payment terms")):
        if not value:
            problems.append(f"Choose {label} for the e-conomic invoice (setup or copy prompt).")
    if not mappings.vat_zone:
        problems.append("Choose a VAT zone for the e-conomic invoice (setup or copy prompt).")
    number = invoice.number if number is None else number
    ours = bool(number) and number == invoice.number
    if mappings.numbering == NUMBERING_APP and mappings.books and ours and not book_number(number):
        problems.append(
            f"e-conomic books invoices with whole numbers and “{number}” has none to book it with: let e-conomic "
            "number invoices, or keep copies as drafts."
        )
    if number and len(number) > REFERENCE_MAX:
        problems.append(f"e-conomic references have at most {REFERENCE_MAX} characters; “{number}” is longer.")
    if not previews:
        problems.append("The invoice has no lines.")
    if problems:
        raise ValidationError(problems)
    return previews


def _recipient(company, vat_zone: str) -> dict:
    recipient = {"name": company.name[:NAME_MAX], "vatZone": {"vatZoneNumber": int(vat_zone)}}
    lines = [line.strip() for line in (company.address or "").splitlines() if line.strip()]
    if lines:
        recipient["address"] = "\n".join(lines)[:510]
    if company.country:
        recipient["country"] = company.country
    if company.vat_number:
        recipient["cvr"] = company.vat_number[:40]
    return recipient


def invoice_payload(invoice, lines, mappings: EconomicMappings, *, contact_id: str, number: str | None) -> dict:
    """{"draft": the draft invoice (PUT needs the whole document, so an update sends the same), "book": None or the
    booking request's extra fields}."""
    previews = invoice_preview(invoice, lines, mappings, number=number)
    number = invoice.number if number is None else number
    draft = {
        "date": invoice.issue_date.isoformat(),
        "currency": invoice.currency,
        "customer": {"customerNumber": int(contact_id)},
        "layout": {"layoutNumber": int(mappings.layout)},
        "paymentTerms": {"paymentTermsNumber": int(mappings.payment_terms)},
        "recipient": _recipient(invoice.company, mappings.vat_zone),
        "lines": [
            {
                "lineNumber": position,
                "sortKey": position,
                "description": preview.description[:DESCRIPTION_MAX],
                "product": {"productNumber": preview.product},
                "quantity": _two_places(preview.quantity),
                "unitNetPrice": _two_places(preview.unit_amount),
            }
            for position, preview in enumerate(previews, start=1)
        ],
    }
    if mappings.payment_terms_type == DUE_DATE_TERMS:
        draft["dueDate"] = invoice.due_date.isoformat()
    if number:
        draft["references"] = {"other": number}
    if invoice.subject:
        draft["notes"] = {"heading": invoice.subject[:HEADING_MAX]}
    book = None
    if mappings.books:
        # Our own number books it; a "Create new" copy ("INV-0042-2") has no number of its own there: e-conomic
        # numbers it, and references.other says which of ours it is.
        ours = mappings.numbering == NUMBERING_APP and number and number == invoice.number
        book = {"bookWithNumber": book_number(number)} if ours else {}
    return {"draft": draft, "book": book}


def customer_payload(company, *, name: str, currency: str, group: str, vat_zone: str, payment_terms: str) -> dict:
    """POST /customers: currency, customerGroup, name, paymentTerms and vatZone are required; e-conomic numbers it."""
    payload = {
        "name": name[:NAME_MAX],
        "currency": currency,
        "customerGroup": {"customerGroupNumber": int(group)},
        "vatZone": {"vatZoneNumber": int(vat_zone)},
        "paymentTerms": {"paymentTermsNumber": int(payment_terms)},
    }
    if company.billing_email:
        payload["email"] = company.billing_email
    lines = [line.strip() for line in (company.address or "").splitlines() if line.strip()]
    if lines:
        payload["address"] = "\n".join(lines)[:510]
    if company.country:
        payload["country"] = company.country
    if company.vat_number:
        payload["corporateIdentificationNumber"] = company.vat_number[:40]
    return payload


def _terms_type(connection, code: str) -> str:
    """The payment terms' type from the cached pick list (dueDate terms need the draft's own due date)."""
    options = ((connection.settings or {}).get("lists") or {}).get("payment_terms") or []
    option = next((o for o in options if o.get("code") == code), None)
    return str(((option or {}).get("extra") or {}).get("type") or "")


class EconomicMapper(InvoiceMapper):
    provider_name = "e-conomic"
    build_preview = staticmethod(invoice_preview)
    build_payload = staticmethod(invoice_payload)

    def mappings(self, *, connection, kind, service_type_codes, tax_codes, options) -> EconomicMappings:
        self.check_kind(kind)
        chosen = {**(connection.settings or {}), **{k: v for k, v in (options or {}).items() if v not in (None, "")}}
        terms = str(chosen.get(PAYMENT_TERMS_SETTING) or "")
        return EconomicMappings(
            layout=str(chosen.get(LAYOUT_SETTING) or ""),
            payment_terms=terms,
            payment_terms_type=_terms_type(connection, terms),
            vat_zone=str(chosen.get(VAT_ZONE_SETTING) or ""),
            default_product=str(chosen.get(DEFAULT_PRODUCT_SETTING) or ""),
            service_type_products=dict(service_type_codes),
            numbering=str(chosen.get(NUMBERING_SETTING) or NUMBERING_APP),
            booking=str(chosen.get(BOOKING_SETTING) or BOOKING_DRAFT),
        )

    def lookup_keys(self, kind, document, *, number):
        """By our number, kept in references.other (drafts and booked invoices are searched by it). A copy e-conomic
        numbers carries none: its retry repeats the Idempotency-Key instead, which e-conomic answers without
        writing again."""
        self.check_kind(kind)
        return LookupKeys(reference=number) if number else LookupKeys()

    def pdf_from_provider(self, connection, kind) -> bool:
        return kind == INVOICE and (connection.settings or {}).get(PDF_SETTING) == PDF_PROVIDER


MAPPER = EconomicMapper()
