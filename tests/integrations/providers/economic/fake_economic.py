"""A stateful e-conomic agreement served through `responses`, in the REST API's documented shapes (restdocs and the
recorded responses in shared/provider-specs/economic/): collections as {"collection", "pagination", "self"} paged
by skippages/pagesize, `filter=` expressions ($eq, $like, $in, $or), draft invoices numbered by draftInvoiceNumber,
booking (POST /invoices/booked, with bookWithNumber) moving a draft to the booked invoices with its remainder, the
annotated error body. Both tokens are checked on every call (401 otherwise). A repeated Idempotency-Key is answered
with the first answer; `drop_answers` stores a write but loses its answer (a dropped connection)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import requests
import responses

API = "https://restapi.e-conomic.com"
APP_SECRET = "test-economic-app-secret"
APP_PUBLIC = "test-economic-app-public"


def error_body(status: int, message: str, errors: dict | None = None, hint: str = "") -> dict:
    body = {
        "message": message,
        "developerHint": hint or "Inspect validation errors and correct your request.",
        "logId": "c7ca5bc2-ad2d-4639-93f9-b22ba88c97d7",
        "httpStatusCode": status,
        "logTime": "2026-11-10T10:00:00",
    }
    if errors:
        body["errors"] = errors
    return body


def _unescape(value: str) -> str:
    return re.sub(r"\$(.)", r"\1", value)


def _split(expression: str, word: str) -> list[str]:
    """Split on an unescaped `$or:` (an escaped dollar is `$$`)."""
    parts, current, index = [], "", 0
    while index < len(expression):
        if expression.startswith("$$", index):
            current += "$$"
            index += 2
        elif expression.startswith(word, index):
            parts.append(current)
            current = ""
            index += len(word)
        else:
            current += expression[index]
            index += 1
    return [*parts, current]


def value_at(item: dict, prop: str):
    for part in prop.split("."):
        item = item.get(part) if isinstance(item, dict) else None
    return item


def _test(condition: str):
    prop, op, value = re.match(r"([\w.]+)\$(eq|like|in|gte|lte):(.*)", condition, re.S).groups()
    if op == "in":
        numbers = {int(number) for number in value.strip("[]").split(",")}
        return lambda item: value_at(item, prop) in numbers
    if op in ("gte", "lte"):  # dates (YYYY-MM-DD) compare as text
        bound = _unescape(value)
        return lambda item: (str(value_at(item, prop) or "") >= bound) == (op == "gte")
    if op == "eq":
        wanted = _unescape(value).lower()
        return lambda item: str(value_at(item, prop) or "").lower() == wanted
    part = _unescape(value).lower().replace("*", "")
    return lambda item: part in str(value_at(item, prop) or "").lower()


def predicate(expression: str):
    """The filter as a test of one item, parsed once per request (a bench asks 10,000 items): `$or:` of `$and:`
    chains (AND binds tighter) of $eq $like $in $gte $lte."""
    alternatives = [
        [_test(condition) for condition in _split(alternative, "$and:")] for alternative in _split(expression, "$or:")
    ]
    return lambda item: any(all(test(item) for test in tests) for tests in alternatives)


class FakeEconomic:
    def __init__(self, mock: responses.RequestsMock, grant_token: str = "grant-token", *, agreement: int = 1118081):
        self.mock, self.grant_token, self.agreement_number = mock, grant_token, agreement
        self.customers: dict[int, dict] = {}
        self.drafts: dict[int, dict] = {}
        self.booked: dict[int, dict] = {}
        self.entries: list[dict] = []  # booked ledger entries (customer payments), oldest first
        self.layouts = [{"layoutNumber": 19, "name": "DK. std. m. bankoplys. 1.5"}]
        self.payment_terms = [
            {"paymentTermsNumber": 1, "daysOfCredit": 8, "name": "Netto 8 dage", "paymentTermsType": "net"}
        ]
        self.vat_zones = [
            {"name": "Domestic", "vatZoneNumber": 1, "enabledForCustomer": True, "enabledForSupplier": True}
        ]
        self.products = [{"productNumber": "1", "name": "Consulting", "productGroup": {"productGroupNumber": 1}}]
        self.customer_groups = [{"customerGroupNumber": 1, "name": "Danske"}]
        self.keys: dict[str, tuple[int, dict]] = {}
        self.requests: list = []
        self.drop_answers = 0
        self.refuse_booking = ""
        self.refuse_entries = 0  # an HTTP status answered to the accounting years (a role without ledger access)
        self.next_draft, self.next_booked, self.next_customer = 148, 31, 1000
        self.company = {"name": "The Demo Company", "addressLine1": "Langebrogade 1", "city": "Copenhagen"}
        self.app_public = APP_PUBLIC

    # --- state changes (also used by tests directly) -------------------------------------------------------

    def add_customer(self, name: str, number: int | None = None) -> dict:
        number = number or self._customer_number()
        self.customers[number] = {
            "customerNumber": number,
            "currency": "EUR",
            "name": name,
            "customerGroup": {"customerGroupNumber": 1},
            "vatZone": {"vatZoneNumber": 1},
            "paymentTerms": {"paymentTermsNumber": 1},
            "self": f"{API}/customers/{number}",
        }
        return self.customers[number]

    def _customer_number(self) -> int:
        self.next_customer += 1
        return self.next_customer

    def book_invoice(
        self, number: int, total: str, *, currency: str = "EUR", reference: str = "", customer: int = 1001
    ) -> dict:
        """A booked invoice as if booked in e-conomic (for remainder tests)."""
        self.booked[number] = {
            "bookedInvoiceNumber": number,
            "customer": {"customerNumber": customer, "self": f"{API}/customers/{customer}"},
            "date": "2026-11-02",
            "currency": currency,
            "grossAmount": float(Decimal(total)),
            "remainder": float(Decimal(total)),
            "references": {"other": reference} if reference else {},
            "pdf": {"download": f"{API}/invoices/booked/{number}/pdf"},
            "self": f"{API}/invoices/booked/{number}",
        }
        return self.booked[number]

    def owe(self, number: int, remainder: str) -> None:
        self.booked[number]["remainder"] = float(Decimal(remainder))

    def pay(self, number: int, amount: str, date: str, *, invoice_number: bool = True) -> dict:
        """A customer payment booked in e-conomic: the remainder falls and a `customerPayment` entry (negative)
        is booked, with the invoice number unless the bookkeeper left it out."""
        return self._payment_entry(number, -Decimal(amount), date, invoice_number=invoice_number)

    def reverse(self, entry: dict, date: str) -> dict:
        """A payment reversed in e-conomic: its counter-entry (positive) and the remainder back up."""
        return self._payment_entry(entry["bookedInvoice"]["bookedInvoiceNumber"], -Decimal(entry["amount"]), date)

    def _payment_entry(self, number: int, amount: Decimal, date: str, *, invoice_number: bool = True) -> dict:
        invoice = self.booked[number]
        invoice["remainder"] = float(Decimal(str(invoice["remainder"])) + amount)
        customer = (invoice.get("customer") or {}).get("customerNumber")
        entry = {
            "entryNumber": len(self.entries) + 1,
            "entryType": "customerPayment",
            "amount": float(amount),
            "currency": invoice["currency"],
            "date": date,
            "customer": {"customerNumber": customer, "self": f"{API}/customers/{customer}"},
            "account": {"accountNumber": 5600, "self": f"{API}/accounts/5600"},
            "text": f"Indbetaling {number}",
            "voucherNumber": 10_000 + len(self.entries) + 1,
            "self": f"{API}/accounting-years/{date[:4]}/entries/{len(self.entries) + 1}",
        }
        if invoice_number:
            entry["invoiceNumber"] = str(number)
            entry["bookedInvoice"] = {"bookedInvoiceNumber": number, "self": invoice["self"]}
        self.entries.append(entry)
        return entry

    def _years(self) -> list[dict]:
        years = sorted({int(entry["date"][:4]) for entry in self.entries} | {2025, 2026})
        return [
            {
                "fromDate": f"{year}-01-01",
                "toDate": f"{year}-12-31",
                "year": str(year),
                "entries": f"{API}/accounting-years/{year}/entries",
                "self": f"{API}/accounting-years/{year}",
            }
            for year in years
        ]

    def book_draft_in_economic(self, draft_number: int) -> dict:
        """A bookkeeper books one of our drafts in e-conomic: it leaves the drafts with its references."""
        draft = self.drafts.pop(draft_number)
        return self._booked_from(draft, None)

    # --- serving ----------------------------------------------------------------------------------------------

    def install(self) -> FakeEconomic:
        pattern = re.compile(re.escape(API) + r"/.*")
        for method in (responses.GET, responses.POST, responses.PUT, responses.DELETE):
            self.mock.add_callback(method, pattern, callback=self._handle)
        return self

    def _reply(self, status: int, body, headers=None):
        return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body)

    def _handle(self, request):
        self.requests.append(request)
        if (
            request.headers.get("X-AppSecretToken") != APP_SECRET
            or request.headers.get("X-AgreementGrantToken") != self.grant_token
        ):
            return self._reply(401, error_body(401, "You are not authorized to access this resource."))
        key = request.headers.get("Idempotency-Key", "")
        if request.method != "GET" and key and (key, request.method) in self.keys:
            status, body = self.keys[(key, request.method)]
            return self._reply(status, body)
        status, body, *rest = self._route(request)
        if request.method != "GET" and key and status < 500:
            self.keys[(key, request.method)] = (status, body)
        if request.method == "POST" and self.drop_answers and status < 300 and "/invoices/" in request.url:
            self.drop_answers -= 1
            raise requests.exceptions.ConnectionError("connection dropped after the write")
        if rest:
            return status, rest[0], body
        return self._reply(status, body)

    def _route(self, request):
        url = urlsplit(request.url)
        path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.body) if request.body else None
        method = request.method
        if path == "/self" and method == "GET":
            return 200, self._self()
        lists = {
            "/layouts": self.layouts,
            "/payment-terms": self.payment_terms,
            "/vat-zones": self.vat_zones,
            "/products": self.products,
            "/customer-groups": self.customer_groups,
        }
        if path == "/accounting-years" and method == "GET":
            if self.refuse_entries:
                return self.refuse_entries, error_body(self.refuse_entries, "Your app role does not grant access.")
            return 200, self._collection(path, self._years(), query)
        match = re.fullmatch(r"/accounting-years/(\d{4})/entries", path)
        if match and method == "GET":
            found = [entry for entry in self.entries if entry["date"].startswith(f"{match.group(1)}-")]
            return 200, self._collection(path, found, query)
        if path in lists and method == "GET":
            return 200, self._collection(path, lists[path], query)
        if path == "/customers":
            if method == "POST":
                return self._create_customer(body)
            return 200, self._collection(path, list(self.customers.values()), query)
        if path == "/invoices/drafts":
            if method == "POST":
                return self._create_draft(body)
            return 200, self._collection(path, list(self.drafts.values()), query)
        match = re.fullmatch(r"/invoices/drafts/(\d+)", path)
        if match:
            number = int(match.group(1))
            if number not in self.drafts:
                return 404, self._not_found()
            if method == "PUT":
                return self._replace_draft(number, body)
            if method == "DELETE":
                del self.drafts[number]
                return 204, {}
            return 200, self.drafts[number]
        if path == "/invoices/booked":
            if method == "POST":
                return self._book(body)
            return 200, self._collection(path, list(self.booked.values()), query)
        match = re.fullmatch(r"/invoices/booked/(\d+)(/pdf)?", path)
        if match and method == "GET":
            number = int(match.group(1))
            if number not in self.booked:
                return 404, self._not_found()
            if match.group(2):
                return 200, b"%PDF-1.4 e-conomic booked invoice", {"Content-Type": "application/pdf"}
            return 200, self.booked[number]
        return 404, self._not_found()

    # --- resources --------------------------------------------------------------------------------------------

    def _not_found(self) -> dict:
        return error_body(
            404,
            "Resource not found.",
            hint="The API tries to provide all the resource urls you need.",
        )

    def _self(self) -> dict:
        return {
            "agreementNumber": self.agreement_number,
            "agreementType": {"agreementTypeNumber": 1, "name": "denmark"},
            "company": dict(self.company),
            "application": {"appNumber": 3162, "name": "Productive", "appPublicToken": self.app_public},
            "settings": {"baseCurrency": "DKK"},
            "self": f"{API}/self",
        }

    def _collection(self, path: str, items: list[dict], query: dict) -> dict:
        if "filter" in query:
            wanted = predicate(query["filter"])
            items = [item for item in items if wanted(item)]
        size = min(int(query.get("pagesize", 20)), 1000)
        skip = int(query.get("skippages", 0))
        page = items[skip * size : (skip + 1) * size]
        pagination = {
            "maxPageSizeAllowed": 1000,
            "skipPages": skip,
            "pageSize": size,
            "results": len(items),
            "resultsWithoutFilter": len(items),
            "firstPage": f"{API}{path}?skippages=0&pagesize={size}",
            "lastPage": f"{API}{path}?skippages={max(0, (len(items) - 1) // size)}&pagesize={size}",
        }
        if (skip + 1) * size < len(items):
            pagination["nextPage"] = f"{API}{path}?skippages={skip + 1}&pagesize={size}"
        return {"collection": page, "pagination": pagination, "self": f"{API}{path}?skippages={skip}&pagesize={size}"}

    def _create_customer(self, body: dict):
        required = ("currency", "customerGroup", "name", "paymentTerms", "vatZone")
        missing = {
            name: {"errors": [{"errorCode": "E00200", "message": f"{name} is required."}]}
            for name in required
            if name not in body
        }
        if missing:
            return 400, error_body(400, "Validation error.", missing)
        customer = self.add_customer(body["name"])
        customer.update({k: v for k, v in body.items() if k != "customerNumber"})
        return 201, customer

    def _validate_draft(self, body: dict):
        errors = {}
        if int(body["customer"]["customerNumber"]) not in self.customers:
            errors["customer"] = {"errors": [{"errorCode": "E06000", "message": "customer does not exist."}]}
        lines = []
        for index, line in enumerate(body.get("lines") or []):
            if Decimal(str(line["unitNetPrice"])) != Decimal(str(line["unitNetPrice"])).quantize(Decimal("0.01")):
                lines.append(
                    {
                        "arrayIndex": index,
                        "unitNetPrice": {
                            "errors": [
                                {
                                    "errorCode": "E04740",
                                    "message": "unitNetPrice scale cannot be greater then two decimal places.",
                                }
                            ]
                        },
                    }
                )
        if lines:
            errors["lines"] = lines
        return errors

    def _draft_document(self, number: int, body: dict) -> dict:
        net = sum(
            (Decimal(str(line["quantity"])) * Decimal(str(line["unitNetPrice"])) for line in body.get("lines") or []),
            Decimal("0"),
        )
        gross = net * Decimal("1.25")  # 25 % moms: the product group's VAT in the demo agreement
        return {
            **body,
            "draftInvoiceNumber": number,
            "netAmount": float(net),
            "grossAmount": float(gross.quantize(Decimal("0.01"))),
            "vatAmount": float((gross - net).quantize(Decimal("0.01"))),
            "pdf": {"download": f"{API}/invoices/drafts/{number}/pdf"},
            "self": f"{API}/invoices/drafts/{number}",
        }

    def _create_draft(self, body: dict):
        errors = self._validate_draft(body)
        if errors:
            return 400, error_body(400, "Validation error.", errors)
        self.next_draft += 1
        self.drafts[self.next_draft] = self._draft_document(self.next_draft, body)
        return 201, self.drafts[self.next_draft]

    def _replace_draft(self, number: int, body: dict):
        errors = self._validate_draft(body)
        if errors:
            return 400, error_body(400, "Validation error.", errors)
        self.drafts[number] = self._draft_document(number, body)
        return 200, self.drafts[number]

    def _booked_from(self, draft: dict, book_with: int | None) -> dict:
        if book_with is None:
            self.next_booked += 1
            book_with = self.next_booked
        booked = {
            key: value for key, value in draft.items() if key not in ("draftInvoiceNumber", "pdf", "self", "soap")
        }
        booked.update(
            bookedInvoiceNumber=book_with,
            remainder=draft["grossAmount"],
            pdf={"download": f"{API}/invoices/booked/{book_with}/pdf"},
            self=f"{API}/invoices/booked/{book_with}",
        )
        self.booked[book_with] = booked
        return booked

    def _book(self, body: dict):
        number = int(body["draftInvoice"]["draftInvoiceNumber"])
        if number not in self.drafts:
            return 404, self._not_found()
        if self.refuse_booking:
            return 400, error_body(400, self.refuse_booking)
        book_with = body.get("bookWithNumber")
        if book_with is not None and int(book_with) in self.booked:
            errors = {
                "bookWithNumber": {"errors": [{"errorCode": "E07030", "message": "Invoice number already used."}]}
            }
            return 400, error_body(400, "Validation error.", errors)
        draft = self.drafts.pop(number)
        return 201, self._booked_from(draft, int(book_with) if book_with is not None else None)
