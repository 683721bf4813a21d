"""Attachments of invoices and bills: PUT/POST /Invoices/{InvoiceID}/Attachments/{FileName} with the file as the raw
body, GET …/Attachments (the list) and GET …/Attachments/{FileName or AttachmentID} (the file itself).

As Xero: the MIME type follows the file name's extension (an upload sent as application/octet-stream of
"inv-0032.pdf" is application/pdf, as in the recorded fixture), one file name per document (uploading it again
replaces the content), at most 10 files per document, each at most 10 MB (SANDBOX_XERO_ATTACHMENT_MAX_BYTES;
larger is Xero's 413 "RequestEntityTooLarge"), attachable whatever the document's status.
"""

import mimetypes
import uuid

from django.conf import settings
from django.db.models import Prefetch

from productive.settings.sandbox import SANDBOX_DEFAULTS

from ..models import XeroAttachment, XeroInvoice
from .formats import now_ms
from .responses import Reply, json_reply, not_found, problem_reply, validation_reply
from .shapes import attachment as shape
from .shapes import envelope

MAX_PER_DOCUMENT = 10
# Xero's MIME types where Python's differ (its examples say image/jpg for .jpg files).
MIME_TYPES = {".jpg": "image/jpg"}
TOO_MANY = f"A document can have at most {MAX_PER_DOCUMENT} attachments."  # paraphrase: Xero's words unverified
EMPTY = "The attachment has no content."  # paraphrase


def max_bytes() -> int:
    key = "SANDBOX_XERO_ATTACHMENT_MAX_BYTES"
    return getattr(settings, key, SANDBOX_DEFAULTS[key])


def without_content():
    """Prefetch of a document's attachments for shapes: everything but the files themselves."""
    return Prefetch("attachments", queryset=XeroAttachment.objects.defer("content"))


def mime_type(file_name: str, content_type: str) -> str:
    extension = ("." + file_name.rsplit(".", 1)[-1].lower()) if "." in file_name else ""
    guessed = MIME_TYPES.get(extension) or mimetypes.guess_type(file_name)[0]
    declared = content_type.split(";")[0].strip()
    return guessed or (declared if declared and declared != "application/octet-stream" else "application/octet-stream")


def _invoice(call) -> XeroInvoice | None:
    try:
        invoice_id = uuid.UUID(call.ident or "")
    except ValueError:
        return None
    return XeroInvoice.objects.filter(org=call.org, invoice_id=invoice_id).first()


def read_upload(call, request) -> Reply | None:
    """Read the raw file (never more than the limit), or refuse it before anything is processed."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    limit = max_bytes()
    content = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(content) > limit:
        return problem_reply(413, "RequestEntityTooLarge", "PayloadTooLarge")
    call.body = content
    return None


def _find(invoice: XeroInvoice, key: str):
    rows = XeroAttachment.objects.filter(invoice=invoice)
    try:
        return rows.filter(attachment_id=uuid.UUID(key)).first() or rows.filter(file_name=key).first()
    except ValueError:
        return rows.filter(file_name=key).first()


def get(call) -> Reply:
    """The list (JSON), or one file's bytes with its MIME type (whatever the Accept header asks for)."""
    invoice = _invoice(call)
    if invoice is None:
        return not_found()
    if call.item is None:
        rows = XeroAttachment.objects.filter(invoice=invoice).defer("content").select_related("invoice")
        return json_reply(envelope("Attachments", [shape(row) for row in rows]))
    row = _find(invoice, call.item)
    if row is None:
        return not_found()
    return Reply(200, bytes(row.content), row.mime_type)


def upload(call) -> Reply:
    """PUT creates (or replaces the file of that name), POST replaces; both answer the one attachment."""
    invoice = _invoice(call)
    if invoice is None or not call.item:
        return not_found()
    content = call.body or b""
    if not content:
        return validation_reply(EMPTY)
    row = XeroAttachment.objects.filter(invoice=invoice, file_name=call.item).first()
    if row is None and XeroAttachment.objects.filter(invoice=invoice).count() >= MAX_PER_DOCUMENT:
        return validation_reply(TOO_MANY)
    row = row or XeroAttachment(org=call.org, invoice=invoice, file_name=call.item, created_at=now_ms())
    row.content = content
    row.content_length = len(content)
    row.mime_type = mime_type(call.item, call.request.headers.get("Content-Type", ""))
    include_online = call.param("IncludeOnline")
    if include_online or row.pk is None:
        row.include_online = include_online.lower() == "true"
    row.save()
    XeroInvoice.objects.filter(pk=invoice.pk).update(updated_at=now_ms())
    return json_reply(envelope("Attachments", [shape(row)]))
