"""Test-only providers, one per payment feed kind, each with a small stateful server behind `responses`:

- LedgerFeedProvider (`cursor`): a QuickBooks/Exact-like change feed. A payment has lines allocated over several
  invoices (by id, or only by number), is edited in place, and a deletion arrives as a stub carrying only the
  payment id (QuickBooks CDC, Exact sync/Deleted). GET /changes?since=<seq>&page=<n> pages the changes made
  after a sequence number, two a page.
- RemainderFeedProvider (`remainder`): an e-conomic-like API with no payment feed; GET /invoices?ids=a,b answers
  each known invoice's gross amount and what is still owed.
Register them with override_settings(INTEGRATION_PROVIDERS=FEED_PROVIDERS).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import responses

from integrations.http import ApiClient
from integrations.providers.base import (
    FEED_REMAINDER,
    SYNC_PAYMENTS,
    AccountingApi,
    PaymentAllocation,
    PaymentFeed,
    PaymentsPage,
    Provider,
    RemotePaymentRecord,
    RemoteRemainder,
)
from integrations.tokens import connection_access_token

LEDGER_API = "https://ledger.feed.test/v1"
REMAINDER_API = "https://remainder.feed.test/v1"
LEDGER_PAGE = 2

FEED_PROVIDERS = [
    "integrations.providers.xero.provider.XeroProvider",
    "tests.integrations.feed_fakes.LedgerFeedProvider",
    "tests.integrations.feed_fakes.RemainderFeedProvider",
]


class _FakeApi(ApiClient, AccountingApi):
    """The parts of AccountingApi a payment sync uses; the rest is not this fake's business."""

    def auth_headers(self) -> dict:
        return {"Authorization": f"Bearer {connection_access_token(self.connection)}"}

    def search_contacts(self, term):
        raise NotImplementedError

    def create_contact(self, company):
        raise NotImplementedError

    def list_accounts(self):
        raise NotImplementedError

    def list_tax_types(self):
        raise NotImplementedError

    def list_items(self):
        raise NotImplementedError

    def create_document(self, kind, payload, idempotency_key):
        raise NotImplementedError

    def update_document(self, kind, remote_id, payload, idempotency_key, *, version=""):
        raise NotImplementedError

    def find_document(self, kind, *, number="", reference=""):
        raise NotImplementedError

    def void_document(self, kind, remote_id, idempotency_key):
        raise NotImplementedError

    def revoke(self):
        raise NotImplementedError


# --- cursor kind -------------------------------------------------------------------------------------------


class LedgerFeedApi(_FakeApi):
    service_name = "Ledger Feed"
    base_url = LEDGER_API

    def fetch_payments(self, cursor):
        since = int((cursor or {}).get("seq") or 0)
        page = 1
        while True:
            body = self.request("GET", "changes", params={"since": since, "page": page}).data
            records = [_ledger_record(change) for change in body["changes"]]
            newest = max((change["Seq"] for change in body["changes"]), default=since)
            cursor = {**(cursor or {}), "seq": max(newest, int((cursor or {}).get("seq") or 0))}
            yield PaymentsPage(payments=records, next_cursor=dict(cursor), has_more=body["more"])
            if not body["more"]:
                return
            page += 1


def _ledger_record(change: dict) -> RemotePaymentRecord:
    from datetime import date, datetime

    if change.get("status") == "Deleted":
        return RemotePaymentRecord(id=change["Id"], deleted=True, updated_at=datetime.fromisoformat(change["At"]))
    return RemotePaymentRecord(
        id=change["Id"],
        allocations=tuple(
            PaymentAllocation(
                amount=Decimal(line["Amount"]),
                document_id=line.get("TxnId", ""),
                document_number=line.get("DocNumber", ""),
            )
            for line in change["Lines"]
        ),
        currency=change["Currency"],
        date=date.fromisoformat(change["TxnDate"]),
        reference=change.get("Ref", ""),
        updated_at=datetime.fromisoformat(change["At"]),
    )


class LedgerFeedProvider(Provider):
    key = "ledgerfeed"
    name = "Ledger Feed"
    description = "Test provider: a cursor feed with split, edited and stub-deleted payments."
    logo = "integrations/ledgerfeed/logo.svg"
    capabilities = frozenset({SYNC_PAYMENTS})
    payment_feed = PaymentFeed()  # cursor, with edits and splits

    def api(self, connection):
        return LedgerFeedApi(connection=connection)


