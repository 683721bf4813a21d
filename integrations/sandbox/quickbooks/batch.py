"""POST /batch: at most 30 BatchItemRequests, each answered in a BatchItemResponse with its bId: the entity,
a QueryResponse, or the item's own Fault. Items run in order and do not see a failed item's writes."""

from django.db import transaction

from ..kit.reply import Reply
from . import invoices, query, resources
from .faults import EntityInvalid, fault, fault_body
from .models import QboCompany
from .store import envelope, render

MAX_ITEMS = 30
WRITERS = {
    ("Invoice", "create"): invoices.invoice_create,
    ("Invoice", "update"): invoices.invoice_update,
    ("Invoice", "delete"): invoices.invoice_delete,
    ("Customer", "create"): resources.customer_write,
    ("Customer", "update"): resources.customer_write,
}


def refuse(company: QboCompany, body: dict) -> Reply | None:
    items = body.get("BatchItemRequest")
    if not isinstance(items, list) or not items:
        return fault(
            400,
            "2020",
            "Required param missing, need to supply the required value for the API",
            "Required parameter BatchItemRequest is missing in the request",
            company=company,
        )
    if len(items) > MAX_ITEMS:
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            f"The batch has {len(items)} items; at most {MAX_ITEMS} are allowed per batch request.",
            company=company,
        )
    ids = [str(item.get("bId", "")) for item in items]
    if any(not b for b in ids) or len(set(ids)) != len(ids):
        return fault(
            400,
            "2010",
            "Request has invalid or unsupported property",
            "Every BatchItemRequest needs its own bId.",
            company=company,
        )
    return None


def _item(company: QboCompany, item: dict) -> dict:
    answer = {"bId": str(item["bId"])}
    if "Query" in item:
        try:
            return {**answer, "QueryResponse": query.answer(company, item["Query"])}
        except query.QueryError as exc:
            return {**answer, "Fault": fault_body(exc.code, "Error parsing query", exc.detail)}
    entity = next((name for name in ("Invoice", "Customer") if name in item), "")
    operation = item.get("operation", "")
    if item.get("optionsData") == "void" and entity == "Invoice":
        writer = invoices.invoice_void
    else:
        writer = WRITERS.get((entity, operation))
    if writer is None:
        detail = f"Operation {operation or '(none)'} on {entity or '(no entity)'} is not supported in a batch."
        return {**answer, "Fault": fault_body("2010", "Request has invalid or unsupported property", detail)}
    try:
        with transaction.atomic():
            row = writer(company, item[entity])
    except EntityInvalid as exc:
        return {**answer, "Fault": exc.body()}
    if operation == "delete":
        return {**answer, entity: {"status": "Deleted", "domain": "QBO", "Id": row.entity_id}}
    return {**answer, entity: render(row)}


def run(company: QboCompany, body: dict) -> Reply:
    return envelope(company, {"BatchItemResponse": [_item(company, item) for item in body["BatchItemRequest"]]})
