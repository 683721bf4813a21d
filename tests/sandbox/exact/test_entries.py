"""Posting invoices: SalesEntries (numbered and booked at once: transaction lines and a receivable), SalesInvoices
(a draft until PrintedSalesInvoices processes it), Exact-style refusals, and the sync endpoints with Timestamp
cursors, 1000-row pages and sync/Deleted."""

import json
from decimal import Decimal

from .conftest import NL_EMPTY_DIVISION


def _message(response) -> str:
    assert response.status_code == 400, response.content
    return response.json()["error"]["message"]["value"]


def test_a_sales_entry_is_numbered_and_booked(exact):
    entry = exact.sales_entry(amount="100.00", vat="2", your_ref="INV-2026-001")
    assert entry["EntryNumber"] == entry["InvoiceNumber"] and entry["Status"] == 20
    assert (entry["AmountDC"], entry["VATAmountDC"]) == (121, 21)
    line = entry["SalesEntryLines"]["results"][0]
    assert (line["VATCode"], line["VATPercentage"], line["AmountFC"]) == ("2  ", 0.21, 100)
    number = entry["EntryNumber"]
    lines = exact.results(
        "financialtransaction/TransactionLines",
        **{
            "$select": "LineNumber,Type,AmountDC,GLAccountCode,Account,InvoiceNumber",
            "$filter": f"InvoiceNumber eq {number}",
        },
    )
    assert sorted((row["LineNumber"], row["GLAccountCode"], row["AmountDC"]) for row in lines) == [
        (0, "1300", 121),
        (1, "8000", -100),
        (2, "1500", -21),
    ]
    assert {row["Type"] for row in lines} == {20}
    receivable = exact.one(
        "cashflow/Receivables",
        "InvoiceNumber,AmountDC,TransactionAmountDC,Status,IsFullyPaid,YourRef,TransactionEntryID,Account",
        "YourRef eq 'INV-2026-001'",
    )
    assert receivable["TransactionEntryID"] == entry["EntryID"] and receivable["Account"] == entry["Customer"]
    assert (receivable["AmountDC"], receivable["Status"], receivable["IsFullyPaid"]) == (121, 20, False)
    found = exact.results("salesentry/SalesEntries", **{"$select": "EntryID", "$filter": "YourRef eq 'INV-2026-001'"})
    assert [row["EntryID"] for row in found] == [entry["EntryID"]]  # the lookup after an ambiguous failure


def test_vat_falls_back_to_the_gl_accounts_default_and_amounts_round_half_up(exact):
    entry = exact.post(
        "salesentry/SalesEntries",
        {
            "Journal": "70",
            "Customer": exact.customer(),
            "SalesEntryLines": [{"GLAccount": exact.gl("8000"), "AmountFC": "10.05"}],
        },
        HTTP_PREFER="return=representation",
    ).json()["d"]
    line = entry["SalesEntryLines"]["results"][0]
    assert line["VATCode"] == "2  " and entry["VATAmountFC"] == 2.11  # 21% of 10.05 = 2.1105


def test_refusals_in_exacts_error_body(exact):
    customer, gl = exact.customer(), exact.gl()
    line = {"GLAccount": gl, "AmountFC": "10"}
    post = lambda body: exact.post("salesentry/SalesEntries", body)  # noqa: E731
    assert _message(post({"Customer": customer, "SalesEntryLines": [line]})) == "Mandatory: Journal"
    assert _message(post({"Journal": "20", "Customer": customer, "SalesEntryLines": [line]})) == (
        "Journal 20 is not a sales journal"
    )
    assert _message(post({"Journal": "70", "SalesEntryLines": [line]})) == "Mandatory: Customer"
    assert (
        _message(post({"Journal": "70", "Customer": customer, "SalesEntryLines": []})) == "Mandatory: SalesEntryLines"
    )
    bad_vat = {**line, "VATCode": "99"}
    assert _message(post({"Journal": "70", "Customer": customer, "SalesEntryLines": [bad_vat]})) == (
        "Invalid value: VAT code '99'"
    )
    purchase = {**line, "VATCode": "22"}
    assert "can not be used for sales" in _message(
        post({"Journal": "70", "Customer": customer, "SalesEntryLines": [purchase]})
    )
    exact.sales_entry(EntryNumber=555)
    assert _message(exact.post("salesentry/SalesEntries", {**_body(exact), "EntryNumber": 555})) == (
        "Entry number 555 already exists in journal 70"
    )
    assert exact.results("cashflow/Receivables", **{"$select": "ID", "$filter": "InvoiceNumber gt 0"}).__len__() == 1


