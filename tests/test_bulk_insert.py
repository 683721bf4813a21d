"""insert_all: the rows bulk_create would write, their new keys set, one statement per chunk of parameters."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection

from billing.choices import PaymentSource
from billing.models import Payment
from productive import bulk_insert
from productive.bulk_insert import insert_all
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

COMPARED = ("organization_id", "invoice_id", "amount", "currency", "date", "reference", "source", "is_deleted")


def payments(invoice, count, **fields):
    return [
        Payment(
            organization_id=invoice.organization_id,
            invoice=invoice,
            amount=Decimal("12.34") + index,
            currency=invoice.currency,
            date=datetime.date(2026, 11, 10),
            reference=f"R-{index}",
            source=PaymentSource.XERO,
            **fields,
        )
        for index in range(count)
    ]


def test_the_rows_are_those_bulk_create_writes_with_their_keys_set(organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ours = insert_all(payments(invoice, 3))
    theirs = Payment.objects.bulk_create(payments(invoice, 3))

    assert all(payment.pk and not payment._state.adding for payment in ours)
    stored = {payment.pk: payment for payment in Payment.objects.all()}
    for mine, django in zip(ours, theirs, strict=True):
        assert [getattr(stored[mine.pk], name) for name in COMPARED] == [
            getattr(stored[django.pk], name) for name in COMPARED
        ]
        assert stored[mine.pk].created_at is not None  # auto_now_add applied, as bulk_create does
    assert stored[ours[1].pk].amount == Decimal("13.34") and stored[ours[1].pk].reference == "R-1"


def test_one_statement_per_chunk_of_parameters(organization, subsidiary, django_assert_num_queries, monkeypatch):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    fields = len([field for field in Payment._meta.concrete_fields if not field.primary_key])
    monkeypatch.setattr(connection.features, "max_query_params", fields * 4)  # four rows a statement on SQLite
    monkeypatch.setattr(bulk_insert, "PER_STATEMENT_ROWS", 4)  # and on PostgreSQL (one array per column)
    statements = 3

    with django_assert_num_queries(statements):
        created = insert_all(payments(invoice, 10))

    assert Payment.objects.count() == 10 and len({payment.pk for payment in created}) == 10


def test_nothing_to_insert_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_all([]) == []


def test_json_null_and_long_text_columns_round_trip(organization, subsidiary):
    """The PostgreSQL path sends arrays cast to the column types without their lengths: nothing is cut short, a
    JSON value and a NULL foreign key go in as given."""
    from integrations.models import PendingPaymentChange
    from tests.integrations.factories import ConnectionFactory

    connection_row = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    rows = insert_all(
        [
            PendingPaymentChange(
                connection=connection_row,
                remote_id=f"pay-{index}",
                record={"id": f"pay-{index}", "amount": "10.00", "nested": [1, {"a": None}]},
                error="x" * 500,
            )
            for index in range(3)
        ]
    )
    stored = PendingPaymentChange.objects.get(pk=rows[2].pk)
    assert stored.record == {"id": "pay-2", "amount": "10.00", "nested": [1, {"a": None}]}
    assert stored.error == "x" * 500 and stored.remote_id == "pay-2"
