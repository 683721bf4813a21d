"""Visma e-conomic's REST API on the kit: `/sandbox/economic/api/<resource>` routed to its handlers.

The kit has already checked X-AppSecretToken (the app's secret) and that the X-AgreementGrantToken is live for
its agreement; here: the resource, the method, JSON bodies (415 otherwise), then the operation. Writes may carry
`Idempotency-Key` (the kit replays the first answer).
"""

import json

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ..kit.declaration import Refusal, Route
from ..kit.reply import Reply, json_reply
from . import booking, collections, errors, filters
from .customers import customer_create, customer_replace
from .drafts import draft_body
from .entries import accounting_years, year_entries
from .pdf import invoice_pdf
from .resources import FILTERABLE, NUMBER_KEYS, currencies, self_body, sort_keys
from .store import agreement_of, create, documents, find, paid_totals, render, save

NOT_JSON = object()
APP_PUBLIC_TOKEN = "sandbox-economic-public-token"


def api_base(request) -> str:
    return request.build_absolute_uri(reverse("sandbox:economic-api", kwargs={"path": ""})).rstrip("/")


def _json(request):
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        return NOT_JSON


def _refuse(reply: Reply, note: str) -> Refusal:
    return Refusal(reply, note)


def route(request, path: str, grant, tenant_key: str):
    agreement = agreement_of(tenant_key)
    if agreement is None:
        return _refuse(errors.unauthorized(), "no such agreement")
    base = api_base(request)
    parts = [part for part in path.strip("/").split("/") if part]
    method = request.method
    if method in ("POST", "PUT") and not request.content_type.startswith("application/json"):
        return _refuse(errors.unsupported_media_type(), "content type")
    payload = _json(request) if method in ("POST", "PUT") else None
    if payload is NOT_JSON:
        return _refuse(errors.bad_request("The request body is not valid JSON."), "body")
    resource = "/".join(parts[:2]) if parts[:1] == ["invoices"] else "/".join(parts[:1])
    rest = parts[2:] if parts[:1] == ["invoices"] else parts[1:]
    if resource == "self" and not rest:
        if method != "GET":
            return _refuse(errors.method_not_allowed(method), "method")
        return Route(run=lambda: json_reply(self_body(agreement, base, APP_PUBLIC_TOKEN)))
    if resource == "currencies":
        return (
            _currencies(request, base, rest)
            if method == "GET"
            else _refuse(errors.method_not_allowed(method), "method")
        )
    if resource == "accounting-years":
        if method != "GET":
            return _refuse(errors.method_not_allowed(method), "method")
        return _accounting_years(request, agreement, base, rest)
    if resource not in NUMBER_KEYS or resource in ("entries", "currencies"):
        return _refuse(errors.not_found(), "unknown resource")
    if method == "GET":
        return _read(request, agreement, base, resource, rest)
    return _write(request, agreement, base, resource, rest, payload)


def _read(request, agreement, base: str, resource: str, rest: list[str]):
    if not rest:
        return Route(run=lambda: _collection(request, agreement, base, resource))
    if resource in ("invoices/paid", "invoices/unpaid"):
        return _refuse(errors.not_found(), "unknown resource")
    if len(rest) == 2 and rest[1] == "pdf" and resource in ("invoices/drafts", "invoices/booked"):
        return Route(run=lambda: _pdf(agreement, resource, rest[0]))
    if len(rest) != 1:
        return _refuse(errors.not_found(), "unknown resource")
    return Route(run=lambda: _document(agreement, base, resource, rest[0]))


def _accounting_years(request, agreement, base: str, rest: list[str]):
    """The years (one per calendar year with entries, and this one) and each year's booked entries."""
    if not rest:
        return Route(run=lambda: _listed(request, base, "accounting-years", years_of(agreement, base)))
    year = rest[0]
    if not any(found["year"] == year for found in years_of(agreement, base)):
        return _refuse(errors.not_found(), "no such accounting year")
    if len(rest) == 1:
        return Route(run=lambda: json_reply(next(y for y in years_of(agreement, base) if y["year"] == year)))
    if rest[1:] == ["entries"]:
        path = f"accounting-years/{year}/entries"
        return Route(run=lambda: _listed(request, base, path, year_entries(agreement, base, year), "entries"))
    return _refuse(errors.not_found(), "unknown resource")


def _currencies(request, base: str, rest: list[str]):
    if not rest:
        return Route(run=lambda: _listed(request, base, "currencies", currencies(base)))
    found = next((c for c in currencies(base) if c["code"] == rest[0]), None) if len(rest) == 1 else None
    return Route(run=lambda: json_reply(found)) if found else _refuse(errors.not_found(), "unknown currency")


def years_of(agreement, base: str) -> list[dict]:
    return accounting_years(agreement, base, timezone.now().date())


def _listed(request, base: str, path: str, found: list[dict], kind: str = "") -> Reply:
    kind = kind or path
    return collections.answer(request, base, path, found, FILTERABLE[kind], sort_keys(kind), NUMBER_KEYS[kind])