def _body(exact) -> dict:
    return {
        "Journal": "70",
        "Customer": exact.customer(),
        "SalesEntryLines": [{"GLAccount": exact.gl(), "AmountFC": "10"}],
    }


def test_the_division_without_vat_codes_books_without_vat(exact):
    exact.division = NL_EMPTY_DIVISION
    entry = exact.sales_entry(amount="50", vat=None)
    assert entry["VATAmountDC"] == 0 and entry["SalesEntryLines"]["results"][0]["VATCode"] is None


def test_a_sales_invoice_is_a_draft_until_printed(exact):
    draft = exact.post(
        "salesinvoice/SalesInvoices",
        {
            "InvoiceTo": exact.customer(),
            "Journal": "70",
            "InvoiceDate": "2026-11-03",
            "YourRef": "INV-2026-002",
            "SalesInvoiceLines": [{"GLAccount": exact.gl(), "Quantity": 2, "UnitPrice": "50", "VATCode": "1"}],
        },
        HTTP_PREFER="return=representation",
    ).json()["d"]
    assert draft["Status"] == 20 and draft["InvoiceNumber"] is None and draft["AmountDC"] == 109
    filter_ = f"InvoiceID eq guid'{draft['InvoiceID']}'"
    assert exact.results("cashflow/Receivables", **{"$select": "ID", "$filter": "YourRef eq 'INV-2026-002'"}) == []
    printed = exact.post("salesinvoice/PrintedSalesInvoices", {"InvoiceID": draft["InvoiceID"]})
    assert printed.status_code == 201
    after = exact.one("salesinvoice/SalesInvoices", "InvoiceNumber,Status,StatusDescription", filter_)
    assert after["Status"] == 50 and after["StatusDescription"] == "Processed" and after["InvoiceNumber"]
    receivable = exact.one("cashflow/Receivables", "InvoiceNumber,AmountDC", "YourRef eq 'INV-2026-002'")
    assert receivable == {**receivable, "InvoiceNumber": after["InvoiceNumber"], "AmountDC": 109}
    again = exact.post("salesinvoice/PrintedSalesInvoices", {"InvoiceID": draft["InvoiceID"]})
    assert "already been processed" in _message(again)


def test_sync_endpoints_page_on_timestamp_and_deleted_lists_removals(exact, client):
    entry = exact.sales_entry()
    rows = exact.results(
        "sync/Financial/TransactionLines", **{"$select": "Timestamp,ID,AmountDC", "$filter": "Timestamp gt 1L"}
    )
    assert len(rows) == 3 and [r["Timestamp"] for r in rows] == sorted(r["Timestamp"] for r in rows)
    cursor = rows[-1]["Timestamp"]
    assert (
        exact.results(
            "sync/Financial/TransactionLines", **{"$select": "Timestamp", "$filter": f"Timestamp gt {cursor}L"}
        )
        == []
    )
    terms = exact.results(
        "sync/Cashflow/PaymentTerms",
        **{
            "$select": "Timestamp,InvoiceNumber,IsFullyPaid,Status,LineType",
            "$filter": "Timestamp gt 0L and LineType eq 20",
        },
    )
    assert [(t["InvoiceNumber"], t["Status"], t["LineType"]) for t in terms] == [(entry["InvoiceNumber"], 20, 20)]
    assert (
        "LineType"
        in exact.get("cashflow/Receivables", {"$select": "LineType", "$filter": "Status eq 20"}).json()["error"][
            "message"
        ]["value"]
    )
    accounts = exact.results("sync/CRM/Accounts", **{"$select": "Timestamp,Name", "$filter": "Timestamp gt 0L"})
    assert len(accounts) == 2
    assert "$select" in exact.get("sync/Deleted").json()["error"]["message"]["value"]
    assert exact.results("sync/Deleted", **{"$select": "Timestamp,EntityKey,EntityType"}) == []
    answer = client.post(
        f"/sandbox/exact/divisions/{exact.division}/invoices/{entry['EntryID']}/payments/", {"amount": "121.00"}
    )
    assert answer.status_code == 302
    payment = exact.results(
        "sync/Financial/TransactionLines", **{"$select": "Timestamp,EntryID,Type", "$filter": f"Timestamp gt {cursor}L"}
    )
    assert {row["Type"] for row in payment} == {40} and len(payment) == 2
    client.post(f"/sandbox/exact/divisions/{exact.division}/payments/{payment[0]['EntryID']}/delete/")
    deleted = exact.results(
        "sync/Deleted",
        **{"$select": "Timestamp,EntityKey,EntityType,DeletedDate", "$filter": f"Timestamp gt {cursor}L"},
    )
    assert [row["EntityType"] for row in deleted] == [1, 1] and all(
        row["DeletedDate"].startswith("/Date(") for row in deleted
    )
    total = sum(
        Decimal(str(r["AmountDC"])) for r in exact.results("sync/Financial/TransactionLines", **{"$select": "AmountDC"})
    )
    assert total == 0  # the booked entry balances; the deleted payment is gone


