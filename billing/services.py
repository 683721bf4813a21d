"""Billing writes. Views, forms, the API, the admin and the integrations all change billing data through here.

Every service validates first and raises django.core.exceptions.ValidationError (with a field → messages
dict where a field is at fault), so that bad input changes nothing. Multi-row changes run in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .amount_limits import too_large
from .choices import ApprovalStatus, InvoiceNumbering, InvoiceStatus, PaymentSource, PaymentStatus
from .models import (
    Budget,
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    InvoiceLine,
    Organization,
    Payment,
    PricedLine,
    PurchaseOrder,
    PurchaseOrderLine,
    ServiceType,
    Subsidiary,
    TaxRate,
)
from .money import ZERO, LineAmounts, format_money, line_amounts, to_cents, totals_of
from .selectors import invoice_due_date


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    service_type: ServiceType | None = None
    tax_rate: TaxRate | None = None


def _decimal(value, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: "Enter a number."}) from None


def _check_same_organization(organization: Organization, **objects) -> None:
    """Refuse objects of another tenant (an id smuggled into a form or an API payload)."""
    errors = {
        field: "Not found."
        for field, obj in objects.items()
        if obj is not None and obj.organization_id != organization.pk
    }
    if errors:
        raise ValidationError(errors)


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def _clean_lines(
    organization: Organization, lines: Iterable[LineInput], line_model: type[PricedLine], parent_model: type
) -> list[LineInput]:
    cleaned = []
    for index, line in enumerate(lines):
        quantity = _decimal(line.quantity, "lines")
        unit_price = _decimal(line.unit_price, "lines")
        if not (line.description or "").strip():
            raise ValidationError({"lines": f"Line {index + 1}: enter a description."})
        too_wide = too_large(line_model, {"quantity": quantity, "unit_price": unit_price})
        if too_wide:
            raise ValidationError({"lines": [f"Line {index + 1}: {problem}." for problem in too_wide]})
        if quantity <= 0:
            raise ValidationError({"lines": f"Line {index + 1}: the quantity must be greater than zero."})
        if unit_price < 0:
            raise ValidationError({"lines": f"Line {index + 1}: the unit price cannot be negative."})
        try:
            _check_same_organization(organization, service_type=line.service_type, tax_rate=line.tax_rate)
        except ValidationError:
            raise ValidationError({"lines": f"Line {index + 1}: unknown service type or tax rate."}) from None
        cleaned.append(LineInput(line.description.strip(), quantity, unit_price, line.service_type, line.tax_rate))
    _check_line_amounts(line_model, parent_model, cleaned)
    return cleaned


def _amounts_of(line: LineInput) -> LineAmounts:
    return line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        tax_percentage=line.tax_rate.percentage if line.tax_rate else None,
    )


def _check_line_amounts(line_model: type[PricedLine], parent_model: type, lines: list[LineInput]) -> None:
    """Refuse lines whose net or tax, or a document whose subtotal, tax or total, its column cannot hold."""
    amounts = [_amounts_of(line) for line in lines]
    problems = [
        f"Line {index}: {problem}."
        for index, line in enumerate(amounts, start=1)
        for problem in too_large(line_model, {"amount": line.net, "tax_amount": line.tax})
    ]
    if not problems:
        totals = totals_of(amounts)
        derived = {"subtotal": totals.subtotal, "tax_total": totals.tax, "total": totals.total}
        problems = [_sentence(problem) for problem in too_large(parent_model, derived)]
    if problems:
        raise ValidationError({"lines": problems})


def _write_lines(parent_field: str, parent, line_model: type[PricedLine], lines: list[LineInput]) -> None:
    line_model.objects.filter(**{parent_field: parent}).delete()
    rows = []
    for position, line in enumerate(lines):
        amounts = _amounts_of(line)
        rows.append(
            line_model(
                **{parent_field: parent},
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price=line.unit_price,
                service_type=line.service_type,
                tax_rate=line.tax_rate,
                amount=amounts.net,
                tax_amount=amounts.tax,
            )
        )
    line_model.objects.bulk_create(rows)
    totals = totals_of(line_amounts_of(rows))
    parent.subtotal, parent.tax_total, parent.total = totals.subtotal, totals.tax, totals.total
    parent.save(update_fields=["subtotal", "tax_total", "total", "updated_at"])


def line_amounts_of(rows: Iterable[PricedLine]) -> list[LineAmounts]:
    return [LineAmounts(net=row.amount, tax=row.tax_amount) for row in rows]


# --- Invoices ---------------------------------------------------------------------------------------------

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
    _check_same_organization(
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
    cleaned = _clean_lines(organization, lines, InvoiceLine, Invoice)
    invoice = Invoice.objects.create(organization=organization, **fields)
    _write_lines("invoice", invoice, InvoiceLine, cleaned)
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
    cleaned = _clean_lines(invoice.organization, lines, InvoiceLine, Invoice) if lines is not None else None
    for name, value in changes.items():
        setattr(invoice, name, value)
    invoice.content_changed_at = timezone.now()
    invoice.save()
    if cleaned is not None:
        _write_lines("invoice", invoice, InvoiceLine, cleaned)
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


def payment_status_for(*, total: Decimal, paid: Decimal) -> str:
    if paid <= 0:
        return PaymentStatus.UNPAID
    if paid < total:
        return PaymentStatus.PARTIALLY_PAID
    if paid == total:
        return PaymentStatus.PAID
    return PaymentStatus.OVERPAID


def _refresh_paid(parent, payments, total: Decimal) -> None:
    """Recompute amount paid and payment status from the active payments (never incrementally)."""
    paid = sum((p.amount for p in payments.filter(is_deleted=False)), ZERO)
    too_wide = too_large(type(parent), {"amount_paid": paid})
    if too_wide:
        raise ValidationError({"amount": [_sentence(problem) for problem in too_wide]})
    parent.amount_paid = paid
    parent.payment_status = payment_status_for(total=total, paid=paid)
    parent.save(update_fields=["amount_paid", "payment_status", "updated_at"])


def invoice_refresh_payments(*, invoice: Invoice) -> Invoice:
    _refresh_paid(invoice, invoice.payments, invoice.total)
    return invoice


def _validate_payment(*, model: type, amount, currency: str | None, expected_currency: str) -> Decimal:
    amount = _decimal(amount, "amount")
    too_wide = too_large(model, {"amount": amount})
    if too_wide:
        raise ValidationError({"amount": [_sentence(problem) for problem in too_wide]})
    if amount <= 0:
        raise ValidationError({"amount": "The amount must be greater than zero."})
    if to_cents(amount) != amount:
        raise ValidationError({"amount": "Amounts have at most two decimals."})
    if currency and currency != expected_currency:
        raise ValidationError({"currency": f"The payment must be in {expected_currency}, the invoice's currency."})
    return amount


def _check_overpayment(parent, amount: Decimal, *, source: str, confirmed: bool) -> None:
    """A manual payment beyond the amount due must be confirmed; one reported by an accounting tool already
    happened there and is recorded as is."""
    due = parent.total - parent.amount_paid
    if source != PaymentSource.MANUAL or confirmed or amount <= due:
        return
    noun, currency = parent._meta.verbose_name, parent.currency
    if due <= 0:
        message = (
            f"Nothing is due on this {noun}; confirm the overpayment to record {format_money(amount, currency)} anyway."
        )
    else:
        message = (
            f"{format_money(amount, currency)} is {format_money(amount - due, currency)} more than the "
            f"{format_money(due, currency)} due on this {noun}; confirm the overpayment to record it."
        )
    raise ValidationError({"confirm_overpayment": message})


def _create_payment(
    model, parent_field: str, parent, *, amount, date, reference, currency, source, external_id, user, confirmed
):
    """One payment row of an invoice or an expense, in the parent's currency, after validating the input."""
    amount = _validate_payment(model=model, amount=amount, currency=currency, expected_currency=parent.currency)
    if date is None:
        raise ValidationError({"date": "Enter the payment date."})
    _check_overpayment(parent, amount, source=source, confirmed=confirmed)
    return model.objects.create(
        organization_id=parent.organization_id,
        **{parent_field: parent},
        amount=amount,
        currency=parent.currency,
        date=date,
        reference=reference,
        source=source,
        external_id=external_id,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    date: date,
    reference: str = "",
    currency: str | None = None,
    source: str = PaymentSource.MANUAL,
    external_id: str = "",
    user=None,
    confirm_overpayment: bool = False,
) -> Payment:
    """Record a payment of a finalized invoice. A manual one beyond the amount due needs
    `confirm_overpayment=True` (else a ValidationError on that field, naming the amount due)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.FINALIZED:
        raise ValidationError(f"Payments can only be recorded on finalized invoices; this one is {invoice.status}.")
    payment = _create_payment(
        Payment,
        "invoice",
        invoice,
        amount=amount,
        date=date,
        reference=reference,
        currency=currency,
        source=source,
        external_id=external_id,
        user=user,
        confirmed=confirm_overpayment,
    )
    invoice_refresh_payments(invoice=invoice)
    return payment


@transaction.atomic
def payment_delete(*, payment: Payment) -> Payment:
    """Soft-delete: the payment stays for the record but no longer counts towards the invoice."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if not payment.is_deleted:
        payment.is_deleted = True
        payment.deleted_at = timezone.now()
        payment.save(update_fields=["is_deleted", "deleted_at"])
    invoice_refresh_payments(invoice=payment.invoice)
    return payment


