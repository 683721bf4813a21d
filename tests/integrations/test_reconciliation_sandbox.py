"""Reconciliation against the built-in Xero sandbox over HTTP (our client answered by the sandbox in process): a
person changes an invoice's amount, voids one, or deletes a payment while payment sync is off; the run finds each
difference, nothing on a clean connection, in one batched read, and the suggested actions settle them."""

from datetime import timedelta
from decimal import Decimal

import pytest
import responses
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from billing.services import LineInput
from integrations.models import (
    MismatchAction,
    MismatchField,
    MismatchResolution,
    ReconciliationMismatch,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    TaxRateMapping,
)
from integrations.reconciliation import open_mismatches
from integrations.sandbox.models import XeroInvoice, XeroPayment
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from integrations.services.reconciliation import reconciliation_run
from integrations.services.reconciliation_actions import mismatch_act
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .sandbox_bridge import SANDBOX_API, SandboxBridge, sandbox_connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("bridge")]


@pytest.fixture
def bridge():
    with override_settings(XERO_API_URL=SANDBOX_API), responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        SandboxBridge(m)
        yield m


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT 20", percentage=Decimal("20"))


@pytest.fixture
def connection(organization, subsidiary, vat):
    connection = sandbox_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=timezone.now() - timedelta(days=30),
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


@pytest.fixture
def copied(organization, subsidiary, vat, connection):
    """Three invoices copied to the sandbox's trading organisation (100.00 + 20% VAT = 120.00 each)."""
    company = CompanyFactory(organization=organization, name="Drift Ltd", default_currency="GBP")
    invoices = [
        make_invoice(
            organization=organization,
            subsidiary=subsidiary,
            company=company,
            currency="GBP",
            lines=[LineInput(f"Work {n}", Decimal("1"), Decimal("100.00"), None, vat)],
            finalize=True,
        )
        for n in range(3)
    ]
    return [invoice_copy(invoice=invoice, connection=connection) for invoice in invoices]


def person(name: str, copy: RemoteDocument, **data):
    """What a person does on the sandbox's Xero page."""
    page = Client().post(
        reverse(f"sandbox:xero-{name}", kwargs={"tenant_id": TRADING_TENANT_ID, "invoice_id": copy.remote_id}), data
    )
    assert page.status_code == 302


def invoice_reads(bridge) -> list[str]:
    return [c.request.url for c in bridge.calls if c.request.method == "GET" and "/Invoices" in c.request.url]


def test_a_clean_connection_has_nothing_to_reconcile_and_costs_one_call(bridge, connection, copied):
    before = len(bridge.calls)

    run = reconciliation_run(connection=connection)

    assert run.kind == SyncKind.RECONCILIATION and run.outcome == SyncOutcome.SUCCEEDED
    assert run.counts["checked"] == 3 and run.counts["matching"] == 3 and run.counts["mismatches"] == 0
    assert run.api_calls == 1 and len(bridge.calls) - before == 1
    assert "IDs=" in invoice_reads(bridge)[-1]
    assert not ReconciliationMismatch.objects.exists()


def test_an_amount_changed_in_xero_is_found_and_update_existing_sends_ours_again(bridge, connection, copied):
    changed = copied[0]
    person("invoice-unit-price", changed, unit_amount="150.00")
    assert XeroInvoice.objects.get(invoice_id=changed.remote_id).total == Decimal("180.00")

    run = reconciliation_run(connection=connection)

    assert run.counts["mismatched"] == 1 and run.counts["matching"] == 2
    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.remote_document_id, mismatch.field) == (changed.pk, MismatchField.TOTAL)
    assert (mismatch.ours, mismatch.theirs, mismatch.currency) == ("120.00", "180.00", "GBP")
    assert mismatch.suggested_action == MismatchAction.UPDATE_EXISTING

    mismatch_act(mismatch=mismatch, action=MismatchAction.UPDATE_EXISTING)

    assert XeroInvoice.objects.get(invoice_id=changed.remote_id).total == Decimal("120.00")
    assert XeroInvoice.objects.filter(type="ACCREC").count() == 3  # updated in place, nothing duplicated
    mismatch.refresh_from_db()
    assert mismatch.resolution == MismatchResolution.UPDATED and mismatch.resolved_at
    assert reconciliation_run(connection=connection).counts["mismatches"] == 0


def test_an_invoice_voided_in_xero_is_found_and_can_be_copied_again(bridge, connection, copied):
    voided = copied[1]
    person("invoice-void", voided)

    reconciliation_run(connection=connection)

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.field, mismatch.ours, mismatch.theirs) == (MismatchField.STATUS, "open", "voided")
    assert mismatch.suggested_action == MismatchAction.COPY_AGAIN

    mismatch_act(mismatch=mismatch, action=MismatchAction.COPY_AGAIN)

    latest = RemoteDocument.objects.get(invoice=voided.invoice, connection=connection, is_latest=True)
    assert latest.pk != voided.pk and latest.remote_id != voided.remote_id
    assert XeroInvoice.objects.get(invoice_id=latest.remote_id).status == "AUTHORISED"
    assert reconciliation_run(connection=connection).counts["mismatches"] == 0


