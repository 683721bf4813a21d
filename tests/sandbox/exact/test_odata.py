"""Exact's OData v2 on the sandbox: current/Me and system/Divisions, the d.results envelope checked against
Exact's SDK fixtures, $select (and Exact's "add a $select" refusal), $filter with typed literals and the
mandatory filter, 60-row pages with __next / $skiptoken, $top, $inlinecount, /$count, $expand of lines, the
error body, wrong divisions, accounts search and create, and the division without VAT codes."""

from django.test import override_settings

from integrations.sandbox.exact.shapes import ACCOUNT, GL_ACCOUNT, SALES_INVOICE

from .conftest import NL_DIVISION, NL_EMPTY_DIVISION
from .fixtures import assert_collection, assert_entity, assert_properties_known, fixture_envelope


def _error(response, status: int) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == "" and body["error"]["message"]["lang"] == ""
    return body["error"]["message"]["value"]


def test_me_names_the_current_division_and_divisions_lists_the_granted_ones(exact):
    me = exact.results("current/Me", **{"$select": "UserID,CurrentDivision,FullName,Email,LanguageCode"})[0]
    assert me["CurrentDivision"] == NL_DIVISION and me["FullName"] == "Sanne de Vries"
    assert me["LanguageCode"] == "nl-NL" and set(me) == {
        "__metadata",
        "UserID",
        "CurrentDivision",
        "FullName",
        "Email",
        "LanguageCode",
    }
    rows = exact.results("system/Divisions", **{"$select": "Code,Description,Currency,Current,Status"})
    assert [(r["Code"], r["Current"], r["Currency"]) for r in rows] == [
        (NL_DIVISION, True, "EUR"),
        (NL_EMPTY_DIVISION, False, "EUR"),
    ]


def test_shapes_match_exacts_sdk_fixtures(exact):
    exact.sales_entry()
    compared = 0
    for resource, select in [
        (
            "crm/Accounts",
            "ID,Code,Name,Status,IsSales,Blocked,Email,VATNumber,Country,AddressLine1,City,Postcode,Created,Modified,Division",
        ),
        (
            "financial/GLAccounts",
            "ID,Code,Description,Type,TypeDescription,BalanceType,BalanceSide,IsBlocked,VATCode,Modified",
        ),
    ]:
        body = exact.get(
            resource, {"$select": select, "$filter": "IsBlocked eq false" if "GL" in resource else "Blocked eq false"}
        ).json()
        compared += sum(assert_entity(row) for row in assert_collection(body))
    invoice = exact.post(
        "salesinvoice/SalesInvoices",
        {
            "InvoiceTo": exact.customer(),
            "Journal": "70",
            "YourRef": "INV-9",
            "SalesInvoiceLines": [{"GLAccount": exact.gl(), "Quantity": 3, "UnitPrice": "25", "VATCode": "2"}],
        },
        HTTP_PREFER="return=representation",
    )
    assert invoice.status_code == 201
    compared += assert_entity(invoice.json()["d"])
    assert compared > 60
    fixture = fixture_envelope("Response_Json_Array_GLAccount.txt")["d"]
    assert "$skiptoken=guid'" in fixture["__next"]  # the same paging link shape the sandbox answers (below)


def test_declared_properties_are_exacts():
    for entity_set in (ACCOUNT, GL_ACCOUNT, SALES_INVOICE):
        assert_properties_known(entity_set)


def test_select_is_required_and_honoured(exact):
    message = _error(exact.get("vat/VATCodes"), 400)
    assert message == "Please add a $select or a $top=1 statement to the query string."
    assert len(exact.results("vat/VATCodes", **{"$top": "1"})) == 1
    rows = exact.results("vat/VATCodes", **{"$select": "Code,Percentage,VATTransactionType"})
    assert {row["Code"] for row in rows} == {"0  ", "1  ", "2  ", "22 "}
    assert all(set(row) == {"__metadata", "Code", "Percentage", "VATTransactionType"} for row in rows)
    assert _error(exact.get("vat/VATCodes", {"$select": "Code,Nope"}), 400).startswith("No property 'Nope'")


def test_the_division_without_vat_codes_answers_none(exact):
    assert exact.results("vat/VATCodes", division=NL_EMPTY_DIVISION, **{"$select": "Code"}) == []


def test_filters_take_exacts_typed_literals(exact):
    gl_id = exact.gl("8010")
    by_guid = exact.results("financial/GLAccounts", **{"$select": "Code", "$filter": f"ID eq guid'{gl_id}'"})
    assert [row["Code"] for row in by_guid] == ["8010"]
    message = _error(exact.get("financial/GLAccounts", {"$select": "Code", "$filter": f"ID eq '{gl_id}'"}), 400)
    assert message == "Operator 'eq' incompatible with operand types 'System.Guid' and 'System.String'."
    revenue = exact.results(
        "financial/GLAccounts", **{"$select": "Code", "$filter": "Type eq 110 and IsBlocked eq false"}
    )
    assert [row["Code"] for row in revenue] == sorted(["8000", "8010", "8100"], key=lambda c: exact.gl(c))
    sales = exact.results(
        "vat/VATCodes", **{"$select": "Code", "$filter": "VATTransactionType eq 'S' or VATTransactionType eq 'B'"}
    )
    assert len(sales) == 3
    recent = exact.results(
        "crm/Accounts", **{"$select": "Name", "$filter": "Modified ge datetime'2020-01-01T00:00:00'"}
    )
    assert len(recent) == 2
    assert exact.results("crm/Accounts", **{"$select": "Name", "$filter": "Modified lt datetime'2020-01-01'"}) == []
    assert _error(exact.get("crm/Accounts", {"$select": "Name", "$filter": "Modified ge '2020-01-01'"}), 400)