@transaction.atomic
def payment_restore(*, payment: Payment) -> Payment:
    """Undo a soft delete (a payment the accounting tool reports as active again)."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_deleted:
        payment.is_deleted = False
        payment.deleted_at = None
        payment.save(update_fields=["is_deleted", "deleted_at"])
    invoice_refresh_payments(invoice=payment.invoice)
    return payment


@transaction.atomic
def payment_update(*, payment: Payment, amount: Decimal, date: date, reference: str | None = None) -> Payment:
    """Change a payment's amount, date (and reference) to what the accounting tool now says it is; the invoice's
    amount paid and status follow. Reported payments already happened there, so no overpayment question."""
    payment = Payment.objects.select_for_update().select_related("invoice").get(pk=payment.pk)
    amount = _validate_payment(model=Payment, amount=amount, currency=None, expected_currency=payment.currency)
    if date is None:
        raise ValidationError({"date": "Enter the payment date."})
    payment.amount, payment.date = amount, date
    if reference is not None:
        payment.reference = reference
    payment.save(update_fields=["amount", "date", "reference"])
    invoice_refresh_payments(invoice=payment.invoice)
    return payment


def payment_delete_manual(*, payment: Payment) -> Payment:
    """A user removes a payment they recorded; payments synced from an accounting tool are removed there."""
    if payment.source != PaymentSource.MANUAL:
        raise ValidationError(
            f"This payment came from {payment.get_source_display()}; remove it there and it is removed here."
        )
    return payment_delete(payment=payment)


# --- Expenses ---------------------------------------------------------------------------------------------

EXPENSE_FIELDS = (
    "budget",
    "service_type",
    "vendor",
    "description",
    "amount",
    "currency",
    "tax_rate",
    "date",
    "due_date",
    "approval_status",
)


def _validate_expense(organization: Organization, fields: dict) -> dict:
    _check_same_organization(
        organization,
        budget=fields.get("budget"),
        vendor=fields.get("vendor"),
        service_type=fields.get("service_type"),
        tax_rate=fields.get("tax_rate"),
    )
    errors = {}
    amount = _decimal(fields.get("amount"), "amount")
    too_wide = too_large(Expense, {"amount": amount})
    if too_wide:
        raise ValidationError({"amount": [_sentence(problem) for problem in too_wide]})
    if amount <= 0:
        errors["amount"] = "The amount must be greater than zero."
    if fields.get("due_date") and fields.get("date") and fields["due_date"] < fields["date"]:
        errors["due_date"] = "The due date cannot be before the expense date."
    if not (fields.get("description") or "").strip():
        errors["description"] = "Describe the expense."
    if errors:
        raise ValidationError(errors)
    fields["amount"] = to_cents(amount)
    return fields


def _expense_tax(expense: Expense) -> Decimal:
    """The expense's tax, refused when it or the total (amount plus tax) is more than the columns hold."""
    tax = line_amounts(
        quantity=Decimal(1),
        unit_price=expense.amount,
        tax_percentage=expense.tax_rate.percentage if expense.tax_rate else None,
    ).tax
    too_wide = too_large(Expense, {"tax_amount": tax}) or too_large(
        Expense, {"total": expense.amount + tax}, field_name="amount"
    )
    if too_wide:
        raise ValidationError({"amount": [_sentence(problem) for problem in too_wide]})
    return tax


