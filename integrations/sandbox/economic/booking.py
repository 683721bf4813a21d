"""Booking a draft (POST /invoices/booked, PUT /invoices/booked/:bookWithNumber) and the number series.

Without bookWithNumber the invoice takes the next free number of the agreement's series; with it, that number,
unless an invoice was already booked with it (refused). The draft is gone once booked (its number answers 404),
and a booked invoice cannot be changed through the API.
"""

from django.db.models import F

from .errors import MISSING, MISSING_REFERENCE, NOT_VALID, NUMBER_USED, Invalid
from .models import EcoAgreement, EcoDocument
from .refs import identifier
from .store import create, documents, find

MAX_NUMBER = 999_999_999
BOOKED_KEYS = (
    "date",
    "currency",
    "exchangeRate",
    "netAmount",
    "netAmountInBaseCurrency",
    "grossAmount",
    "grossAmountInBaseCurrency",
    "vatAmount",
    "roundingAmount",
    "remainder",
    "remainderInBaseCurrency",
    "dueDate",
    "paymentTerms",
    "customer",
    "recipient",
    "notes",
    "references",
    "layout",
    "lines",
)
LINE_KEYS = (
    "lineNumber",
    "sortKey",
    "description",
    "quantity",
    "unitNetPrice",
    "discountPercentage",
    "unitCostPrice",
    "vatRate",
    "vatAmount",
    "totalNetAmount",
    "product",
    "unit",
)


def _wanted_number(errors: Invalid, payload: dict, path_number: str | None) -> int | None:
    raw = payload.get("bookWithNumber")
    if path_number is not None:
        if raw is not None and str(raw) != path_number:
            errors.add("bookWithNumber", NOT_VALID, "bookWithNumber must match the number in the URL.", value=raw)
            return None
        raw = path_number
    if raw is None:
        return None
    if isinstance(raw, bool) or not str(raw).isdigit() or not 1 <= int(raw) <= MAX_NUMBER:
        errors.add(
            "bookWithNumber", NOT_VALID, f"bookWithNumber must be a whole number from 1 to {MAX_NUMBER}.", value=raw
        )
        return None
    return int(raw)


def _next_free(agreement: EcoAgreement) -> int:
    agreement.refresh_from_db(fields=["next_booked_number"])  # read under the agreement's write lock
    used = set(documents(agreement, "invoices/booked").values_list("number", flat=True))
    number = agreement.next_booked_number
    while str(number) in used:
        number += 1
    return number


def book(agreement: EcoAgreement, payload, path_number: str | None = None) -> EcoDocument:
    """The booked invoice made from the draft the payload names, or Invalid."""
    errors = Invalid()
    if not isinstance(payload, dict):
        raise errors.add("draftInvoice", MISSING, "Property draftInvoice is required.")
    draft_ref = payload.get("draftInvoice")
    draft = None
    if not isinstance(draft_ref, dict):
        errors.add("draftInvoice", MISSING, "Property draftInvoice is required.")
    else:
        number = identifier(draft_ref, "draftInvoiceNumber")
        draft = find(agreement, "invoices/drafts", number) if number is not None else None
        if draft is None:
            errors.add("draftInvoice", MISSING_REFERENCE, "draftInvoice does not exist.", value=number)
        elif not draft.body.get("lines"):
            errors.add("draftInvoice", NOT_VALID, "The draft invoice has no lines and cannot be booked.", value=number)
    send_by = payload.get("sendBy", payload.get("sentBy", "none"))
    if str(send_by).lower() not in ("none", "ean"):
        errors.add("sendBy", NOT_VALID, "sendBy must be none or ean.", value=send_by)
    elif str(send_by).lower() == "ean":
        errors.add("sendBy", NOT_VALID, "Sending via EAN needs a paying (non-demo) Danish agreement.", value=send_by)
    wanted = _wanted_number(errors, payload, path_number)
    if wanted is not None and find(agreement, "invoices/booked", wanted) is not None:
        errors.add(
            "bookWithNumber", NUMBER_USED, f"An invoice has already been booked with number {wanted}.", value=wanted
        )
    if errors:
        raise errors
    number = wanted if wanted is not None else _next_free(agreement)
    source = draft.body
    body = {"bookedInvoiceNumber": number}
    for key in BOOKED_KEYS:
        if key in ("remainder", "remainderInBaseCurrency"):
            body[key] = source["grossAmount"] if key == "remainder" else source["grossAmountInBaseCurrency"]
        elif key == "lines":
            body["lines"] = [{k: line[k] for k in LINE_KEYS if k in line} for line in source["lines"]]
        elif key in source:
            body[key] = source[key]
    if wanted is None:
        EcoAgreement.objects.filter(pk=agreement.pk).update(next_booked_number=number + 1)
    draft.delete()
    return create(agreement, "invoices/booked", number, body)


def next_draft_number(agreement: EcoAgreement) -> int:
    EcoAgreement.objects.filter(pk=agreement.pk).update(next_draft_number=F("next_draft_number") + 1)
    agreement.refresh_from_db(fields=["next_draft_number"])
    return agreement.next_draft_number - 1