def _narrowed(request, resource: str) -> set[str] | None:
    """The numbers the filter names (`bookedInvoiceNumber$in:[…]`, as a remainder poll sends), if any."""
    text = request.GET.get("filter", "")
    if not text or resource in ("invoices/paid", "invoices/unpaid"):  # their totals need every invoice anyway
        return None
    try:
        return filters.numbers_named(filters.parse(text, FILTERABLE[resource]), NUMBER_KEYS[resource])
    except filters.FilterError:
        return None  # answered as a 400 by collections.answer


def _collection(request, agreement, base: str, resource: str) -> Reply:
    kind = "invoices/booked" if resource.startswith("invoices/") and resource != "invoices/drafts" else resource
    rows, total = documents(agreement, kind), None
    numbers = _narrowed(request, resource)
    if numbers is not None:  # read only the rows the filter can match; the filter still decides
        total, rows = rows.count(), rows.filter(number__in=numbers)
    paid = paid_totals(agreement) if kind == "invoices/booked" else None
    found = [render(row, base, in_collection=True, paid=paid) for row in rows]
    if resource == "invoices/paid":
        found = [doc for doc in found if doc["remainder"] == 0]
    elif resource == "invoices/unpaid":
        found = [doc for doc in found if doc["remainder"] != 0]
    sortable = sort_keys(resource)
    key = NUMBER_KEYS[resource]
    return collections.answer(request, base, resource, found, FILTERABLE[resource], sortable, key, total=total)


def _document(agreement, base: str, kind: str, number: str) -> Reply:
    row = find(agreement, kind, number)
    return json_reply(render(row, base)) if row is not None else errors.not_found()


def _pdf(agreement, kind: str, number: str) -> Reply:
    row = find(agreement, kind, number)
    return invoice_pdf(agreement, row) if row is not None else errors.not_found()


def _created(row, base: str) -> Reply:
    body = render(row, base)
    return json_reply(body, 201, {"Location": body["self"]})


def _attempt(action) -> Reply:
    try:
        with transaction.atomic():
            return action()
    except errors.Invalid as exc:
        return exc.reply()


def _write(request, agreement, base: str, resource: str, rest: list[str], payload):
    method = request.method
    if resource == "customers" and not rest and method == "POST":
        return Route(run=lambda: _attempt(lambda: _created(customer_create(agreement, payload), base)), write=True)
    if resource == "customers" and len(rest) == 1 and method == "PUT":
        return Route(run=lambda: _attempt(lambda: _customer_replace(agreement, base, rest[0], payload)), write=True)
    if resource == "invoices/drafts":
        if not rest and method == "POST":
            return Route(run=lambda: _attempt(lambda: _draft_create(agreement, base, payload)), write=True)
        if len(rest) == 1 and method == "PUT":
            return Route(run=lambda: _attempt(lambda: _draft_update(agreement, base, rest[0], payload)), write=True)
        if len(rest) == 1 and method == "DELETE":
            return Route(run=lambda: _draft_delete(agreement, base, rest[0]), write=True)
    if resource == "invoices/booked":
        if not rest and method == "POST":
            return Route(run=lambda: _attempt(lambda: _created(booking.book(agreement, payload), base)), write=True)
        if len(rest) == 1 and method == "PUT":
            return Route(
                run=lambda: _attempt(lambda: _created(booking.book(agreement, payload, rest[0]), base)), write=True
            )
    known = not rest or len(rest) == 1
    if resource in NUMBER_KEYS and known:
        return _refuse(errors.method_not_allowed(method), "method")
    return _refuse(errors.not_found(), "unknown resource")


def _customer_replace(agreement, base: str, number: str, payload) -> Reply:
    row = find(agreement, "customers", number)
    if row is None:
        return errors.not_found()
    return json_reply(render(customer_replace(agreement, row, payload), base))


def _draft_create(agreement, base: str, payload) -> Reply:
    number = booking.next_draft_number(agreement)
    body = draft_body(agreement, payload, number)
    return _created(create(agreement, "invoices/drafts", number, body), base)


def _draft_update(agreement, base: str, number: str, payload) -> Reply:
    row = find(agreement, "invoices/drafts", number)
    if row is None:  # never a draft, or booked since (a booked invoice cannot be changed)
        return errors.not_found()
    save(row, draft_body(agreement, payload, int(row.number)))
    return json_reply(render(row, base))


def _draft_delete(agreement, base: str, number: str) -> Reply:
    row = find(agreement, "invoices/drafts", number)
    if row is None:
        return errors.not_found()
    link = f"{base}/invoices/drafts/{row.number}"
    row.delete()
    body = {
        "message": "Deleted invoice.",
        "deletedCount": 1,
        "deletedItems": [{"draftInvoiceNumber": int(number), "self": link}],
    }
    return json_reply(body)
