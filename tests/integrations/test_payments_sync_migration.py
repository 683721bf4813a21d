"""The payment feed migration carries every RemotePayment over: each becomes the one allocation of its remote
payment, keyed by the remote invoice it was recorded on, and the sync goes on from there without a duplicate."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from billing.services import payment_record
from integrations.models import Connection, CopyStatus, PendingPaymentChange, RemotePayment
from integrations.services.payments_sync import payments_sync
from tests.factories import SubsidiaryFactory, make_invoice

from .factories import ConnectionFactory
from .fake_xero import FakeXero

# rename_remote_document: skip (the state before 0012 holds InvoiceCopy rows, by that name).
# The migration names live here only.
BEFORE = [("integrations", "0009_webhook_events")]
AFTER = [("integrations", "0010_payment_feed")]
API = "https://api.xero.com/api.xro/2.0"


def _migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _latest():
    _migrate(MigrationExecutor(db).loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_remote_payments_become_one_allocation_each(mock):
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        OldRemotePayment = old.get_model("integrations", "RemotePayment")
        # billing is not migrated back: invoices and payments are written with today's services; the integration
        # rows with the models of that state (later migrations change them).
        subsidiary = SubsidiaryFactory()
        connection = old.get_model("integrations", "Connection").objects.create(
            organization_id=subsidiary.organization_id,
            subsidiary_id=subsidiary.pk,
            provider="xero",
            name="Xero",
            remote_tenant_id=str(uuid.uuid4()),
            access_token="access-before",
            refresh_token="refresh-before",
            token_expires_at=timezone.now() + datetime.timedelta(minutes=30),
            payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        )
        invoice = make_invoice(organization=subsidiary.organization, subsidiary=subsidiary, finalize=True)
        remote_invoice = str(uuid.uuid4())
        old.get_model("integrations", "InvoiceCopy").objects.create(
            organization_id=subsidiary.organization_id,
            invoice_id=invoice.pk,
            connection_id=connection.pk,
            idempotency_key=str(uuid.uuid4()),
            status=CopyStatus.SUCCEEDED,
            remote_id=remote_invoice,
            is_latest=True,
        )
        kept, legacy = (
            payment_record(invoice=invoice, amount=Decimal(amount), date=datetime.date(2026, 11, 10), source="xero")
            for amount in ("100.00", "50.00")
        )
        updated = datetime.datetime(2026, 11, 10, 10, tzinfo=datetime.UTC)
        OldRemotePayment.objects.create(
            connection_id=connection.pk,
            remote_id="pay-1",
            remote_invoice_id=remote_invoice,
            payment_id=kept.pk,
            remote_updated_at=updated,
        )
        # Recorded before the remote invoice was kept on the row.
        OldRemotePayment.objects.create(connection_id=connection.pk, remote_id="pay-0", payment_id=legacy.pk)
        _migrate(AFTER)
    finally:
        _latest()

    rows = {row.remote_id: row for row in RemotePayment.objects.all()}
    assert set(rows) == {"pay-1", "pay-0"}
    assert (rows["pay-1"].allocation_key, rows["pay-1"].remote_invoice_id) == (remote_invoice, remote_invoice)
    assert rows["pay-1"].payment_id == kept.pk and rows["pay-1"].remote_updated_at == updated
    assert (rows["pay-0"].allocation_key, rows["pay-0"].payment_id) == ("", legacy.pk)
    assert not PendingPaymentChange.objects.exists()

    # Xero sends the migrated payment again: it is the same allocation, so nothing is recorded twice.
    connection = Connection.objects.get(pk=connection.pk)
    xero = FakeXero(mock, API).install()
    xero.add_payment(invoice_id=remote_invoice, amount="100.00", date="2026-11-10", updated=updated, payment_id="pay-1")
    run = payments_sync(connection=connection)
    assert run.counts["unchanged"] == 1 and run.counts["recorded"] == 0
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("150.00")


@pytest.mark.django_db(transaction=True)
def test_unapplying_refuses_while_a_payment_is_split():
    connection = ConnectionFactory()
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    for key in ("doc-a", "doc-b"):
        payment = payment_record(invoice=invoice, amount=Decimal("10.00"), date=datetime.date(2026, 11, 10))
        RemotePayment.objects.create(connection=connection, remote_id="pay-1", allocation_key=key, payment=payment)
    try:
        with pytest.raises(RuntimeError, match="split over several invoices"):
            _migrate(BEFORE)
    finally:
        _latest()
    assert RemotePayment.objects.count() == 2
