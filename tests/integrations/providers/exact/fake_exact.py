"""A stateful Exact Online division served through `responses`, in Exact's documented shapes: OData v2 JSON
(`{"d": {"results": [...], "__next": "…$skiptoken=…"}}`, one entity as `{"d": {...}}`), WCF dates
("/Date(ms)/"), space-padded codes, `{"error": {"code": "", "message": {"lang": "", "value": …}}}` refusals, and
the X-RateLimit-* headers on every answer. Shapes follow Exact's .NET SDK fixtures (shared/provider-specs/exact)
and the field lists of the research note (A3–A8).

Payments are cash-flow transaction lines (Type 40, a credit on the customer with the invoice's InvoiceNumber);
every payment, edit, deletion and match moves the invoice's receivable (sync/Cashflow/PaymentTerms); a deletion
is a sync/Deleted row (EntityType 1). `drop_answers` stores a write but loses its answer.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
import responses

HOSTS = {
    "be": "https://start.exactonline.be",
    "nl": "https://start.exactonline.nl",
    "de": "https://start.exactonline.de",
}
DATE = "/Date(1794268800000)/"  # 2026-11-10


def wcf(day: str) -> str:
    from datetime import UTC, datetime

    return f"/Date({int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp() * 1000)})/"


def error(value: str) -> dict:
    return {"error": {"code": "", "message": {"lang": "", "value": value}}}


class FakeExact:
    PAGE = {"sync": 1000, "crud": 60}

    def __init__(
        self, mock: responses.RequestsMock, division: str = "4133185", *, region: str = "nl", clock=None, used: int = 0
    ):
        self.mock, self.division, self.region = mock, str(division), region
        self.base = f"{HOSTS[region]}/api/v1/{self.division}"
        self.timestamps = itertools.count(1001)
        self.accounts: dict[str, dict] = {}
        self.entries: dict[str, dict] = {}  # sales entries by EntryID
        self.terms: dict[str, dict] = {}  # receivables by TransactionEntryID
        self.lines: dict[str, dict] = {}  # cash-flow transaction lines by ID
        self.deleted: list[dict] = []
        self.subscriptions: list[dict] = []
        self.gl_accounts = [
            {
                "ID": "3c534e79-c4fe-44d2-9765-00b30573c2de",
                "Code": "8000",
                "Description": "Omzet diensten",
                "Type": 110,
            },
            {
                "ID": "6f0a2a4e-0000-4000-8000-000000008010",
                "Code": "8010",
                "Description": "Omzet licenties",
                "Type": 110,
            },
        ]
        self.journals = [{"Code": "70", "Description": "Verkoopboek", "Type": 20, "IsBlocked": False}]
        self.vat_codes = [
            {"Code": "2  ", "Description": "BTW hoog 21%", "Percentage": 0.21, "VATTransactionType": "S"},
            {"Code": "0  ", "Description": "BTW 0%", "Percentage": 0, "VATTransactionType": "B"},
        ]
        self.items = [{"ID": "b5a3c7d2-1111-4111-8111-111111111111", "Code": "CONS", "Description": "Consultancy"}]
        self.next_entry_number = 26700001
        self.drop_answers = 0
        self.requests: list = []
        # The minutely limit, enforced on `clock` when one is given (else announced, never reached): `used` calls of
        # the first window are already spent by someone else.
        self.clock = clock
        self.minute_limit = 60
        self.minute_remaining = self.minute_limit - used
        self.window_resets = (clock() + 60) if clock else 4102444800.0
        self.throttled = 0

    # --- state changes (tests use these directly) ----------------------------------------------------------

    def _tick(self) -> int:
        return next(self.timestamps)

    def book(self, entry_id: str, total: str = "1000.00", *, number: int | None = None) -> dict:
        """A sales entry we did not post here (the contract's copies): its receivable opens."""
        number = number or self._number()
        entry = {"EntryID": entry_id, "EntryNumber": number, "YourRef": None, "AmountFC": float(Decimal(total))}
        entry.update({"Status": 20, "Currency": "EUR", "Journal": "70", "Customer": None})
        self.entries[entry_id] = entry
        self._receivable(entry_id)
        return entry

    def _number(self) -> int:
        self.next_entry_number += 1
        return self.next_entry_number

    def _receivable(self, entry_id: str, *, status: int | None = None) -> dict:
        entry = self.entries[entry_id]
        total = Decimal(str(entry["AmountFC"]))
        paid = sum(
            (
                -Decimal(str(line["AmountFC"]))
                for line in self.lines.values()
                if line["InvoiceNumber"] == entry["EntryNumber"]
            ),
            Decimal("0"),
        )
        previous = self.terms.get(entry_id) or {}
        matched = previous.get("_matched", False) if status is None else status == 50
        open_amount = Decimal("0") if matched else total - paid
        term = {
            "Timestamp": self._tick(),
            "TransactionEntryID": entry_id,
            "InvoiceNumber": entry["EntryNumber"],
            "LineType": 20,
            "Status": 50 if matched or open_amount <= 0 else 20,
            "AmountFC": float(open_amount),
            "TransactionAmountFC": float(total),
            "Currency": "EUR",
            "LastPaymentDate": DATE if paid or matched else None,
            "EndDate": None,
            "Modified": DATE,
            "_matched": matched,
        }
        self.terms[entry_id] = term
        return term

    def entry_for(self, entry_id: str) -> dict:
        if entry_id not in self.entries:
            self.book(entry_id)
        return self.entries[entry_id]

    def pay(self, payment_id: str, lines, *, date: str = "2026-11-10") -> dict:
        """A payment registered on an invoice (one line); paying again with the same id edits it."""
        (entry_id, amount), *_rest = lines
        entry = self.entry_for(entry_id)
        line = {
            "Timestamp": self._tick(),
            "ID": payment_id,
            "Type": 40,
            "InvoiceNumber": entry["EntryNumber"],
            "AmountFC": -float(Decimal(amount)),
            "Currency": "EUR",
            "Date": wcf(date),
            "PaymentReference": f"bank {payment_id}",
            "Description": "Ontvangst",
            "EntryNumber": 25100000 + len(self.lines),
            "Modified": DATE,
        }
        self.lines[payment_id] = line
        self._receivable(entry_id)
        return line

    def delete(self, payment_id: str) -> None:
        line = self.lines.pop(payment_id)
        self.deleted.append({"Timestamp": self._tick(), "EntityKey": payment_id, "EntityType": 1, "DeletedDate": DATE})
        entry_id = next(e for e, entry in self.entries.items() if entry["EntryNumber"] == line["InvoiceNumber"])
        self._receivable(entry_id)

    def match(self, entry_id: str) -> dict:
        """A bulk payment booked on the customer, matched in Exact to this invoice: the receivable is settled."""
        self.entry_for(entry_id)
        return self._receivable(entry_id, status=50)

    def unmatch(self, entry_id: str) -> dict:
        return self._receivable(entry_id, status=20)

    # --- serving -------------------------------------------------------------------------------------------

    def install(self) -> FakeExact:
        # Any division of the host (the contract's connections number their own); current/Me has none.
        pattern = re.compile(re.escape(HOSTS[self.region]) + r"/api/v1/\d+/.*")
        for method in ("GET", "POST", "PUT", "DELETE"):
            self.mock.add_callback(method, pattern, callback=self._serve)
        return self

    def _window(self) -> None:
        if self.clock and self.clock() >= self.window_resets:
            self.minute_remaining, self.window_resets = self.minute_limit, self.clock() + 60

    def _headers(self) -> dict:
        return {
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4000",
            "X-RateLimit-Reset": "4102444800000",
            "X-RateLimit-Minutely-Limit": str(self.minute_limit),
            "X-RateLimit-Minutely-Remaining": str(self.minute_remaining),
            "X-RateLimit-Minutely-Reset": str(int(self.window_resets * 1000)),
            "Content-Type": "application/json",
        }

    def _answer(self, status: int, body=None):
        return status, self._headers(), "" if body is None else json.dumps(body)

    def _over_the_limit(self):
        """A minutely 429 carries only the minutely headers."""
        self.throttled += 1
        headers = {k: v for k, v in self._headers().items() if "Minutely" in k or k == "Content-Type"}
        return 429, headers, json.dumps(error("Too many requests"))

    def _serve(self, request):
        self.requests.append(request)
        if self.clock:
            self._window()
            if self.minute_remaining <= 0:
                return self._over_the_limit()
            self.minute_remaining -= 1
        parts = urlsplit(request.url)
        path = re.sub(r"^/api/v1/\d+/", "", parts.path)
        self.served_base = parts.scheme + "://" + parts.netloc + parts.path[: len(parts.path) - len(path) - 1]
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        where = query.get("$filter", "")
        body = json.loads(request.body) if request.body else None
        method = request.method
        found = re.match(r"salesentry/SalesEntries\(guid'([^']+)'\)$", path)
        if found:
            return self._entry(method, found[1], body)
        if method == "POST":
            return self._post(path, body)
        readers = {
            "crm/Accounts": lambda: self._accounts(where),
            "financial/GLAccounts": lambda: [dict(row, IsBlocked=False, VATCode="2  ") for row in self.gl_accounts],
            "financial/Journals": lambda: list(self.journals),
            "vat/VATCodes": lambda: [dict(row, IsBlocked=False, Type="E") for row in self.vat_codes],
            "logistics/Items": lambda: [dict(row, IsSalesItem=True) for row in self.items],
            "system/Divisions": lambda: [{"Code": int(self.division), "Description": "Demo BV", "Currency": "EUR"}],
            "salesentry/SalesEntries": lambda: self._entries(where),
            "cashflow/Receivables": lambda: self._receivables(where),
            "financialtransaction/TransactionLines": lambda: self._lines_of(where),
            "sync/Cashflow/PaymentTerms": lambda: self._since(self.terms.values(), where),
            "sync/Financial/TransactionLines": lambda: self._since(self.lines.values(), where),
            "sync/Deleted": lambda: self._since(self.deleted, where),
            "webhooks/WebhookSubscriptions": lambda: list(self.subscriptions),
        }
        if path not in readers:
            return self._answer(404, error(f"Not found: {path}"))
        if "$select" not in query:
            return self._answer(400, error("Please add a $select or a $top=1 statement to the query string."))
        rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in readers[path]()]
        return self._page(rows, path, query, sync=path.startswith("sync/"))

    def _page(self, rows, path, query, *, sync):
        size = self.PAGE["sync" if sync else "crud"]
        start = int(query.get("$skiptoken") or 0)
        chunk = rows[start : start + size]
        body = {
            "results": [
                {"__metadata": {"uri": f"{self.base}/{path}", "type": "Exact.Web.Api.Models"}} | r for r in chunk
            ]
        }
        if start + size < len(rows):
            rest = {k: v for k, v in query.items() if k != "$skiptoken"}
            rest["$skiptoken"] = str(start + size)
            body["__next"] = f"{self.served_base}/{path}?" + "&".join(
                f"{k}={requests.utils.quote(v)}" for k, v in rest.items()
            )
        return self._answer(200, {"d": body})

    @staticmethod
    def _since(rows, where: str) -> list[dict]:
        since = int(re.search(r"Timestamp gt (\d+)L", where)[1])
        kind = re.search(r"(LineType|Type|EntityType) eq (\d+)", where)
        chosen = [row for row in rows if row["Timestamp"] > since]
        if kind:
            chosen = [row for row in chosen if row.get(kind[1]) == int(kind[2])]
        return sorted(chosen, key=lambda row: row["Timestamp"])

    def _accounts(self, where: str) -> list[dict]:
        term = re.search(r"substringof\('((?:[^']|'')*)', Name\)", where)
        exact = re.search(r"Name eq '((?:[^']|'')*)'", where)
        if term:
            needle = term[1].replace("''", "'").lower()
            return [a for a in self.accounts.values() if needle in a["Name"].lower()]
        if exact:
            return [a for a in self.accounts.values() if a["Name"] == exact[1].replace("''", "'")]
        return list(self.accounts.values())

    def _entries(self, where: str) -> list[dict]:
        ref = re.search(r"YourRef eq '((?:[^']|'')*)'", where)
        value = ref[1].replace("''", "'") if ref else None
        return [e for e in self.entries.values() if value is None or e.get("YourRef") == value]

    def _numbers(self, where: str) -> set[int]:
        return {int(n) for n in re.findall(r"InvoiceNumber eq (\d+)", where)}

    def _receivables(self, where: str) -> list[dict]:
        numbers = self._numbers(where)
        return [t for t in self.terms.values() if t["InvoiceNumber"] in numbers]

    def _lines_of(self, where: str) -> list[dict]:
        numbers = self._numbers(where)
        return [line for line in self.lines.values() if line["InvoiceNumber"] in numbers]

    def _post(self, path: str, body: dict):
        if path == "crm/Accounts":
            row = {"ID": str(uuid.uuid4()), "Code": f"{len(self.accounts) + 1:>18}", "Email": None, **body}
            self.accounts[row["ID"]] = row
            return self._answer(201, {"d": row})
        if path == "salesentry/SalesEntries":
            if not body.get("Journal"):
                return self._answer(400, error("Mandatory: Journal"))
            entry_id = str(uuid.uuid4())
            total = sum(
                (Decimal(str(line["AmountFC"])) * Decimal("1.21") for line in body["SalesEntryLines"]), Decimal(0)
            )
            entry = {
                "EntryID": entry_id,
                "EntryNumber": self._number(),
                "YourRef": body.get("YourRef"),
                "AmountFC": float(total.quantize(Decimal("0.01"))),
                "VATAmountFC": 0,
                "Status": 20,
                "Currency": body.get("Currency"),
                "Journal": body["Journal"],
                "Customer": body.get("Customer"),
                "_lines": body["SalesEntryLines"],
            }
            self.entries[entry_id] = entry
            self._receivable(entry_id)
            if self.drop_answers:
                self.drop_answers -= 1
                raise requests.exceptions.ConnectionError("connection reset after the write")
            return self._answer(201, {"d": {k: v for k, v in entry.items() if not k.startswith("_")}})
        if path == "webhooks/WebhookSubscriptions":
            row = {"ID": str(uuid.uuid4()), **body}
            self.subscriptions.append(row)
            return self._answer(201, {"d": row})
        return self._answer(404, error(f"Not found: {path}"))

    def _entry(self, method: str, entry_id: str, body):
        entry = self.entries.get(entry_id)
        if entry is None:
            return self._answer(404, error("Record not found"))
        if method == "GET":
            return self._answer(200, {"d": {k: v for k, v in entry.items() if not k.startswith("_")}})
        if method == "PUT":
            if entry["Status"] == 50:
                return self._answer(400, error("Processed entries cannot be changed"))
            entry["YourRef"] = body.get("YourRef", entry["YourRef"])
            entry["_lines"] = body.get("SalesEntryLines", entry.get("_lines"))
            return self._answer(204)
        if method == "DELETE":
            if any(line["InvoiceNumber"] == entry["EntryNumber"] for line in self.lines.values()):
                return self._answer(400, error("This entry cannot be deleted: it has been matched"))
            del self.entries[entry_id]
            return self._answer(204)
        return self._answer(405, error("Method not allowed"))
