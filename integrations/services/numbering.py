"""Who numbers a subsidiary's invoices: this app, or the accounting tool of one of its connections.

The answer lives on the subsidiary (billing's InvoiceNumbering, read by invoice_finalize) and follows the
connections: a live (not disconnected) connection whose provider numbers invoices (set in its setup, declared by its
mapper: DocumentMapper.provider_numbers) owns the numbering; with none left, this app numbers again and the invoices
still waiting for the tool's number get ours at once. Issued numbers never change either way.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from billing.choices import InvoiceNumbering
from billing.models import Subsidiary
from billing.services import subsidiary_set_invoice_numbering

from .. import registry
from ..models import Connection, ConnectionStatus, DocumentKind


def _numbers(connection: Connection) -> bool:
    """The provider's mapper says (DocumentMapper.provider_numbers): the core reads no provider setting."""
    try:
        return registry.get(connection.provider).numbers_documents(connection, DocumentKind.INVOICE)
    except registry.ProviderNotFound:
        return False


def numbering_connection(*, subsidiary_id: int, exclude_pk=None) -> Connection | None:
    """The live connection that numbers this subsidiary's invoices, if any."""
    live = Connection.objects.filter(subsidiary_id=subsidiary_id).exclude(status=ConnectionStatus.DISCONNECTED)
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    return next((connection for connection in live.order_by("pk") if _numbers(connection)), None)


def numbering_check(*, connection: Connection, numbers_invoices: bool) -> None:
    """Refuse a second connection numbering the same subsidiary (the invoices would get two numbers)."""
    if not numbers_invoices:
        return
    owner = numbering_connection(subsidiary_id=connection.subsidiary_id, exclude_pk=connection.pk)
    if owner is not None:
        raise ValidationError(
            {"numbering": f"{owner.name} already numbers this subsidiary's invoices; only one connection can."}
        )


def subsidiary_numbering_refresh(*, subsidiary_id: int) -> int:
    """Make the subsidiary's numbering follow its live connections; returns how many waiting invoices got our
    number (when the numbering came back to this app)."""
    owned = numbering_connection(subsidiary_id=subsidiary_id) is not None
    numbering = InvoiceNumbering.ACCOUNTING_TOOL if owned else InvoiceNumbering.APP
    return subsidiary_set_invoice_numbering(subsidiary=Subsidiary(pk=subsidiary_id), numbering=numbering)
