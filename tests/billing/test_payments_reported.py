"""Reported payments recorded in bulk (payments_record_reported): the one-by-one rules, in four queries."""

import datetime
from decimal import Decimal

import pytest

from billing.choices import ApprovalStatus, PaymentSource, PaymentStatus
from billing.models import Expense, ExpensePayment, Invoice, Payment
from billing.services import ReportedPayment, expense_create, payment_record, payments_record_reported
from tests.factories import BudgetFactory, CompanyFactory, make_invoice

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 10)


def reported(invoice, amount, **extra):
    return ReportedPayment(parent_id=invoice.pk, amount=Decimal(amount), date=DAY, external_id="p", **extra)


def record(organization, items, kind="invoice"):
    return payments_record_reported(
        organization_id=organization.pk, parent_kind=kind, reported=items, source=PaymentSource.XERO
    )


def state(parent):
    parent.refresh_from_db()
    return parent.amount_paid, parent.payment_status


def test_payments_on_several_invoices_are_recorded_and_each_total_derived(organization, subsidiary):
    first = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)  # 1,000.00
    second = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    payment_record(invoice=first, amount=Decimal("100.00"), date=DAY)  # one there already

    created = record(
        organization,
        [reported(first, "400.00"), reported(second, "1000.00"), reported(first, "500.00", reference="R-7")],
    )

    assert all(isinstance(payment, Payment) and payment.pk for payment in created)
    assert state(first) == (Decimal("1000.00"), PaymentStatus.PAID)
    assert state(second) == (Decimal("1000.00"), PaymentStatus.PAID)
    assert created[2].reference == "R-7" and created[2].source == PaymentSource.XERO
    assert created[0].currency == first.currency and created[0].organization_id == organization.pk


def test_a_deleted_payment_does_not_count_towards_the_derived_total(organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    old = payment_record(invoice=invoice, amount=Decimal("300.00"), date=DAY)
    Payment.objects.filter(pk=old.pk).update(is_deleted=True)

    record(organization, [reported(invoice, "250.00")])

    assert state(invoice) == (Decimal("250.00"), PaymentStatus.PARTIALLY_PAID)


def test_what_billing_refuses_comes_back_as_none_and_changes_nothing(organization, subsidiary, other_organization):
    good = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    theirs = make_invoice(organization=other_organization, finalize=True)
    items = [
        reported(draft, "10.00"),  # not finalized
        reported(good, "10.005"),  # more than cents
        reported(good, "10.00", currency="JPY"),  # not the invoice's currency
        reported(good, "0.00"),  # not positive
        ReportedPayment(parent_id=good.pk, amount=Decimal("10.00"), date=None),  # no date
        reported(theirs, "10.00"),  # another organization's invoice
        reported(good, "10.00"),  # the one that applies
    ]

    created = record(organization, items)

    assert created[:6] == [None] * 6 and created[6] is not None
    assert Payment.objects.count() == 1
    assert state(good) == (Decimal("10.00"), PaymentStatus.PARTIALLY_PAID)
    assert state(draft) == (Decimal("0.00"), PaymentStatus.UNPAID)
    assert state(theirs) == (Decimal("0.00"), PaymentStatus.UNPAID)


def test_an_invoice_whose_paid_amount_would_not_fit_takes_none_of_them(organization, subsidiary):
    crowded = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    other = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)

    created = record(
        organization,
        [reported(crowded, "999999999999.00"), reported(crowded, "5.00"), reported(other, "5.00")],
    )

    # One by one, the first would still fit: the caller records those to learn which (and why the rest not).
    assert created[0] is None and created[1] is None and created[2] is not None
    assert state(crowded) == (Decimal("0.00"), PaymentStatus.UNPAID)
    assert state(other) == (Decimal("5.00"), PaymentStatus.PARTIALLY_PAID)


def test_expense_payments_follow_the_expense_rules(organization, subsidiary):
    budget = BudgetFactory(organization=organization)
    vendor = CompanyFactory(organization=organization)
    expense, rejected = (
        expense_create(
            organization=organization, budget=budget, vendor=vendor, description="Print", amount=100, date=DAY
        )
        for _ in range(2)
    )
    Expense.objects.filter(pk=rejected.pk).update(approval_status=ApprovalStatus.REJECTED)

    created = record(organization, [reported(expense, "60.00"), reported(rejected, "60.00")], kind="expense")

    assert isinstance(created[0], ExpensePayment) and created[1] is None
    assert state(expense) == (Decimal("60.00"), PaymentStatus.PARTIALLY_PAID)
    assert not ExpensePayment.objects.filter(expense=rejected).exists()


def test_a_page_costs_four_queries_however_many_payments_and_invoices(
    organization, subsidiary, django_assert_num_queries
):
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(30)]
    items = [reported(invoice, "10.00") for invoice in invoices for _ in range(4)]

    # Lock the invoices, read their active payments, insert the new ones, write the derived totals.
    with django_assert_num_queries(4):
        created = record(organization, items)

    assert len([payment for payment in created if payment]) == 120
    assert set(Invoice.objects.values_list("amount_paid", flat=True)) == {Decimal("40.00")}
