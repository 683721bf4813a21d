"""Every decimal column of billing is guarded by the services: a value its column cannot hold is refused with a
field error and nothing is saved (PostgreSQL would fail with "numeric field overflow", SQLite would store it and
then fail on every read of the row).

The list of columns is read from the models, so a new decimal field fails here until it has an overflow scenario
(and a check in billing.services)."""

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from billing.amount_limits import column_limit, fits, largest_value, too_large
from billing.choices import PaymentSource
from billing.models import Expense, Invoice, InvoiceLine, TaxRate
from billing.services import (
    LineInput,
    expense_create,
    expense_payment_record,
    invoice_create,
    invoice_update,
    payment_record,
    purchase_order_create,
    settings_object_create,
)
from tests.factories import BudgetFactory, CompanyFactory, TaxRateFactory, make_invoice

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.date(2026, 11, 1)
MOST = D("999999999999.99")  # the largest amount a money column (max_digits=14, decimal_places=2) holds


def billing_decimal_fields():
    return [
        (model, field)
        for model in apps.get_app_config("billing").get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, models.DecimalField)
    ]


class World:
    def __init__(self, organization, subsidiary):
        self.organization = organization
        self.subsidiary = subsidiary
        self.company = CompanyFactory(organization=organization, is_supplier=True)
        self.budget = BudgetFactory(organization=organization, company=self.company, subsidiary=subsidiary)
        self.rate = {
            p: TaxRateFactory(organization=organization, name=f"{p}%", percentage=D(p)) for p in ("20", "200", "300")
        }

    def line(self, quantity="1", unit_price="1", tax=None):
        return LineInput("Work", D(quantity), D(unit_price), tax_rate=self.rate[tax] if tax else None)

    def invoice(self, *lines):
        return invoice_create(
            organization=self.organization,
            subsidiary=self.subsidiary,
            company=self.company,
            issue_date=DAY,
            due_date=DAY,
            lines=list(lines),
        )

    def purchase_order(self, *lines):
        return purchase_order_create(
            organization=self.organization,
            subsidiary=self.subsidiary,
            vendor=self.company,
            issue_date=DAY,
            lines=list(lines),
        )

    def expense(self, amount, tax=None):
        return expense_create(
            organization=self.organization,
            budget=self.budget,
            vendor=self.company,
            description="Licence",
            amount=D(amount),
            tax_rate=self.rate[tax] if tax else None,
            date=DAY,
        )

    def paid_in_full_invoice(self):
        invoice = make_invoice(
            subsidiary=self.subsidiary, company=self.company, lines=[self.line("100", "9999999999.9999")], finalize=True
        )
        payment_record(invoice=invoice, amount=MOST, date=DAY, source=PaymentSource.XERO)
        return invoice

    def paid_in_full_expense(self):
        expense = self.expense(MOST)
        expense_payment_record(expense=expense, amount=MOST, date=DAY)
        return expense


def lines_overflow(make):
    """The line, subtotal, tax and total scenarios, the same for invoices and purchase orders."""
    return {
        # The issue's line: quantity 999999999 x unit price 9999999999.9999, both within their own fields.
        "amount": lambda w: lambda: make(w)(w.line("999999999", "9999999999.9999")),
        "tax_amount": lambda w: lambda: make(w)(w.line("100", "5000000000", tax="300")),
        "subtotal": lambda w: lambda: make(w)(w.line("100", "6000000000"), w.line("100", "6000000000")),
        "tax_total": lambda w: (
            lambda: make(w)(w.line("100", "3000000000", tax="200"), w.line("100", "3000000000", tax="200"))
        ),
        "total": lambda w: lambda: make(w)(w.line("100", "9000000000", tax="20")),
        "quantity": lambda w: lambda: make(w)(w.line(quantity="1000000000")),
        "unit_price": lambda w: lambda: make(w)(w.line(unit_price="10000000000")),
    }


def _invoice_lines(w):
    return w.invoice


def _order_lines(w):
    return w.purchase_order


_INVOICE = lines_overflow(_invoice_lines)
_ORDER = lines_overflow(_order_lines)

