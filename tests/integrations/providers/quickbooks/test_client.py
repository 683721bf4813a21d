"""QuickBooksApi against Intuit's documented shapes: minorversion and requestid, query quoting, Faults verbatim,
duplicate names (6240), stale SyncTokens (5010), batches, PDF and attachments."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from django.test import override_settings

from integrations.exceptions import ProviderValidationError, TerminalError, ThrottledError
from integrations.models import ConnectionStatus
from integrations.providers.base import INVOICE, DocumentWrite
from integrations.providers.quickbooks.batch import BATCH_REQUESTID_MAX, batch_request_id
from integrations.providers.quickbooks.queries import quote
from tests.factories import CompanyFactory

from .fake_qbo import FakeQuickBooks, fault
from .helpers import API, TOKEN_URL, qbo_connection, realm_url

pytestmark = pytest.mark.django_db


def _query(call) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(call.request.url).query).items()}


def _invoice(customer="1", number="INV-1"):
    line = {"DetailType": "SalesItemLineDetail", "Amount": 100, "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}
    return {"CustomerRef": {"value": customer}, "DocNumber": number, "Line": [line]}


@pytest.fixture
def connection():
    return qbo_connection()


@pytest.fixture
def server(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeQuickBooks(mock, API, connection.remote_tenant_id).install()


def test_every_call_has_minorversion_and_every_write_its_requestid(connection, server):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    created = api.create_invoice(_invoice(), "attempt-1")
    api.find_invoice(number="INV-1")
    api.update_document(INVOICE, created.id, {"PrivateNote": "x"}, "attempt-2", version=created.version)
    calls = server.mock.calls
    assert len(calls) == 3 == api.calls
    assert all(_query(call)["minorversion"] == "75" for call in calls)
    writes = [call for call in calls if call.request.method == "POST"]
    assert [_query(call)["requestid"] for call in writes] == ["attempt-1", "attempt-2"]
    assert "requestid" not in _query(calls[1])
    assert all(call.request.headers["Authorization"].startswith("Bearer ") for call in calls)


def test_a_long_key_becomes_a_50_character_requestid(connection, server):
    from integrations import registry

    registry.get("quickbooks").api(connection).create_invoice(_invoice(), "k" * 80)
    assert len(_query(server.mock.calls[0])["requestid"]) == 50


def test_a_repeated_requestid_creates_one_invoice(connection, server):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    first = api.create_invoice(_invoice(), "same-attempt")
    again = api.create_invoice(_invoice(), "same-attempt")
    assert first.id == again.id and len(server.invoices) == 1


def test_query_quotes_are_escaped(connection, server):
    from integrations import registry

    server._create_customer({"DisplayName": "O'Brien \\ Sons"})
    found = registry.get("quickbooks").api(connection).customer_by_name("O'Brien \\ Sons")
    assert found and found["DisplayName"] == "O'Brien \\ Sons"
    assert "DisplayName = 'O\\'Brien \\\\ Sons'" in _query(server.mock.calls[-1])["query"]
    assert quote("it's") == "'it\\'s'"


def test_a_validation_fault_keeps_intuits_words(connection):
    from integrations import registry

    with responses.RequestsMock() as mock:
        mock.add(
            responses.POST,
            re.compile(re.escape(realm_url(connection, "invoice"))),
            status=400,
            json=fault(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: You must select a product/service or an account for each split line",
            ),
        )
        with pytest.raises(ProviderValidationError) as caught:
            registry.get("quickbooks").api(connection).create_invoice(_invoice(), "k")
    assert caught.value.messages == [
        "A business validation error has occurred while processing your request: Business Validation Error: You must "
        "select a product/service or an account for each split line"
    ]


@override_settings(INTEGRATIONS_HTTP_RETRIES=0)
def test_an_xml_throttle_fault_with_403_is_a_throttle(connection):
    from integrations import registry

    xml = (
        '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001;'
        " statusCode=429</Message><Detail>The request limit was reached. Try again later</Detail></Error></Fault>"
        "</IntuitResponse>"
    )
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, re.compile(re.escape(realm_url(connection, "query"))), status=403, body=xml)
        with pytest.raises(ThrottledError) as caught:
            registry.get("quickbooks").api(connection).list_items()
    assert caught.value.retry_after == 60
    assert "The request limit was reached" in caught.value.provider_message


def test_a_401_refreshes_once_then_needs_reconnect(connection):
    from integrations import registry

    auth_fault = {
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": "Token expired",
                    "code": "3200",
                }
            ],
            "type": "AUTHENTICATION",
        }
    }
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, re.compile(re.escape(realm_url(connection, "query"))), status=401, json=auth_fault)
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "n", "refresh_token": "r2", "expires_in": 3600})
        with pytest.raises(TerminalError) as caught:
            registry.get("quickbooks").api(connection).list_items()
        assert len([c for c in mock.calls if c.request.url.startswith(TOKEN_URL)]) == 1
    assert "Token expired" in caught.value.provider_message
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT


def test_duplicate_name_returns_the_customer_of_that_name(connection, server):
    from integrations import registry

    existing = server._create_customer({"DisplayName": "Globex"})[1]
    company = CompanyFactory(organization=connection.organization, name="Globex")
    contact = registry.get("quickbooks").api(connection).create_contact(company)
    assert contact.id == existing["Id"] and len(server.customers) == 1


def test_duplicate_name_of_a_vendor_creates_name_2(connection, server):
    from integrations import registry

    server.vendor_names.add("Globex")
    company = CompanyFactory(organization=connection.organization, name="Globex")
    contact = registry.get("quickbooks").api(connection).create_contact(company)
    assert contact.name == "Globex (2)"
    assert [c["DisplayName"] for c in server.customers.values()] == ["Globex (2)"]


def test_stale_synctoken_rereads_and_retries_once(connection, server):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    created = api.create_invoice(_invoice(), "create")
    server.invoices[created.id]["SyncToken"] = "3"  # changed in QuickBooks since
    updated = api.update_document(INVOICE, created.id, {"PrivateNote": "new"}, "update", version=created.version)
    assert updated.version == "4" and server.invoices[created.id]["PrivateNote"] == "new"
    posts = [c for c in server.mock.calls if c.request.method == "POST"]
    assert [json.loads(c.request.body)["SyncToken"] for c in posts[1:]] == ["0", "3"]
    assert _query(posts[1])["requestid"] != _query(posts[2])["requestid"]


def test_stale_twice_is_refused_not_overwritten(connection):
    from integrations import registry

    stale = fault(
        "5010", "Stale Object Error", "Stale Object Error : You and root were working on this at the same time"
    )
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, re.compile(re.escape(realm_url(connection, "invoice"))), status=400, json=stale)
        mock.add(
            responses.GET,
            re.compile(re.escape(realm_url(connection, "invoice/7"))),
            json={"Invoice": {"Id": "7", "SyncToken": "5", "TotalAmt": 1}},
        )
        with pytest.raises(ProviderValidationError) as caught:
            registry.get("quickbooks").api(connection).update_document(INVOICE, "7", {}, "k", version="4")
        assert len([c for c in mock.calls if c.request.method == "POST"]) == 2
    assert "Stale Object Error" in caught.value.messages[0]


def test_void_reads_the_synctoken_and_already_voided_is_success(connection, server):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    created = api.create_invoice(_invoice(), "create")
    voided = api.void_invoice(created.id, "void")
    assert voided.state == "voided"
    calls = len(server.mock.calls)
    assert api.void_invoice(created.id, "void-again").state == "voided"
    assert len(server.mock.calls) == calls + 1, "only the read: nothing is posted twice"
    assert api.void_invoice("999", "gone").state == "voided"  # deleted in QuickBooks (610)


def test_batch_of_30_is_one_call_with_per_element_faults(connection, server):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    server._create_invoice(_invoice(number="DUP"))
    writes = [DocumentWrite(f"key-{n}", _invoice(number=f"B-{n}")) for n in range(29)]
    writes.append(DocumentWrite("key-dup", _invoice(number="DUP")))
    results = api.create_documents(INVOICE, writes)
    assert api.calls == 1 and len(results) == 30
    assert [r.key for r in results] == [w.key for w in writes]
    assert all(r.ok and r.answer.number == f"B-{n}" for n, r in enumerate(results[:29]))
    assert not results[29].ok and "Duplicate Document Number Error" in results[29].error.messages[0]
    call = server.mock.calls[0]
    assert _query(call)["requestid"] == batch_request_id([w.key for w in writes])
    assert len(_query(call)["requestid"]) <= BATCH_REQUESTID_MAX
    assert all(len(item["bId"]) <= 10 for item in json.loads(call.request.body)["BatchItemRequest"])
    # replayed: Intuit answers the same requestid from the first execution, nothing is created twice
    assert [r.ok for r in api.create_documents(INVOICE, writes)] == [r.ok for r in results]
    assert len(server.invoices) == 30
    with pytest.raises(ValueError):
        api.create_documents(INVOICE, writes + [DocumentWrite("one-more", _invoice(number="X"))])


@override_settings(INTEGRATIONS_HTTP_RETRIES=0)
def test_a_throttled_batch_leaves_every_element_unsent(connection):
    from integrations import registry

    with responses.RequestsMock() as mock:
        mock.add(responses.POST, re.compile(re.escape(realm_url(connection, "batch"))), status=429, body="")
        results = (
            registry.get("quickbooks")
            .api(connection)
            .create_documents(INVOICE, [DocumentWrite("a", _invoice()), DocumentWrite("b", _invoice(number="2"))])
        )
    assert [(r.sent, type(r.error).__name__) for r in results] == [(False, "ThrottledError")] * 2


def test_batch_contacts_resolve_duplicate_names(connection, server):
    from integrations import registry

    existing = server._create_customer({"DisplayName": "Globex"})[1]
    globex = CompanyFactory(organization=connection.organization, name="Globex")
    initech = CompanyFactory(organization=connection.organization, name="Initech")
    results = registry.get("quickbooks").api(connection).create_contacts([("g", globex), ("i", initech)])
    assert [r.key for r in results] == ["g", "i"]
    assert results[0].answer.id == existing["Id"] and results[1].answer.name == "Initech"


def test_pdf_and_attachment(connection):
    from integrations import registry

    api = registry.get("quickbooks").api(connection)
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET,
            re.compile(re.escape(realm_url(connection, "invoice/130/pdf"))),
            body=b"%PDF-1.4 qbo",
            content_type="application/pdf",
        )
        mock.add(
            responses.POST,
            re.compile(re.escape(realm_url(connection, "upload"))),
            json={"AttachableResponse": [{"Attachable": {"Id": "5000000000000010", "FileName": "INV-1.pdf"}}]},
        )
        assert api.document_pdf(INVOICE, "130") == b"%PDF-1.4 qbo"
        assert mock.calls[0].request.headers["Accept"] == "application/pdf"
        api.attach_file(
            INVOICE,
            "130",
            filename="INV-1.pdf",
            content=b"%PDF ours",
            content_type="application/pdf",
            idempotency_key="attach-1",
        )
        upload = mock.calls[1].request
        assert _query(mock.calls[1])["requestid"] == "attach-1"
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    body = upload.body
    assert b'name="file_metadata_01"' in body and b'name="file_content_01"' in body and b"%PDF ours" in body
    assert b'"EntityRef": {"type": "Invoice", "value": "130"}' in body
