""" "This app makes the PDF": our PDF goes with every QuickBooks copy as an Attachable upload (single copies and
bulk copies alike, one upload each, applied once per attempt); "QuickBooks makes the PDF": nothing is uploaded."""

from __future__ import annotations

from decimal import Decimal

import pytest
import responses

from billing.services import LineInput
from integrations import tasks
from integrations.models import CopyStatus, RemoteDocument, SyncLogEntry
from integrations.services.invoice_copy import document_export
from tests.factories import CompanyFactory, make_invoice

from .fake_qbo import FakeQuickBooks
from .helpers import API, READY_SETTINGS, qbo_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def invoice_for(organization, subsidiary, name="Globex"):
    return make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name=name),
        lines=[LineInput("Design", Decimal("2"), Decimal("150.00"))],
        finalize=True,
    )


def uploads(server) -> list:
    return [request for request in server.requests if "/upload" in request.url]


def test_our_pdf_is_attached_to_the_copy(mock, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    invoice = invoice_for(organization, subsidiary)

    copy = document_export(document=invoice, connection=connection)

    assert copy.status == CopyStatus.SUCCEEDED
    (attached,) = server.attachables
    assert attached["invoice"] == copy.remote_id and attached["filename"] == f"{invoice.number}.pdf"
    assert attached["content"].startswith(b"%PDF")
    assert SyncLogEntry.objects.filter(invoice=invoice, action="invoice.attached").exists()

    document_export(document=invoice, connection=connection)  # Update existing sends the PDF again (it changed)
    assert len(server.attachables) == 2


def test_quickbooks_pdf_uploads_nothing(mock, organization, subsidiary):
    connection = qbo_connection(
        organization=organization, subsidiary=subsidiary, settings={**READY_SETTINGS, "pdf": "provider"}
    )
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()

    document_export(document=invoice_for(organization, subsidiary), connection=connection)

    assert server.attachables == [] and uploads(server) == []


def test_a_bulk_copy_attaches_one_pdf_per_invoice(mock, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    invoices = [invoice_for(organization, subsidiary, name=f"Client {n}") for n in range(3)]

    result = tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None)

    assert result.startswith("3 done")
    copies = RemoteDocument.objects.filter(invoice__in=invoices, is_latest=True)
    assert sorted(a["invoice"] for a in server.attachables) == sorted(copies.values_list("remote_id", flat=True))
    assert len(uploads(server)) == 3  # one upload each: Intuit has no batch upload


def test_a_failed_upload_keeps_the_copy_and_says_so(mock, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    upload = mock.registered()[-1]  # the fake's upload route, installed last: Intuit answers 500 there now
    mock.remove(upload)
    mock.add(
        responses.POST,
        upload.url,
        status=500,
        json={
            "Fault": {
                "Error": [{"Message": "An application error has occurred", "code": "10000"}],
                "type": "SystemFault",
            }
        },
    )
    invoice = invoice_for(organization, subsidiary)

    copy = document_export(document=invoice, connection=connection)

    assert copy.status == CopyStatus.SUCCEEDED
    warning = SyncLogEntry.objects.get(invoice=invoice, action="invoice.attach_failed")
    assert f"{invoice.number}.pdf was not attached" in warning.message