@transaction.atomic
def expense_create(*, organization: Organization, **fields) -> Expense:
    unknown = set(fields) - set(EXPENSE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    fields.setdefault("approval_status", ApprovalStatus.PENDING)
    if not fields.get("currency") and fields.get("vendor"):
        fields["currency"] = fields["vendor"].default_currency
    fields = _validate_expense(organization, fields)
    expense = Expense(organization=organization, **fields)
    expense.tax_amount = _expense_tax(expense)
    expense.save()
    return expense


@transaction.atomic
def expense_update(*, expense: Expense, **changes) -> Expense:
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    unknown = set(changes) - set(EXPENSE_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    if expense.payments.filter(is_deleted=False).exists() and {"amount", "currency"} & set(changes):
        if (
            changes.get("amount", expense.amount) != expense.amount
            or changes.get("currency", expense.currency) != expense.currency
        ):
            raise ValidationError("The amount and currency of an expense with payments cannot change.")
    merged = {name: changes.get(name, getattr(expense, name)) for name in EXPENSE_FIELDS}
    merged = _validate_expense(expense.organization, merged)
    for name in changes:
        setattr(expense, name, merged[name])
    expense.tax_amount = _expense_tax(expense)
    expense.save()
    _refresh_paid(expense, expense.payments, expense.total)
    return expense


@transaction.atomic
def expense_payment_record(
    *,
    expense: Expense,
    amount: Decimal,
    date: date,
    reference: str = "",
    currency: str | None = None,
    source: str = PaymentSource.MANUAL,
    external_id: str = "",
    user=None,
    confirm_overpayment: bool = False,
) -> ExpensePayment:
    expense = Expense.objects.select_for_update().get(pk=expense.pk)
    if expense.approval_status == ApprovalStatus.REJECTED:
        raise ValidationError("A rejected expense cannot be paid.")
    payment = _create_payment(
        ExpensePayment,
        "expense",
        expense,
        amount=amount,
        date=date,
        reference=reference,
        currency=currency,
        source=source,
        external_id=external_id,
        user=user,
        confirmed=confirm_overpayment,
    )
    _refresh_paid(expense, expense.payments, expense.total)
    return payment


@transaction.atomic
def expense_payment_delete(*, payment: ExpensePayment) -> ExpensePayment:
    payment = ExpensePayment.objects.select_for_update().get(pk=payment.pk)
    if not payment.is_deleted:
        payment.is_deleted = True
        payment.deleted_at = timezone.now()
        payment.save(update_fields=["is_deleted", "deleted_at"])
    expense = payment.expense
    _refresh_paid(expense, expense.payments, expense.total)
    return payment


# --- Purchase orders --------------------------------------------------------------------------------------

PURCHASE_ORDER_FIELDS = (
    "subsidiary",
    "vendor",
    "budget",
    "number",
    "issue_date",
    "delivery_date",
    "currency",
    "note",
    "status",
)


def _validate_purchase_order(organization: Organization, fields: dict, instance: PurchaseOrder | None) -> None:
    _check_same_organization(
        organization,
        subsidiary=fields.get("subsidiary"),
        vendor=fields.get("vendor"),
        budget=fields.get("budget"),
    )
    errors = {}
    number = (fields.get("number") or "").strip()
    if not number:
        errors["number"] = "Enter the purchase order number."
    else:
        clash = PurchaseOrder.objects.filter(organization=organization, number=number)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            errors["number"] = f"Purchase order {number} already exists."
    if fields.get("delivery_date") and fields.get("issue_date") and fields["delivery_date"] < fields["issue_date"]:
        errors["delivery_date"] = "The delivery date cannot be before the order date."
    budget = fields.get("budget")
    if budget is not None and fields.get("currency") and budget.currency != fields["currency"]:
        errors["currency"] = f"The budget is in {budget.currency}; the purchase order must be too."
    if errors:
        raise ValidationError(errors)


def purchase_order_next_number(*, organization: Organization) -> str:
    count = PurchaseOrder.objects.filter(organization=organization).count()
    return f"PO-{count + 1:04d}"


@transaction.atomic
def purchase_order_create(*, organization: Organization, lines: Iterable[LineInput] = (), **fields) -> PurchaseOrder:
    unknown = set(fields) - set(PURCHASE_ORDER_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    if not fields.get("number"):
        fields["number"] = purchase_order_next_number(organization=organization)
    if not fields.get("currency") and fields.get("subsidiary"):
        fields["currency"] = fields["subsidiary"].default_currency
    _validate_purchase_order(organization, fields, None)
    cleaned = _clean_lines(organization, lines, PurchaseOrderLine, PurchaseOrder)
    order = PurchaseOrder.objects.create(organization=organization, **fields)
    _write_lines("purchase_order", order, PurchaseOrderLine, cleaned)
    return order


@transaction.atomic
def purchase_order_update(
    *, purchase_order: PurchaseOrder, lines: Iterable[LineInput] | None = None, **changes
) -> PurchaseOrder:
    order = PurchaseOrder.objects.select_for_update().get(pk=purchase_order.pk)
    unknown = set(changes) - set(PURCHASE_ORDER_FIELDS)
    if unknown:
        raise ValidationError({name: "This field cannot be changed." for name in unknown})
    merged = {name: changes.get(name, getattr(order, name)) for name in PURCHASE_ORDER_FIELDS}
    _validate_purchase_order(order.organization, merged, order)
    cleaned = _clean_lines(order.organization, lines, PurchaseOrderLine, PurchaseOrder) if lines is not None else None
    for name, value in changes.items():
        setattr(order, name, value)
    order.save()
    if cleaned is not None:
        _write_lines("purchase_order", order, PurchaseOrderLine, cleaned)
    return order


# --- Organization settings: subsidiaries, companies, service types, tax rates ------------------------------

SETTINGS_FIELDS: dict[type, tuple[str, ...]] = {
    Subsidiary: (
        "name",
        "legal_name",
        "address",
        "country",
        "vat_number",
        "default_currency",
        "payment_terms_days",
        "invoice_number_prefix",
    ),
    Company: (
        "name",
        "billing_email",
        "address",
        "country",
        "vat_number",
        "default_currency",
        "is_client",
        "is_supplier",
        "payment_terms_days",
    ),
    ServiceType: ("name",),
    TaxRate: ("name", "percentage"),
}


def _check_settings_fields(model: type, fields: dict) -> None:
    if model not in SETTINGS_FIELDS:
        raise ValueError(f"{model.__name__} is not an organization settings model.")
    unknown = set(fields) - set(SETTINGS_FIELDS[model])
    if unknown:
        raise ValidationError({name: "This field cannot be changed here." for name in unknown})


def _full_clean_settings_object(obj) -> None:
    """Model validation (choices, lengths, validators, unique per organization) keyed by field."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        errors = exc.message_dict
        remaining = []
        for error in exc.error_dict.get(NON_FIELD_ERRORS, []):
            # An (organization, name) clash is the name's fault, not the whole form's.
            fields = [name for name in (error.params or {}).get("unique_check", ()) if name != "organization"]
            if error.code == "unique_together" and len(fields) == 1:
                errors.setdefault(fields[0], []).append(
                    f"Your organization already has a {obj._meta.verbose_name} with this {fields[0]}."
                )
            else:
                remaining.extend(error.messages)
        errors.pop(NON_FIELD_ERRORS, None)
        if remaining:
            errors[NON_FIELD_ERRORS] = remaining
        raise ValidationError(errors) from None


@transaction.atomic
def settings_object_create(*, organization: Organization, model: type, **fields):
    _check_settings_fields(model, fields)
    obj = model(organization=organization, **fields)
    _full_clean_settings_object(obj)
    obj.save()
    return obj


@transaction.atomic
def settings_object_update(*, instance, **changes):
    _check_settings_fields(type(instance), changes)
    obj = type(instance).objects.select_for_update().get(pk=instance.pk)
    for name, value in changes.items():
        setattr(obj, name, value)
    _full_clean_settings_object(obj)
    obj.save()
    return obj
