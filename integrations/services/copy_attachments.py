"""After a copy succeeded: the document's file (an expense's receipt: DocumentAdapter.attachment) attached to it in
the provider (AccountingApi.attach_file). A failure never undoes the copy: it is logged on the document (the
provider's words), and the next update attaches the file again."""

from __future__ import annotations

from contextlib import nullcontext

from ..connection_state import connection_pause
from ..documents import adapter_of
from ..exceptions import IntegrationError, ThrottledError
from ..models import LogLevel, RemoteDocument
from .invoice_copy import _log, copy_error_text


def copy_attach_files(api, copy: RemoteDocument, document) -> bool:
    """Attach the document's file (an expense's receipt) to its copy; a failure is logged on the document and the
    copy stays (it is attached again with the next update). True when a file was sent."""
    adapter = adapter_of(document)
    attachment = adapter.attachment(document)
    if attachment is None:
        return False
    binding = api.bind(**adapter.bind(document)) if hasattr(api, "bind") else nullcontext()
    try:
        with binding:
            api.attach_file(
                adapter.kind,
                copy.remote_id,
                filename=attachment.filename,
                content=attachment.content,
                content_type=attachment.content_type,
                idempotency_key=f"attach-{copy.idempotency_key}",
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
        return True
    _log(copy, LogLevel.INFO, f"{adapter.kind}.attached", f"{attachment.filename} attached in {copy.connection.name}.")
    return True
