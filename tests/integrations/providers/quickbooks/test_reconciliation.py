"""Reconciliation of QuickBooks copies through FakeQuickBooks (Intuit's query shapes): one `Id in (…)` query per
100 copies; an amount changed, an invoice voided (zeroed, "Voided" note) or deleted (queries no longer return it)
and a payment we never heard of are each found; a clean company has nothing to report."""

from decimal import Decimal

import pytest
import responses

from billing.models import Invoice
from integrations.models import CopyStatus, MismatchAction, MismatchField, ReconciliationMismatch, RemoteDocument
from integrations.services.reconciliation import reconciliation_run
from tests.factories import make_invoice

from .fake_qbo import FakeQuickBooks
from .helpers import API, READY_SETTINGS, qbo_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(organization, subsidiary):
    return qbo_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))


@pytest.fixture
def server(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeQuickBooks(mock, API, connection.remote_tenant_id).install()


def copies(connection, server, count: int) -> list[RemoteDocument]:
    """`count` invoices of ours (1000.00 each) and their copies in the fake company."""
    first = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    clones = []
    for n in range(1, count):
        clone = Invoice.objects.get(pk=first.pk)
        clone.pk, clone.number = None, f"{first.number}-{n}"
        clones.append(clone)
    invoices = [first, *Invoice.objects.bulk_create(clones)]
    rows = []
    for invoice in invoices:
        remote_id = server._id()
        server.invoices[remote_id] = {
            "Id": remote_id,
            "SyncToken": "0",
            "DocNumber": invoice.number,
            "TotalAmt": 1000.0,
            "Balance": 1000.0,
            "CurrencyRef": {"value": invoice.currency},
            "MetaData": {"LastUpdatedTime": server.tick()},
        }
        rows.append(
            RemoteDocument(
                organization=connection.organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=f"qbo-{invoice.pk}",
                status=CopyStatus.SUCCEEDED,
                remote_id=remote_id,
                remote_number=invoice.number,
                is_latest=True,
            )
        )
    return RemoteDocument.objects.bulk_create(rows)


def queries(server) -> list[str]:
    return [call.request.url for call in server.mock.calls if "/query" in call.request.url]


def test_a_clean_company_is_one_query_per_100_copies(connection, server):
    copies(connection, server, 150)

    run = reconciliation_run(connection=connection)

    assert run.counts["checked"] == 150 and run.counts["matching"] == 150
    assert run.api_calls == 2 and len(queries(server)) == 2
    assert "Id+in+%28%27" in queries(server)[0] or "Id in ('" in queries(server)[0]
    assert not ReconciliationMismatch.objects.exists()


def test_each_kind_of_drift_in_quickbooks_is_found_in_one_query(connection, server):
    changed, voided, deleted, paid, clean = copies(connection, server, 5)
    server.invoices[changed.remote_id].update(TotalAmt=1100.0, Balance=1100.0)
    server.invoices[voided.remote_id].update(TotalAmt=0, Balance=0, PrivateNote="Voided")
    del server.invoices[deleted.remote_id]
    server.invoices[paid.remote_id].update(Balance=400.0)

    run = reconciliation_run(connection=connection)

    assert run.api_calls == 1 and run.counts["mismatched"] == 4 and run.counts["matching"] == 1
    found = {
        (m.remote_document_id, m.field, m.ours, m.theirs, m.suggested_action)
        for m in ReconciliationMismatch.objects.all()
    }
    assert found == {
        (changed.pk, MismatchField.TOTAL, "1000.00", "1100.00", MismatchAction.UPDATE_EXISTING),
        (voided.pk, MismatchField.STATUS, "open", "voided", MismatchAction.COPY_AGAIN),
        (deleted.pk, MismatchField.STATUS, "open", "deleted", MismatchAction.COPY_AGAIN),
        (paid.pk, MismatchField.AMOUNT_PAID, "0.00", "600.00", MismatchAction.RESYNC_PAYMENTS),
    }
    assert clean.pk not in {m.remote_document_id for m in ReconciliationMismatch.objects.all()}
    assert ReconciliationMismatch.objects.get(field=MismatchField.TOTAL).currency == changed.invoice.currency
    assert Decimal(ReconciliationMismatch.objects.get(field=MismatchField.AMOUNT_PAID).theirs) == Decimal("600")