def _put(exact, key: str, body: dict):
    return exact.client.put(
        exact.url(f"salesentry/SalesEntries(guid'{key}')"),
        json.dumps(body),
        content_type="application/json",
        **exact.headers(),
    )


def test_put_rebooks_the_entry_and_keeps_its_payments(exact, client):
    entry = exact.sales_entry(amount="100", your_ref="INV-U-1")
    client.post(f"/sandbox/exact/divisions/{exact.division}/invoices/{entry['EntryID']}/payments/", {"amount": "21"})
    lines = [{"GLAccount": exact.gl("8100"), "AmountFC": "200", "VATCode": "2", "Description": "Hosting"}]
    answer = _put(exact, entry["EntryID"], {"YourRef": "INV-U-1b", "SalesEntryLines": lines})
    assert answer.status_code == 204, answer.content
    after = exact.one("salesentry/SalesEntries", "EntryNumber,AmountDC,YourRef", f"EntryID eq guid'{entry['EntryID']}'")
    assert (after["EntryNumber"], after["AmountDC"], after["YourRef"]) == (entry["EntryNumber"], 242, "INV-U-1b")
    receivable = exact.one(
        "cashflow/Receivables", "AmountDC,Status,YourRef", f"InvoiceNumber eq {entry['EntryNumber']}"
    )
    assert (receivable["AmountDC"], receivable["Status"], receivable["YourRef"]) == (242, 20, "INV-U-1b")
    booked = exact.results(
        "financialtransaction/TransactionLines",
        **{"$select": "GLAccountCode,AmountDC,Type", "$filter": f"InvoiceNumber eq {entry['EntryNumber']}"},
    )
    assert sorted((r["Type"], r["GLAccountCode"], r["AmountDC"]) for r in booked) == [
        (20, "1300", 242),
        (20, "1500", -42),
        (20, "8100", -200),
        (40, "1300", -21),
    ]
    gone = exact.results("sync/Deleted", **{"$select": "EntityType"})
    assert [row["EntityType"] for row in gone] == [1, 1, 1]
    assert _message(_put(exact, entry["EntryID"], {"Journal": "71"})) == "The journal of an entry can not be changed"


def test_delete_is_refused_while_paid_and_lists_the_removal(exact, client):
    paid, unpaid = exact.sales_entry(your_ref="INV-D-1"), exact.sales_entry(your_ref="INV-D-2")
    client.post(f"/sandbox/exact/divisions/{exact.division}/invoices/{paid['EntryID']}/payments/", {"amount": "1"})
    url = lambda key: exact.url(f"salesentry/SalesEntries(guid'{key}')")  # noqa: E731
    assert "can not be deleted" in _message(exact.client.delete(url(paid["EntryID"]), **exact.headers()))
    assert exact.client.delete(url(unpaid["EntryID"]), **exact.headers()).status_code == 204
    assert exact.results("salesentry/SalesEntries", **{"$select": "EntryID", "$filter": "YourRef eq 'INV-D-2'"}) == []
    kinds = sorted(row["EntityType"] for row in exact.results("sync/Deleted", **{"$select": "EntityType"}))
    assert kinds == [1, 1, 1, 10]
    assert exact.client.delete(url(unpaid["EntryID"]), **exact.headers()).status_code == 404