def test_endpoints_with_a_sync_equivalent_need_a_filter(exact):
    assert "$filter" in _error(exact.get("financialtransaction/TransactionLines", {"$select": "ID"}), 400)
    assert "$filter" in _error(exact.get("cashflow/Receivables", {"$select": "ID"}), 400)
    assert exact.get("financial/Journals", {"$select": "Code"}).status_code == 200  # no sync equivalent


def test_account_codes_are_padded_and_search_and_create_work(exact):
    found = exact.results("crm/Accounts", **{"$select": "ID,Code,Name", "$filter": "substringof('acme', Name) eq true"})
    assert [(row["Code"], row["Name"]) for row in found] == [("                 1", "Acme Widgets B.V.")]
    assert exact.results("crm/Accounts", **{"$select": "ID", "$filter": "Code eq '1'"}) == []
    assert len(exact.results("crm/Accounts", **{"$select": "ID", "$filter": "trim(Code) eq '1'"})) == 1
    bare = exact.post("crm/Accounts", {"Name": "Nordic Pixels AB", "Email": "ap@nordic.example", "Status": "C"})
    assert bare.status_code == 201 and bare["Location"].endswith(f"(guid'{bare.json()['d']['ID']}')")
    assert bare.json()["d"]["Name"] == "Nordic Pixels AB" and bare.json()["d"]["Code"] is None  # not posted
    full = exact.post(
        "crm/Accounts",
        {"Name": "Sol Studio SL", "VATNumber": "ESB12345678", "Country": "ES", "City": "Madrid"},
        HTTP_PREFER="return=representation",
    ).json()["d"]
    assert full["Code"] == "                 4" and full["Country"] == "ES " and full["VATNumber"] == "ESB12345678"
    assert _error(exact.post("crm/Accounts", {"Email": "x@y.example"}), 400) == "Mandatory: Name"


@override_settings(SANDBOX_EXACT_MINUTE_LIMIT=1000)
def test_pages_of_sixty_follow_next_with_skiptoken(exact):
    for number in range(61):
        assert exact.post("crm/Accounts", {"Name": f"Paging Customer {number:02d}"}).status_code == 201
    params = {"$select": "ID,Name", "$filter": "substringof('Paging', Name) eq true", "$inlinecount": "allpages"}
    first = exact.get("crm/Accounts", params).json()["d"]
    assert len(first["results"]) == 60 and first["__count"] == "61"
    assert first["__next"].startswith("http://testserver/sandbox/exact/nl/api/v1/3001101/crm/Accounts?")
    assert f"$skiptoken=guid'{first['results'][-1]['ID']}'" in first["__next"]
    second = exact.client.get(first["__next"], **exact.headers()).json()["d"]
    assert len(second["results"]) == 1 and "__next" not in second
    names = {row["Name"] for row in first["results"] + second["results"]}
    assert len(names) == 61
    top = exact.get("crm/Accounts", {**params, "$top": "10"}).json()["d"]
    assert len(top["results"]) == 10 and "__next" not in top
    ordered = exact.results("crm/Accounts", **{**params, "$orderby": "Name desc", "$top": "2"})
    assert [row["Name"] for row in ordered] == ["Paging Customer 60", "Paging Customer 59"]
    count = exact.get("crm/Accounts/$count", {"$filter": "substringof('Paging', Name) eq true"})
    assert count.content == b"61"


def test_lines_are_deferred_unless_expanded(exact):
    entry = exact.sales_entry()
    key = entry["EntryID"]
    plain = exact.get(f"salesentry/SalesEntries(guid'{key}')", {"$select": "EntryNumber,SalesEntryLines"}).json()["d"]
    assert plain["SalesEntryLines"] == {"__deferred": {"uri": plain["__metadata"]["uri"] + "/SalesEntryLines"}}
    expanded = exact.get(
        "salesentry/SalesEntries",
        {
            "$select": "EntryNumber,SalesEntryLines/AmountFC",
            "$expand": "SalesEntryLines",
            "$filter": f"EntryID eq guid'{key}'",
        },
    ).json()["d"]["results"][0]
    assert [set(line) for line in expanded["SalesEntryLines"]["results"]] == [{"__metadata", "AmountFC"}]
    assert _error(
        exact.get(f"salesentry/SalesEntries(guid'{'0' * 8}-0000-0000-0000-{'0' * 12}')", {"$select": "EntryID"}), 404
    )


def test_wrong_division_unknown_resource_and_accept(exact):
    assert _error(exact.get("crm/Accounts", {"$select": "ID"}, division=2001101), 403) == "Forbidden - WrongDivision"
    assert _error(exact.get("nope/Things", {"$select": "ID"}), 404).startswith("Resource not found")
    assert exact.get("vat/VATCodes", {"$select": "Code"}, HTTP_ACCEPT="application/atom+xml").status_code == 406
    assert exact.client.get(exact.url("vat/VATCodes"), {"$select": "Code"}).status_code == 401
