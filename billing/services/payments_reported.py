"""Many payments an accounting tool reported, recorded at once: a page of a payment feed in four queries.

The rules are the one-by-one services' (payment_record, expense_payment_record): the parent takes payments, the
amount fits, is positive, has cents at most and is in the parent's currency, a date is given, and the parent's
amount paid still fits its column. No overpayment question: a reported payment already happened there.

A payment these rules refuse is not written and comes back as None; the caller records it one by one, which says
why in billing's words (and refuses it again). So a refused payment never blocks the others, and every message
about one is written in one place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone

from productive.bulk_insert import insert_all

from ..amount_limits import too_large
from ..models import Expense, ExpensePayment, Invoice, Payment
from ..money import ZERO
from .expenses import expense_payment_refusal
from .payments import invoice_payment_refusal, payment_status_for, validate_payment

PAID_COLUMNS = ("amount_paid", "payment_status", "updated_at")
CHUNK = 2_000  # parents per UPDATE: 5 variables each, well inside SQLite's and PostgreSQL's limits


@dataclass(frozen=True)
class ReportedPayment:
    """One payment as the accounting tool reports it, on one of our invoices or expenses (`parent_id`)."""

    parent_id: int
    amount: Decimal
    date: date | None
    reference: str = ""
    currency: str = ""  # "" takes the parent's
    external_id: str = ""


@dataclass(frozen=True)
class _Payable:
    parent: type
    payment: type
    parent_field: str
    refusal: object  # parent -> "" or why it takes no payment
    reads: tuple[str, ...]  # the parent's columns the rules and the derived amounts need (rows are read by 1,000s)


PAID = ("organization_id", "currency", "amount_paid", "payment_status")
PAYABLES = {
    "invoice": _Payable(Invoice, Payment, "invoice", invoice_payment_refusal, (*PAID, "status", "total")),
    "expense": _Payable(
        Expense, ExpensePayment, "expense", expense_payment_refusal, (*PAID, "approval_status", "amount", "tax_amount")
    ),
}


def _accepted_amount(payable: _Payable, parent, reported: ReportedPayment) -> Decimal | None:
    if parent is None or payable.refusal(parent) or reported.date is None:
        return None
    try:
        return validate_payment(
            model=payable.payment,
            amount=reported.amount,
            currency=reported.currency or None,
            expected_currency=parent.currency,
        )
    except ValidationError:
        return None


@transaction.atomic(savepoint=False)  # callers that hold a savepoint pay for no second one
def payments_record_reported(
    *, organization_id: int, parent_kind: str, reported: list[ReportedPayment], source: str
) -> list[Payment | ExpensePayment | None]:
    """Record reported payments on the organization's invoices (`parent_kind="invoice"`) or expenses
    ("expense"): for each, its new payment, or None where billing refuses it. The parents are locked in id order
    (so two runs never wait on each other crosswise), and each one's amount paid and status are derived once from
    its active payments, the new ones included."""
    payable = PAYABLES[parent_kind]
    if not reported:
        return []
    ids = sorted({item.parent_id for item in reported})
    parents = {
        parent.pk: parent
        for parent in payable.parent.objects.select_for_update()
        .filter(organization_id=organization_id, pk__in=ids)
        .only(*payable.reads)
        .order_by("pk")
    }
    amounts = [_accepted_amount(payable, parents.get(item.parent_id), item) for item in reported]

    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    active = payable.payment.objects.filter(**{f"{payable.parent_field}_id__in": list(parents), "is_deleted": False})
    for parent_id, amount in active.values_list(f"{payable.parent_field}_id", "amount"):
        paid[parent_id] += amount
    for item, amount in zip(reported, amounts, strict=True):
        if amount is not None:
            paid[item.parent_id] += amount
    # A parent whose amount paid would not fit takes none of them here: one by one, those that fit still apply.
    overflowing = {parent_id for parent_id in paid if too_large(payable.parent, {"amount_paid": paid[parent_id]})}

    created: list[Payment | ExpensePayment | None] = []
    for item, amount in zip(reported, amounts, strict=True):
        if amount is None or item.parent_id in overflowing:
            created.append(None)
            continue
        parent = parents[item.parent_id]
        created.append(
            payable.payment(
                organization_id=organization_id,
                **{payable.parent_field: parent},
                amount=amount,
                currency=parent.currency,
                date=item.date,
                reference=item.reference[:200],
                source=source,
                external_id=item.external_id,
            )
        )
    insert_all([payment for payment in created if payment is not None])

    touched = {getattr(payment, f"{payable.parent_field}_id") for payment in created if payment is not None}
    now = timezone.now()
    changed = []
    for parent_id in sorted(touched):
        parent = parents[parent_id]
        parent.amount_paid = paid[parent_id]
        parent.payment_status = payment_status_for(total=parent.total, paid=parent.amount_paid)
        parent.updated_at = now
        changed.append(parent)
    _save_paid(payable.parent, changed, now)
    return created


def _save_paid(model: type, parents: list, now) -> None:
    """Write each parent's amount paid and status in one UPDATE: on PostgreSQL from one array per column, elsewhere
    with a CASE per column for up to CHUNK parents. Django's bulk_update builds the CASE from one expression per
    row and value, which took seconds for a few thousand rows."""
    db = connections[router.db_for_write(model)]
    quote = db.ops.quote_name
    paid_field, status_field, updated_field = (model._meta.get_field(name) for name in PAID_COLUMNS)
    if db.vendor == "postgresql":  # one array per column: no placeholder per value to parse
        sql = (
            f"UPDATE {quote(model._meta.db_table)} AS parent SET {quote(paid_field.column)} = v.paid, "
            f"{quote(status_field.column)} = v.status, {quote(updated_field.column)} = %s "
            f"FROM UNNEST(%s::bigint[], %s::numeric[], %s::text[]) AS v(id, paid, status) "
            f"WHERE parent.{quote(model._meta.pk.column)} = v.id"
        )
        params = [
            updated_field.get_db_prep_save(now, db),
            [parent.pk for parent in parents],
            [parent.amount_paid for parent in parents],
            [parent.payment_status for parent in parents],
        ]
        with db.cursor() as cursor:
            cursor.execute(sql, params)
        return
    for start in range(0, len(parents), CHUNK):
        chunk = parents[start : start + CHUNK]
        paid_cases, status_cases, params_paid, params_status = [], [], [], []
        for parent in chunk:
            paid_cases.append("WHEN %s THEN %s")
            params_paid += [parent.pk, paid_field.get_db_prep_save(parent.amount_paid, db)]
            status_cases.append("WHEN %s THEN %s")
            params_status += [parent.pk, status_field.get_db_prep_save(parent.payment_status, db)]
        pk = quote(model._meta.pk.column)
        sql = (
            f"UPDATE {quote(model._meta.db_table)} SET "
            f"{quote(paid_field.column)} = CASE {pk} {' '.join(paid_cases)} END, "
            f"{quote(status_field.column)} = CASE {pk} {' '.join(status_cases)} END, "
            f"{quote(updated_field.column)} = %s "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})"
        )
        params = [*params_paid, *params_status, updated_field.get_db_prep_save(now, db), *(p.pk for p in chunk)]
        with db.cursor() as cursor:
            cursor.execute(sql, params)
