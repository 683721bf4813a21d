"""Invoices: create, edit, finalize (atomic numbering), set a provider's number, void."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..choices import InvoiceNumbering, InvoiceStatus
from ..models import (
    Budget,
    Company,
    Invoice,
    InvoiceLine,
    Organization,
    Subsidiary,
)
from ..selectors import invoice_due_date
from .lines import LineInput, check_same_organization, clean_lines, write_lines

INVOICE_HEADER_FIELDS = (
    "subsidiary",
    "company",
    "budget",
    "issue_date",
    "due_date",
    "currency",
    "subject",
    "note",
    "po_number",
    "custom_fields",
)


def _validate_invoice_header(organization: Organization, fields: dict) -> None:
    check_same_organization(
        organization,
        subsidiary=fields.get("subsidiary"),
        company=fields.get("company"),
        budget=fields.get("budget"),
    )
    errors = {}
    if fields.get("issue_date") and fields.get("due_date") and fields["due_date"] < fields["issue_date"]:
        errors["due_date"] = "The due date cannot be before the issue date."
    budget: Budget | None = fields.get("budget")
    if budget is not None:
        if fields.get("currency") and budget.currency != fields["currency"]:
            errors["currency"] = f"The budget is in {budget.currency}; the invoice must be too."
        if fields.get("company") and budget.company_id != fields["company"].pk:
            errors["budget"] = "The budget belongs to another company."
        elif fields.get("subsidiary") and budget.subsidiary_id != fields["subsidiary"].pk:
            errors["budget"] = "The budget is billed from another subsidiary."
    custom = fields.get("custom_fields")
    if custom is not None and (
        not isinstance(custom, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in custom.items())
    ):
        errors["custom_fields"] = "Custom fields are text keys with text values."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def invoice_create(
    *,
    organization: Organization,
    subsidiary: Subsidiary,
    company: Company,
    issue_date: date,
    due_date: date | None = None,
    currency: str | None = None,
    lines: Iterable[LineInput] = (),
    budget: Budget | None = None,
    subject: str = "",
    note: str = "",
    po_number: str = "",
    custom_fields: dict | None = None,
) -> Invoice:
    fields = {
        "subsidiary": subsidiary,
        "company": company,
        "budget": budget,
        "issue_date": issue_date,
        # No due date given: the payment terms (the company's, else the subsidiary's) decide it.
        "due_date": due_date or invoice_due_date(issue_date=issue_date, subsidiary=subsidiary, company=company),
        "currency": currency or company.default_currency or subsidiary.default_currency,
        "subject": subject,
        "note": note,
        "po_number": po_number,
        "custom_fields": custom_fields or {},
    }
    _validate_invoice_header(organization, fields)
    cleaned = clean_lines(organization, lines, InvoiceLine, Invoice)
    invoice = Invoice.objects.create(organization=organization, **fields)
    write_lines("invoice", invoice, InvoiceLine, cleaned)
    return invoice


@transaction.atomic
def invoice_update(*, invoice: Invoice, lines: Iterable[LineInput] | None = None, **changes) -> Invoice:
    """Change a draft's header fields and (when given) replace all of its lines."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"Only draft invoices can be edited; this one is {invoice.get_status_display()}.")
    unknown = set(changes) - set(INVOICE_HEADER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    merged = {name: changes.get(name, getattr(invoice, name)) for name in INVOICE_HEADER_FIELDS}
    _validate_invoice_header(invoice.organization, merged)
    cleaned = clean_lines(invoice.organization, lines, InvoiceLine, Invoice) if lines is not None else None
    for name, value in changes.items():
        setattr(invoice, name, value)
    invoice.content_changed_at = timezone.now()
    invoice.save()
    if cleaned is not None:
        write_lines("invoice", invoice, InvoiceLine, cleaned)
    return invoice


def _format_number(subsidiary: Subsidiary, sequence: int) -> str:
    return f"{subsidiary.invoice_number_prefix}{sequence:04d}"


def _take_next_number(invoice: Invoice) -> str:
    """The subsidiary's next number, from an atomic `UPDATE ... SET next = next + 1` on its row, which PostgreSQL
    serializes with a row lock (SQLite with its database write lock): two invoices never share a number."""
    Subsidiary.objects.filter(pk=invoice.subsidiary_id).update(next_invoice_number=F("next_invoice_number") + 1)
    subsidiary = Subsidiary.objects.get(pk=invoice.subsidiary_id)
    return _format_number(subsidiary, subsidiary.next_invoice_number - 1)


@transaction.atomic
def invoice_finalize(*, invoice: Invoice) -> Invoice:
    """Lock the draft and give it the subsidiary's next number.

    A subsidiary whose numbering belongs to its accounting tool (InvoiceNumbering.ACCOUNTING_TOOL) finalizes the
    invoice without a number and without using our sequence: the first copy to that tool gives it the tool's
    number (invoice_set_number), which it then keeps.
    """
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValidationError(f"Only a draft can be finalized; this invoice is {invoice.get_status_display()}.")
    errors = {}
    if not invoice.company_id:
        errors["company"] = "Choose the company to bill before finalizing."
    if not invoice.lines.exists():
        errors["lines"] = "Add at least one line before finalizing."
    elif invoice.total <= 0:
        errors["lines"] = "The invoice total must be greater than zero."
    if errors:
        raise ValidationError(errors)
    numbering = Subsidiary.objects.values_list("invoice_numbering", flat=True).get(pk=invoice.subsidiary_id)
    if numbering == InvoiceNumbering.APP:
        invoice.number = _take_next_number(invoice)
    invoice.status = InvoiceStatus.FINALIZED
    invoice.finalized_at = timezone.now()
    invoice.content_changed_at = invoice.finalized_at
    invoice.save(update_fields=["number", "status", "finalized_at", "content_changed_at", "updated_at"])
    return invoice


@transaction.atomic
def invoice_set_number(*, invoice: Invoice, number: str) -> Invoice:
    """Give an invoice issued without a number the accounting tool's number. An issued number never changes."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": "The number cannot be empty."})
    if invoice.status != InvoiceStatus.FINALIZED:
        raise ValidationError("Only a finalized invoice takes a number from the accounting tool.")
    if invoice.number:
        if invoice.number == number:
            return invoice
        raise ValidationError({"number": f"An issued invoice keeps its number: this one is {invoice.number}."})
    taken = Invoice.objects.filter(subsidiary_id=invoice.subsidiary_id, number=number).exclude(pk=invoice.pk)
    if taken.exists():
        raise ValidationError({"number": f"Number {number} is already used by another invoice of this subsidiary."})
    invoice.number = number
    invoice.save(update_fields=["number", "updated_at"])
    return invoice


@transaction.atomic
def subsidiary_set_invoice_numbering(*, subsidiary: Subsidiary, numbering: str) -> int:
    """Say who numbers the subsidiary's invoices from now on. Numbers already issued never change; going back to
    this app gives the invoices still waiting for the tool's number our next numbers now, in the order they were
    finalized (so the sequence has no gaps). Returns how many invoices were numbered."""
    if numbering not in InvoiceNumbering.values:
        raise ValidationError({"invoice_numbering": "Choose who numbers the invoices."})
    subsidiary = Subsidiary.objects.select_for_update().get(pk=subsidiary.pk)
    if subsidiary.invoice_numbering != numbering:
        subsidiary.invoice_numbering = numbering
        subsidiary.save(update_fields=["invoice_numbering"])
    if numbering != InvoiceNumbering.APP:
        return 0
    waiting = (
        Invoice.objects.select_for_update().filter(subsidiary=subsidiary, number="").exclude(status=InvoiceStatus.DRAFT)
    )
    count = 0
    for invoice in waiting.order_by("finalized_at", "pk"):
        invoice.number = _take_next_number(invoice)
        invoice.save(update_fields=["number", "updated_at"])
        count += 1
    return count


@transaction.atomic
def invoice_void(*, invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.FINALIZED:
        raise ValidationError("Only a finalized invoice can be voided.")
    if invoice.payments.filter(is_deleted=False).exists():
        raise ValidationError("Remove the invoice's payments before voiding it.")
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = invoice.content_changed_at = timezone.now()
    invoice.save(update_fields=["status", "voided_at", "content_changed_at", "updated_at"])
    return invoice
