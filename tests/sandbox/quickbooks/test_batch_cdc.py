"""Batch (30 items at most, per-item results and faults by bId) and CDC (changes, deleted stubs, 30-day limit)."""

import datetime as dt

import time_machine

from integrations.sandbox.models import QboEntity

from .test_api import _body
from .xsd import assert_response


def test_batch_of_30_runs_every_item_and_answers_by_bid(qbo):
    body = _body(qbo.invoice())
    items = [{"bId": f"b{n}", "operation": "create", "Invoice": body} for n in range(29)]
    items.append({"bId": "q", "Query": "select * from Term"})
    answer = qbo.post("batch", {"BatchItemRequest": items})
    assert answer.status_code == 200, answer.content
    assert_response(answer.json())
    results = {item["bId"]: item for item in answer.json()["BatchItemResponse"]}
    assert len(results) == 30 and results["q"]["QueryResponse"]["Term"]
    assert all("Invoice" in results[f"b{n}"] for n in range(29))
    assert QboEntity.objects.filter(entity="Invoice").count() == 30


def test_batch_of_31_is_refused_and_writes_nothing(qbo):
    body = _body(qbo.invoice())
    items = [{"bId": str(n), "operation": "create", "Invoice": body} for n in range(31)]
    answer = qbo.post("batch", {"BatchItemRequest": items})
    assert answer.status_code == 400 and answer.json()["Fault"]["type"] == "ValidationFault"
    assert "at most 30" in answer.json()["Fault"]["Error"][0]["Detail"]
    assert QboEntity.objects.filter(entity="Invoice").count() == 1


def test_batch_items_fail_on_their_own(qbo):
    invoice = qbo.invoice()
    body = _body(invoice)
    items = [
        {"bId": "ok", "operation": "create", "Invoice": body},
        {"bId": "dup", "operation": "create", "Invoice": {**body, "DocNumber": invoice["DocNumber"]}},
        {"bId": "stale", "operation": "update", "Invoice": {"Id": invoice["Id"], "SyncToken": "7", "sparse": True}},
        {"bId": "name", "operation": "create", "Customer": {"DisplayName": "Printing Partners"}},
        {
            "bId": "void",
            "operation": "update",
            "optionsData": "void",
            "Invoice": {"Id": invoice["Id"], "SyncToken": "0"},
        },
    ]
    answer = qbo.post("batch", {"BatchItemRequest": items}).json()
    assert_response(answer)
    results = {item["bId"]: item for item in answer["BatchItemResponse"]}
    assert "Invoice" in results["ok"]
    assert results["dup"]["Fault"]["Error"][0]["code"] == "6140"
    assert results["stale"]["Fault"]["Error"][0]["code"] == "5010"
    assert results["name"]["Fault"]["Error"][0]["code"] == "6240"
    assert results["void"]["Invoice"]["TotalAmt"] == 0


def test_cdc_returns_changed_payments_and_deleted_stubs(qbo, client):
    from integrations.sandbox.quickbooks import payments
    from integrations.sandbox.quickbooks.store import company_of

    start = dt.datetime.now(dt.UTC)
    invoice = qbo.invoice(amount="100.00", tax="NON")
    company = company_of(qbo.realm)
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        kept = payments.payment_record(company, {invoice["Id"]: "40"})
        gone = payments.payment_record(company, {invoice["Id"]: "10"})
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        payments.payment_delete(company, gone)
    since = (start + dt.timedelta(seconds=30)).isoformat()
    answer = qbo.get("cdc", entities="Payment", changedSince=since)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert_response(body)
    found = body["CDCResponse"][0]["QueryResponse"][0]["Payment"]
    assert {p["Id"]: p.get("status") for p in found} == {kept.entity_id: None, gone.entity_id: "Deleted"}
    stub = next(p for p in found if p.get("status") == "Deleted")
    assert set(stub) == {"status", "domain", "Id", "MetaData"}
    assert body["time"]
    later = (start + dt.timedelta(seconds=90)).isoformat()
    only_delete = qbo.get("cdc", entities="Payment", changedSince=later).json()
    assert [p["Id"] for p in only_delete["CDCResponse"][0]["QueryResponse"][0]["Payment"]] == [gone.entity_id]
    queried = qbo.query("select * from Payment").json()["QueryResponse"]["Payment"]
    assert [p["Id"] for p in queried] == [kept.entity_id]
    assert qbo.get(f"payment/{kept.entity_id}").json()["Payment"]["TotalAmt"] == 40


def test_cdc_refuses_more_than_30_days_back_and_unsupported_entities(qbo):
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=31)).isoformat()
    answer = qbo.get("cdc", entities="Payment", changedSince=old)
    assert answer.status_code == 400 and "30 days" in answer.json()["Fault"]["Error"][0]["Detail"]
    assert_response(answer.json())
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    assert qbo.get("cdc", entities="TaxCode", changedSince=recent).status_code == 400
    assert qbo.get("cdc", entities="Payment").status_code == 400
