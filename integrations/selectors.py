"""Reads for the invoice panel, the copy prompt, the bulk copy and the API. Every query is scoped to an organization."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When

from billing.models import Invoice, Organization

from . import copy_advice, registry
from .models import (
    Connection,
    ConnectionStatus,
    CopyStatus,
    RemoteDocument,
    RemotePayment,
    SyncKind,
    SyncLogEntry,
    SyncOutcome,
    SyncRun,
)
from .providers.base import COPY_INVOICE

PANEL_LOG_ENTRIES = 8


def _copy_provider_keys(organization: Organization) -> list[str]:
    return [
        provider.key
        for provider in registry.configured()
        if COPY_INVOICE in provider.capabilities and provider.allows(organization, COPY_INVOICE)
    ]


def copy_providers(*, organization: Organization) -> list:
    """The configured providers this organization may copy invoices to (for buttons and labels)."""
    keys = set(_copy_provider_keys(organization))
    return [provider for provider in registry.configured() if provider.key in keys]


def connection_list(*, organization: Organization) -> QuerySet[Connection]:
    return Connection.objects.filter(organization=organization).select_related("subsidiary")


def connection_get(*, organization: Organization, pk) -> Connection:
    """The organization's connection (another organization's → Connection.DoesNotExist, i.e. a 404)."""
    return connection_list(organization=organization).get(pk=pk)


def copy_connections_for_invoice(*, invoice: Invoice) -> list[Connection]:
    """Active connections of the invoice's subsidiary whose provider copies invoices (configured, plan allows)."""
    return list(
        Connection.objects.filter(
            organization_id=invoice.organization_id,
            subsidiary_id=invoice.subsidiary_id,
            status=ConnectionStatus.ACTIVE,
            provider__in=_copy_provider_keys(invoice.organization),
        ).order_by("provider", "name", "pk")
    )


def copy_connections_by_subsidiary(*, organization: Organization, subsidiary_ids) -> dict[int, list[Connection]]:
    """For the bulk copy: each subsidiary's active copy connections, in one query."""
    result: dict[int, list[Connection]] = {}
    connections = Connection.objects.filter(
        organization=organization,
        subsidiary_id__in=set(subsidiary_ids),
        status=ConnectionStatus.ACTIVE,
        provider__in=_copy_provider_keys(organization),
    ).order_by("provider", "name", "pk")
    for connection in connections:
        result.setdefault(connection.subsidiary_id, []).append(connection)
    return result


def connection_warnings_for_invoice(*, invoice: Invoice) -> list[Connection]:
    """Connections of the invoice's subsidiary that need attention (reconnect or error)."""
    return list(
        Connection.objects.filter(
            organization_id=invoice.organization_id,
            subsidiary_id=invoice.subsidiary_id,
            status__in=[ConnectionStatus.NEEDS_RECONNECT, ConnectionStatus.ERROR],
        ).order_by("provider", "name")
    )


def document_copy_list(*, document) -> QuerySet[RemoteDocument]:
    """A document's remote documents (every attempt, every connection), whatever its kind."""
    # Through the related manager, so each copy's document is this instance (total_mismatch costs no query).
    return document.copies.filter(organization_id=document.organization_id).select_related("connection")


def invoice_copy_list(*, invoice: Invoice) -> QuerySet[RemoteDocument]:
    return document_copy_list(document=invoice)


def latest_copies_by_connection(*, invoice: Invoice) -> dict[int, RemoteDocument]:
    """The copy each connection shows: the latest successful one, else the newest attempt."""
    result: dict[int, RemoteDocument] = {}
    for copy in invoice_copy_list(invoice=invoice).order_by("-is_latest", "-created_at", "-id"):
        result.setdefault(copy.connection_id, copy)
    return result


def _panel_copies(invoice: Invoice) -> tuple[dict[int, RemoteDocument], dict[int, RemoteDocument]]:
    """In one query: each connection's shown copy (as latest_copies_by_connection) and its newest attempt."""
    shown: dict[int, RemoteDocument] = {}
    newest: dict[int, RemoteDocument] = {}
    for copy in invoice_copy_list(invoice=invoice).order_by("-created_at", "-id"):
        newest.setdefault(copy.connection_id, copy)
        if copy.is_latest:
            shown[copy.connection_id] = copy
    return {**newest, **shown}, newest