def test_a_payment_deleted_while_sync_was_off_is_found_and_resynced_once_sync_is_on(bridge, connection, copied):
    paid = copied[2]
    invoice = paid.invoice
    page = Client().post(
        reverse("sandbox:xero-payment-record", kwargs={"tenant_id": TRADING_TENANT_ID, "document_id": paid.remote_id}),
        {"amount": "50.00", "date": "2026-11-05"},
    )
    assert page.status_code == 302
    payments_sync(connection=connection)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("50.00")
    # Sync goes off; meanwhile someone deletes the payment in Xero.
    connection.settings = {**connection.settings, "sync_payments": False}
    connection.save(update_fields=["settings"])
    payment = XeroPayment.objects.get(invoice__invoice_id=paid.remote_id)
    Client().post(
        reverse(
            "sandbox:xero-payment-delete", kwargs={"tenant_id": TRADING_TENANT_ID, "payment_id": payment.payment_id}
        )
    )

    reconciliation_run(connection=connection)

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.field, mismatch.ours, mismatch.theirs) == (MismatchField.AMOUNT_PAID, "50.00", "0.00")
    assert mismatch.suggested_action == MismatchAction.RESYNC_PAYMENTS
    with pytest.raises(Exception, match="payment sync is off"):
        mismatch_act(mismatch=mismatch, action=MismatchAction.RESYNC_PAYMENTS)

    connection.settings = {**connection.settings, "sync_payments": True}
    connection.save(update_fields=["settings"])
    mismatch_act(mismatch=mismatch, action=MismatchAction.RESYNC_PAYMENTS)

    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("0.00")
    mismatch.refresh_from_db()
    assert mismatch.resolution == MismatchResolution.PAYMENTS_RESYNCED
    assert not open_mismatches(connection=connection).exists()


def test_every_kind_of_drift_at_once_is_one_read_and_marked_as_reconciled_stays_quiet(bridge, connection, copied):
    person("invoice-unit-price", copied[0], unit_amount="99.00")
    person("invoice-void", copied[1])
    XeroInvoice.objects.filter(invoice_id=copied[2].remote_id).update(number="RENUMBERED-1")
    before = len(bridge.calls)

    run = reconciliation_run(connection=connection)

    assert run.api_calls == 1 and len(bridge.calls) - before == 1
    found = {(m.remote_document_id, m.field) for m in open_mismatches(connection=connection)}
    assert found == {
        (copied[0].pk, MismatchField.TOTAL),
        (copied[1].pk, MismatchField.STATUS),
        (copied[2].pk, MismatchField.NUMBER),
    }
    renumbered = ReconciliationMismatch.objects.get(field=MismatchField.NUMBER)
    assert (renumbered.ours, renumbered.theirs) == (copied[2].remote_number, "RENUMBERED-1")
    with pytest.raises(Exception, match="Say why"):
        mismatch_act(mismatch=renumbered, action=MismatchAction.MARK_RECONCILED, reason=" ")
    mismatch_act(mismatch=renumbered, action=MismatchAction.MARK_RECONCILED, reason="Renumbered by our accountant")

    again = reconciliation_run(connection=connection)

    assert again.counts["mismatches"] == 2 and again.counts["accepted"] == 1
    assert not open_mismatches(connection=connection).filter(field=MismatchField.NUMBER).exists()
    # The first run's open mismatches were superseded by the second's.
    assert set(open_mismatches(connection=connection).values_list("run_id", flat=True)) == {again.pk}


def test_an_invoice_voided_here_but_left_open_in_xero_is_voided_there_too(bridge, connection, copied):
    from billing.services import invoice_void

    left_open = copied[0]
    invoice_void(invoice=left_open.invoice)  # the void prompt was told to leave the copy alone

    reconciliation_run(connection=connection)

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.field, mismatch.ours, mismatch.theirs) == (MismatchField.STATUS, "voided", "open")
    assert mismatch.suggested_action == MismatchAction.VOID_IN_PROVIDER

    mismatch_act(mismatch=mismatch, action=MismatchAction.VOID_IN_PROVIDER)

    assert XeroInvoice.objects.get(invoice_id=left_open.remote_id).status == "VOIDED"
    mismatch.refresh_from_db()
    assert mismatch.resolution == MismatchResolution.VOIDED_THERE
    assert reconciliation_run(connection=connection).counts["mismatches"] == 0
