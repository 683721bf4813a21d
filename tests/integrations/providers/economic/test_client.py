"""The e-conomic client against the recorded responses (shared/provider-specs/economic/traels-economic-rest-fixtures)
and the annotated error of the official docs (e-conomic-slate-docs/_introduction.md): two tokens on every call,
paging, the filter syntax, drafts and booking, the PDF, errors verbatim."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations.exceptions import IntegrationError, ProviderValidationError, TerminalError
from integrations.models import ConnectionStatus
from integrations.providers.base import INVOICE, RemainderQuery
from tests.factories import CompanyFactory
from tests.provider_specs import PROVIDER_SPECS_DIR

from .fake_economic import API, APP_SECRET
from .helpers import GRANT, economic_connection

pytestmark = pytest.mark.django_db

SPECS = PROVIDER_SPECS_DIR / "economic"
FIXTURES = SPECS / "traels-economic-rest-fixtures"


def recorded(name: str) -> dict:
    path = FIXTURES / f"{name}.json"
    if not path.exists():
        pytest.skip(f"the recorded e-conomic responses are not beside the checkout ({path})")
    return json.loads(path.read_text())


def documented_annotated_error() -> dict:
    path = SPECS / "e-conomic-slate-docs" / "_introduction.md"
    if not path.exists():
        pytest.skip(f"the e-conomic REST docs are not beside the checkout ({path})")
    text = path.read_text()
    block = text[text.index("### Errors") :].split("```JSON", 1)[1].split("```", 1)[0]
    return json.loads("\n".join(line for line in block.splitlines() if not line.strip().startswith("//")))


@pytest.fixture
def api():
    from integrations.providers.economic.client import EconomicApi

    return EconomicApi(economic_connection(settings={"customer_group": "1", "vat_zone": "1", "payment_terms": "1"}))


def query_of(call) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(call.request.url).query).items()}


def test_every_call_carries_both_tokens_and_pages_at_1000(api, mock):
    mock.add(responses.GET, f"{API}/layouts", json=recorded("layouts"))
    layouts = api.list_layouts()
    assert [(c.code, c.name) for c in layouts][:2] == [
        ("19", "DK. std. m. bankoplys. 1.5"),
        ("20", "DK. std. m. girokort 1.5"),
    ]
    request = mock.calls[0].request
    assert request.headers["X-AppSecretToken"] == APP_SECRET and request.headers["X-AgreementGrantToken"] == GRANT
    assert query_of(mock.calls[0]) == {"skippages": "0", "pagesize": "1000"}
    assert "Idempotency-Key" not in request.headers


def test_reference_lists_from_the_recorded_collections(api, mock):
    mock.add(responses.GET, f"{API}/payment-terms", json=recorded("payment_terms"))
    mock.add(responses.GET, f"{API}/vat-zones", json=recorded("vat_zones"))
    mock.add(responses.GET, f"{API}/customer-groups", json=recorded("customer_groups"))
    terms = api.list_payment_terms()
    assert terms[0].code == "1" and terms[0].extra == {"type": "net", "days": 8}
    assert next(t for t in terms if t.code == "7").extra["type"] == "dueDate"
    zones = api.list_vat_zones()
    assert [z.name for z in zones] == ["Domestic", "EU", "Abroad", "Domestic exempt VAT"]
    groups = api.list_customer_groups()
    assert groups[0].code == "1" and groups[0].name == "Danske"
    assert api.calls == 3


def test_a_collection_follows_next_page(api, mock):
    product = recorded("product") | {"barred": False}
    first = {"collection": [product], "pagination": recorded("pagination"), "self": f"{API}/products"}
    last = {"collection": [product | {"productNumber": "2"}], "pagination": {"maxPageSizeAllowed": 1000}}
    mock.add(responses.GET, f"{API}/products", json=first)
    mock.add(responses.GET, f"{API}/products", json=last)
    products = api.list_products()
    assert [p.code for p in products] == ["01CF8D2E-A6A6-4", "2"] and products[0].extra["group"] == "Varer m/moms"
    assert [query_of(call)["skippages"] for call in mock.calls] == ["0", "1"]


def test_barred_products_are_not_offered(api, mock):
    mock.add(responses.GET, f"{API}/products", json={"collection": [recorded("product")], "pagination": {}})
    assert api.list_products() == []


def test_self_names_the_agreement_and_its_company(api, mock):
    from integrations import registry

    mock.add(responses.GET, f"{API}/self", json=recorded("self"))
    details = registry.get("economic").tenant_details(api.connection)
    assert details == {"agreement_number": "1118081", "company_name": "The Demo Company", "base_currency": "DKK"}


def test_search_escapes_the_filter(api, mock):
    barred = recorded("customer")  # recorded barred: e-conomic refuses invoices to it
    open_one = barred | {"customerNumber": 2, "barred": False}
    mock.add(responses.GET, f"{API}/customers", json={"collection": [barred, open_one], "pagination": {}})
    contacts = api.search_contacts("Toj & Co (DK), 50%*")
    assert query_of(mock.calls[0])["filter"] == "name$like:Toj & Co $(DK$)$, 50%$*"
    assert [(c.id, c.name, c.email) for c in contacts] == [("2", "Horsens Kommune", "aaaa@aaa.com")]


def test_create_customer_with_the_setup_defaults(api, mock):
    mock.add(responses.GET, f"{API}/customers", json={"collection": [], "pagination": {}})
    mock.add(responses.POST, f"{API}/customers", json=recorded("create_customer"), status=201)
    company = CompanyFactory(name="Mr. Anderson", default_currency="DKK", billing_email="neo@example.com")
    contact = api.create_contact(company)
    assert (contact.id, contact.name) == ("974994345", "Mr. Anderson")
    body = json.loads(mock.calls[1].request.body)
    assert body == {
        "name": "Mr. Anderson",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "vatZone": {"vatZoneNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 1},
        "email": "neo@example.com",
    }
    assert mock.calls[1].request.headers["Idempotency-Key"]


def test_the_copy_prompts_options_win_over_the_setup(api, mock):
    mock.add(responses.GET, f"{API}/customers", json={"collection": [], "pagination": {}})
    mock.add(responses.POST, f"{API}/customers", json=recorded("create_customer"), status=201)
    api.copy_options = {"customer_group": "7", "vat_zone": "2"}
    api.create_contact(CompanyFactory(name="Mr. Anderson"))
    body = json.loads(mock.calls[1].request.body)
    assert body["customerGroup"] == {"customerGroupNumber": 7} and body["vatZone"] == {"vatZoneNumber": 2}


def test_a_draft_created_and_booked_with_our_number(api, mock):
    mock.add(responses.POST, f"{API}/invoices/drafts", json=recorded("create_draft_invoice"), status=201)
    mock.add(responses.POST, f"{API}/invoices/booked", json=recorded("invoice_book_with_number"), status=201)
    remote = api.create_document(INVOICE, {"draft": {"date": "2019-01-31"}, "book": {"bookWithNumber": 42}}, "key-1")
    assert (remote.id, remote.state, remote.status) == ("9999999", "booked", "Booked")
    assert remote.total == Decimal("125.00") and remote.amount_due == Decimal("125.00")
    book = json.loads(mock.calls[1].request.body)
    assert book == {"draftInvoice": {"draftInvoiceNumber": 148}, "bookWithNumber": 42}
    keys = [call.request.headers["Idempotency-Key"] for call in mock.calls]
    assert keys == ["key-1", "key-1-book"]


def test_a_draft_left_for_the_bookkeeper(api, mock):
    mock.add(responses.POST, f"{API}/invoices/drafts", json=recorded("create_draft_invoice"), status=201)
    remote = api.create_document(INVOICE, {"draft": {}, "book": None}, "key-2")
    assert (remote.id, remote.state, remote.number) == ("draft-148", "draft", "Custom reference")
    assert remote.amount_due is None and api.calls == 1


def test_a_refused_booking_keeps_the_copy_a_draft(api, mock):
    mock.add(responses.POST, f"{API}/invoices/drafts", json=recorded("create_draft_invoice"), status=201)
    mock.add(responses.POST, f"{API}/invoices/booked", status=400, json=documented_annotated_error())
    remote = api.create_document(INVOICE, {"draft": {}, "book": {}}, "key-3")
    assert remote.id == "draft-148" and remote.state == "draft"


def test_update_puts_the_whole_draft(api, mock):
    mock.add(responses.PUT, f"{API}/invoices/drafts/19", json=recorded("invoice"))
    remote = api.update_document(INVOICE, "draft-19", {"draft": {"date": "2019-10-09"}, "book": None}, "key-4")
    assert remote.id == "draft-19" and mock.calls[0].request.headers["Idempotency-Key"] == "key-4"


def test_a_booked_invoice_is_never_updated_nor_voided(api, mock):
    with pytest.raises(ProviderValidationError) as update:
        api.update_document(INVOICE, "10", {"draft": {}, "book": None}, "key-5")
    with pytest.raises(ProviderValidationError) as void:
        api.void_document(INVOICE, "10", "key-6")
    assert "booked" in update.value.messages[0] and "credit note" in void.value.messages[0]
    assert api.calls == 0


def test_a_draft_booked_meanwhile_is_said_so(api, mock):
    mock.add(responses.PUT, f"{API}/invoices/drafts/19", status=404, json=recorded("404"))
    with pytest.raises(ProviderValidationError, match="no longer has this draft") as caught:
        api.update_document(INVOICE, "draft-19", {"draft": {}, "book": None}, "key-7")
    assert "booked or deleted in e-conomic" in caught.value.messages[0]


def test_voiding_a_draft_deletes_it(api, mock):
    mock.add(responses.DELETE, f"{API}/invoices/drafts/19", json=recorded("invoice_delete"))
    assert api.void_document(INVOICE, "draft-19", "key-8").state == "voided"


def test_the_booked_pdf(api, mock):
    mock.add(responses.GET, f"{API}/invoices/booked/10/pdf", body=b"%PDF-1.4", content_type="application/pdf")
    assert api.document_pdf(INVOICE, "10") == b"%PDF-1.4"


def test_find_by_our_reference(api, mock):
    booked = recorded("invoice_book")
    mock.add(responses.GET, f"{API}/invoices/booked", json={"collection": [booked], "pagination": {}})
    found = api.find_document(INVOICE, reference="FM765")
    assert found.id == "10" and found.number == "FM765"
    assert query_of(mock.calls[0])["filter"] == "references.other$eq:FM765"


def test_remainders_in_filters_of_200(api, mock):
    booked = recorded("invoice_book")

    def answer(request):
        numbers = re.search(r"\$in:\[([\d,]+)\]", query_of(type("C", (), {"request": request})())["filter"]).group(1)
        items = [booked | {"bookedInvoiceNumber": int(n), "remainder": 25.0} for n in numbers.split(",")]
        return 200, {}, json.dumps({"collection": items, "pagination": {}})

    mock.add_callback(responses.GET, f"{API}/invoices/booked", callback=answer)
    answers = api.fetch_remainders([RemainderQuery(str(n)) for n in range(1, 451)])
    assert len(answers) == 450 and api.calls == 3
    sizes = [len(query_of(call)["filter"].split("[")[1].split(",")) for call in mock.calls]
    assert sizes == [200, 200, 50]
    first = answers[0]
    assert (first.document_id, first.total, first.remainder, first.currency) == (
        "1",
        Decimal("75.00"),
        Decimal("25.00"),
        "DKK",
    )
    assert first.paid == Decimal("50.00")


def test_the_documented_annotated_error_reads_verbatim(api, mock):
    mock.add(responses.GET, f"{API}/layouts", status=400, json=documented_annotated_error())
    with pytest.raises(ProviderValidationError) as caught:
        api.list_layouts()
    messages = caught.value.messages
    assert messages[0] == "Validation error."
    assert "currency: currency does not exist." in messages
    assert "lines[0].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places." in messages
    assert "Developer hint: Inspect validation errors and correct your request." in messages
    assert messages[-1] == "e-conomic log id: c7ca5bc2-ad2d-4639-93f9-b22ba88c97d7"
    assert {"E06000", "E04740"} <= caught.value.codes


def test_a_404_keeps_its_log_id(api, mock):
    mock.add(responses.GET, f"{API}/invoices/booked/77", status=404, json=recorded("404"))
    with pytest.raises(IntegrationError) as caught:
        api.read_booked("77")
    assert "Resource not found." in caught.value.provider_message
    assert caught.value.log_id == "8d79f54f226ebe44-CPH" and "8d79f54f226ebe44-CPH" in str(caught.value)


def test_a_revoked_grant_needs_reconnecting(api, mock):
    mock.add(responses.GET, f"{API}/layouts", status=401, json={"message": "Unauthorized", "logId": "x"})
    with pytest.raises(TerminalError):
        api.list_layouts()
    api.connection.refresh_from_db()
    assert api.connection.status == ConnectionStatus.NEEDS_RECONNECT and api.calls == 1


def test_a_missing_role_is_not_a_reconnect(api, mock):
    mock.add(responses.GET, f"{API}/products", status=403, json={"message": "Forbidden.", "logId": "y"})
    with pytest.raises(IntegrationError, match="role") as caught:
        api.list_products()
    assert not isinstance(caught.value, TerminalError)
    api.connection.refresh_from_db()
    assert api.connection.status == ConnectionStatus.ACTIVE


def test_a_customer_name_beyond_latin_1_keeps_the_key_ascii(api, mock):
    mock.add(responses.GET, f"{API}/customers", json={"collection": [], "pagination": {}})
    mock.add(responses.POST, f"{API}/customers", json=recorded("create_customer") | {"name": "Łódź Studio"}, status=201)
    contact = api.create_contact(CompanyFactory(name="Łódź Studio"))
    assert contact.name == "Łódź Studio"
    assert mock.calls[1].request.headers["Idempotency-Key"].isascii()
    assert json.loads(mock.calls[1].request.body)["name"] == "Łódź Studio"