class AccountingState:
    """Where an invoice stands in the accounting tools (the invoice list's column and filter)."""

    NOT_COPIED = "not_copied"
    COPIED = "copied"
    FAILED = "failed"
    WAITING = "waiting"
    UPDATED = "updated"
    CHOICES = (
        (NOT_COPIED, "Not copied"),
        (COPIED, "Copied"),
        (FAILED, "Copy failed"),
        (WAITING, "Waiting on the provider's limit"),
        (UPDATED, "Updated since copied"),
    )
    LABELS = dict(CHOICES)


def _newest_attempts(status: str) -> QuerySet[RemoteDocument]:
    """The invoice's attempts in `status` that are their connection's newest (what the panel shows)."""
    newer = RemoteDocument.objects.filter(
        invoice_id=OuterRef("invoice_id"), connection_id=OuterRef("connection_id")
    ).filter(Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id")))
    return RemoteDocument.objects.filter(invoice_id=OuterRef("pk"), status=status).filter(~Exists(newer))


def invoices_with_accounting_state(invoices: QuerySet[Invoice]) -> QuerySet[Invoice]:
    """Annotate `accounting_state` (an AccountingState value) with subqueries: no query per row.

    A connection's newest attempt that failed or waits wins (it needs someone's attention); else "updated" when
    the invoice changed after a latest successful copy, "copied" when it has one, else "not copied".
    """
    latest_success = RemoteDocument.objects.filter(
        invoice_id=OuterRef("pk"), is_latest=True, status=CopyStatus.SUCCEEDED
    )
    return invoices.annotate(
        accounting_state=Case(
            When(Exists(_newest_attempts(CopyStatus.FAILED)), then=Value(AccountingState.FAILED)),
            When(Exists(_newest_attempts(CopyStatus.WAITING)), then=Value(AccountingState.WAITING)),
            When(
                Exists(latest_success.filter(updated_at__lt=OuterRef("content_changed_at"))),
                then=Value(AccountingState.UPDATED),
            ),
            When(Exists(latest_success), then=Value(AccountingState.COPIED)),
            default=Value(AccountingState.NOT_COPIED),
        )
    )


def invoice_log(*, invoice: Invoice, limit: int = PANEL_LOG_ENTRIES) -> list[SyncLogEntry]:
    return list(
        SyncLogEntry.objects.filter(
            invoice=invoice, organization_id=invoice.organization_id, is_http_call=False
        ).select_related("connection")[:limit]
    )


def invoice_panel(*, invoice: Invoice) -> dict:
    """Everything the invoice page's integrations panel shows."""
    connections = copy_connections_for_invoice(invoice=invoice)
    latest, newest = _panel_copies(invoice)
    return {
        "invoice": invoice,
        "rows": [copy_advice.panel_row(c, latest.get(c.pk), newest.get(c.pk), "copy") for c in connections],
        "other_copies": [copy for pk, copy in latest.items() if pk not in {c.pk for c in connections}],
        "warnings": connection_warnings_for_invoice(invoice=invoice),
        "log": invoice_log(invoice=invoice),
    }


def sync_run_list(*, organization: Organization, connection_id=None) -> QuerySet[SyncRun]:
    runs = SyncRun.objects.filter(connection__organization=organization).select_related("connection")
    if connection_id is not None:
        runs = runs.filter(connection_id=connection_id)
    return runs


def latest_payment_sync_run_id(*, connection) -> int:
    """The id of the connection's newest payment SyncRun (0 without one): runs after it are newer."""
    return (
        SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


def payment_sync_run_after(*, connection, after: int) -> SyncRun | None:
    """The connection's first payment SyncRun newer than the run id `after` that really ran: one skipped because
    another held the connection handed its request on to the run after that one (tasks.payments_sync_connection)."""
    runs = SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS, id__gt=after)
    return runs.exclude(outcome=SyncOutcome.SKIPPED).order_by("id").first()


@dataclass
class BulkCopyRow:
    invoice: Invoice
    state: str  # "done", "failed", "waiting", "queued"
    detail: str = ""

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


@dataclass(frozen=True)
class BulkCopyCounts:
    """A bulk copy's progress: how many copies are done, failed, waiting for the provider, or still queued."""

    done: int = 0
    failed: int = 0
    waiting: int = 0
    queued: int = 0

    @property
    def total(self) -> int:
        return self.done + self.failed + self.waiting + self.queued

    @property
    def finished(self) -> bool:
        return self.waiting == 0 and self.queued == 0

    @property
    def percent(self) -> int:
        """The share finished (done or failed), 0-100."""
        return round(100 * (self.done + self.failed) / self.total) if self.total else 100


def bulk_copy_counts(rows: list[BulkCopyRow]) -> BulkCopyCounts:
    states = [row.state for row in rows]
    return BulkCopyCounts(*(states.count(state) for state in ("done", "failed", "waiting", "queued")))


def bulk_copy_progress(*, organization: Organization, invoice_ids, since) -> list[BulkCopyRow]:
    """How the copies of a bulk copy queued at `since` are doing, one row per invoice of the organization: done,
    failed with the reason (the provider's refusal, or a refusal before sending), waiting, or still queued."""
    invoices = Invoice.objects.filter(organization=organization, pk__in=invoice_ids).order_by("pk")
    copies: dict[int, RemoteDocument] = {}
    for copy in RemoteDocument.objects.filter(invoice__in=invoices, updated_at__gte=since).order_by("updated_at", "id"):
        copies[copy.invoice_id] = copy  # the newest attempt of this batch
    refusals: dict[int, str] = {}
    entries = SyncLogEntry.objects.filter(invoice__in=invoices, action="invoice.copy_refused", created_at__gte=since)
    for entry in entries.order_by("created_at", "id"):
        refusals[entry.invoice_id] = entry.message
    rows = []
    for invoice in invoices:
        copy = copies.get(invoice.pk)
        if copy is not None and copy.status == CopyStatus.SUCCEEDED:
            rows.append(BulkCopyRow(invoice, "done", copy.remote_number))
        elif copy is not None and copy.status == CopyStatus.FAILED:
            rows.append(BulkCopyRow(invoice, "failed", copy.error))
        elif invoice.pk in refusals:
            rows.append(BulkCopyRow(invoice, "failed", refusals[invoice.pk]))
        elif copy is not None and copy.status == CopyStatus.WAITING:
            rows.append(
                BulkCopyRow(invoice, "waiting", f"{copy.waiting_until:%H:%M:%S} UTC" if copy.waiting_until else "")
            )
        else:
            rows.append(BulkCopyRow(invoice, "queued"))
    return rows


def payment_sync_connections() -> QuerySet[Connection]:
    """Connections the scheduled payment sync polls (the task re-checks each one before running)."""
    return Connection.objects.filter(
        status=ConnectionStatus.ACTIVE, payment_sync_enabled_at__isnull=False, settings__sync_payments=True
    )


def used_tax_rate_ids(connection) -> set[int]:
    """The tax rates on lines of the connection's subsidiary's invoices: the ones a copy will need mapped."""
    from billing.models import InvoiceLine

    return set(
        InvoiceLine.objects.filter(
            invoice__subsidiary_id=connection.subsidiary_id, invoice__organization_id=connection.organization_id
        )
        .exclude(tax_rate=None)
        .values_list("tax_rate_id", flat=True)
        .distinct()
    )


def recorded_remote_payment_ids(*, connection) -> set[str]:
    """The remote payment ids whose allocations this connection still mirrors as live payments of ours: what a
    provider's full re-sync (QuickBooks past its 30-day change window) diffs against to find deletions."""
    return set(
        RemotePayment.objects.filter(connection=connection)
        .filter(Q(payment__is_deleted=False) | Q(expense_payment__is_deleted=False))
        .values_list("remote_id", flat=True)
        .distinct()
    )


def documents_with_mirrored_payments(*, connection, remote_ids) -> bool:
    """Whether any of these remote documents carries a payment this connection mirrors (deleted ones included:
    a restore also needs the deletion feed)."""
    return RemotePayment.objects.filter(connection=connection, remote_invoice_id__in=list(remote_ids)).exists()


def provider_pdf_copy(*, invoice: Invoice) -> RemoteDocument | None:
    """The latest live copy of the invoice whose connection's setup makes the provider the maker of its PDF
    (DocumentMapper.pdf_from_provider): "Download PDF" then serves that provider's PDF. None: the PDF is ours."""
    copies = (
        RemoteDocument.objects.filter(
            invoice=invoice,
            organization_id=invoice.organization_id,
            status=CopyStatus.SUCCEEDED,
            is_latest=True,
            remote_voided_at__isnull=True,
            superseded_at__isnull=True,
            connection__removed_at__isnull=True,
        )
        .exclude(remote_id="")
        .exclude(connection__status=ConnectionStatus.DISCONNECTED)
        .select_related("connection")
        .order_by("-created_at", "-pk")
    )
    for copy in copies:
        try:
            provider = registry.get(copy.connection.provider)
        except KeyError:
            continue
        mapper = provider.mapper()
        if mapper is not None and copy.kind in mapper.kinds and mapper.pdf_from_provider(copy.connection, copy.kind):
            return copy
    return None
