"""XeroApi against `responses` serving the examples of Xero's OpenAPI spec; what we send is checked against
the spec's schemas."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from django.utils import timezone

from integrations.exceptions import (
    AmbiguousWriteError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from integrations.models import Connection, ConnectionStatus, Grant, SyncLogEntry
from integrations.providers.base import PaymentsPage, RemoteChoice, RemoteContact, RemoteInvoice
from integrations.providers.xero.client import XeroApi, format_cursor, where_string
from tests.factories import CompanyFactory

from ...factories import ConnectionFactory
from . import spec

API = "https://api.xero.com/api.xro/2.0"
TOKEN_URL = "https://identity.xero.com/connect/token"

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection():
    return ConnectionFactory(access_token="live-access-token", remote_tenant_id="fe79f7dd-b6d4-4a92-ba7b-538af6289c58")


@pytest.fixture
def api(connection):
    return XeroApi(connection, sleep=lambda seconds: None)


def query(call) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def invoice_payload():
    return {
        "Type": "ACCREC",
        "Status": "AUTHORISED",
        "Contact": {"ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8"},
        "Date": "2026-11-01",
        "DueDate": "2026-12-01",
        "CurrencyCode": "EUR",
        "LineAmountTypes": "Exclusive",
        "Reference": "PO 42",
        "Url": "https://app.example.test/invoices/1/",
        "InvoiceNumber": "INV-0007",
        "LineItems": [
            {
                "Description": "Design work",
                "Quantity": Decimal("10"),
                "UnitAmount": Decimal("100.00"),
                "AccountCode": "200",
                "TaxType": "OUTPUT2",
            }
        ],
    }


# --- headers and invoices ------------------------------------------------------------------------------------


@responses.activate
def test_create_invoice_sends_the_spec_shape_with_key_tenant_summarize_errors_and_unitdp(api, connection):
    responses.add(responses.PUT, f"{API}/Invoices", json=spec.example("/Invoices", "put"))

    remote = api.create_invoice(invoice_payload(), "copy-key-1")

    call = responses.calls[0]
    assert call.request.headers["Authorization"] == "Bearer live-access-token"
    assert call.request.headers["xero-tenant-id"] == connection.remote_tenant_id
    assert call.request.headers["Accept"] == "application/json"
    assert call.request.headers["Idempotency-Key"] == "copy-key-1"
    assert query(call) == {"summarizeErrors": "false", "unitdp": "4"}  # our 4-decimal prices kept as sent
    sent = spec.parse_sent_json(call.request.body)
    assert list(sent) == ["Invoices"]
    assert spec.schema_errors(sent["Invoices"][0], "Invoice") == []
    assert sent["Invoices"][0]["LineItems"][0]["UnitAmount"] == Decimal("100.00")

    assert remote == RemoteInvoice(
        id="ed255415-e141-4150-aab7-89c3bbbb851c",
        number="INV-0007",
        url="https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=ed255415-e141-4150-aab7-89c3bbbb851c",
        status=spec.example("/Invoices", "put")["Invoices"][0]["Status"],
        amount_due=Decimal("40.0"),
        total=Decimal(str(spec.example("/Invoices", "put")["Invoices"][0]["Total"])),
        state="open",  # AUTHORISED: approved, still changeable while it has no payments
    )
    entry = SyncLogEntry.objects.get()
    assert (entry.action, entry.remote_id, entry.http_status) == ("invoice.create", remote.id, 200)


@responses.activate
def test_the_mapping_payload_fits_the_invoice_schema(api):
    """Our real mapping output (copy/sync helper's module) is valid for Xero's Invoice schema."""
    from integrations.providers.xero.mapping import XeroMappings
    from integrations.providers.xero.mapping import invoice_payload as mapped_payload
    from tests.factories import make_invoice

    invoice = make_invoice(finalize=True)
    payload = mapped_payload(invoice, list(invoice.lines.all()), XeroMappings(default_account="200"), contact_id="c-1")
    responses.add(responses.PUT, f"{API}/Invoices", json=spec.example("/Invoices", "put"))
    api.create_invoice(payload, "k")
    sent = spec.parse_sent_json(responses.calls[0].request.body)["Invoices"][0]
    assert spec.schema_errors(sent, "Invoice") == []


def test_invoice_links_open_the_right_organisation(api, connection):
    assert api.invoice_url("abc") == "https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=abc"
    connection.settings = {"tenant": {"short_code": "!mBdtL"}}
    assert api.invoice_url("abc") == (
        "https://go.xero.com/organisationlogin/default.aspx?shortcode=!mBdtL"
        "&redirecturl=/AccountsReceivable/View.aspx?InvoiceID=abc"
    )


@responses.activate
def test_organisation_from_the_spec_example(api):
    responses.add(responses.GET, f"{API}/Organisation", json=spec.example("/Organisation", "get"))
    organisation = api.organisation()
    assert organisation["ShortCode"] and organisation["BaseCurrency"]


@responses.activate
def test_update_invoice_posts_to_the_invoice_with_its_id(api):
    remote_id = "ed255415-e141-4150-aab7-89c3bbbb851c"
    responses.add(responses.POST, f"{API}/Invoices/{remote_id}", json=spec.example("/Invoices/{InvoiceID}", "post"))
    remote = api.update_invoice(remote_id, invoice_payload(), "update-key")
    call = responses.calls[0]
    assert call.request.headers["Idempotency-Key"] == "update-key"
    assert query(call) == {"summarizeErrors": "false", "unitdp": "4"}
    sent = spec.parse_sent_json(call.request.body)["Invoices"][0]
    assert sent["InvoiceID"] == remote_id
    assert spec.schema_errors(sent, "Invoice") == []
    assert remote.id


@responses.activate
def test_validation_errors_come_back_verbatim(api):
    body = spec.example("/Contacts", "put", "400")  # the spec's ValidationException shape
    body["Elements"][0]["ValidationErrors"] = [{"Message": "Invoice # must be unique."}]
    responses.add(responses.PUT, f"{API}/Invoices", status=400, json=body)
    with pytest.raises(ProviderValidationError) as caught:
        api.create_invoice(invoice_payload(), "k")
    assert caught.value.messages == ["Invoice # must be unique."]
    entry = SyncLogEntry.objects.get()
    assert "Invoice # must be unique." in entry.message
    assert entry.level == "error"


@responses.activate
def test_element_errors_in_a_200_answer_are_validation_errors(api):
    body = spec.example("/Invoices", "put")
    body["Invoices"][0].update(
        HasErrors=True,
        StatusAttributeString="ERROR",
        ValidationErrors=[{"Message": "Account code '999' is not valid."}],
    )
    responses.add(responses.PUT, f"{API}/Invoices", json=body)
    with pytest.raises(ProviderValidationError) as caught:
        api.create_invoice(invoice_payload(), "k")
    assert caught.value.messages == ["Account code '999' is not valid."]


@responses.activate
def test_a_timeout_on_create_is_retried_with_the_same_key_then_ambiguous(api):
    responses.add(responses.PUT, f"{API}/Invoices", body=requests.exceptions.ReadTimeout())
    with pytest.raises(AmbiguousWriteError):
        api.create_invoice(invoice_payload(), "same-key")
    keys = {call.request.headers["Idempotency-Key"] for call in responses.calls}
    assert keys == {"same-key"}
    assert api.calls == len(responses.calls) == 3


@responses.activate
def test_find_invoice_by_number_skips_voided_and_deleted(api):
    body = spec.example("/Invoices", "get")
    first = dict(body["Invoices"][0], Status="VOIDED", InvoiceID="voided-id")
    second = dict(body["Invoices"][0], Status="AUTHORISED", InvoiceID="live-id", Type="ACCREC")
    body["Invoices"] = [first, second]
    responses.add(responses.GET, f"{API}/Invoices", json=body)
    found = api.find_invoice(number="INV-0007")
    assert found.id == "live-id"
    assert query(responses.calls[0]) == {"InvoiceNumbers": "INV-0007", "createdByMyApp": "true", "summaryOnly": "true"}


@responses.activate
def test_find_invoice_by_reference_and_nothing_found(api):
    responses.add(responses.GET, f"{API}/Invoices", json={"Invoices": []})
    assert api.find_invoice(reference='PO "42"') is None
    assert query(responses.calls[0])["where"] == 'Type=="ACCREC" AND Reference=="PO \\"42\\""'
    assert api.find_invoice() is None


# --- contacts ------------------------------------------------------------------------------------------------


@responses.activate
def test_search_contacts(api):
    responses.add(responses.GET, f"{API}/Contacts", json=spec.example("/Contacts", "get"))
    found = api.search_contacts(" Katherine ")
    assert found[0] == RemoteContact(
        id="5cc8cf28-567e-4d43-b287-687cfcaec47c", name="Katherine Warren", email="kat.warren@clampett.com"
    )
    assert query(responses.calls[0])["searchTerm"] == "Katherine"
    assert api.search_contacts("  ") == []


@responses.activate
def test_create_contact_sends_a_valid_contact(api):
    company = CompanyFactory(name="Acme Ltd", billing_email="ap@acme.test", vat_number="NL001", address="1 Road\nTown")
    responses.add(responses.PUT, f"{API}/Contacts", json=spec.example("/Contacts", "put"))
    contact = api.create_contact(company)
    sent = spec.parse_sent_json(responses.calls[0].request.body)["Contacts"][0]
    assert spec.schema_errors(sent, "Contact") == []
    assert sent["Name"] == "Acme Ltd"
    assert responses.calls[0].request.headers["Idempotency-Key"].startswith("contact-")
    assert contact.id


@responses.activate
def test_a_name_clash_with_the_same_client_returns_the_existing_contact(api):
    company = CompanyFactory(name="Buzz Lightyear")
    responses.add(responses.PUT, f"{API}/Contacts", status=400, json=spec.example("/Contacts", "put", "400"))
    existing = spec.example("/Contacts", "get")
    existing["Contacts"] = [dict(existing["Contacts"][0], Name="Buzz Lightyear", ContactID="existing-id")]
    existing["Contacts"][0].pop("ContactNumber", None)
    responses.add(responses.GET, f"{API}/Contacts", json=existing)

    contact = api.create_contact(company)

    assert contact.id == "existing-id"
    assert query(responses.calls[1])["where"] == 'Name=="Buzz Lightyear"'


@responses.activate
def test_a_name_clash_with_another_contact_creates_a_numbered_name(api):
    company = CompanyFactory(name="Buzz Lightyear")
    clash = spec.example("/Contacts", "put", "400")
    other = spec.example("/Contacts", "get")
    other["Contacts"] = [dict(other["Contacts"][0], Name="Buzz Lightyear", ContactNumber="SOMEONE-ELSE")]
    created = spec.example("/Contacts", "put")
    responses.add(responses.PUT, f"{API}/Contacts", status=400, json=clash)
    responses.add(responses.GET, f"{API}/Contacts", json=other)
    responses.add(responses.PUT, f"{API}/Contacts", json=created)

    api.create_contact(company)

    assert spec.parse_sent_json(responses.calls[2].request.body)["Contacts"][0]["Name"] == "Buzz Lightyear (2)"


# --- pick lists ----------------------------------------------------------------------------------------------


@responses.activate
def test_pick_lists(api):
    responses.add(responses.GET, f"{API}/Accounts", json=spec.example("/Accounts", "get"))
    responses.add(responses.GET, f"{API}/TaxRates", json=spec.example("/TaxRates", "get"))
    responses.add(responses.GET, f"{API}/Items", json=spec.example("/Items", "get"))

    accounts = api.list_accounts()
    taxes = {t.code: t for t in api.list_tax_types()}
    items = api.list_items()

    assert query(responses.calls[0])["where"] == 'Status=="ACTIVE" AND Type=="REVENUE"'
    assert [a.code for a in accounts] == ["200"]  # the BANK account of the example is not a revenue account
    assert accounts[0].extra["tax_type"] == "OUTPUT2"
    assert taxes["OUTPUT2"].extra["can_apply_to_revenue"] is True
    assert taxes["INPUT2"].extra["can_apply_to_revenue"] is False
    assert taxes["OUTPUT2"].extra["rate"] == "15.0"
    assert items[0] == RemoteChoice(code="123", name="Guitars", extra={"sales_account": "200"})
    assert all(isinstance(i, RemoteChoice) for i in items)


# --- payments ------------------------------------------------------------------------------------------------


@responses.activate
def test_fetch_payments_pages_with_if_modified_since_and_advances_the_cursor(api):
    example = spec.example("/Payments", "get")
    template = example["Payments"][0]
    full_page = dict(example, Payments=[dict(template, PaymentID=f"p-{n}") for n in range(100)])
    last_page = dict(
        example, Payments=[dict(template, PaymentID="p-last", UpdatedDateUTC="/Date(1700000000000+0000)/")]
    )
    responses.add(responses.GET, f"{API}/Payments", json=full_page)
    responses.add(responses.GET, f"{API}/Payments", json=last_page)

    pages = list(api.fetch_payments({"modified_since": "2018-01-01T00:00:00"}))

    assert [len(p.payments) for p in pages] == [100, 1]
    assert [p.has_more for p in pages] == [True, False]
    assert all(isinstance(p, PaymentsPage) for p in pages)
    assert [query(c)["page"] for c in responses.calls] == ["1", "2"]
    assert {c.request.headers["If-Modified-Since"] for c in responses.calls} == {"2018-01-01T00:00:00Z"}
    assert pages[0].next_cursor == {"modified_since": "2018-11-02T16:36:32Z"}
    assert pages[1].next_cursor == {"modified_since": "2023-11-14T22:13:20Z"}
    first = pages[0].payments[0]
    assert [(a.document_id, a.amount) for a in first.allocations] == [
        ("046d8a6d-1ae1-4b4d-9340-5601bdf41b87", Decimal("46.0"))
    ]


@responses.activate
def test_fetch_payments_without_cursor_and_with_nothing_new(api):
    responses.add(responses.GET, f"{API}/Payments", json={"Payments": []})
    pages = list(api.fetch_payments({}))
    assert len(pages) == 1 and pages[0].payments == [] and pages[0].next_cursor == {}
    assert "If-Modified-Since" not in responses.calls[0].request.headers
    assert api.calls == 1


def test_cursor_format_is_utc_to_the_second():
    moment = datetime(2026, 11, 10, 11, 2, 29, 123456, tzinfo=timezone.get_fixed_timezone(60))
    assert format_cursor(moment) == "2026-11-10T10:02:29Z"
    assert where_string('a"b\\c') == '"a\\"b\\\\c"'


@responses.activate
def test_if_modified_since_is_the_utc_date_time_xeros_spec_and_documentation_ask_for(api):
    """The spec: `format: date-time` (RFC 3339: with a zone); the documentation: a UTC timestamp, to the second."""
    header = spec.parameter("/Payments", "get", "If-Modified-Since")
    assert header["in"] == "header" and header["schema"]["format"] == "date-time"
    assert spec.value_errors(header["example"], header["schema"]) == []  # the checker takes the spec's own example
    assert spec.value_errors("2026-11-10T10:02:29", header["schema"])  # a local date-time (no zone) is refused
    responses.add(responses.GET, f"{API}/Payments", json={"Payments": []})

    list(api.fetch_payments({"modified_since": "2026-11-10T10:02:29"}))  # a cursor stored before: naive UTC
    list(api.fetch_payments({"modified_since": "2026-11-10T10:02:29Z"}))

    sent = [call.request.headers["If-Modified-Since"] for call in responses.calls]
    assert sent == ["2026-11-10T10:02:29Z", "2026-11-10T10:02:29Z"]
    assert spec.value_errors(sent[0], header["schema"]) == []
    moment = datetime.fromisoformat(sent[0])
    assert moment.utcoffset() == timedelta(0) and moment.microsecond == 0


# --- faults --------------------------------------------------------------------------------------------------


@responses.activate
def test_429_is_throttled_with_retry_after(api):
    responses.add(
        responses.GET, f"{API}/Payments", status=429, headers={"Retry-After": "37", "X-Rate-Limit-Problem": "minute"}
    )
    with pytest.raises(ThrottledError) as caught:
        list(api.fetch_payments({}))
    assert (caught.value.retry_after, caught.value.problem) == (37, "minute")


@responses.activate
def test_500_on_a_read_is_transient_and_leaves_the_status_alone(api, connection):
    responses.add(responses.GET, f"{API}/Accounts", status=500)
    with pytest.raises(TransientError):
        api.list_accounts()
    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.ACTIVE


@responses.activate
def test_401_refreshes_once_and_retries(api, connection):
    responses.add(
        responses.GET, f"{API}/Accounts", status=401, json={"Title": "Unauthorized", "Detail": "TokenExpired"}
    )
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "second", "refresh_token": "r2", "expires_in": 1800})
    responses.add(responses.GET, f"{API}/Accounts", json=spec.example("/Accounts", "get"))
    assert api.list_accounts()
    assert responses.calls[2].request.headers["Authorization"] == "Bearer second"
    assert Connection.objects.get(pk=connection.pk).grant.refresh_token == "r2"


@responses.activate
def test_401_after_a_refresh_marks_the_connection_needs_reconnect(api, connection):
    responses.add(responses.GET, f"{API}/Accounts", status=401, json={"Title": "Unauthorized"})
    responses.add(responses.POST, TOKEN_URL, json={"access_token": "second", "refresh_token": "r2", "expires_in": 1800})
    with pytest.raises(TerminalError):
        api.list_accounts()
    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.NEEDS_RECONNECT


@responses.activate
def test_invalid_grant_on_the_refresh_is_terminal(connection):
    Grant.objects.filter(pk=connection.grant_id).update(token_expires_at=timezone.now() - timedelta(minutes=5))
    connection.refresh_from_db()
    responses.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})
    with pytest.raises(TerminalError):
        XeroApi(connection).list_items()
    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.NEEDS_RECONNECT


@responses.activate
def test_revoke_disconnects_only_this_tenant(api, connection):
    responses.add(responses.DELETE, f"https://api.xero.com/connections/{connection.remote_connection_id}", status=204)
    api.revoke()
    assert responses.calls[0].request.headers["Authorization"] == "Bearer live-access-token"
    assert SyncLogEntry.objects.get().http_status == 204


def test_token_set_repr_hides_credentials():
    from integrations.providers.base import TokenSet

    assert "secret" not in repr(TokenSet("secret-a", "secret-r"))


@responses.activate
def test_a_read_listing_an_invoice_with_errors_is_not_a_failure(api):
    body = spec.example("/Invoices", "get")
    body["Invoices"][0].update(HasErrors=True, Status="AUTHORISED", InvoiceID="with-warnings")
    responses.add(responses.GET, f"{API}/Invoices", json=body)
    assert api.find_invoice(number="INV-0001").id == "with-warnings"


# --- voiding -------------------------------------------------------------------------------------------------

VOID_ID = "ed255415-e141-4150-aab7-89c3bbbb851c"


def voided_example(status="VOIDED"):
    body = spec.example("/Invoices/{InvoiceID}", "post")
    body["Invoices"][0].update(InvoiceID=VOID_ID, Status=status, AmountDue=0)
    return body


@responses.activate
def test_void_invoice_posts_status_voided_with_its_key_in_the_spec_shape(api):
    responses.add(responses.POST, f"{API}/Invoices/{VOID_ID}", json=voided_example())

    remote = api.void_invoice(VOID_ID, "void-key")

    (call,) = responses.calls
    assert call.request.headers["Idempotency-Key"] == "void-key" and query(call) == {"summarizeErrors": "false"}
    sent = spec.parse_sent_json(call.request.body)
    assert sent == {"Invoices": [{"InvoiceID": VOID_ID, "Status": "VOIDED"}]}
    assert spec.schema_errors(sent["Invoices"][0], "Invoice") == []
    assert (remote.id, remote.status, remote.amount_due) == (VOID_ID, "VOIDED", Decimal("0"))
    assert SyncLogEntry.objects.get().action == "invoice.void"


@responses.activate
def test_void_refused_for_payments_reads_the_invoice_back_and_keeps_xeros_words(api):
    refusal = spec.example("/Contacts", "put", "400")
    message = "This document cannot be edited as it has a payment or credit note allocated to it."
    refusal["Elements"][0]["ValidationErrors"] = [{"Message": message}]
    responses.add(responses.POST, f"{API}/Invoices/{VOID_ID}", status=400, json=refusal)
    current = spec.example("/Invoices/{InvoiceID}", "get")
    current["Invoices"][0].update(InvoiceID=VOID_ID, Status="AUTHORISED")
    responses.add(responses.GET, f"{API}/Invoices/{VOID_ID}", json=current)

    with pytest.raises(ProviderValidationError) as caught:
        api.void_invoice(VOID_ID, "void-key")

    assert caught.value.messages == [message] and "did not void" in caught.value.message
    from integrations import registry

    assert "Remove the payment in Xero first" in registry.get("xero").refusal_action(caught.value.messages, "void")


def test_void_of_an_invoice_voided_in_xero_meanwhile_is_success_and_a_draft_is_deleted(api):
    refusal = {"ErrorNumber": 10, "Type": "ValidationException", "Message": "A validation exception occurred"}
    refusal["Elements"] = [{"ValidationErrors": [{"Message": "Invoice not of valid status for modification"}]}]
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, f"{API}/Invoices/{VOID_ID}", status=400, json=refusal)
        mock.add(responses.GET, f"{API}/Invoices/{VOID_ID}", json=voided_example())
        assert api.void_invoice(VOID_ID, "k").status == "VOIDED"

    def post(request):  # Xero: a draft is not voided but deleted
        status = spec.parse_sent_json(request.body)["Invoices"][0]["Status"]
        if status == "VOIDED":
            return 400, {}, json.dumps(refusal)
        return 200, {}, json.dumps(voided_example("DELETED"))

    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, f"{API}/Invoices/{VOID_ID}", callback=post)
        mock.add(responses.GET, f"{API}/Invoices/{VOID_ID}", json=voided_example("DRAFT"))
        assert api.void_invoice(VOID_ID, "k2").status == "DELETED"
        delete = mock.calls[-1].request
    assert delete.headers["Idempotency-Key"] == "k2-delete"