# (model, field) → a setup taking the World and returning the call that must be refused.
OVERFLOWS = {
    **{("InvoiceLine", name): _INVOICE[name] for name in ("amount", "tax_amount", "quantity", "unit_price")},
    **{("Invoice", name): _INVOICE[name] for name in ("subtotal", "tax_total", "total")},
    **{("PurchaseOrderLine", name): _ORDER[name] for name in ("amount", "tax_amount", "quantity", "unit_price")},
    **{("PurchaseOrder", name): _ORDER[name] for name in ("subtotal", "tax_total", "total")},
    # Two payments that each fit but together are more than the amount-paid column holds.
    ("Invoice", "amount_paid"): lambda w: (
        lambda invoice: lambda: payment_record(invoice=invoice, amount=D("0.01"), date=DAY, source=PaymentSource.XERO)
    )(w.paid_in_full_invoice()),
    ("Payment", "amount"): lambda w: (
        lambda invoice: lambda: payment_record(invoice=invoice, amount=D("1000000000000"), date=DAY)
    )(make_invoice(subsidiary=w.subsidiary, company=w.company, finalize=True)),
    ("Expense", "amount"): lambda w: lambda: w.expense("1000000000000"),
    ("Expense", "tax_amount"): lambda w: lambda: w.expense("500000000000", tax="300"),
    ("Expense", "amount_paid"): lambda w: (
        lambda expense: (
            lambda: expense_payment_record(expense=expense, amount=D("0.01"), date=DAY, confirm_overpayment=True)
        )
    )(w.paid_in_full_expense()),
    ("ExpensePayment", "amount"): lambda w: (
        lambda expense: lambda: expense_payment_record(expense=expense, amount=D("1000000000000"), date=DAY)
    )(w.expense("10")),
    ("TaxRate", "percentage"): lambda w: (
        lambda: settings_object_create(organization=w.organization, model=TaxRate, name="Huge", percentage=D("1000"))
    ),
}


def database_state():
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("billing").get_models()
    }


def test_the_models_have_the_decimal_columns_this_test_knows():
    """A sanity check on the generation below: the money columns are there (and nothing matched by accident)."""
    names = {(model.__name__, field.name) for model, field in billing_decimal_fields()}
    assert {("Invoice", "total"), ("Invoice", "amount_paid"), ("InvoiceLine", "tax_amount")} <= names
    assert len(names) >= 20


@pytest.mark.parametrize(
    ("model", "field"),
    billing_decimal_fields(),
    ids=[f"{model.__name__}.{field.name}" for model, field in billing_decimal_fields()],
)
def test_a_value_its_column_cannot_hold_is_refused_and_nothing_is_saved(model, field, organization, subsidiary):
    scenario = OVERFLOWS.get((model.__name__, field.name))
    assert scenario is not None, (
        f"{model.__name__}.{field.name} is a decimal column without an overflow scenario: add one here, "
        "and make billing.services refuse a value the column cannot hold"
    )
    call = scenario(World(organization, subsidiary))
    before = database_state()

    with pytest.raises(ValidationError) as refused:
        call()

    error = refused.value
    named = f"the {field.verbose_name} of"
    assert field.name in error.message_dict or any(named in message.lower() for message in error.messages), error
    assert database_state() == before


# --- the pieces -------------------------------------------------------------------------------------------


def test_limits_come_from_the_field():
    total = Invoice._meta.get_field("total")
    quantity = InvoiceLine._meta.get_field("quantity")
    assert (column_limit(total), largest_value(total)) == (D("1000000000000"), MOST)
    assert largest_value(quantity) == D("999999999.999")
    assert fits(total, MOST) and not fits(total, MOST + D("0.01"))
    assert not fits(total, D("999999999999.995"))  # rounds to 1,000,000,000,000.00
    assert fits(total, -MOST) and fits(total, None)
    assert not fits(total, D("Infinity"))


def test_the_message_names_the_column_the_document_and_the_limit():
    assert too_large(Invoice, {"total": D("1080000000000")}) == [
        "the total of 1,080,000,000,000.00 is more than an invoice can hold (at most 999,999,999,999.99)"
    ]
    assert too_large(InvoiceLine, {"quantity": D("1000000000")}) == [
        "the quantity of 1000000000 is more than an invoice line can hold (at most 999999999.999)"
    ]
    assert too_large(Invoice, {"total": MOST, "subtotal": D("1")}) == []


def test_an_expense_total_beyond_the_money_columns_is_refused(organization, subsidiary):
    world = World(organization, subsidiary)
    with pytest.raises(ValidationError, match="The total of 1,080,000,000,000.00 is more than an expense can hold"):
        world.expense("900000000000", tax="20")
    assert not Expense.objects.exists()


def test_an_edit_that_would_overflow_changes_nothing(organization, subsidiary):
    world = World(organization, subsidiary)
    invoice = world.invoice(world.line(unit_price="10"))
    with pytest.raises(ValidationError):
        invoice_update(invoice=invoice, subject="Bigger", lines=[world.line("999999999", "9999999999.9999")])
    invoice.refresh_from_db()
    assert (invoice.subject, invoice.total, invoice.lines.get().amount) == ("", D("10.00"), D("10.00"))


def test_the_largest_amounts_still_fit(organization, subsidiary):
    world = World(organization, subsidiary)
    invoice = world.invoice(world.line("100", "5000000000", tax="20"), world.line("100", "3333333333.3333"))
    invoice.refresh_from_db()
    assert invoice.total == D("933333333333.33")
    paid = world.paid_in_full_invoice()
    paid.refresh_from_db()
    assert (paid.total, paid.amount_paid) == (MOST, MOST)
