"""Fault matrix for bills and purchase orders, as for invoices (test_fault_matrix.py): each fault of the write →
the expected outcome, and nothing lost. The attempt is committed first; a refusal or throttle fails or parks it, an
unknown outcome leaves it pending (looked up before the next try), a dead grant asks for a reconnect, and Xero's
validation errors come back verbatim."""

import re

import pytest
import requests
import responses

from integrations.document_kinds import BILL, PURCHASE_ORDER
from integrations.exceptions import AmbiguousWriteError, ProviderValidationError
from integrations.models import ConnectionStatus, ContactLink, ContactRole, CopyStatus, RemoteDocument, SyncLogEntry
from integrations.services.invoice_copy import document_send

from .purchases import bills_connection, make_expense, make_purchase_order
from .test_fault_matrix import API, COPY_OUTCOMES, FAULTS, calls_to, expire_token, serve_fault

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    BILL: re.compile(rf"{re.escape(API)}/Invoices(\?.*)?$"),
    PURCHASE_ORDER: re.compile(rf"{re.escape(API)}/PurchaseOrders(\?.*)?$"),
}
VALIDATION = {
    "ErrorNumber": 10,
    "Type": "ValidationException",
    "Message": "A validation exception occurred",
    "Elements": [{"ValidationErrors": [{"Message": "Account code '400' is not a valid code for this document."}]}],
}


def document_of(kind, organization, subsidiary):
    if kind == BILL:
        return make_expense(organization, subsidiary)
    return make_purchase_order(organization, subsidiary)


@pytest.fixture
def connection(organization, subsidiary):
    return bills_connection(organization, subsidiary)


def remembered_supplier(connection, document):
    ContactLink.objects.create(
        connection=connection,
        company=document.vendor,
        role=ContactRole.SUPPLIER,
        remote_id="5f0c7a8e-2b1d-4c3e-9a6f-1e2d3c4b5a69",
    )


@pytest.mark.parametrize("kind", [BILL, PURCHASE_ORDER])
@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_of_the_write(kind, fault, mock, connection, organization, subsidiary):
    document = document_of(kind, organization, subsidiary)
    remembered_supplier(connection, document)
    if fault == "invalid_grant":
        expire_token(connection)
    serve_fault(mock, responses.PUT, ENDPOINTS[kind], fault)
    error, copy_status, connection_status, paused, puts = COPY_OUTCOMES[fault]

    with pytest.raises(error):
        document_send(kind=kind, pk=document.pk, connection=connection)

    copy = RemoteDocument.objects.get(kind=kind, **{"expense" if kind == BILL else "purchase_order": document})
    assert copy.status == copy_status and not copy.is_latest
    assert copy.waiting_until if copy_status == CopyStatus.WAITING else copy.error
    connection.refresh_from_db()
    assert connection.status == connection_status and connection.is_paused == paused
    assert calls_to(mock, ENDPOINTS[kind]) == puts
    keys = {c.request.headers.get("Idempotency-Key") for c in mock.calls if ENDPOINTS[kind].match(c.request.url)}
    assert keys <= {copy.idempotency_key}


@pytest.mark.parametrize("kind", [BILL, PURCHASE_ORDER])
def test_a_validation_error_is_kept_verbatim(kind, mock, connection, organization, subsidiary):
    document = document_of(kind, organization, subsidiary)
    remembered_supplier(connection, document)
    mock.add(responses.PUT, ENDPOINTS[kind], status=400, json=VALIDATION)

    with pytest.raises(ProviderValidationError) as refused:
        document_send(kind=kind, pk=document.pk, connection=connection)

    words = "Account code '400' is not a valid code for this document."
    assert refused.value.messages == [words]
    copy = RemoteDocument.objects.get(kind=kind)
    assert copy.status == CopyStatus.FAILED and copy.error == words
    entry = SyncLogEntry.objects.get(action=f"{kind}.copy_failed")
    assert (
        entry.message == words
        and getattr(entry, f"{'expense' if kind == BILL else 'purchase_order'}_id") == document.pk
    )
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE


def test_a_retry_after_an_unknown_outcome_makes_one_purchase_order(xero, connection, organization, subsidiary):
    order = make_purchase_order(organization, subsidiary)
    xero.mock.replace(
        responses.PUT,
        ENDPOINTS[PURCHASE_ORDER],
        body=requests.exceptions.ReadTimeout("read timed out"),
    )
    with pytest.raises(AmbiguousWriteError):
        document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection)
    xero.mock.remove(responses.PUT, ENDPOINTS[PURCHASE_ORDER])
    xero.mock.add_callback(responses.PUT, ENDPOINTS[PURCHASE_ORDER], callback=xero._put_purchase_orders)

    copy = document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection)

    assert copy.status == CopyStatus.SUCCEEDED and len(xero.purchase_orders) == 1
    assert any(r.method == "GET" and f"/PurchaseOrders/{order.number}" in r.url for r in xero.requests)
