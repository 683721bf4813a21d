"""The Accounting API resources: list/get with Xero's filters and paging, writes with per-element errors."""

import math
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.http import HttpRequest

from ..models import (
    XeroAccount,
    XeroContact,
    XeroInvoice,
    XeroItem,
    XeroOrg,
    XeroPayment,
    XeroTaxRate,
)
from . import purchase_orders, services, shapes
from .attachments import without_content
from .formats import malformed_guid, ms_date, now_ms, parse_date, parse_if_modified_since
from .lines import round_unit_amounts
from .pdf import document_pdf
from .responses import Reply, json_reply, not_found, post_data_invalid, query_parse_error, validation_reply
from .webhooks import invoice_events_send
from .where import WhereError, compile_where

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000


@dataclass
class Call:
    request: HttpRequest
    org: XeroOrg
    ident: str | None
    params: dict  # query parameters, lower-cased names
    body: object = None
    item: str | None = None  # a sub-resource's key, e.g. the FileName of /Invoices/{id}/Attachments/{FileName}

    def param(self, name: str, default: str = "") -> str:
        return self.params.get(name.lower(), default)

    def ids(self, name: str) -> list[str]:
        return [part.strip().lower() for part in self.param(name).split(",") if part.strip()]

    @property
    def unit_places(self) -> int:
        """unitdp=4 opts in to 4 decimals of unit amounts (stored and shown); Xero's default is 2."""
        return 4 if self.param("unitdp") == "4" else 2


UNPARSEABLE_GUID = "Unrecognized Guid format."


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _modified_since(call: Call, queryset):
    since = parse_if_modified_since(call.request.headers.get("If-Modified-Since", ""))
    return queryset.filter(updated_at__gt=since) if since else queryset


def _order(objects: list[dict], order: str) -> list[dict]:
    for clause in reversed([c.strip() for c in order.split(",") if c.strip()]):
        field, _, direction = clause.partition(" ")
        objects.sort(
            key=lambda obj, f=field: (
                obj.get(f) is None,
                str(obj.get(f)) if not isinstance(obj.get(f), int | float) else obj.get(f),
            ),
            reverse=direction.strip().upper() == "DESC",
        )
    return objects


