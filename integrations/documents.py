"""What the export engine needs to know about each kind of our documents: one adapter per kind.

The services (invoice_copy, contact_links, numbering, copy_totals, remote_void, selectors) never ask "is this an
invoice?": they ask the document's adapter what it is, its lines, the contact role and mapping purpose it is sent
with, its number, total and currency, and where it sits on RemoteDocument and SyncLogEntry. The provider's side
(payloads, numbering and lookup rules) is its DocumentMapper (providers/base.py).

Three kinds: invoices (to the customer), bills (our budget expenses, from their vendor) and purchase orders (to
the vendor). A bill is one priced line made from the expense (ExpenseLine); its number is ours ("EXP-<id>"), so a
retry is looked up by it like an invoice's. A document may carry a file for its copy (`attachment`: an expense's
receipt), attached after the copy succeeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError

from billing.choices import ApprovalStatus
from billing.models import Expense, Invoice, PurchaseOrder
from billing.receipts import receipt_content_type, receipt_extension

from .models import DOCUMENT_FIELDS, ContactRole, DocumentKind, MappingPurpose
from .providers.base import COPY_INVOICE, EXPORT_EXPENSES, PURCHASE_ORDERS, KindNotExported

BILL_NUMBER_PREFIX = "EXP-"


@dataclass(frozen=True)
class Attachment:
    """A file sent with a copy (AccountingApi.attach_file)."""

    filename: str
    content: bytes
    content_type: str


class DocumentAdapter:
    """One kind of document as the engine sees it. Subclasses set the class attributes and the readers."""

    kind: str = ""
    model: type = None
    label: str = ""  # in sentences: "invoice"
    capability: str = ""  # the provider capability that exports it
    contact_role: str = ContactRole.CUSTOMER
    mapping_purpose: str = MappingPurpose.SALES
    # The RemotePayment field holding the payments its copies bring back ("" when it is not paid: a purchase order).
    payment_field: str = ""

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

    def attachment(self, document) -> Attachment | None:
        """A file its copy carries (attached once the copy succeeded), or None."""
        return None

    def queryset(self):
        """Its documents with what the engine reads of them (company, subsidiary) loaded along."""
        return self.model.objects.all()

    def load(self, pk: int):
        return self.queryset().get(pk=pk)


class InvoiceAdapter(DocumentAdapter):
    kind = DocumentKind.INVOICE
    model = Invoice
    label = "invoice"
    capability = COPY_INVOICE
    contact_role = ContactRole.CUSTOMER
    mapping_purpose = MappingPurpose.SALES
    payment_field = "payment"

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

    def queryset(self):
        return Invoice.objects.select_related("organization", "company", "subsidiary")


@dataclass(frozen=True)
class ExpenseLine:
    """An expense as the one priced line of its bill (the fields the mappers read from a PricedLine)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_amount: Decimal
    service_type_id: int | None
    service_type: object
    tax_rate_id: int | None
    tax_rate: object


def bill_number(expense) -> str:
    """Our number for an expense's bill: what its copy is sent and looked up by."""
    return f"{BILL_NUMBER_PREFIX}{expense.pk}"


class BillAdapter(DocumentAdapter):
    """A budget expense, exported as its vendor's bill (Xero: an ACCPAY invoice)."""

    kind = DocumentKind.BILL
    model = Expense
    label = "bill"
    capability = EXPORT_EXPENSES
    contact_role = ContactRole.SUPPLIER
    mapping_purpose = MappingPurpose.PURCHASE
    payment_field = "expense_payment"

    def subsidiary_id(self, document) -> int:
        return document.budget.subsidiary_id

    def company(self, document):
        return document.vendor

    def bind(self, document) -> dict:
        return {"expense": document}

    def lines(self, document) -> list:
        return [
            ExpenseLine(
                description=document.description,
                quantity=Decimal("1"),
                unit_price=document.amount,
                amount=document.amount,
                tax_amount=document.tax_amount,
                service_type_id=document.service_type_id,
                service_type=document.service_type,
                tax_rate_id=document.tax_rate_id,
                tax_rate=document.tax_rate,
            )
        ]

    def number(self, document) -> str:
        return bill_number(document)

    def export_refusal(self, document) -> str:
        reasons = []
        if document.approval_status != ApprovalStatus.APPROVED:
            reasons.append(f"Only approved expenses can be sent; this one is {document.get_approval_status_display()}.")
        if document.vendor_id is None:
            reasons.append("The expense has no vendor: choose the supplier it is paid to first.")
        return " ".join(reasons)

    def take_number(self, document, number: str) -> None:
        """A bill keeps our number; the supplier's own number is theirs, not the expense's."""

    def attachment(self, document) -> Attachment | None:
        if not document.receipt:
            return None
        with document.receipt.open("rb") as file:
            content = file.read()
        name = f"receipt-{bill_number(document)}.{receipt_extension(document.receipt.name) or 'bin'}"
        return Attachment(filename=name, content=content, content_type=receipt_content_type(name))

    def queryset(self):
        return Expense.objects.select_related(
            "organization", "vendor", "budget", "budget__subsidiary", "service_type", "tax_rate"
        )


class PurchaseOrderAdapter(DocumentAdapter):
    kind = DocumentKind.PURCHASE_ORDER
    model = PurchaseOrder
    label = "purchase order"
    capability = PURCHASE_ORDERS
    contact_role = ContactRole.SUPPLIER
    mapping_purpose = MappingPurpose.PURCHASE

    def company(self, document):
        return document.vendor

    def bind(self, document) -> dict:
        return {"purchase_order": document}

    def lines(self, document) -> list:
        return list(document.lines.select_related("service_type", "tax_rate"))

    def take_number(self, document, number: str) -> None:
        """Our purchase order keeps its number; the copy shows the provider's (RemoteDocument.remote_number)."""

    def queryset(self):
        return PurchaseOrder.objects.select_related("organization", "vendor", "subsidiary")


ADAPTERS: dict[str, DocumentAdapter] = {
    DocumentKind.INVOICE: InvoiceAdapter(),
    DocumentKind.BILL: BillAdapter(),
    DocumentKind.PURCHASE_ORDER: PurchaseOrderAdapter(),
}


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
