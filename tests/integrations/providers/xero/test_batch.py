"""Xero's batch writes (XeroBatchWrites) against `responses` serving the shapes of Xero's OpenAPI spec: many
invoices in one PUT /Invoices?summarizeErrors=false, each element's result its own; contacts likewise, a name
clash looked up in one GET /Contacts?where=Name=="a" OR Name=="b"."""

import copy

import pytest
import responses

from integrations.exceptions import ProviderValidationError, ThrottledError
from integrations.providers.accounting_api import DocumentWrite
from integrations.providers.xero.batch import BATCH_SIZE, batch_key
from integrations.providers.xero.client import XeroApi
from integrations.providers.xero.mapping import contact_number
from tests.factories import CompanyFactory

from . import spec
from .test_client import API, invoice_payload, query

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(connection):
    return XeroApi(connection, sleep=lambda seconds: None)


@pytest.fixture
def connection():
    from ...factories import ConnectionFactory

    return ConnectionFactory(access_token="live-access-token", remote_tenant_id="fe79f7dd-b6d4-4a92-ba7b-538af6289c58")


def refused(element: dict, message: str, flag: str = "HasErrors") -> dict:
    """An element as Xero answers a refused one with summarizeErrors=false."""
    return {**element, flag: True, "StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": message}]}


def test_batch_limits_are_xeros_50_and_both_puts_take_summarize_errors():
    assert XeroApi.batch_limits.documents == XeroApi.batch_limits.contacts == BATCH_SIZE == 50
    for path in ("/Invoices", "/Contacts"):
        assert spec.parameter(path, "put", "summarizeErrors")["schema"]["type"] == "boolean"


@responses.activate
def test_invoices_go_in_one_put_and_each_element_keeps_its_own_result(api):
    accepted = spec.example("/Invoices", "put")["Invoices"][0]
    second = {**invoice_payload(), "InvoiceNumber": "INV-0008"}
    body = copy.deepcopy(spec.example("/Invoices", "put"))
    failed = refused({"Type": "ACCREC", "InvoiceNumber": "INV-0008"}, "Invoice # must be unique.")
    body["Invoices"] = [accepted, failed]
    assert spec.schema_errors(failed, "Invoice") == []  # the refused element is in Xero's Invoice shape
    responses.add(responses.PUT, f"{API}/Invoices", json=body)

    results = api.create_documents(
        "invoice", [DocumentWrite("key-1", invoice_payload()), DocumentWrite("key-2", second)]
    )

    (call,) = responses.calls
    assert query(call) == {"summarizeErrors": "false", "unitdp": "4"}
    assert call.request.headers["Idempotency-Key"] == batch_key(["key-1", "key-2"])
    assert len(call.request.headers["Idempotency-Key"]) <= 128
    sent = spec.parse_sent_json(call.request.body)["Invoices"]
    assert len(sent) == 2 and all(spec.schema_errors(element, "Invoice") == [] for element in sent)
    ok, bad = results
    assert (ok.key, ok.ok, ok.answer.id, ok.answer.number) == ("key-1", True, accepted["InvoiceID"], "INV-0007")
    assert bad.key == "key-2" and isinstance(bad.error, ProviderValidationError) and bad.sent
    assert bad.error.messages == ["Invoice # must be unique."]


def test_the_batch_key_is_the_same_for_the_same_elements_only():
    assert batch_key(["a", "b"]) == batch_key(["a", "b"]) != batch_key(["a", "c"])


@responses.activate
def test_a_429_leaves_every_element_unsent(api):
    responses.add(responses.PUT, f"{API}/Invoices", status=429, headers={"Retry-After": "30"}, json={})
    results = api.create_documents("invoice", [DocumentWrite("k1", invoice_payload()), DocumentWrite("k2", {})])
    assert [(r.sent, type(r.error)) for r in results] == [(False, ThrottledError), (False, ThrottledError)]


@responses.activate
def test_contacts_in_one_put_and_name_clashes_looked_up_in_one_get(api):
    ours = CompanyFactory(name="Acme Ltd")
    namesake = CompanyFactory(name="Beta BV")
    fresh = CompanyFactory(name="Gamma GmbH")
    clash = "is already assigned to another contact. The contact name must be unique across all active contacts."
    responses.add(
        responses.PUT,
        f"{API}/Contacts",
        json={
            "Contacts": [
                refused({"Name": ours.name}, f"The contact name {ours.name} {clash}", "HasValidationErrors"),
                refused({"Name": namesake.name}, f"The contact name {namesake.name} {clash}", "HasValidationErrors"),
                {"ContactID": "33333333-3333-3333-3333-333333333333", "Name": fresh.name},
            ]
        },
    )
    responses.add(
        responses.GET,
        f"{API}/Contacts",
        json={
            "Contacts": [
                {"ContactID": "11111111-1111-1111-1111-111111111111", "Name": ours.name, "ContactNumber": ""},
                {"ContactID": "22222222-2222-2222-2222-222222222222", "Name": namesake.name, "ContactNumber": "X-9"},
            ]
        },
    )
    responses.add(
        responses.PUT,
        f"{API}/Contacts",
        json={"Contacts": [{"ContactID": "44444444-4444-4444-4444-444444444444", "Name": f"{namesake.name} (2)"}]},
    )

    results = api.create_contacts([("c1", ours), ("c2", namesake), ("c3", fresh)])

    first_put, lookup, second_put = responses.calls
    sent = spec.parse_sent_json(first_put.request.body)["Contacts"]
    assert [c["Name"] for c in sent] == [ours.name, namesake.name, fresh.name]
    assert all(spec.schema_errors(c, "Contact") == [] for c in sent)
    assert sent[0]["ContactNumber"] == contact_number(ours)
    assert query(lookup)["where"] == f'Name=="{ours.name}" OR Name=="{namesake.name}"'
    assert [c["Name"] for c in spec.parse_sent_json(second_put.request.body)["Contacts"]] == [f"{namesake.name} (2)"]
    assert [(r.key, r.answer.id) for r in results] == [
        ("c1", "11111111-1111-1111-1111-111111111111"),  # the same client, made by hand: adopted
        ("c2", "44444444-4444-4444-4444-444444444444"),  # someone else's name: "Name (2)"
        ("c3", "33333333-3333-3333-3333-333333333333"),
    ]
