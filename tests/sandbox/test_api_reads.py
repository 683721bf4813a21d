"""Reads of the sandbox Accounting API, checked against the official Xero OpenAPI schemas."""

import re

from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID

MS_DATE = re.compile(r"^/Date\(\d+\+0000\)/$")


def test_organisation_matches_the_spec(connected, schemas):
    response = connected.get("Organisation")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    schemas.assert_valid(body, "Organisations")
    org = body["Organisations"][0]
    assert (org["Name"], org["BaseCurrency"], org["OrganisationID"]) == (
        "Sandbox Trading Ltd",
        "GBP",
        TRADING_TENANT_ID,
    )
    design = connected.get("Organisation", tenant=DESIGN_TENANT_ID).json()["Organisations"][0]
    assert (design["Name"], design["BaseCurrency"]) == ("Sandbox Design B.V.", "EUR")


def test_rate_limit_headers_on_every_tenant_call(connected):
    first = connected.get("Organisation")
    second = connected.get("Organisation")
    assert int(first["X-MinLimit-Remaining"]) == int(second["X-MinLimit-Remaining"]) + 1
    assert int(second["X-DayLimit-Remaining"]) > 0
    assert "X-AppMinLimit-Remaining" in second


def test_accounts_filtered_by_status_and_type(connected, schemas):
    body = connected.get("Accounts", {"where": 'Status=="ACTIVE" AND Type=="REVENUE"'}).json()
    schemas.assert_valid(body, "Accounts")
    assert [a["Code"] for a in body["Accounts"]] == ["200", "260", "270"]
    every = connected.get("Accounts").json()["Accounts"]
    assert any(a["Status"] == "ARCHIVED" for a in every)
    bank = connected.get("Accounts", {"where": 'Type=="BANK"'}).json()["Accounts"]
    assert [a["Code"] for a in bank] == ["090"]
    assert MS_DATE.match(bank[0]["UpdatedDateUTC"])
    single = connected.get(f"Accounts/{bank[0]['AccountID']}").json()["Accounts"]
    assert single[0]["Code"] == "090"


def test_tax_rates_say_where_they_apply(connected, schemas):
    body = connected.get("TaxRates").json()
    schemas.assert_valid(body, "TaxRates")
    rates = {t["TaxType"]: t for t in body["TaxRates"]}
    assert rates["OUTPUT2"]["EffectiveRate"] == 20 and rates["OUTPUT2"]["CanApplyToRevenue"] is True
    assert rates["INPUT2"]["CanApplyToRevenue"] is False
    dutch = connected.get("TaxRates", tenant=DESIGN_TENANT_ID).json()["TaxRates"]
    assert any(t["Name"].startswith("Hoog tarief") and t["EffectiveRate"] == 21 for t in dutch)
    revenue = connected.get("TaxRates", {"where": "CanApplyToRevenue==true"}).json()["TaxRates"]
    assert "INPUT2" not in {t["TaxType"] for t in revenue}


def test_items(connected, schemas):
    body = connected.get("Items").json()
    schemas.assert_valid(body, "Items")
    assert {i["Code"] for i in body["Items"]} == {"CONSULT", "DESIGN", "HOSTING"}
    assert connected.get("Items/DESIGN").json()["Items"][0]["SalesDetails"]["UnitPrice"] == 650


def test_contacts_search_where_ids_and_paging(connected, schemas):
    body = connected.get("Contacts", {"searchTerm": "harbour"}).json()
    schemas.assert_valid(body, "Contacts")
    assert [c["Name"] for c in body["Contacts"]] == ["Blue Harbour Media"]
    by_email = connected.get("Contacts", {"searchTerm": "ACME-WIDGETS"}).json()["Contacts"]
    assert [c["Name"] for c in by_email] == ["Acme Widgets Ltd"]
    exact = connected.get("Contacts", {"where": 'Name=="acme widgets ltd"'}).json()["Contacts"]
    assert len(exact) == 1
    ids = ",".join(c["ContactID"] for c in exact)
    assert [c["Name"] for c in connected.get("Contacts", {"IDs": ids}).json()["Contacts"]] == ["Acme Widgets Ltd"]
    page = connected.get("Contacts", {"page": 2, "pageSize": 2}).json()
    assert page["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 2, "itemCount": 3}
    assert len(page["Contacts"]) == 1


def test_a_malformed_where_is_a_query_parse_error(connected):
    response = connected.get("Accounts", {"where": "Status=ACTIVE"})
    assert response.status_code == 400
    assert response.json()["Type"] == "QueryParseException"


def test_401_without_a_valid_bearer_in_xeros_shape(connected):
    response = connected.get("Organisation", token="not-a-token")
    assert response.status_code == 401
    body = response.json()
    assert body["Title"] == "Unauthorized" and body["Status"] == 401 and body["Detail"] == "AuthenticationUnsuccessful"
    response = connected.client.get("/sandbox/xero/api/api.xro/2.0/Organisation", HTTP_ACCEPT="application/json")
    assert response.status_code == 401


def test_403_for_a_tenant_the_token_does_not_grant(xero):
    xero.connect(tenants=(TRADING_TENANT_ID,))
    assert xero.get("Organisation", tenant=DESIGN_TENANT_ID).status_code == 403
    assert xero.get("Organisation", tenant="").status_code == 403
    assert xero.get("Organisation", tenant="not-a-uuid").json()["Title"] == "Forbidden"


def test_404_for_unknown_resources_and_ids(connected):
    assert connected.get("Invoices/6b0f4a1e-0000-4000-8000-000000000000").status_code == 404
    assert connected.get("Nonsense").status_code == 404
    assert connected.get("Contacts/6b0f4a1e-0000-4000-8000-000000000000").status_code == 404


def test_missing_scope_is_401_authorization_unsuccessful(xero):
    code = xero.consent(scope="offline_access accounting.settings.read")["code"]
    xero.access_token = xero.exchange(code).json()["access_token"]
    assert xero.get("Accounts").status_code == 200
    response = xero.get("Invoices")
    assert response.status_code == 401 and response.json()["Detail"] == "AuthorizationUnsuccessful"


def test_without_accept_json_the_sandbox_refuses_like_xero_would_answer_xml(connected):
    assert connected.get("Organisation", accept="text/html").status_code == 406
