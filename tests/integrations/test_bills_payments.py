"""Bill payments come back from the same GET /Payments pull as invoice payments: a payment on a bill we sent
becomes an ExpensePayment (source Xero), one on an invoice we copied a Payment; partly, fully, deleted → the
expense's status follows; the idle poll with invoices and bills exported stays one call."""

import datetime
import re
from decimal import Decimal

import pytest

from billing.choices import PaymentSource, PaymentStatus
from billing.models import ExpensePayment, Payment
from billing.services import LineInput
from integrations.document_kinds import BILL
from integrations.models import RemotePayment, SyncLogEntry, SyncOutcome
from integrations.services.invoice_copy import document_send, invoice_copy
from integrations.services.payments_sync import payments_sync
from integrations.services.remote_void import copy_payments_total
from tests.factories import CompanyFactory, make_invoice

from .purchases import bills_connection, make_expense, vat_of

API = "https://api.xero.com/api.xro/2.0"
PAYMENTS = re.compile(rf"{re.escape(API)}/Payments(\?.*)?$")
UTC = datetime.UTC


def at(hour, minute=0):
    return datetime.datetime(2026, 11, 10, hour, minute, tzinfo=UTC)


@pytest.fixture
def connection(organization, subsidiary):
    return bills_connection(organization, subsidiary)


@pytest.fixture
def bill(xero, connection, organization, subsidiary):
    """An expense of 121.00 (100.00 + 21 % VAT) sent as a Xero bill."""
    expense = make_expense(organization, subsidiary)
    copy = document_send(kind=BILL, pk=expense.pk, connection=connection)
    return expense, copy.remote_id


def payment_calls(xero):
    return sum(1 for r in xero.requests if PAYMENTS.match(r.url))


def test_a_bill_paid_partly_then_fully(xero, connection, bill):
    expense, remote_id = bill
    xero.add_payment(invoice_id=remote_id, amount="50.00", date="2026-11-10", updated=at(10), reference="Part")

    run = payments_sync(connection=connection)

    expense.refresh_from_db()
    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["recorded"] == 1
    assert expense.payment_status == PaymentStatus.PARTIALLY_PAID and expense.amount_paid == Decimal("50.00")
    (payment,) = expense.payments.all()
    assert (payment.source, payment.reference, payment.date) == (
        PaymentSource.XERO,
        "Part",
        datetime.date(2026, 11, 10),
    )
    row = RemotePayment.objects.get(expense_payment=payment)
    assert row.payment_id is None and row.remote_invoice_id == remote_id
    assert SyncLogEntry.objects.filter(expense=expense, action="payment.recorded").exists()
    assert not Payment.objects.exists()  # an expense payment, not an invoice's

    xero.add_payment(invoice_id=remote_id, amount="71.00", date="2026-11-11", updated=at(11))
    payments_sync(connection=connection)

    expense.refresh_from_db()
    assert expense.payment_status == PaymentStatus.PAID and expense.amount_paid == Decimal("121.00")


def test_a_deleted_bill_payment_reopens_the_expense(xero, connection, bill):
    expense, remote_id = bill
    paid = xero.add_payment(invoice_id=remote_id, amount="121.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=connection)
    expense.refresh_from_db()
    assert expense.payment_status == PaymentStatus.PAID

    xero.add_payment(
        invoice_id=remote_id,
        amount="121.00",
        date="2026-11-10",
        updated=at(12),
        payment_id=paid["PaymentID"],
        status="DELETED",
    )
    run = payments_sync(connection=connection)

    expense.refresh_from_db()
    assert run.counts["deleted"] == 1
    assert expense.payment_status == PaymentStatus.UNPAID and expense.amount_paid == Decimal("0.00")
    assert ExpensePayment.objects.get(expense=expense).is_deleted  # the history stays
    assert "deleted in" in SyncLogEntry.objects.get(expense=expense, action="payment.deleted").message


def test_a_payment_made_active_again_is_restored(xero, connection, bill):
    expense, remote_id = bill
    paid = xero.add_payment(invoice_id=remote_id, amount="121.00", date="2026-11-10", updated=at(10))
    payments_sync(connection=connection)
    xero.add_payment(
        invoice_id=remote_id,
        amount="121.00",
        date="2026-11-10",
        updated=at(11),
        payment_id=paid["PaymentID"],
        status="DELETED",
    )
    payments_sync(connection=connection)
    xero.add_payment(
        invoice_id=remote_id, amount="121.00", date="2026-11-10", updated=at(12), payment_id=paid["PaymentID"]
    )

    run = payments_sync(connection=connection)

    expense.refresh_from_db()
    assert run.counts["restored"] == 1 and expense.payment_status == PaymentStatus.PAID


def test_invoice_and_bill_payments_come_from_one_page(xero, connection, bill, organization, subsidiary):
    expense, bill_id = bill
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        lines=[LineInput("Design", Decimal("1"), Decimal("500.00"), None, vat_of(organization))],
        finalize=True,
    )
    invoice_id = invoice_copy(invoice=invoice, connection=connection).remote_id
    xero.add_payment(invoice_id=invoice_id, amount="605.00", date="2026-11-10", updated=at(10))
    xero.add_payment(invoice_id=bill_id, amount="21.00", date="2026-11-10", updated=at(10, 1))
    before = payment_calls(xero)

    run = payments_sync(connection=connection)

    assert payment_calls(xero) - before == 1 and run.api_calls == 1  # one call for both kinds
    assert run.counts["recorded"] == 2
    invoice.refresh_from_db()
    expense.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.PAID and Payment.objects.get().invoice == invoice
    assert expense.amount_paid == Decimal("21.00") and ExpensePayment.objects.get().expense == expense
    bill_copy = expense.copies.get()
    assert copy_payments_total(bill_copy) == Decimal("21.00")  # "void / create new" see the bill's payments


def test_the_idle_poll_with_invoices_and_bills_exported_is_one_call(xero, connection, bill, organization, subsidiary):
    expense, bill_id = bill
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    invoice_id = invoice_copy(invoice=invoice, connection=connection).remote_id
    xero.add_payment(invoice_id=invoice_id, amount="10.00", date="2026-11-10", updated=at(10))
    xero.add_payment(invoice_id=bill_id, amount="10.00", date="2026-11-10", updated=at(10, 1))
    payments_sync(connection=connection)

    idle = payments_sync(connection=connection)

    assert idle.outcome == SyncOutcome.SUCCEEDED and idle.api_calls == 1
    assert idle.counts["recorded"] == 0


def test_a_payment_on_a_bill_someone_else_made_is_ignored(xero, connection, bill):
    xero.invoices["f00dfeed-0000-4000-8000-000000000001"] = {
        "Type": "ACCPAY",
        "InvoiceID": "f00dfeed-0000-4000-8000-000000000001",
    }
    xero.add_payment(
        invoice_id="f00dfeed-0000-4000-8000-000000000001", amount="5.00", date="2026-11-10", updated=at(10)
    )

    run = payments_sync(connection=connection)

    assert run.counts["ignored"] == 1 and not ExpensePayment.objects.exists()
