"""A small stateful stand-in for the Xero Accounting API, served through `responses`.

It keeps invoices (ACCREC and ACCPAY bills alike, as Xero's one /Invoices), contacts, payments (on both types,
in one GET /Payments), attachments and purchase orders, replays the answer of a repeated Idempotency-Key (as
Xero does), refuses a duplicate InvoiceNumber with Xero's own message (a voided invoice keeps its number, as in the
sandbox), voids an invoice on a POST of Status VOIDED unless it has payments (Xero's refusal), filters /Payments
by If-Modified-Since and pages them by 100.
Response bodies follow the shapes of the Xero OpenAPI examples (Id/Status/ProviderName/DateTimeUTC envelope).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import requests
import responses
from django.conf import settings

PAGE_SIZE = 100


def ms_date(moment: datetime) -> str:
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def envelope(**entities) -> dict:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": "Productive tests",
        "DateTimeUTC": ms_date(datetime.now(UTC)),
        **entities,
    }


def validation_error(*messages: str, element: dict | None = None) -> dict:
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{**(element or {}), "ValidationErrors": [{"Message": m} for m in messages]}],
    }


class FakeXero:
    def __init__(self, mock: responses.RequestsMock, base_url: str | None = None):
        self.mock = mock
        self.base = (base_url or settings.XERO_API_URL).rstrip("/")
        self.lock = threading.Lock()
        self.invoices: dict[str, dict] = {}
        self.contacts: dict[str, dict] = {}
        self.payments: list[dict] = []
        self.attachments: dict[str, list[dict]] = {}  # document id → its Attachments (with the bytes received)
        self.purchase_orders: dict[str, dict] = {}
        self.next_po_number = 1
        self.replies: dict[str, tuple[int, dict]] = {}  # idempotency key → the first answer
        self.next_number = 1
        self.refuse_with: list[str] = []  # validation messages for the next invoice write
        self.refuse_numbers: dict[str, list[str]] = {}  # invoice number → the validation messages of its element
        self.drop_answers = 0  # this many invoice-create answers are lost after Xero has committed
        self.creates = 0
        self.throttle_invoice_puts: set[int] = set()  # which PUT /Invoices calls (1st, 2nd…) Xero answers with 429
        self.invoice_puts = 0
        self.throttled = 0  # 429s answered by minute_limit
        self.minute_limit: int | None = None  # Xero's per-tenant calls a minute, enforced with 429s when set
        self.calls_at: list[datetime] = []
        self.requests: list = []

    # --- wiring --------------------------------------------------------------------------------------------

    def install(self):
        base = re.escape(self.base)

        def add(method, url, callback):
            self.mock.add_callback(method, url, callback=self._limited(callback))

        add(responses.PUT, re.compile(rf"{base}/Invoices(\?.*)?$"), callback=self._put_invoices)
        add(responses.POST, re.compile(rf"{base}/Invoices/[^/?]+(\?.*)?$"), callback=self._post_invoice)
        add(responses.GET, re.compile(rf"{base}/Invoices(\?.*)?$"), callback=self._get_invoices)
        add(responses.GET, re.compile(rf"{base}/Invoices/[^/?]+(\?.*)?$"), callback=self._get_invoice)
        add(responses.PUT, re.compile(rf"{base}/Contacts(\?.*)?$"), callback=self._put_contacts)
        add(responses.GET, re.compile(rf"{base}/Contacts(\?.*)?$"), callback=self._get_contacts)
        add(responses.GET, re.compile(rf"{base}/Payments(\?.*)?$"), callback=self._get_payments)
        attachment = re.compile(rf"{base}/(Invoices|PurchaseOrders)/[^/?]+/Attachments/[^/?]+(\?.*)?$")
        add(responses.PUT, attachment, callback=self._put_attachment)
        add(responses.PUT, re.compile(rf"{base}/PurchaseOrders(\?.*)?$"), callback=self._put_purchase_orders)
        add(responses.POST, re.compile(rf"{base}/PurchaseOrders/[^/?]+(\?.*)?$"), callback=self._post_purchase_order)
        add(responses.GET, re.compile(rf"{base}/PurchaseOrders(\?.*)?$"), callback=self._get_purchase_orders)
        add(responses.GET, re.compile(rf"{base}/PurchaseOrders/[^/?]+(\?.*)?$"), callback=self._get_purchase_order)
        return self

    def _limited(self, callback):
        """Xero's minute limit (`minute_limit` calls in any 60 s; the clock is datetime.now, so time_machine moves
        it): past it a 429 with Retry-After until the oldest call leaves the window, and nothing is done."""

        def answer(request):
            if self.minute_limit is not None:
                now = datetime.now(UTC)
                self.calls_at = [t for t in self.calls_at if (now - t).total_seconds() < 60]
                if len(self.calls_at) >= self.minute_limit:
                    wait = 60 - int((now - self.calls_at[0]).total_seconds())
                    self.throttled += 1
                    return 429, {"Retry-After": str(max(wait, 1)), "X-Rate-Limit-Problem": "minute"}, ""
                self.calls_at.append(now)
            return callback(request)

        return answer

    @staticmethod
    def _json(status: int, body: dict):
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    @staticmethod
    def query(request) -> dict:
        return {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}

    # --- invoices ------------------------------------------------------------------------------------------

    def _replayed(self, request):
        key = request.headers.get("Idempotency-Key", "")
        return key, self.replies.get(key) if key else None

    def _remember(self, key: str, status: int, body: dict):
        if key:
            self.replies[key] = (status, body)
        return self._json(status, body)

    def _put_invoices(self, request):
        with self.lock:
            self.requests.append(request)
            self.invoice_puts += 1
            if self.invoice_puts in self.throttle_invoice_puts:  # the minute limit: nothing is created
                return 429, {"Retry-After": "40", "X-Rate-Limit-Problem": "minute"}, ""
            answer = self._create_invoice(request)
            if self.drop_answers:
                self.drop_answers -= 1
                raise requests.exceptions.ConnectionError("connection reset after the request was sent")
            return answer

    def _create_invoice(self, request):
        key, replay = self._replayed(request)
        if replay:
            return self._json(*replay)
        elements = json.loads(request.body, parse_float=Decimal)["Invoices"]
        summarized = self.query(request).get("summarizeErrors", "true").lower() != "false"
        answered, refused = [], False
        for element in elements:
            messages = self._invoice_refusal(element)
            if messages:
                refused = True
                answered.append(failed_element(element, messages))
                continue
            number = element.get("InvoiceNumber")
            if not number:
                number = f"XI-{self.next_number:04d}"
                self.next_number += 1
            answered.append({**self._stored(element, str(uuid.uuid4()), number), "StatusAttributeString": "OK"})
            self.creates += 1
        if refused and (summarized or len(elements) == 1):
            # Summarised (and for one element, as the client has always been answered): Xero's 400 with the failed
            # elements' ValidationErrors.
            failed = [e for e in answered if e.get("HasErrors")]
            body = validation_error(element=failed[0])
            body["Elements"] = failed
            return self._remember(key, 400, body)
        return self._remember(key, 200, envelope(Invoices=answered))

    def _invoice_refusal(self, element: dict) -> list[str]:
        if self.refuse_with:
            messages, self.refuse_with = self.refuse_with, []
            return messages
        number = element.get("InvoiceNumber")
        if number in self.refuse_numbers:
            return list(self.refuse_numbers[number])
        if number and any(i["InvoiceNumber"] == number for i in self.invoices.values()):
            return ["Invoice # must be unique."]
        return []

    def _post_invoice(self, request):
        with self.lock:
            self.requests.append(request)
            key, replay = self._replayed(request)
            if replay:
                return self._json(*replay)
            invoice_id = urlsplit(request.url).path.rsplit("/", 1)[-1]
            if invoice_id not in self.invoices:
                return self._json(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
            element = json.loads(request.body, parse_float=Decimal)["Invoices"][0]
            if self.refuse_with:
                messages, self.refuse_with = self.refuse_with, []
                return self._remember(key, 400, validation_error(*messages, element=_plain(element)))
            if set(element) <= {"InvoiceID", "Status"}:
                return self._remember(key, *self._set_status(invoice_id, element))
            number = element.get("InvoiceNumber") or self.invoices[invoice_id]["InvoiceNumber"]
            invoice = self._stored(element, invoice_id, number)
            return self._remember(key, 200, envelope(Invoices=[invoice]))

    def paid(self, invoice_id: str) -> Decimal:
        live = [p for p in self.payments if p["Invoice"]["InvoiceID"] == invoice_id and p["Status"] == "AUTHORISED"]
        return sum((Decimal(str(p["Amount"])) for p in live), Decimal("0"))

    def _set_status(self, invoice_id: str, element: dict) -> tuple[int, dict]:
        invoice = self.invoices[invoice_id]
        if self.paid(invoice_id) and element.get("Status") != invoice["Status"]:
            message = "This document cannot be edited as it has a payment or credit note allocated to it."
            return 400, validation_error(message, element=_plain(element))
        if invoice["Status"] in ("VOIDED", "DELETED", "PAID") and element.get("Status") != invoice["Status"]:
            return 400, validation_error("Invoice not of valid status for modification", element=_plain(element))
        invoice.update(Status=element.get("Status", invoice["Status"]), UpdatedDateUTC=ms_date(datetime.now(UTC)))
        if invoice["Status"] in ("VOIDED", "DELETED"):
            invoice["AmountDue"] = 0.0
        return 200, envelope(Invoices=[invoice])

    def _get_invoice(self, request):
        with self.lock:
            self.requests.append(request)
            invoice_id = urlsplit(request.url).path.rsplit("/", 1)[-1]
            if invoice_id not in self.invoices:
                return self._json(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
            invoice = {**self.invoices[invoice_id], "AmountPaid": float(self.paid(invoice_id))}
            return self._json(200, envelope(Invoices=[invoice]))

    def _stored(self, element: dict, invoice_id: str, number: str) -> dict:
        total = sum(
            (Decimal(str(line["Quantity"])) * Decimal(str(line["UnitAmount"])) for line in element["LineItems"]),
            Decimal("0"),
        )
        invoice = {
            **_plain(element),
            "InvoiceID": invoice_id,
            "InvoiceNumber": number,
            "Status": element.get("Status", "DRAFT"),
            "AmountDue": float(total),
            "AmountPaid": 0.0,
            "HasErrors": False,
            "UpdatedDateUTC": ms_date(datetime.now(UTC)),
        }
        self.invoices[invoice_id] = invoice
        return invoice

    def _get_invoices(self, request):
        with self.lock:
            self.requests.append(request)
            params = self.query(request)
            found = list(self.invoices.values())
            if "InvoiceNumbers" in params:
                wanted = set(params["InvoiceNumbers"].split(","))
                found = [i for i in found if i["InvoiceNumber"] in wanted]
            return self._json(200, envelope(Invoices=found))

    # --- contacts ------------------------------------------------------------------------------------------

    def _put_contacts(self, request):
        with self.lock:
            self.requests.append(request)
            key, replay = self._replayed(request)
            if replay:
                return self._json(*replay)
            answered = []
            for element in json.loads(request.body)["Contacts"]:
                name = element.get("Name", "").strip()
                if any(c["Name"].lower() == name.lower() for c in self.contacts.values()):
                    message = (
                        f"The contact name {name} is already assigned to another contact. "
                        "The contact name must be unique across all active contacts."
                    )
                    answered.append(failed_element(element, [message], flag="HasValidationErrors"))
                    continue
                contact = {**element, "ContactID": str(uuid.uuid4()), "ContactStatus": "ACTIVE"}
                self.contacts[contact["ContactID"]] = contact
                answered.append({**contact, "StatusAttributeString": "OK"})
            if len(answered) == 1 and answered[0].get("HasValidationErrors"):
                return self._remember(key, 400, {**validation_error(), "Elements": answered})
            return self._remember(key, 200, envelope(Contacts=answered))

    def _get_contacts(self, request):
        with self.lock:
            self.requests.append(request)
            params = self.query(request)
            term = params.get("searchTerm", "").lower()
            found = [c for c in self.contacts.values() if term in c["Name"].lower()]
            if "where" in params:  # Name=="a" OR Name=="b" (the only filter the client sends on contacts)
                names = {name.lower() for name in re.findall(r'Name=="((?:[^"\\]|\\.)*)"', params["where"])}
                found = [c for c in found if c["Name"].lower() in names]
            return self._json(200, envelope(Contacts=found))

    # --- payments ------------------------------------------------------------------------------------------

    def add_payment(self, *, invoice_id: str, amount: str, date: str, updated: datetime, **extra) -> dict:
        """A payment on an invoice or, when `invoice_id` is an ACCPAY bill's, a bill payment (ACCPAYPAYMENT)."""
        bill = self.invoices.get(invoice_id, {}).get("Type") == "ACCPAY"
        payment = {
            "PaymentID": extra.pop("payment_id", str(uuid.uuid4())),
            "Date": ms_date(datetime.fromisoformat(date).replace(tzinfo=UTC)),
            "Amount": float(Decimal(amount)),
            "Reference": extra.pop("reference", ""),
            "CurrencyRate": 1.0,
            "PaymentType": "ACCPAYPAYMENT" if bill else "ACCRECPAYMENT",
            "Status": extra.pop("status", "AUTHORISED"),
            "UpdatedDateUTC": ms_date(updated),
            "IsReconciled": False,
            "Invoice": {
                "Type": "ACCPAY" if bill else "ACCREC",
                "InvoiceID": invoice_id,
                "CurrencyCode": extra.pop("currency", "EUR"),
            },
            **extra,
        }
        self.payments = [p for p in self.payments if p["PaymentID"] != payment["PaymentID"]] + [payment]
        return payment

    def _get_payments(self, request):
        self.requests.append(request)
        since = request.headers.get("If-Modified-Since")
        rows = sorted(self.payments, key=lambda p: p["UpdatedDateUTC"])
        if since:
            moment = datetime.fromisoformat(since)  # RFC 3339 with its zone; a naive value is taken as UTC
            cutoff = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000
            rows = [p for p in rows if int(p["UpdatedDateUTC"][6:].split("+")[0]) >= cutoff]
        page = int(self.query(request).get("page", 1))
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return self._json(200, envelope(Payments=chunk))

    # --- attachments ----------------------------------------------------------------------------------------

    def _put_attachment(self, request):
        """PUT /{Invoices|PurchaseOrders}/{id}/Attachments/{FileName}: the body is the file's bytes."""
        with self.lock:
            self.requests.append(request)
            key, replay = self._replayed(request)
            if replay:
                return self._json(*replay)
            parts = urlsplit(request.url).path.split("/")
            collection, document_id, name = parts[-4], parts[-3], parts[-1]
            store = self.invoices if collection == "Invoices" else self.purchase_orders
            if document_id not in store:
                return self._json(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
            body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
            attachment = {
                "AttachmentID": str(uuid.uuid4()),
                "FileName": name,
                "Url": f"{self.base}/{collection}/{document_id}/Attachments/{name}",
                "MimeType": request.headers.get("Content-Type", ""),
                "ContentLength": len(body),
            }
            self.attachments.setdefault(document_id, []).append({**attachment, "content": body})
            return self._remember(key, 200, envelope(Attachments=[attachment]))

    # --- purchase orders --------------------------------------------------------------------------------------

    def _stored_po(self, element: dict, po_id: str, number: str) -> dict:
        total = sum(
            (Decimal(str(line["Quantity"])) * Decimal(str(line["UnitAmount"])) for line in element["LineItems"]),
            Decimal("0"),
        )
        order = {
            **_plain(element),
            "PurchaseOrderID": po_id,
            "PurchaseOrderNumber": number,
            "Status": element.get("Status") or self.purchase_orders.get(po_id, {}).get("Status", "DRAFT"),
            "SubTotal": float(total),
            "Total": float(total),
            "HasErrors": False,
            "UpdatedDateUTC": ms_date(datetime.now(UTC)),
        }
        self.purchase_orders[po_id] = order
        return order

    def _put_purchase_orders(self, request):
        with self.lock:
            self.requests.append(request)
            key, replay = self._replayed(request)
            if replay:
                return self._json(*replay)
            answered = []
            for element in json.loads(request.body, parse_float=Decimal)["PurchaseOrders"]:
                if self.refuse_with:
                    messages, self.refuse_with = self.refuse_with, []
                    answered.append(failed_element(element, messages))
                    continue
                number = element.get("PurchaseOrderNumber")
                if not number:
                    number = f"XPO-{self.next_po_number:04d}"
                    self.next_po_number += 1
                answered.append({**self._stored_po(element, str(uuid.uuid4()), number), "StatusAttributeString": "OK"})
            if len(answered) == 1 and answered[0].get("HasErrors"):
                body = validation_error(element=answered[0])
                body["Elements"] = answered
                return self._remember(key, 400, body)
            return self._remember(key, 200, envelope(PurchaseOrders=answered))

    def _post_purchase_order(self, request):
        with self.lock:
            self.requests.append(request)
            key, replay = self._replayed(request)
            if replay:
                return self._json(*replay)
            po_id = urlsplit(request.url).path.rsplit("/", 1)[-1]
            if po_id not in self.purchase_orders:
                return self._json(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
            element = json.loads(request.body, parse_float=Decimal)["PurchaseOrders"][0]
            if self.refuse_with:
                messages, self.refuse_with = self.refuse_with, []
                return self._remember(key, 400, validation_error(*messages, element=_plain(element)))
            if set(element) <= {"PurchaseOrderID", "Status"}:
                order = self.purchase_orders[po_id]
                order.update(Status=element["Status"], UpdatedDateUTC=ms_date(datetime.now(UTC)))
                return self._remember(key, 200, envelope(PurchaseOrders=[order]))
            number = element.get("PurchaseOrderNumber") or self.purchase_orders[po_id]["PurchaseOrderNumber"]
            return self._remember(key, 200, envelope(PurchaseOrders=[self._stored_po(element, po_id, number)]))

    def set_purchase_order_status(self, po_id: str, status: str, *, updated: datetime | None = None) -> None:
        """What a Xero user does there: submit, approve, bill a purchase order."""
        self.purchase_orders[po_id].update(Status=status, UpdatedDateUTC=ms_date(updated or datetime.now(UTC)))

    def _get_purchase_orders(self, request):
        with self.lock:
            self.requests.append(request)
            rows = sorted(self.purchase_orders.values(), key=lambda p: int(p["UpdatedDateUTC"][6:].split("+")[0]))
            since = request.headers.get("If-Modified-Since")
            if since:
                moment = datetime.fromisoformat(since)
                cutoff = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000
                rows = [p for p in rows if int(p["UpdatedDateUTC"][6:].split("+")[0]) >= cutoff]
            if self.query(request).get("order", "").endswith("DESC"):
                rows.reverse()
            page = int(self.query(request).get("page", 1))
            return self._json(200, envelope(PurchaseOrders=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]))

    def _get_purchase_order(self, request):
        """GET /PurchaseOrders/{PurchaseOrderID} or /PurchaseOrders/{PurchaseOrderNumber}."""
        with self.lock:
            self.requests.append(request)
            key = unquote(urlsplit(request.url).path.rsplit("/", 1)[-1])
            found = self.purchase_orders.get(key) or next(
                (p for p in self.purchase_orders.values() if p["PurchaseOrderNumber"] == key), None
            )
            if found is None:
                return self._json(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
            return self._json(200, envelope(PurchaseOrders=[found]))


def failed_element(element: dict, messages: list[str], flag: str = "HasErrors") -> dict:
    """A refused element as Xero answers it with summarizeErrors=false: the submitted object, flagged."""
    return {
        **_plain(element),
        flag: True,
        "StatusAttributeString": "ERROR",
        "ValidationErrors": [{"Message": m} for m in messages],
    }


def _plain(value):
    """JSON-able copy (Decimals from parse_float back to floats)."""
    return json.loads(json.dumps(value, default=float))
