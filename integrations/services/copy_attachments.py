"""After a copy succeeded: the document's file (an expense's receipt: DocumentAdapter.attachment), and our PDF of
it where the connection's setup sends our PDF with the copy (DocumentMapper.attaches_our_pdf: QuickBooks with
"This app makes the PDF"), attached to it in the provider (AccountingApi.attach_file), one call a file. A failure
never undoes the copy: it is logged on the document (the provider's words), and the next update attaches the file
again."""

from __future__ import annotations

from contextlib import nullcontext

from .. import registry
from ..connection_state import connection_pause
from ..document_kinds import INVOICE
from ..documents import Attachment, adapter_of
from ..exceptions import IntegrationError, ThrottledError
from ..models import LogLevel, RemoteDocument
from .copy_outcomes import _log, copy_error_text


def attachments_of(copy: RemoteDocument, document) -> list[Attachment]:
    """What goes with this copy: the document's own file, and our PDF where the setup sends it."""
    adapter = adapter_of(document)
    files = [attachment for attachment in (adapter.attachment(document),) if attachment is not None]
    mapper = registry.get(copy.connection.provider).mapper()
    if mapper is not None and mapper.attaches_our_pdf(copy.connection, adapter.kind):
        pdf = our_pdf(adapter.kind, document)
        if pdf is not None:
            files.append(pdf)
    return files


def our_pdf(kind: str, document) -> Attachment | None:
    if kind != INVOICE:
        return None  # only invoices have a PDF of ours
    from billing.pdf import invoice_pdf

    return Attachment(filename=f"{document.number}.pdf", content=invoice_pdf(document), content_type="application/pdf")


def copy_attach_files(api, copy: RemoteDocument, document) -> int:
    """Attach the copy's files (attachments_of); a failure is logged on the document and the copy stays (it is
    attached again with the next update). Returns how many files were sent (one call each)."""
    sent = 0
    for attachment in attachments_of(copy, document):
        _attach(api, copy, document, attachment, suffix="" if sent == 0 else f"-{sent}")
        sent += 1
    return sent


def _attach(api, copy: RemoteDocument, document, attachment: Attachment, *, suffix: str) -> None:
    adapter = adapter_of(document)
    binding = api.bind(**adapter.bind(document)) if hasattr(api, "bind") else nullcontext()
    try:
        with binding:
            api.attach_file(
                adapter.kind,
                copy.remote_id,
                filename=attachment.filename,
                content=attachment.content,
                content_type=attachment.content_type,
                idempotency_key=f"attach-{copy.idempotency_key}{suffix}",
            )
    except IntegrationError as exc:
        if isinstance(exc, ThrottledError):
            connection_pause(copy.connection, exc)
        _log(
            copy,
            LogLevel.WARNING,
            f"{adapter.kind}.attach_failed",
            f"{attachment.filename} was not attached in {copy.connection.name}: {copy_error_text(exc)} "
            f"The {adapter.label} itself was sent; updating it attaches the file again.",
        )
        return
    _log(copy, LogLevel.INFO, f"{adapter.kind}.attached", f"{attachment.filename} attached in {copy.connection.name}.")
