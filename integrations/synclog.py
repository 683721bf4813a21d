"""The per-record sync log: one way to write an entry, so every writer cuts its fields the same way.

`message` is what users read (the invoice page's sync log, which leaves out the HTTP write log's `is_http_call`
lines); `provider_response` is the provider's raw answer to a
failed call, for support staff in the Django admin only.
"""

from __future__ import annotations

from .models import SyncLogEntry

MESSAGE_MAX = 2000
PROVIDER_RESPONSE_MAX = 2000
_ACTION_MAX = SyncLogEntry._meta.get_field("action").max_length
_REMOTE_ID_MAX = SyncLogEntry._meta.get_field("remote_id").max_length


def log_entry(
    *,
    organization_id: int,
    connection_id: int,
    level: str,
    action: str,
    message: str,
    invoice_id: int | None = None,
    expense_id: int | None = None,
    purchase_order_id: int | None = None,
    run=None,
    remote_id: str = "",
    http_status: int | None = None,
    provider_response: str = "",
    is_http_call: bool = False,
) -> SyncLogEntry:
    """An unsaved entry (save it, or bulk_create several), its text cut to what the columns hold."""
    return SyncLogEntry(
        organization_id=organization_id,
        connection_id=connection_id,
        run=run,
        invoice_id=invoice_id,
        expense_id=expense_id,
        purchase_order_id=purchase_order_id,
        level=level,
        action=action[:_ACTION_MAX],
        message=message[:MESSAGE_MAX],
        remote_id=(remote_id or "")[:_REMOTE_ID_MAX],
        http_status=http_status,
        provider_response=(provider_response or "")[:PROVIDER_RESPONSE_MAX],
        is_http_call=is_http_call,
    )


def document_log_fields(copy) -> dict:
    """log() arguments pointing an entry at the document a RemoteDocument copies (its invoice, expense, PO)."""
    return {f"{copy.document_field}_id": getattr(copy, f"{copy.document_field}_id")}


def log(**fields) -> SyncLogEntry:
    entry = log_entry(**fields)
    entry.save()
    return entry


def log_for_connection(connection, level: str, action: str, message: str) -> SyncLogEntry:
    """An entry about a connection itself (connect, lists, revocation), not about one of its documents."""
    return log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=level,
        action=action,
        message=message,
    )
