"""What the export engine needs to know about each kind of our documents: one adapter per kind.

The services (invoice_copy, contact_links, numbering, copy_totals, remote_void, selectors) never ask "is this an
invoice?": they ask the document's adapter what it is, its lines, the contact role and mapping purpose it is sent
with, its number, total and currency, and where it sits on RemoteDocument and SyncLogEntry. The provider's side
(payloads, numbering and lookup rules) is its DocumentMapper (providers/base.py).

Invoices are exported today. Bills (our expenses) and purchase orders have their records, mappings and contact
roles already (RemoteDocument.kind, MappingPurpose.PURCHASE, ContactRole.SUPPLIER); their adapters land with the
features that export them (issue 10), and until then `adapter_for` refuses them by name.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError

from billing.models import Invoice

from .models import DOCUMENT_FIELDS, ContactRole, DocumentKind, MappingPurpose
from .providers.base import COPY_INVOICE, KindNotExported


class DocumentAdapter:
    """One kind of document as the engine sees it. Subclasses set the class attributes and the readers."""

    kind: str = ""
    model: type = None
    label: str = ""  # in sentences: "invoice"
    capability: str = ""  # the provider capability that exports it
    contact_role: str = ContactRole.CUSTOMER
    mapping_purpose: str = MappingPurpose.SALES

    @property
    def field(self) -> str:
        """Its foreign key on RemoteDocument and SyncLogEntry."""
        return DOCUMENT_FIELDS[self.kind]

    def lookup(self, document) -> dict:
        """RemoteDocument/SyncLogEntry filter arguments for this document: {"invoice_id": 5}."""
        return {f"{self.field}_id": document.pk}

    def subsidiary_id(self, document) -> int:
        """The subsidiary (bill-from entity) whose connections it is exported through."""
        return document.subsidiary_id

    def bind(self, document) -> dict:
        """ApiClient.bind arguments that attach the client's write log to this document."""
        return {}

    def company(self, document):
        """The company the provider's contact stands for (the customer billed, the supplier paid)."""
        raise NotImplementedError

    def lines(self, document) -> list:
        """Its priced lines (service type and tax rate loaded): what the mapper turns into the provider's lines."""
        raise NotImplementedError

    def number(self, document) -> str:
        """Our number for it, "" when it has none (yet)."""
        return document.number or ""

    def total(self, document) -> Decimal:
        return document.total

    def currency(self, document) -> str:
        return document.currency

    def export_refusal(self, document) -> str:
        """Why this document may not be exported in its current state ("" when it may)."""
        return ""

    def take_number(self, document, number: str) -> None:
        """Give the document the number the provider gave its copy (only called when it has none of ours)."""
        raise ValidationError(f"A {self.label} does not take the accounting tool's number.")


class InvoiceAdapter(DocumentAdapter):
    kind = DocumentKind.INVOICE
    model = Invoice
    label = "invoice"
    capability = COPY_INVOICE
    contact_role = ContactRole.CUSTOMER
    mapping_purpose = MappingPurpose.SALES

    def company(self, document):
        return document.company

    def bind(self, document) -> dict:
        return {"invoice": document}

    def lines(self, document) -> list:
        return list(document.lines.select_related("service_type", "tax_rate"))

    def export_refusal(self, document) -> str:
        if not document.is_finalized:
            return f"Only finalized invoices can be copied; this one is {document.get_status_display()}."
        return ""

    def take_number(self, document, number: str) -> None:
        from billing.services import invoice_set_number

        invoice_set_number(invoice=document, number=number)


ADAPTERS: dict[str, DocumentAdapter] = {DocumentKind.INVOICE: InvoiceAdapter()}


def adapter_for(kind: str) -> DocumentAdapter:
    try:
        return ADAPTERS[kind]
    except KeyError:
        label = DocumentKind(kind).label if kind in DocumentKind.values else repr(kind)
        raise KindNotExported(f"{label} documents are not exported yet.") from None


def adapter_of(document) -> DocumentAdapter:
    """The adapter of one of our documents (an Invoice instance → the invoice adapter)."""
    for adapter in ADAPTERS.values():
        if isinstance(document, adapter.model):
            return adapter
    raise KindNotExported(f"{type(document).__name__} documents are not exported yet.")
