"""Voiding our copies in the accounting tool: when our invoice is voided, and before "Create new" replaces one.

Our records refuse first (fast, nothing sent): a copy with payments recorded from it, an inactive connection.
Then the provider decides (the remote truth): it refuses an invoice with payments we have not synced yet, and
its words come back with what to do (Provider.refusal_action). A voided copy is marked (remote_voided_at) on
every attempt row of that remote invoice. Each void gets a fresh idempotency key (retries of that call reuse it):
a key's answer is replayed, so a refusal under a derived key would outlive the payment's removal; voiding twice
is harmless (AccountingApi.void_document: already voided is success).

Our invoice is voided first, in its own transaction (billing.services.invoice_void), and the remote copies after
it, outside any transaction: a copy the provider refuses stays there, and the result says so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone

from billing.choices import InvoiceStatus
from billing.models import Invoice
from billing.services import invoice_void

from .. import registry
from ..connection_state import connection_pause
from ..documents import adapter_for
from ..exceptions import IntegrationError, ThrottledError
from ..models import CopyStatus, LogLevel, RemoteDocument, RemotePayment
from ..synclog import document_log_fields, log


def copy_payments_total(copy: RemoteDocument) -> Decimal:
    """Active payments we recorded from this remote document (an invoice's or a bill's; rows from before the remote
    document was kept on a payment count for every copy of its document: the cautious reading)."""
    adapter = adapter_for(copy.kind)
    field = adapter.payment_field
    if not field:
        return Decimal("0.00")
    total = (
        RemotePayment.objects.filter(
            connection_id=copy.connection_id,
            **{f"{field}__{adapter.field}_id": getattr(copy, f"{adapter.field}_id"), f"{field}__is_deleted": False},
        )
        .filter(Q(remote_invoice_id=copy.remote_id) | Q(remote_invoice_id=""))
        .aggregate(total=Sum(f"{field}__amount"))["total"]
    )
    return total or Decimal("0.00")


def remote_void_refusal(copy: RemoteDocument) -> str:
    """Why our records already say this copy cannot be voided in the provider ("" when it may be tried)."""
    connection = copy.connection
    provider = registry.get(connection.provider)
    label = copy.remote_number or "The copy"
    if copy.remote_voided_at:
        return f"{label} is already voided in {provider.name}."
    if not connection.is_active:
        return f"{connection.name} is {connection.get_status_display().lower()}: reconnect it to void {label} there."
    paid = copy_payments_total(copy)
    if paid:
        return (
            f"{label} has payments in {provider.name} ({paid} {copy.document.currency}): it cannot be voided while "
            f"they are there. Remove the payment in {provider.name} first."
        )
    return ""


def copy_void_remote(copy: RemoteDocument, *, api=None) -> RemoteDocument:
    """Void one remote copy; ValidationError when our records refuse, the integrations.exceptions when the
    provider does (logged verbatim on the invoice by the client's write log)."""
    refusal = remote_void_refusal(copy)
    if refusal:
        raise ValidationError(refusal)
    connection = copy.connection
    api = api or registry.get(connection.provider).api(connection)
    adapter = adapter_for(copy.kind)
    try:
        with api.bind(**adapter.bind(copy.document)):
            remote = api.void_document(copy.kind, copy.remote_id, f"void-{uuid.uuid4()}")
    except ThrottledError as exc:
        connection_pause(connection, exc)
        raise
    now = timezone.now()
    RemoteDocument.objects.filter(connection_id=copy.connection_id, remote_id=copy.remote_id).update(
        remote_voided_at=now, updated_at=now
    )
    copy.remote_voided_at = now
    copy.remote_state = remote.state or copy.remote_state
    if remote.state:
        RemoteDocument.objects.filter(pk=copy.pk).update(remote_state=remote.state)
    state = (remote.status or "voided").lower()
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        **document_log_fields(copy),
        level=LogLevel.INFO,
        action=f"{copy.kind}.remote_voided",
        message=f"{connection.name} {adapter.label} {copy.remote_number or copy.remote_id} is {state} there now.",
        remote_id=copy.remote_id,
    )
    return copy


def live_copies(*, invoice: Invoice) -> list[RemoteDocument]:
    """The invoice's remote invoices not voided there: one row per remote invoice, the latest first."""
    rows = (
        RemoteDocument.objects.filter(invoice=invoice, status=CopyStatus.SUCCEEDED, remote_voided_at__isnull=True)
        .exclude(remote_id="")
        .select_related("connection", "invoice")
        .order_by("-is_latest", "-created_at", "-id")
    )
    seen, result = set(), []
    for copy in rows:
        if (copy.connection_id, copy.remote_id) not in seen:
            seen.add((copy.connection_id, copy.remote_id))
            result.append(copy)
    return result


@dataclass
class VoidOption:
    """A live copy as the void prompt offers it: voidable from here, or why it stays."""

    copy: RemoteDocument
    provider_name: str
    refusal: str = ""


def void_options(*, invoice: Invoice) -> list[VoidOption]:
    return [
        VoidOption(
            copy=copy, provider_name=registry.get(copy.connection.provider).name, refusal=remote_void_refusal(copy)
        )
        for copy in live_copies(invoice=invoice)
    ]


@dataclass
class VoidResult:
    invoice: Invoice
    voided: list[RemoteDocument] = field(default_factory=list)
    kept: list[tuple[RemoteDocument, object]] = field(default_factory=list)  # (copy, why: str or IntegrationError)


def invoice_void_with_copies(*, invoice: Invoice, void_copies: bool) -> VoidResult:
    """Void our invoice (if it is not void yet), then, when asked, its live copies in the accounting tools.
    Our refusal (ValidationError) changes nothing; a copy the provider refuses stays, and `kept` says why."""
    invoice = Invoice.objects.get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.VOID:
        invoice = invoice_void(invoice=invoice)
    result = VoidResult(invoice=invoice)
    for copy in live_copies(invoice=invoice):
        if not void_copies:
            result.kept.append((copy, ""))
            continue
        try:
            result.voided.append(copy_void_remote(copy))
        except ValidationError as exc:
            result.kept.append((copy, " ".join(exc.messages)))
        except IntegrationError as exc:
            result.kept.append((copy, exc))
    return result
