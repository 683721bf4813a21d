"""What a provider failure reads like: the provider's message when it sent one in its documented error shape,
otherwise a short summary with the HTTP status. Its raw body (an HTML error page, a proxy's text) never reaches
a user: it is kept, trimmed, on the write's sync-log entry, which only support sees (Django admin)."""

from decimal import Decimal

import pytest
import responses
from django.test import Client
from django.urls import reverse

from integrations.exceptions import IntegrationError
from integrations.http import ApiClient
from integrations.http_wire import RAW_BODY_MAX
from integrations.models import CopyStatus, RemoteDocument, SyncLogEntry, TaxRateMapping
from integrations.providers.xero.client import XeroApi
from integrations.services.invoice_copy import invoice_copy
from tests.factories import TaxRateFactory, UserFactory, make_invoice

from .factories import ConnectionFactory

BASE = "https://api.provider.test/v1"
XERO_API = "https://api.xero.com/api.xro/2.0"
MARKER = "NullReferenceException at Xero.Api.Invoices.Put"
ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>Runtime Error</title><style>body{font-family:Verdana}</style></head>"
    f"<body><h1>Server Error in '/' Application.</h1><pre>{MARKER}\n" + "   at frame\n" * 400 + "</pre></body></html>"
)
STATUSES = [400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504]

pytestmark = pytest.mark.django_db


class PlainClient(ApiClient):
    """A provider client that adds nothing: what the base makes of an error on its own."""

    service_name = "Demo"
    base_url = BASE


def user_facing_text(exc: IntegrationError) -> list[str]:
    """Everything of an exception that reaches a page, the API or Connection.last_error."""
    return [str(exc), exc.message, exc.provider_message, *getattr(exc, "messages", [])]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("client_class", [PlainClient, XeroApi])
@responses.activate
def test_an_error_page_becomes_a_short_summary_with_the_status(client_class, method, status):
    connection = ConnectionFactory()
    client = client_class(connection=connection, sleep=lambda seconds: None, retries=0)
    if client_class is XeroApi:
        client.auth_headers = lambda: {}  # no token refresh: this test is about the error text
    url = f"{client.base_url.rstrip('/')}/Things"
    responses.add(method, url, status=status, body=ERROR_PAGE, content_type="text/html")

    with pytest.raises(IntegrationError) as caught:
        client.request(method, "Things", json={} if method == "POST" else None)

    for text in user_facing_text(caught.value):
        assert "<" not in text and MARKER not in text and len(text) < 200, text
    assert f"HTTP {status}" in str(caught.value)
    assert caught.value.http_status == status
    assert MARKER in caught.value.raw_body and len(caught.value.raw_body) <= RAW_BODY_MAX


@responses.activate
def test_xeros_documented_error_shapes_are_shown_verbatim():
    api = XeroApi(ConnectionFactory(), sleep=lambda seconds: None, retries=0)
    api.auth_headers = lambda: {}
    problem = {"Title": "An error occurred", "Status": 500, "Detail": "An error occurred in Xero."}
    responses.add(responses.GET, f"{XERO_API}/Invoices", status=500, json=problem)
    exception = {"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": "Unrecognized Guid format."}
    responses.add(responses.PUT, f"{XERO_API}/Invoices", status=400, json=exception)
    responses.add(responses.GET, f"{XERO_API}/Items", status=502, json="Bad gateway")  # JSON, but not Xero's shape

    with pytest.raises(IntegrationError) as server_error:
        api.request("GET", "Invoices")
    assert server_error.value.provider_message == "An error occurred in Xero."
    with pytest.raises(IntegrationError) as refused:
        api.request("PUT", "Invoices", json={})
    assert refused.value.messages == ["Unrecognized Guid format."]
    with pytest.raises(IntegrationError) as undocumented:
        api.request("GET", "Items")
    assert undocumented.value.provider_message == "" and "HTTP 502" in str(undocumented.value)


@responses.activate
def test_the_raw_body_of_a_failed_write_is_in_the_support_log_only():
    connection = ConnectionFactory()
    client = PlainClient(connection=connection, sleep=lambda seconds: None, retries=0)
    responses.add(responses.POST, f"{BASE}/things", status=500, body=ERROR_PAGE, content_type="text/html")

    with pytest.raises(IntegrationError):
        client.request("POST", "things", json={}, action="thing.create")

    entry = SyncLogEntry.objects.get()
    assert entry.http_status == 500 and "<" not in entry.message and MARKER not in entry.message
    assert entry.provider_response.startswith("<!DOCTYPE html>") and MARKER in entry.provider_response
    assert len(entry.provider_response) <= RAW_BODY_MAX
    assert "\n" not in entry.provider_response  # whitespace runs collapsed: more of the page fits


@pytest.fixture
def copy_setup(organization, subsidiary):
    vat = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    return connection, invoice


def test_an_error_page_after_a_copy_shows_a_summary_on_the_invoice_and_the_page_in_the_admin(copy_setup, admin_client):
    connection, invoice = copy_setup
    with responses.RequestsMock() as mock:
        contact = {"Contacts": [{"ContactID": "430fa14a-f945-44d3-9f97-5df5e28441b8", "Name": "Client"}]}
        mock.add(responses.PUT, f"{XERO_API}/Contacts", json=contact)
        mock.add(responses.PUT, f"{XERO_API}/Invoices", status=500, body=ERROR_PAGE, content_type="text/html")
        with pytest.raises(IntegrationError):
            invoice_copy(invoice=invoice, connection=connection)

    copy = RemoteDocument.objects.get()
    assert copy.status == CopyStatus.PENDING  # a 500 after a write: the outcome is unknown
    assert copy.error.startswith("Xero had a server error (HTTP 500).") and "<" not in copy.error
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Xero had a server error (HTTP 500)." in page
    assert MARKER not in page and "Runtime Error" not in page

    support = UserFactory(email="support@staff.test", is_staff=True, is_superuser=True)
    staff = Client()
    staff.force_login(support)
    entry = SyncLogEntry.objects.get(action="invoice.create")
    admin_page = staff.get(reverse("admin:integrations_synclogentry_change", args=[entry.pk])).content.decode()
    assert MARKER in admin_page
