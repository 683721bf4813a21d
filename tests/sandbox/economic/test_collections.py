"""Collections: skippages/pagesize paging (20 by default, at most 1000), e-conomic's pagination object with its
links, the `filter=` operators (incl. $in with at most 200 numbers), escapes, $null:, sorting, and 400s."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import draft_payload


@pytest.fixture
def customers(eco):
    for index in range(25):
        body = {
            "name": f"Kunde {index:02d}" if index != 7 else "Smith (Holding) A/S",
            "currency": "DKK" if index % 2 else "EUR",
            "customerGroup": {"customerGroupNumber": 1 + index % 2},
            "paymentTerms": {"paymentTermsNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
            "email": f"k{index}@example.com",
        }
        assert eco.post("customers", body).status_code == 201
    return eco


def query(link: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def test_default_page_is_20_with_next_and_last_links(customers):
    body = customers.get("customers").json()
    page = body["pagination"]
    assert len(body["collection"]) == 20 and page["results"] == page["resultsWithoutFilter"] == 27
    assert (page["skipPages"], page["pageSize"], page["maxPageSizeAllowed"]) == (0, 20, 1000)
    assert query(page["nextPage"]) == {"skippages": "1", "pagesize": "20"}
    assert query(page["lastPage"]) == {"skippages": "1", "pagesize": "20"}
    assert "previousPage" not in page
    assert body["self"] == "http://testserver/sandbox/economic/api/customers?skippages=0&pagesize=20"
    assert [c["customerNumber"] for c in body["collection"]][:3] == [1, 2, 3]


def test_following_next_pages_reads_every_document_once(customers):
    seen, params = [], {"skippages": 0, "pagesize": 10}
    while True:
        body = customers.get("customers", params).json()
        seen += [c["customerNumber"] for c in body["collection"]]
        if "nextPage" not in body["pagination"]:
            break
        params = query(body["pagination"]["nextPage"])
    assert seen == list(range(1, 28))
    assert query(body["pagination"]["previousPage"]) == {"skippages": "1", "pagesize": "10"}


@pytest.mark.parametrize("params", [{"pagesize": 1001}, {"pagesize": 0}, {"skippages": -1}, {"pagesize": "x"}])
def test_bad_paging_is_a_400(eco, params):
    response = eco.get("customers", params)
    assert response.status_code == 400 and response.json()["httpStatusCode"] == 400


def test_pagesize_1000_is_allowed(customers):
    assert len(customers.get("customers", {"pagesize": 1000}).json()["collection"]) == 27


def numbers(eco, text, path="customers", **extra):
    response = eco.get(path, {"filter": text, "pagesize": 1000, **extra})
    assert response.status_code == 200, response.content
    return [doc[next(k for k in doc if k.endswith("Number"))] for doc in response.json()["collection"]]


def test_filter_operators(customers):
    eco = customers
    assert numbers(eco, "name$eq:kunde 03") == [6]  # case-insensitive
    assert numbers(eco, "name$like:kunde 2") == [23, 24, 25, 26, 27]  # no wildcard: contains
    assert numbers(eco, "name$like:*de 0*") == [3, 4, 5, 6, 7, 8, 9, 11, 12]
    assert numbers(eco, "name$like:Nordlys*") == [1]
    assert numbers(eco, "customerNumber$in:[2,5,7,22]") == [2, 5, 7, 22]
    assert numbers(eco, "customerNumber$nin:[1,2,3]$and:customerNumber$lte:5") == [4, 5]
    assert numbers(eco, "customerNumber$gt:25") == [26, 27]
    assert numbers(eco, "customerNumber$gte:26$or:customerNumber$lt:2") == [1, 26, 27]
    assert numbers(eco, "currency$eq:EUR$and:(customerNumber$lt:6$or:customerNumber$gt:25)") == [3, 5, 27]
    assert numbers(eco, "customerNumber$ne:1$and:customerNumber$lt:4") == [2, 3]
    assert numbers(eco, "name$eq:Smith $(Holding$) A/S") == [10]  # escaped parentheses
    assert numbers(eco, "website$eq:$null:$and:customerNumber$lt:3") == [1, 2]
    assert numbers(eco, "barred$eq:false$and:customerNumber$lt:3") == [1, 2]  # false booleans are omitted


def test_filter_keeps_paging_and_links(customers):
    body = customers.get("customers", {"filter": "currency$eq:EUR", "pagesize": 5}).json()
    assert body["pagination"]["results"] == 13 and body["pagination"]["resultsWithoutFilter"] == 27
    assert query(body["pagination"]["nextPage"]) == {"skippages": "1", "pagesize": "5", "filter": "currency$eq:EUR"}


@pytest.mark.parametrize(
    "text",
    [
        "dueAmount$eq:0",  # not filterable on customers
        "name$in:[1,2]",  # $in only on numeric properties
        "customerNumber$in:[" + ",".join(str(n) for n in range(1, 202)) + "]",  # more than 200
        "customerNumber$eq:abc",
        "name$eq:Joe$and:",
        "(name$eq:Joe",
        "name$foo:Joe",
        "name$eq:a$qb",
    ],
)
def test_bad_filters_are_a_400(eco, text):
    response = eco.get("customers", {"filter": text})
    assert response.status_code == 400 and response.json()["message"]


def test_200_values_in_in_are_allowed(customers):
    text = "customerNumber$in:[" + ",".join(str(n) for n in range(1, 201)) + "]"
    assert len(numbers(customers, text)) == 27


def test_sorting(customers):
    assert numbers(customers, "customerNumber$lt:4", sort="-customerNumber") == [3, 2, 1]
    assert numbers(customers, "customerNumber$lt:4", sort="name") == [2, 3, 1]  # Fjord, Kunde 00, Nordlys
    assert customers.get("customers", {"sort": "dueAmount"}).status_code == 400


def test_booked_invoices_filter_by_number_in_and_reference(eco):
    booked = [eco.book(eco.draft(references={"other": f"P-{n}"})["draftInvoiceNumber"]) for n in range(3)]
    wanted = [b["bookedInvoiceNumber"] for b in booked[:2]]
    text = f"bookedInvoiceNumber$in:[{','.join(map(str, wanted))}]"
    assert numbers(eco, text, path="invoices/booked") == wanted
    polled = eco.get("invoices/booked", {"filter": text}).json()["pagination"]
    assert (polled["results"], polled["resultsWithoutFilter"]) == (2, 3)
    both = eco.get("invoices/booked", {"filter": f"{text}$and:references.other$eq:P-1"}).json()
    assert [i["bookedInvoiceNumber"] for i in both["collection"]] == [wanted[1]]
    assert numbers(eco, f"bookedInvoiceNumber$eq:{wanted[0]}", path="invoices/booked") == wanted[:1]
    assert numbers(eco, f"{text}$or:references.other$eq:P-2", path="invoices/booked") == [
        *wanted,
        booked[2]["bookedInvoiceNumber"],
    ]
    assert numbers(eco, "references.other$eq:P-2", path="invoices/booked") == [booked[2]["bookedInvoiceNumber"]]
    assert eco.get("invoices/booked", {"filter": "remainder$eq:0"}).status_code == 400  # not filterable
    assert numbers(eco, text, path="invoices/unpaid") == wanted
    eco.draft(**draft_payload(references={"other": "D-1"}))
    assert numbers(eco, "references.other$eq:D-1", path="invoices/drafts")


def test_reference_lists_are_collections(eco):
    for path, key, count in [
        ("layouts", "layoutNumber", 2),
        ("payment-terms", "paymentTermsNumber", 6),
        ("vat-zones", "vatZoneNumber", 4),
        ("products", "productNumber", 3),
        ("customer-groups", "customerGroupNumber", 2),
    ]:
        body = eco.get(path).json()
        assert body["pagination"]["results"] == count, path
        first = body["collection"][0]
        assert first["self"] == f"http://testserver/sandbox/economic/api/{path}/{first[key]}"
        assert eco.get(f"{path}/{first[key]}").json() == first
    assert eco.get("layouts", {"filter": "name$eq:x"}).status_code == 400  # layouts have no filterable property
    codes = [c["code"] for c in eco.get("currencies").json()["collection"]]
    assert codes == ["DKK", "EUR", "GBP", "NOK", "SEK", "USD"]
    assert eco.get("currencies/EUR").json()["isoNumber"] == "978" and eco.get("currencies/XYZ").status_code == 404
    assert numbers(eco, "productGroup.productGroupNumber$eq:4", path="products") == ["3"]


def test_a_collection_costs_the_same_queries_however_many_invoices_it_holds(eco):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert eco.get("invoices/unpaid", {"pagesize": 1000}).status_code == 200
        return len(captured)

    eco.book(eco.draft()["draftInvoiceNumber"])
    few = queries()
    for _ in range(5):
        eco.book(eco.draft()["draftInvoiceNumber"])
    assert queries() == few
