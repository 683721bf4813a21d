"""Every answered field is in e-conomic's docs (the endpoint's Properties table) or in a recorded response of the
same resource, with the documented / recorded JSON type; and the recorded responses' main fields are all there."""

import pytest

from integrations.sandbox.economic import payments
from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.models import EcoAgreement

from .conftest import draft_payload
from .spec import doc_properties, fixture, paths, require_specs, shape_problems


@pytest.fixture(autouse=True)
def _specs():
    require_specs()


def first(collection_name: str) -> dict:
    return fixture(collection_name)["collection"][0]


def check(document: dict, doc: tuple, recorded: list, absent: set = frozenset()):
    """No unknown or mistyped field; every top-level field of the recordings present unless listed as absent."""
    assert shape_problems(document, doc_properties(*doc), recorded) == []
    missing = {key for sample in recorded for key in sample} - set(document) - absent
    assert missing == set()


@pytest.fixture
def invoices(eco):
    draft = eco.draft(notes={"heading": "November"})
    booked = eco.book(eco.draft()["draftInvoiceNumber"])
    payments.payment_register(
        EcoAgreement.objects.get(agreement_number=DANISH_AGREEMENT), str(booked["bookedInvoiceNumber"]), "10", ""
    )
    return eco, draft, eco.get(f"invoices/booked/{booked['bookedInvoiceNumber']}").json()


def test_self(eco):
    body = eco.get("self").json()
    check(body, ("_self.md", "GET", "/self"), [fixture("self")], absent={"bankInformation", "canSendElectronicInvoice"})


def test_reference_lists(eco):
    for path, doc, recorded in [
        ("layouts", ("_layouts.md", "GET", "/layouts"), first("layouts")),
        ("payment-terms", ("_payment-terms.md", "GET", "/payment-terms"), first("payment_terms")),
        ("vat-zones", ("_vat-zones.md", "GET", "/vat-zones"), first("vat_zones")),
        ("customer-groups", ("_customer-groups.md", "GET", "/customer-groups"), first("customer_groups")),
    ]:
        body = eco.get(path, {"pagesize": 1000}).json()
        assert set(body) == {"collection", "pagination", "self"}
        assert set(body["pagination"]) == set(fixture(path.replace("-", "_"))["pagination"]), path
        for item in body["collection"]:
            check(item, doc, [recorded], absent={"daysOfCredit"})  # dueDate / prepaid terms have no days


def test_currencies(eco):
    for currency in eco.get("currencies").json()["collection"]:
        documented = doc_properties("_currencies.md", "GET", "/currencies")
        assert shape_problems(currency, documented, []) == [] and set(currency) == set(documented)


def test_products_and_customers(eco):
    product = eco.get("products/1").json()
    check(
        product,
        ("_products.md", "GET", "/products/:productNumber"),
        [fixture("product")],
        {"inventory", "metaData", "barred"},
    )
    customer = eco.get("customers/1").json()
    recorded = [fixture("customer"), fixture("create_customer")]
    absent = {"metaData", "address", "city", "zip", "country", "barred", "layout", "telephoneAndFaxNumber"}
    absent |= {"eInvoicingDisabledByDefault"}
    check(customer, ("_customers.md", "GET", "/customers/:customerNumber"), recorded, absent)
    created = eco.post(
        "customers",
        {
            "name": "Acme",
            "currency": "DKK",
            "customerGroup": {"customerGroupNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
        },
    ).json()
    assert set(created) - {"email"} == set(customer) - {"email"}


def test_drafts(invoices):
    eco, draft, _ = invoices
    absent = {"delivery", "deliveryLocation"}
    recorded = [fixture("invoice"), fixture("create_draft_invoice")]
    check(draft, ("_invoices.md", "GET", "/invoices/drafts/:draftInvoiceNumber"), recorded, absent)
    listed = eco.get("invoices/drafts").json()["collection"][0]
    assert "lines" not in listed
    check(listed, ("_invoices.md", "GET", "/invoices/drafts"), [first("invoices_0")], absent)


def test_booked_invoices_and_the_paid_unpaid_collections(invoices):
    eco, _, booked = invoices
    assert booked["remainder"] == booked["grossAmount"] - 10
    recorded = [fixture("invoice_book"), fixture("create_booked_invoice"), fixture("invoice_book_with_number")]
    absent = {"delivery", "orderNumber"}
    check(booked, ("_invoices.md", "GET", "/invoices/booked/:bookedInvoiceNumber"), recorded, absent)
    listed = [dict(fixture("invoice_book"))]
    listed[0].pop("lines")
    for path in ("invoices/booked", "invoices/unpaid"):
        item = eco.get(path).json()["collection"][0]
        assert "lines" not in item
        check(item, ("_invoices.md", "GET", f"/{path}"), listed, absent)


def test_booking_answers_the_booked_invoice(eco):
    booked = eco.book(eco.draft()["draftInvoiceNumber"], bookWithNumber=9999999)
    recorded = fixture("invoice_book_with_number")
    assert set(paths(booked)) >= set(paths(recorded)) - {"recipient.address", "recipient.zip", "recipient.city"} - {
        "recipient.country"
    }


def test_errors_and_pagination(eco):
    missing = eco.get("customers/999").json()
    assert set(missing) == set(fixture("404")) and missing["message"] == fixture("404")["message"]
    assert missing["developerHint"] == fixture("404")["developerHint"]
    refused = eco.post("invoices/drafts", draft_payload(currency="ZUL")).json()
    assert set(refused) == set(fixture("404")) | {"errors"}
    assert set(refused["errors"]["currency"]["errors"][0]) == {"errorCode", "message", "value", "developerHint"}
    page = eco.get("customers", {"pagesize": 1}).json()["pagination"]
    assert set(page) == set(fixture("pagination"))
