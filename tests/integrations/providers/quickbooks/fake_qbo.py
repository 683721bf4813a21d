"""A stateful QuickBooks Online company served through `responses`, in Intuit's documented shapes: entities as
Finance.xsd names them, envelopes and Faults as IntuitRestServiceDef.xsd (`{"Invoice": {...}, "time": ...}`,
`{"QueryResponse": {...}}`, `{"CDCResponse": [...]}`, `{"BatchItemResponse": [...]}`, `{"Fault": {...}}`).
A repeated `requestid` is answered with the first answer (Intuit's idempotency); `drop_answers` stores a write but
loses its answer (a dropped connection)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
import responses

PACIFIC = timedelta(hours=-8)


def intuit_time(moment: datetime) -> str:
    """Intuit writes its clock in the company's zone with an offset: 2026-11-10T01:00:01-08:00."""
    local = moment.astimezone(UTC) + PACIFIC
    return local.strftime("%Y-%m-%dT%H:%M:%S") + "-08:00"


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def fault(code: str, message: str, detail: str = "", kind: str = "ValidationFault") -> dict:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}], "type": kind}}


class FakeQuickBooks:
    def __init__(self, mock: responses.RequestsMock, api_url: str, realm: str, *, start: datetime | None = None):
        self.mock, self.realm = mock, realm
        self.base = f"{api_url.rstrip('/')}/company/{realm}"
        self.clock = (start or datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
        self.customers: dict[str, dict] = {}
        self.vendor_names: set[str] = set()
        self.invoices: dict[str, dict] = {}
        self.attachables: list[dict] = []  # files uploaded: {"invoice": id, "filename": …, "content": bytes}
        self.payments: dict[str, dict] = {}  # live and deleted stubs
        self.reference: dict[str, list[dict]] = {}  # other entities served by query: Item, TaxCode, Term…
        self.requestids: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list = []
        self.drop_answers = 0
        self.custom_txn_numbers = True
        self.next_id = 100
        self.next_number = 1001
        # Intuit's per-realm limits, enforced with 429 ThrottleExceeded when set: 500 requests a minute, of which
        # 120 batch requests (the clock is datetime.now, so time_machine moves the window).
        self.minute_limit: int | None = None
        self.batch_minute_limit: int | None = None
        self.throttled = 0
        self.calls_at: list[tuple[datetime, bool]] = []

    # --- state changes (also used by tests directly) ---------------------------------------------------------

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return intuit_time(self.clock)

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def pay(self, payment_id: str, lines, *, date: str = "2026-11-10", note: str = "") -> dict:
        previous = self.payments.get(payment_id) or {}
        total = sum((Decimal(amount) for _invoice, amount in lines), Decimal("0"))
        payment = {
            "Id": payment_id,
            "SyncToken": str(int(previous.get("SyncToken", "-1")) + 1),
            "TxnDate": date,
            "TotalAmt": float(total),
            "UnappliedAmt": 0,
            "CurrencyRef": {"value": "EUR", "name": "Euro"},
            "CustomerRef": {"value": "1"},
            "PaymentRefNum": f"ref-{payment_id}",
            "Line": [
                {"Amount": float(Decimal(amount)), "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}
                for invoice_id, amount in lines
            ],
            "MetaData": {"CreateTime": intuit_time(self.clock), "LastUpdatedTime": self.tick()},
        }
        if note:
            payment["PrivateNote"] = note
        self.payments[payment_id] = payment
        return payment

    def void(self, payment_id: str) -> dict:
        payment = self.payments[payment_id]
        payment.update(
            TotalAmt=0, PrivateNote="Voided", Line=[{"Amount": 0, "LinkedTxn": payment["Line"][0]["LinkedTxn"]}]
        )
        payment["MetaData"]["LastUpdatedTime"] = self.tick()
        return payment

    def delete(self, payment_id: str) -> dict:
        stub = {"domain": "QBO", "status": "Deleted", "Id": payment_id, "MetaData": {"LastUpdatedTime": self.tick()}}
        self.payments[payment_id] = stub
        return stub

    # --- routing ---------------------------------------------------------------------------------------------

    def install(self) -> FakeQuickBooks:
        base = re.escape(self.base)
        routes = [
            ("GET", rf"{base}/query\b", self._query),
            ("GET", rf"{base}/cdc\b", self._cdc),
            ("GET", rf"{base}/companyinfo/\w+", self._company_info),
            ("GET", rf"{base}/preferences\b", self._preferences),
            ("GET", rf"{base}/invoice/\w+\?", self._read_invoice),
            ("POST", rf"{base}/invoice\b", self._write_invoice),
            ("POST", rf"{base}/customer\b", self._write_customer),
            ("POST", rf"{base}/batch\b", self._batch),
        ]
        for method, pattern, handler in routes:
            self.mock.add_callback(method, re.compile(pattern), callback=self._wrap(handler))
        self.mock.add_callback("POST", re.compile(rf"{base}/upload\b"), callback=self._upload)
        return self

    def _upload(self, request):
        """Intuit's Attachable upload: multipart, one file_metadata_01 (JSON, the entity it attaches to) and one
        file_content_01 part; a repeated requestid is applied once."""
        self.requests.append(request)
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        boundary = request.headers["Content-Type"].split("boundary=", 1)[1].encode()
        parts = [part for part in body.split(b"--" + boundary) if b"name=" in part]
        metadata = json.loads(
            next(p for p in parts if b'name="file_metadata_01"' in p).split(b"\r\n\r\n", 1)[1].strip()
        )
        content_part = next(p for p in parts if b'name="file_content_01"' in p)
        filename = re.search(rb'filename="([^"]+)"', content_part).group(1).decode()
        content = content_part.split(b"\r\n\r\n", 1)[1].rsplit(b"\r\n", 1)[0]
        requestid = parse_qs(urlsplit(request.url).query).get("requestid", [""])[0]
        if not any(item["requestid"] == requestid for item in self.attachables if requestid):
            invoice = metadata["AttachableRef"][0]["EntityRef"]["value"]
            self.attachables.append(
                {"invoice": invoice, "filename": filename, "content": content, "requestid": requestid}
            )
        answer = {"AttachableResponse": [{"Attachable": {"Id": self._id(), "FileName": filename}}]}
        return 200, {"intuit_tid": "1-test"}, json.dumps({**answer, "time": intuit_time(self.clock)})

    def _wrap(self, handler):
        def callback(request):
            self.requests.append(request)
            if self._throttles(request):
                self.throttled += 1
                message = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
                body = fault("3001", message, "The request limit was reached. Try again later", kind="SERVICE")
                return 429, {"Retry-After": "60"}, json.dumps(body)
            query = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}
            body = json.loads(request.body) if request.body else None
            key = (urlsplit(request.url).path, query.get("requestid", ""))
            if request.method == "POST" and key[1] and key in self.requestids:
                status, answer = self.requestids[key]
            else:
                status, answer = handler(request, query, body)
                if request.method == "POST" and key[1]:
                    self.requestids[key] = (status, answer)
            if request.method == "POST" and self.drop_answers and key[0].endswith("/invoice"):
                self.drop_answers -= 1
                raise requests.exceptions.ConnectionError("connection reset after the write")
            return status, {"intuit_tid": "1-test"}, json.dumps({**answer, "time": intuit_time(self.clock)})

        return callback

    def _throttles(self, request) -> bool:
        if self.minute_limit is None and self.batch_minute_limit is None:
            return False
        now, batch = datetime.now(UTC), urlsplit(request.url).path.endswith("/batch")
        self.calls_at = [(at, b) for at, b in self.calls_at if (now - at).total_seconds() < 60]
        over = self.minute_limit is not None and len(self.calls_at) >= self.minute_limit
        batches = sum(1 for _at, b in self.calls_at if b)
        over = over or (batch and self.batch_minute_limit is not None and batches >= self.batch_minute_limit)
        if not over:
            self.calls_at.append((now, batch))
        return over

    # --- handlers --------------------------------------------------------------------------------------------

    def _query(self, request, query, body):
        statement = query["query"]
        entity = re.search(r"from (\w+)", statement, re.I)[1]
        tables = {"Customer": self.customers, "Invoice": self.invoices, "Payment": self.payments}
        rows = tables.get(entity) or {str(n): row for n, row in enumerate(self.reference.get(entity, []))}
        found = [row for row in rows.values() if row.get("status") != "Deleted"]
        for field, value in re.findall(r"(\w+) = '((?:[^'\\]|\\.)*)'", statement):
            value = value.replace("\\'", "'").replace("\\\\", "\\")
            found = [row for row in found if str(row.get(field, "")) == value]
        if " Active = true" in statement:
            found = [row for row in found if row.get("Active", True)]
        ids = re.search(r"Id in \(([^)]*)\)", statement)
        if ids:
            wanted = {item.strip().strip("'") for item in ids[1].split(",")}
            found = [row for row in found if row["Id"] in wanted]
        since = re.search(r"LastUpdatedTime > '([^']+)'", statement)
        if since:
            found = [row for row in found if parse_time(row["MetaData"]["LastUpdatedTime"]) > parse_time(since[1])]
        start = int((re.search(r"startposition (\d+)", statement, re.I) or [0, 1])[1])
        size = int((re.search(r"maxresults (\d+)", statement, re.I) or [0, 100])[1])
        page = found[start - 1 : start - 1 + size]
        answer = {"startPosition": start, "maxResults": len(page)}
        if page:
            answer[entity] = page
        return 200, {"QueryResponse": answer}

    def _cdc(self, request, query, body):
        since = parse_time(query["changedSince"])
        changed = [p for p in self.payments.values() if parse_time(p["MetaData"]["LastUpdatedTime"]) > since][:1000]
        response = {"Payment": changed, "startPosition": 1, "maxResults": len(changed)} if changed else {}
        return 200, {"CDCResponse": [{"QueryResponse": [response]}]}

    def _company_info(self, request, query, body):
        return 200, {"CompanyInfo": {"Id": self.realm, "CompanyName": "Sandbox Company_US_1", "Country": "US"}}

    def _preferences(self, request, query, body):
        return 200, {
            "Preferences": {
                "SalesFormsPrefs": {"CustomTxnNumbers": self.custom_txn_numbers},
                "CurrencyPrefs": {"HomeCurrency": {"value": "EUR"}, "MultiCurrencyEnabled": True},
            }
        }

    def _read_invoice(self, request, query, body):
        invoice_id = urlsplit(request.url).path.rsplit("/", 1)[1]
        if invoice_id not in self.invoices:
            return 400, fault("610", "Object Not Found", "Object Not Found : Something you're trying to use")
        return 200, {"Invoice": self.invoices[invoice_id]}

    def _create_invoice(self, payload) -> tuple[int, dict]:
        number = payload.get("DocNumber")
        if not number and not self.custom_txn_numbers:
            number = str(self.next_number)
            self.next_number += 1
        if number and any(i.get("DocNumber") == number for i in self.invoices.values()):
            return 400, fault("6140", "Duplicate Document Number Error", f"Duplicate Document Number Error : {number}")
        total = sum((Decimal(str(line["Amount"])) for line in payload.get("Line", [])), Decimal("0"))
        invoice = {**payload, "Id": self._id(), "SyncToken": "0", "DocNumber": number or None}
        invoice.update(TotalAmt=float(total), Balance=float(total), MetaData={"LastUpdatedTime": self.tick()})
        self.invoices[invoice["Id"]] = invoice
        return 200, invoice

    def _write_invoice(self, request, query, body):
        if query.get("operation") == "void":
            invoice = self.invoices[body["Id"]]
            invoice.update(TotalAmt=0, Balance=0, PrivateNote="Voided", SyncToken=str(int(invoice["SyncToken"]) + 1))
            return 200, {"Invoice": invoice}
        if "Id" not in body:
            status, answer = self._create_invoice(body)
            return status, ({"Invoice": answer} if status == 200 else answer)
        invoice = self.invoices[body["Id"]]
        if body.get("SyncToken") != invoice["SyncToken"]:
            return 400, fault("5010", "Stale Object Error", "Stale Object Error : You and root were working on this")
        invoice.update({k: v for k, v in body.items() if k not in ("sparse", "SyncToken")})
        invoice["SyncToken"] = str(int(invoice["SyncToken"]) + 1)
        return 200, {"Invoice": invoice}

    def _create_customer(self, payload) -> tuple[int, dict]:
        name = payload["DisplayName"]
        taken = {c["DisplayName"] for c in self.customers.values()} | self.vendor_names
        if name in taken:
            return 400, fault("6240", "Duplicate Name Exists Error", f"The name supplied already exists. : {name}")
        customer = {**payload, "Id": self._id(), "SyncToken": "0", "Active": True}
        self.customers[customer["Id"]] = customer
        return 200, customer

    def _write_customer(self, request, query, body):
        status, answer = self._create_customer(body)
        return status, ({"Customer": answer} if status == 200 else answer)

    def _batch(self, request, query, body):
        out = []
        for item in body["BatchItemRequest"]:
            entity = "Invoice" if "Invoice" in item else "Customer"
            create = self._create_invoice if entity == "Invoice" else self._create_customer
            status, answer = create(item[entity])
            out.append({"bId": item["bId"], **({entity: answer} if status == 200 else answer)})
        return 200, {"BatchItemResponse": out}
