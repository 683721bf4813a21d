"""The CDC payment feed: cursor from Intuit's `time`, idle poll, deleted stubs, splits, edits, voids, and the
full re-sync past CDC's 30 days (with deletions found by diffing the ids the connection recorded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from integrations import registry
from integrations.models import CopyStatus, RemoteDocument
from integrations.providers.quickbooks.feed import CURSOR_KEY
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .fake_qbo import FakeQuickBooks, intuit_time
from .helpers import API, qbo_connection

pytestmark = pytest.mark.django_db


def _path_and_query(call):
    parts = urlsplit(call.request.url)
    return parts.path.rsplit("/", 1)[1], {k: v[0] for k, v in parse_qs(parts.query).items()}


def _records(api, cursor):
    pages = list(api.fetch_payments(cursor))
    return [p for page in pages for p in page.payments], pages[-1].next_cursor


@pytest.fixture
def connection():
    return qbo_connection()


@pytest.fixture
def server(connection):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeQuickBooks(mock, API, connection.remote_tenant_id).install()


def test_cursor_is_the_answers_time_and_the_idle_poll_is_one_cdc_call(connection, server):
    server.pay("1", [("130", "40.00")])
    api = registry.get("quickbooks").api(connection)
    records, cursor = _records(api, {})
    assert [r.id for r in records] == ["1"] and cursor == {CURSOR_KEY: intuit_time(server.clock)}
    idle = registry.get("quickbooks").api(connection)
    assert _records(idle, cursor) == ([], cursor) and idle.calls == 1
    path, query = _path_and_query(server.mock.calls[-1])
    assert path == "cdc" and query["entities"] == "Payment" and query["changedSince"] == cursor[CURSOR_KEY]


def test_split_edit_delete_and_void(connection, server):
    api = registry.get("quickbooks").api(connection)
    _records(api, {})
    cursor = {CURSOR_KEY: intuit_time(server.clock)}
    server.pay("1", [("130", "300.00"), ("131", "200.00")])
    (split,), cursor = _records(api, cursor)
    assert [(a.document_id, a.amount) for a in split.allocations] == [
        ("130", Decimal("300.00")),
        ("131", Decimal("200.00")),
    ]
    assert split.currency == "EUR" and split.reference == "ref-1" and not split.deleted
    server.pay("1", [("130", "250.00")], date="2026-11-12")
    (edited,), cursor = _records(api, cursor)
    assert [(a.document_id, a.amount) for a in edited.allocations] == [("130", Decimal("250.00"))]
    assert str(edited.date) == "2026-11-12"
    server.void("1")
    (voided,), cursor = _records(api, cursor)
    assert voided.deleted and voided.id == "1"
    server.pay("2", [("130", "10.00")])
    server.delete("2")
    (deleted,), cursor = _records(api, cursor)
    assert deleted.deleted and deleted.id == "2" and deleted.allocations == ()


def test_a_credit_memo_line_pays_nothing_of_ours():
    from integrations.providers.quickbooks.payments import payment_from_json

    record = payment_from_json(
        {
            "Id": "9",
            "TotalAmt": 50,
            "Line": [
                {"Amount": 50, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
                {"Amount": 20, "LinkedTxn": [{"TxnId": "77", "TxnType": "CreditMemo"}]},
            ],
            "MetaData": {"LastUpdatedTime": "2026-11-10T01:00:00-08:00"},
        }
    )
    assert [(a.document_id, a.amount) for a in record.allocations] == [("130", Decimal("50"))]


def test_past_thirty_days_a_full_resync_finds_changes_and_deletions(connection, organization, subsidiary):
    connection = qbo_connection(
        organization=organization,
        subsidiary=subsidiary,
        payment_sync_enabled_at=datetime(2026, 1, 1, tzinfo=UTC),
        settings={"sync_payments": True},
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    RemoteDocument.objects.create(
        organization=organization,
        invoice=invoice,
        connection=connection,
        idempotency_key="k",
        status=CopyStatus.SUCCEEDED,
        remote_id="130",
        is_latest=True,
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = FakeQuickBooks(mock, API, connection.remote_tenant_id, start=datetime.now(UTC) - timedelta(days=45))
        server.install()
        server.pay("1", [("130", "10.00")])
        server.pay("2", [("130", "20.00")])
        run = payments_sync(connection=connection)
        assert run.error == "" and invoice.payments.filter(is_deleted=False).count() == 2
        connection.refresh_from_db()
        old_cursor = dict(connection.sync_cursors)
        # 40 days without a sync: payment 2 was deleted (only CDC would say so), payment 3 is new
        server.clock = datetime.now(UTC) - timedelta(days=2)
        del server.payments["2"]
        server.pay("3", [("130", "5.00")])
        connection.sync_cursors = old_cursor
        connection.save(update_fields=["sync_cursors"])
        before = len(mock.calls)
        payments_sync(connection=connection)
        statements = [_path_and_query(call)[1].get("query", "cdc") for call in mock.calls[before:]]
    assert not any(s == "cdc" for s in statements), "CDC cannot reach back 40 days"
    assert any("Id in ('1', '2')" in s for s in statements)
    assert any("MetaData.LastUpdatedTime >" in s for s in statements)
    live = invoice.payments.filter(is_deleted=False)
    assert sorted(live.values_list("amount", flat=True)) == [Decimal("5.00"), Decimal("10.00")]


def test_a_quiet_company_falls_back_once_then_uses_cdc_again(connection, server):
    old = {CURSOR_KEY: intuit_time(datetime.now(UTC) - timedelta(days=31))}
    api = registry.get("quickbooks").api(connection)
    records, cursor = _records(api, old)
    assert records == [] and cursor == {CURSOR_KEY: intuit_time(server.clock)}, "the re-sync re-baselines"
    assert _path_and_query(server.mock.calls[-1])[0] == "query"
    _records(api, cursor)
    assert _path_and_query(server.mock.calls[-1])[0] == "cdc"