def _list(call: Call, collection: str, objects: list[dict], pageable: bool) -> Reply:
    try:
        predicate = compile_where(call.param("where"))
    except WhereError as exc:
        return query_parse_error(str(exc))
    if predicate:
        objects = [obj for obj in objects if predicate(obj)]
    if call.param("order"):
        objects = _order(objects, call.param("order"))
    pagination = None
    if pageable and call.param("page"):
        try:
            page = max(int(call.param("page")), 1)
            size = min(max(int(call.param("pageSize") or DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        except ValueError:
            return validation_reply("page and pageSize must be whole numbers.")
        count = len(objects)
        pagination = {"page": page, "pageSize": size, "pageCount": math.ceil(count / size), "itemCount": count}
        objects = objects[(page - 1) * size : page * size]
    return json_reply(shapes.envelope(collection, objects, pagination))


def _one(collection: str, obj: dict | None) -> Reply:
    return json_reply(shapes.envelope(collection, [obj])) if obj is not None else not_found()


# --- Reads --------------------------------------------------------------------------------------------------


def organisation_get(call: Call) -> Reply:
    return json_reply(shapes.envelope("Organisations", [shapes.organisation(call.org)]))


def accounts_get(call: Call) -> Reply:
    rows = XeroAccount.objects.filter(org=call.org).select_related("org")
    if call.ident:
        return _one(
            "Accounts", next((shapes.account(a) for a in rows if str(a.account_id) == call.ident.lower()), None)
        )
    return _list(call, "Accounts", [shapes.account(a) for a in _modified_since(call, rows)], pageable=False)


def tax_rates_get(call: Call) -> Reply:
    rows = XeroTaxRate.objects.filter(org=call.org)
    if call.param("TaxType"):
        rows = rows.filter(tax_type=call.param("TaxType"))
    return _list(call, "TaxRates", [shapes.tax_rate(t) for t in rows], pageable=False)


def items_get(call: Call) -> Reply:
    rows = XeroItem.objects.filter(org=call.org)
    if call.ident:
        match = rows.filter(item_id=call.ident) if _is_uuid(call.ident) else rows.filter(code=call.ident)
        return _one("Items", next((shapes.item(i) for i in match), None))
    return _list(call, "Items", [shapes.item(i) for i in _modified_since(call, rows)], pageable=False)


def contacts_get(call: Call) -> Reply:
    rows = XeroContact.objects.filter(org=call.org)
    if call.ident:
        match = rows.filter(contact_id=call.ident) if _is_uuid(call.ident) else rows.filter(contact_number=call.ident)
        return _one("Contacts", next((shapes.contact(c) for c in match), None))
    if call.ids("IDs"):
        rows = rows.filter(contact_id__in=[i for i in call.ids("IDs") if _is_uuid(i)])
    elif call.param("includeArchived").lower() != "true":
        rows = rows.filter(status="ACTIVE")
    term = call.param("searchTerm").strip().lower()
    objects = []
    for row in _modified_since(call, rows):
        haystack = (row.name, row.first_name, row.last_name, row.contact_number, row.email)
        if term and not any(term in (value or "").lower() for value in haystack):
            continue
        objects.append(shapes.contact(row))
    return _list(call, "Contacts", objects, pageable=True)


def _invoice_rows(org: XeroOrg):
    return (
        XeroInvoice.objects.filter(org=org)
        .select_related("contact")
        .prefetch_related("payments", without_content())
        .order_by("updated_at", "id")
    )


def _search(rows, term: str) -> list:
    """searchTerm: a case-insensitive text search across InvoiceNumber and Reference."""
    term = term.strip().lower()
    if not term:
        return list(rows)
    return [row for row in rows if term in row.number.lower() or term in row.reference.lower()]


def invoices_get(call: Call) -> Reply:
    rows = _invoice_rows(call.org)
    if call.ident:
        match = rows.filter(invoice_id=call.ident) if _is_uuid(call.ident) else rows.filter(number=call.ident)
        invoice = match.first()
        if invoice is None:
            return not_found()
        if "application/pdf" in call.request.headers.get("Accept", ""):
            return Reply(200, document_pdf(call.org, invoice, title="Invoice"), "application/pdf")
        return _one("Invoices", shapes.invoice(invoice, unit_places=call.unit_places, one=True))
    if call.ids("IDs"):
        rows = rows.filter(invoice_id__in=[i for i in call.ids("IDs") if _is_uuid(i)])
    if call.param("InvoiceNumbers"):
        rows = rows.filter(number__in=[n.strip() for n in call.param("InvoiceNumbers").split(",") if n.strip()])
    if call.ids("ContactIDs"):
        rows = rows.filter(contact__contact_id__in=[i for i in call.ids("ContactIDs") if _is_uuid(i)])
    if call.param("Statuses"):
        rows = rows.filter(status__in=[s.strip().upper() for s in call.param("Statuses").split(",")])
    # Xero returns line items on lists only when paging (or for a single invoice).
    with_lines = bool(call.param("page")) and call.param("summaryOnly").lower() != "true"
    objects = [
        shapes.invoice(row, with_lines=with_lines, unit_places=call.unit_places)
        for row in _search(_modified_since(call, rows), call.param("searchTerm"))
    ]
    return _list(call, "Invoices", objects, pageable=True)


def payments_get(call: Call) -> Reply:
    rows = (
        XeroPayment.objects.filter(org=call.org)
        .select_related("invoice__contact", "account")
        .order_by("updated_at", "id")
    )
    if call.ident:
        return _one("Payments", next((shapes.payment(p) for p in rows.filter(payment_id=call.ident)), None))
    return _list(call, "Payments", [shapes.payment(p) for p in _modified_since(call, rows)], pageable=True)


def purchase_orders_get(call: Call) -> Reply:
    return purchase_orders.get(call, listing=_list)


# --- Writes -------------------------------------------------------------------------------------------------

# collection → (save function, shape function, the element's "has errors" flag)
WRITERS = {
    "Contacts": (services.contact_save, shapes.contact, "HasValidationErrors", "contact_id"),
    "Invoices": (services.invoice_save, shapes.invoice, "HasErrors", "invoice_id"),
    "PurchaseOrders": (services.purchase_order_save, purchase_orders.shape, "HasErrors", "purchase_order_id"),
}


def _elements(call: Call, collection: str) -> list | None:
    body = call.body
    if isinstance(body, dict) and isinstance(body.get(collection), list):
        return body[collection]
    if isinstance(body, dict) and collection not in body:
        return [body]  # a single object is accepted too
    return None


def _write_reply(call: Call, collection: str, results: list[tuple[dict, list[str] | None]]) -> Reply:
    summarize = call.param("summarizeErrors", "true").lower() != "false"
    failed = [element for element, errors in results if errors]
    if summarize and failed:
        return json_reply(shapes.validation_error_body(failed), 400)
    return json_reply(shapes.envelope(collection, [element for element, _ in results]))


DATE_KEYS = ("Date", "DueDate", "DeliveryDate", "ExpectedArrivalDate", "PlannedPaymentDate")


LINE_NUMBERS = ("Quantity", "UnitAmount", "TaxAmount", "LineAmount", "DiscountRate")


def _line_numbers(line):
    """A submitted line's numbers as Xero reads them ("0.12" is the number 0.12)."""
    if not isinstance(line, dict):
        return line
    shaped = dict(line)
    for key in LINE_NUMBERS:
        try:
            value = Decimal(shaped[key]) if isinstance(shaped.get(key), str) else None
        except InvalidOperation:
            value = None
        if value is not None and value.is_finite():
            shaped[key] = float(value)
    return shaped


def _failed_element(submitted, messages: list[str], flag: str | None) -> dict:
    """The element as Xero echoes it with its errors: as submitted, dates in Xero's "/Date(…)/" form."""
    element = dict(submitted) if isinstance(submitted, dict) else {}
    for key in DATE_KEYS:
        try:
            parsed = parse_date(element.get(key))
        except ValueError:
            continue
        if parsed is not None:
            element[key] = ms_date(parsed)
    if isinstance(element.get("LineItems"), list):
        element["LineItems"] = [_line_numbers(line) for line in element["LineItems"]]
    if flag:
        element[flag] = True
    element["StatusAttributeString"] = "ERROR"
    element["ValidationErrors"] = [{"Message": message} for message in messages]
    return element


def write(call: Call, collection: str, *, create_only: bool) -> Reply:
    """PUT (create) / POST (create or update) of a batch, or POST /{collection}/{id} (update one)."""
    save, shape, flag, id_kwarg = WRITERS[collection]
    elements = _elements(call, collection)
    if elements is None:
        return validation_reply(f"The request body must contain a {collection} array.")
    if call.ident and not _is_uuid(call.ident):
        return not_found()
    if malformed_guid(elements):
        return post_data_invalid(UNPARSEABLE_GUID)
    results, changed = [], []
    for submitted in elements:
        try:
            with transaction.atomic():
                if not isinstance(submitted, dict):
                    raise services.ElementInvalid([f"Each of {collection} must be an object."])
                kwargs = {id_kwarg: call.ident} if call.ident else {}
                data = round_unit_amounts(submitted, call.unit_places)
                started = now_ms()
                row = save(org=call.org, data=data, create_only=create_only, **kwargs)
        except services.ElementInvalid as exc:
            results.append((_failed_element(submitted, exc.messages, flag), exc.messages))
            continue
        if collection == "Invoices":
            element = shape(_invoice_rows(call.org).get(pk=row.pk), unit_places=call.unit_places)
            changed.append((row, "CREATE" if row.created_at >= started else "UPDATE"))
        else:
            element = shape(row)
        element["StatusAttributeString"] = "OK"
        if getattr(row, "warnings", None):
            element["Warnings"] = [{"Message": message} for message in row.warnings]
        results.append((element, None))
    invoice_events_send(call.org.tenant_id, changed)  # sent once the call commits (Xero batches events too)
    return _write_reply(call, collection, results)


def payments_write(call: Call) -> Reply:
    """PUT/POST /Payments creates; POST /Payments/{id} with Status DELETED deletes (only Status is accepted)."""
    elements = _elements(call, "Payments")
    if elements is None:
        return validation_reply("The request body must contain a Payments array.")
    if malformed_guid(elements):
        return post_data_invalid(UNPARSEABLE_GUID)
    results, changed = [], []
    for submitted in elements:
        try:
            with transaction.atomic():
                if not isinstance(submitted, dict):
                    raise services.ElementInvalid(["Each of Payments must be an object."])
                if call.ident:
                    payment = XeroPayment.objects.filter(org=call.org, payment_id=call.ident).first()
                    if payment is None:
                        raise services.ElementInvalid([services.NOT_FOUND])
                    if submitted.get("Status") != "DELETED":
                        raise services.ElementInvalid(["Only Status accepted for updates."])
                    payment = services.payment_delete(payment=payment)
                else:
                    payment = services.payment_create_from_data(org=call.org, data=submitted)
        except services.ElementInvalid as exc:
            results.append((_failed_element(submitted, exc.messages, "HasValidationErrors"), exc.messages))
            continue
        element = shapes.payment(XeroPayment.objects.select_related("invoice__contact", "account").get(pk=payment.pk))
        element["StatusAttributeString"] = "OK"
        results.append((element, None))
        changed.append((payment.invoice, "UPDATE"))  # Xero has no PAYMENT events: the invoice changed
    invoice_events_send(call.org.tenant_id, changed)
    return _write_reply(call, "Payments", results)
