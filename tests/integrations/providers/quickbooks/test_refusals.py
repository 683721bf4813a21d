"""Every Intuit refusal a copy, an update or a void can meet says what to do, in the words the invoice page shows:
Intuit's Message and Detail verbatim (as faults.FaultError.words stores them), then the next step; a refusal with
nothing of ours to correct never says "correct"."""

from __future__ import annotations

import re

import pytest
import requests
import responses
from django.urls import reverse

from integrations import registry
from integrations.exceptions import IntegrationError, ProviderValidationError
from integrations.models import (
    Connection,
    ConnectionStatus,
    ContactLink,
    CopyErrorKind,
    CopyStatus,
    RemoteDocument,
)
from integrations.providers.quickbooks.faults import FaultError
from integrations.services.invoice_copy import document_export
from tests.factories import make_invoice

from .fake_qbo import FakeQuickBooks, fault
from .helpers import API, READY_SETTINGS, TOKEN_URL, qbo_connection, realm_url

pytestmark = pytest.mark.django_db

BUSINESS = "A business validation error has occurred while processing your request"

# (Intuit's code, Message, Detail) as QuickBooks (and the sandbox) answers them; the operation; the advice's gist.
CASES = [
    (
        "6140",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already been used. "
        "DocNumber=UK-0006 is assigned to TxnType=Invoice with TxnId=130",
        "copy",
        "already has an invoice with this number",
    ),
    (
        "6000",
        BUSINESS,
        "Business Validation Error: Make sure all your transactions have a VAT rate before you save.",
        "copy",
        "needs a tax code",
    ),
    (
        "6000",
        BUSINESS,
        "Business Validation Error: Multicurrency is off for this company; the transaction currency must be GBP.",
        "copy",
        "turn multicurrency on",
    ),
    (
        "2500",
        "Invalid Reference Id",
        "Invalid Reference Id : TaxCodeRef assigned is not valid or is inactive (Id=9)",
        "copy",
        "Refresh lists",
    ),
    (
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, "
        "customers, items, vendors or employees.",
        "copy",
        "make it active again",
    ),
    ("610", "Object Not Found", "Object Not Found : Invoice Id=130", "update", "“Create new”"),
    (
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. root finished before you did, so "
        "your work was not saved.",
        "update",
        "“Update existing” again",
    ),
    ("6000", BUSINESS, "Business Validation Error: A voided transaction cannot be changed.", "update", "“Create new”"),
    (
        "6000",
        BUSINESS,
        "Business Validation Error: This transaction is linked to a payment; delete or unlink the payment first.",
        "void",
        "then void again",
    ),
    (
        "2050",
        "String length is either shorter or longer than supported by specification",
        "String length specified does not match the supported length. Min:0 Max:21 supported. Supplied length:24",
        "copy",
        "at most 21 characters",
    ),
    (
        "6240",
        "Duplicate Name Exists Error",
        "The name supplied already exists. : Another customer, vendor or employee is already using this name.",
        "copy",
        "pick that customer",
    ),
    (
        "6210",
        "Account Period Closed, Cannot Update Through Services API",
        "The account period has closed and the books are locked. Account period closed: 2026-06-30",
        "copy",
        "closing date",
    ),
]
NOTHING_OF_OURS = {"6140", "5010", "6000-void", "6000-update"}


@pytest.mark.parametrize(("code", "message", "detail", "operation", "gist"), CASES, ids=[c[0] for c in CASES])
def test_each_intuit_refusal_says_what_to_do(code, message, detail, operation, gist):
    words = FaultError(code=code, message=message, detail=detail).words
    advice = registry.get("quickbooks").refusal_action([words], operation)
    assert gist in advice
    if code in NOTHING_OF_OURS or f"{code}-{operation}" in NOTHING_OF_OURS:
        assert "correct" not in advice.lower()


def test_words_it_does_not_know_leave_the_general_next_step():
    words = FaultError(code="6000", message=BUSINESS, detail="Business Validation Error: Something new.").words
    assert registry.get("quickbooks").refusal_action([words], "copy") == ""


def test_the_invoice_page_shows_intuits_words_and_what_to_do(mock, admin_client, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=READY_SETTINGS)
    server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    server.invoices["900"] = {"Id": "900", "SyncToken": "0", "DocNumber": invoice.number}  # made in QuickBooks

    with pytest.raises(ProviderValidationError):
        document_export(document=invoice, connection=connection)

    assert RemoteDocument.objects.get(invoice=invoice).status == CopyStatus.FAILED
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert f"<li>Duplicate Document Number Error: Duplicate Document Number Error : {invoice.number}</li>" in page
    assert "What to do: QuickBooks already has an invoice with this number that is not this copy" in page
    assert "correct what QuickBooks Online named above" not in page


def failed_copy_page(mock, admin_client, organization, subsidiary, serve) -> tuple[RemoteDocument, str]:
    """A copy that fails on the answer `serve` registers for POST /invoice; the attempt and the invoice page."""
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=READY_SETTINGS)
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id="58")
    mock.add(responses.GET, re.compile(re.escape(realm_url(connection, "query"))), json={"QueryResponse": {}})
    serve(re.compile(re.escape(realm_url(connection, "invoice")) + r"\?"))
    with pytest.raises(IntegrationError):
        document_export(document=invoice, connection=connection)
    return RemoteDocument.objects.get(invoice=invoice), admin_client.get(invoice.get_absolute_url()).content.decode()


def test_a_refusal_it_has_no_advice_for_asks_to_correct_what_quickbooks_named(
    mock, admin_client, organization, subsidiary
):
    def serve(url):
        mock.add(responses.POST, url, status=400, json=fault("6000", BUSINESS, "Business Validation Error: New."))

    copy, page = failed_copy_page(mock, admin_client, organization, subsidiary, serve)
    assert (copy.status, copy.error_kind) == (CopyStatus.FAILED, CopyErrorKind.REFUSED)
    assert "What to do: correct what QuickBooks Online named above" in page


def test_a_copy_that_did_not_get_through_has_nothing_to_correct(mock, admin_client, organization, subsidiary):
    def serve(url):  # nothing was sent: a failure, not an unknown outcome
        mock.add(responses.POST, url, body=requests.exceptions.ConnectTimeout("connect timed out"))

    copy, page = failed_copy_page(mock, admin_client, organization, subsidiary, serve)
    assert (copy.status, copy.error_kind) == (CopyStatus.FAILED, CopyErrorKind.TRANSIENT)
    assert "could not be reached (connection timed out)" in page
    assert "What to do: nothing to correct: the copy did not get through to QuickBooks Online" in page
    assert "correct what" not in page
    attention = admin_client.get(reverse("integrations:connection-attention", args=[copy.connection_id]))
    assert "Nothing to correct: it did not get through. Retry it." in attention.content.decode()


def test_once_reconnected_a_copy_the_lost_grant_stopped_has_nothing_to_correct(
    mock, admin_client, organization, subsidiary
):
    def serve(url):
        mock.add(responses.POST, url, status=401, json={"fault": {"error": [{"code": "3200"}], "type": "AUTH"}})
        mock.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})

    copy, page = failed_copy_page(mock, admin_client, organization, subsidiary, serve)
    assert (copy.status, copy.error_kind) == (CopyStatus.FAILED, CopyErrorKind.RECONNECT)
    Connection.objects.filter(pk=copy.connection_id).update(status=ConnectionStatus.ACTIVE)  # reconnected

    page = admin_client.get(copy.invoice.get_absolute_url()).content.decode()
    assert "What to do: nothing to correct: the copy did not get through to QuickBooks Online" in page
    assert "correct what" not in page