@dataclass
class LedgerServer:
    """The provider's side: every change gets the next sequence number, as a change data capture log does."""

    mock: responses.RequestsMock
    changes: list[dict] = field(default_factory=list)
    requests: list = field(default_factory=list)
    clock: int = 0

    def install(self) -> LedgerServer:
        self.mock.add_callback(responses.GET, re.compile(rf"{re.escape(LEDGER_API)}/changes"), callback=self._changes)
        return self

    def _stamp(self) -> tuple[int, str]:
        self.clock += 1
        return self.clock, f"2026-11-10T10:{self.clock // 60:02d}:{self.clock % 60:02d}+00:00"

    def pay(self, payment_id: str, lines: list[tuple[str, str]], *, date="2026-11-10", currency="EUR", ref=""):
        """A payment created or edited: lines of (invoice id, amount); an id "#INV-7" gives only the number."""
        seq, at = self._stamp()
        body_lines = [
            {"Amount": amount, **({"DocNumber": doc[1:]} if doc.startswith("#") else {"TxnId": doc})}
            for doc, amount in lines
        ]
        change = {"Id": payment_id, "Seq": seq, "At": at, "TxnDate": date, "Currency": currency, "Ref": ref}
        self.changes.append({**change, "Lines": body_lines})
        return change

    def delete(self, payment_id: str):
        seq, at = self._stamp()
        self.changes.append({"Id": payment_id, "Seq": seq, "At": at, "status": "Deleted"})

    def _changes(self, request):
        self.requests.append(request)
        query = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        since, page = int(query.get("since", 0)), int(query.get("page", 1))
        rows = [change for change in self.changes if change["Seq"] > since]
        chunk = rows[(page - 1) * LEDGER_PAGE : page * LEDGER_PAGE]
        body = {"changes": chunk, "more": len(rows) > page * LEDGER_PAGE}
        return 200, {"Content-Type": "application/json"}, json.dumps(body)


# --- remainder kind ----------------------------------------------------------------------------------------


class RemainderFeedApi(_FakeApi):
    service_name = "Remainder Books"
    base_url = REMAINDER_API

    def fetch_remainders(self, documents):
        ids = ",".join(document.document_id for document in documents)
        body = self.request("GET", "invoices", params={"ids": ids}).data
        return [
            RemoteRemainder(
                document_id=row["id"],
                total=Decimal(row["grossAmount"]),
                remainder=Decimal(row["remainder"]),
                currency=row["currency"],
            )
            for row in body["collection"]
        ]


class RemainderFeedProvider(Provider):
    key = "remainderfeed"
    name = "Remainder Books"
    description = "Test provider: no payment feed, only what is still owed on each invoice."
    logo = "integrations/remainderfeed/logo.svg"
    capabilities = frozenset({SYNC_PAYMENTS})
    payment_feed = PaymentFeed(kind=FEED_REMAINDER, edits=False, splits=False, batch_size=2)

    def api(self, connection):
        return RemainderFeedApi(connection=connection)


@dataclass
class RemainderServer:
    mock: responses.RequestsMock
    invoices: dict[str, dict] = field(default_factory=dict)
    asked: list[list[str]] = field(default_factory=list)
    dating_calls: int = 0  # the core's default date_remainder_falls asks nothing

    def install(self) -> RemainderServer:
        self.mock.add_callback(responses.GET, re.compile(rf"{re.escape(REMAINDER_API)}/invoices"), callback=self._get)
        return self

    def book(self, invoice_id: str, total: str, *, currency="EUR"):
        self.invoices[invoice_id] = {"id": invoice_id, "grossAmount": total, "remainder": total, "currency": currency}

    def owe(self, invoice_id: str, remainder: str):
        self.invoices[invoice_id]["remainder"] = remainder

    def _get(self, request):
        ids = parse_qs(urlsplit(request.url).query).get("ids", [""])[0].split(",")
        self.asked.append(ids)
        rows = [self.invoices[invoice_id] for invoice_id in ids if invoice_id in self.invoices]
        return 200, {"Content-Type": "application/json"}, json.dumps({"collection": rows})
