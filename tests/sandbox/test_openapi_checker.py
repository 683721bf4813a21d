"""The schema checker itself: it must catch what it claims to catch, or the sandbox tests prove nothing."""

import pytest

from tests.sandbox import openapi


@pytest.fixture
def schemas():
    return openapi.xero_schemas()


def test_catches_wrong_types_enums_uuids_and_ms_dates(schemas):
    bad = {
        "Invoices": [
            {
                "Type": "SALE",
                "InvoiceID": "not-a-uuid",
                "Total": "120.00",
                "Date": "2026-11-01",
                "HasErrors": "no",
                "LineItems": [{"Quantity": "2"}],
                "Contact": {"ContactStatus": "GONE"},
            }
        ]
    }
    problems = "\n".join(schemas.errors(bad, schemas.schema("Invoices")))
    for fragment in (
        "Type: 'SALE' not in enum",
        "InvoiceID: 'not-a-uuid' is not a uuid",
        "Total: expected number",
        "Date: '2026-11-01' is not a /Date(…)/ value",
        "HasErrors: expected boolean",
        "LineItems[0].Quantity: expected number",
        "Contact.ContactStatus: 'GONE' not in enum",
    ):
        assert fragment in problems
    with pytest.raises(AssertionError, match="deviation"):
        schemas.assert_valid(bad, "Invoices")


def test_required_properties_and_refs(schemas):
    assert "missing required property Code" in "\n".join(schemas.errors({"Name": "x"}, schemas.schema("Item")))
    assert schemas.errors({"Code": "X"}, schemas.schema("#/components/schemas/Item")) == []


def test_request_body_schema_of_an_operation(schemas):
    body = schemas.request_schema("/Invoices", "put")
    assert "Invoices" in schemas.resolve(body)["properties"]


def test_skips_with_a_reason_when_the_spec_is_absent(monkeypatch, tmp_path):
    monkeypatch.setattr(openapi, "XERO_ACCOUNTING", tmp_path / "missing.yaml")
    with pytest.raises(pytest.skip.Exception, match="Xero OpenAPI spec not found"):
        openapi.xero_schemas()


def test_request_mode_accepts_iso_dates_where_responses_need_ms_dates(schemas):
    payload = {"Invoices": [{"Type": "ACCREC", "Date": "2026-11-01", "DueDate": "2026-11-15T00:00:00"}]}
    schemas.assert_valid(payload, "Invoices", request=True)
    with pytest.raises(AssertionError):
        schemas.assert_valid(payload, "Invoices")
    with pytest.raises(AssertionError):
        schemas.assert_valid({"Invoices": [{"Date": "1st Nov"}]}, "Invoices", request=True)


def test_identity_spec_and_date_times():
    identity = openapi.xero_schemas("xero-identity.yaml")
    good = {"id": "f4a87932-0878-4884-abcf-73191dd810ba", "createdDateUtc": "2020-03-18T21:20:07.7179250"}
    identity.assert_valid(good, "Connection")
    with pytest.raises(AssertionError, match="ISO date-time"):
        identity.assert_valid({**good, "createdDateUtc": "yesterday"}, "Connection")
