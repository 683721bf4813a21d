"""Expenses and their payments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ..amount_limits import too_large
from ..choices import ApprovalStatus, PaymentSource
from ..models import (
    Expense,
    ExpensePayment,
    Organization,
)
from ..money import line_amounts, to_cents
from ..receipts import validate_receipt
from .lines import check_same_organization, decimal_input, sentence
from .payments import change_payment, create_payment, refresh_paid, refuse_unless_manual, set_payment_deleted

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
    "receipt",
)


def _validate_expense(organization: Organization, fields: dict) -> dict:
    check_same_organization(
        organization,
        budget=fields.get("budget"),
        vendor=fields.get("vendor"),
        service_type=fields.get("service_type"),
        tax_rate=fields.get("tax_rate"),
    )
    errors = {}
    amount = decimal_input(fields.get("amount"), "amount")
    too_wide = too_large(Expense, {"amount": amount})
    if too_wide:
        raise ValidationError({"amount": [sentence(problem) for problem in too_wide]})
    if amount <= 0:
        errors["amount"] = "The amount must be greater than zero."
    if fields.get("due_date") and fields.get("date") and fields["due_date"] < fields["date"]:
        errors["due_date"] = "The due date cannot be before the expense date."
    if not (fields.get("description") or "").strip():
        errors["description"] = "Describe the expense."
    if "receipt" in fields and fields["receipt"] in (None, False):
        fields["receipt"] = ""  # cleared
    if fields.get("receipt"):
        try:
            validate_receipt(fields["receipt"])
        except ValidationError as exc:
            errors["receipt"] = exc.messages
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
        raise ValidationError({"amount": [sentence(problem) for problem in too_wide]})
    return tax


@transaction.atomic
def expense_create(*, organization: Organization, **fields) -> Expense:
    unknown = set(fields) - set(EXPENSE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    fields.setdefault("approval_status", ApprovalStatus.PENDING)
    if not fields.get("currency") and fields.get("vendor"):
        fields["currency"] = fields["vendor"].default_currency
    if not fields.get("currency") and fields.get("budget"):
        fields["currency"] = fields["budget"].currency
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
    if "receipt" not in changes:
        merged.pop("receipt")  # the stored receipt was checked when it was uploaded
    merged = _validate_expense(expense.organization, merged)
    for name in changes:
        setattr(expense, name, merged[name])
    expense.tax_amount = _expense_tax(expense)
    expense.save()
    refresh_paid(expense, expense.payments, expense.total)
    return expense


def expense_payment_refusal(expense: Expense) -> str:
    """Why the expense takes no payment ("" when it does)."""
    return "A rejected expense cannot be paid." if expense.approval_status == ApprovalStatus.REJECTED else ""


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
    refusal = expense_payment_refusal(expense)
    if refusal:
        raise ValidationError(refusal)
    payment = create_payment(
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
    refresh_paid(expense, expense.payments, expense.total)
    return payment


@transaction.atomic
def expense_payment_delete(*, payment: ExpensePayment) -> ExpensePayment:
    return set_payment_deleted(ExpensePayment, "expense", payment, deleted=True)


@transaction.atomic
def expense_payment_restore(*, payment: ExpensePayment) -> ExpensePayment:
    """Undo a soft delete (a payment the accounting tool reports as active again)."""
    return set_payment_deleted(ExpensePayment, "expense", payment, deleted=False)


@transaction.atomic
def expense_payment_update(
    *, payment: ExpensePayment, amount: Decimal, date: date, reference: str | None = None
) -> ExpensePayment:
    """Change a payment to what the accounting tool now says it is (change_payment)."""
    return change_payment(ExpensePayment, "expense", payment, amount=amount, date=date, reference=reference)


def expense_payment_delete_manual(*, payment: ExpensePayment) -> ExpensePayment:
    """A user removes a payment they recorded (refuse_unless_manual)."""
    refuse_unless_manual(payment)
    return expense_payment_delete(payment=payment)
