"""Reads for Needs attention: what failed on a connection and can be acted on, and the counts the marketplace
card and the settings navigation show. Actions live in services.attention.

Three groups, each read from what the engine already records (no second store):
- copies that failed: a document's newest attempt on the connection failed, or ended with its outcome unknown,
  and nobody ignored it (a later successful or running attempt resolves it by itself);
- payments that could not be applied: PendingPaymentChange rows not dismissed (every sync retries them);
- the connection itself when it needs reconnecting;
- and, counted (listed on the Reconciliation tab), the open mismatches of its latest reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from billing.models import Organization

from .models import Connection, ConnectionStatus, CopyStatus, PendingPaymentChange, RemoteDocument
from .reconciliation import open_mismatches, open_mismatches_all

RECONNECT_STATUSES = (ConnectionStatus.NEEDS_RECONNECT, ConnectionStatus.ERROR)


def _newer_attempt() -> QuerySet[RemoteDocument]:
    """Attempts of the same document on the same connection made after the outer one."""
    same_document = (
        Q(invoice_id=OuterRef("invoice_id"))
        | Q(expense_id=OuterRef("expense_id"))
        | Q(purchase_order_id=OuterRef("purchase_order_id"))
    )
    return RemoteDocument.objects.filter(
        same_document, connection_id=OuterRef("connection_id"), kind=OuterRef("kind")
    ).filter(Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), id__gt=OuterRef("id")))


def failed_copies_all() -> QuerySet[RemoteDocument]:
    """Every connection's failed copies needing attention (scope it: failed_copies, attention_counts)."""
    unresolved = Q(status=CopyStatus.FAILED) | Q(status=CopyStatus.PENDING, outcome_unknown=True)
    return RemoteDocument.objects.filter(unresolved, ignored_at=None).filter(~Exists(_newer_attempt()))


def failed_copies(*, connection: Connection) -> QuerySet[RemoteDocument]:
    return (
        failed_copies_all()
        .filter(connection=connection, organization_id=connection.organization_id)
        .select_related("invoice", "expense", "purchase_order")
        .order_by("created_at", "id")
    )


def failed_copy_get(*, connection: Connection, pk) -> RemoteDocument:
    """One failed copy of the connection still needing attention (else RemoteDocument.DoesNotExist: a 404)."""
    return failed_copies(connection=connection).get(pk=pk)


def unapplied_payments_all() -> QuerySet[PendingPaymentChange]:
    return PendingPaymentChange.objects.filter(dismissed_at=None)


def unapplied_payments(*, connection: Connection) -> QuerySet[PendingPaymentChange]:
    return unapplied_payments_all().filter(connection=connection).order_by("created_at", "id")


def unapplied_payment_get(*, connection: Connection, pk) -> PendingPaymentChange:
    return unapplied_payments(connection=connection).get(pk=pk)


@dataclass
class Attention:
    connection: Connection
    copies: list[RemoteDocument] = field(default_factory=list)
    payments: list[PendingPaymentChange] = field(default_factory=list)
    mismatches: int = 0  # open reconciliation mismatches (integrations.reconciliation)

    @property
    def needs_reconnect(self) -> bool:
        return self.connection.status in RECONNECT_STATUSES

    @property
    def count(self) -> int:
        return len(self.copies) + len(self.payments) + self.mismatches + int(self.needs_reconnect)


def attention_for(*, connection: Connection) -> Attention:
    return Attention(
        connection=connection,
        copies=list(failed_copies(connection=connection)),
        payments=list(unapplied_payments(connection=connection)),
        mismatches=open_mismatches(connection=connection).count(),
    )


def _count_per_connection(queryset: QuerySet):
    counted = queryset.filter(connection_id=OuterRef("pk")).order_by().values("connection_id")
    return Coalesce(Subquery(counted.annotate(n=Count("pk")).values("n")[:1]), 0, output_field=IntegerField())


def attention_counts(*, organization: Organization) -> dict[int, int]:
    """Items needing attention per listed, live connection of the organization (0 omitted), in one query."""
    connections = (
        Connection.objects.filter(organization=organization, removed_at=None)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .annotate(
            failed_copies=_count_per_connection(failed_copies_all()),
            unapplied_payments=_count_per_connection(unapplied_payments_all()),
            open_mismatches=_count_per_connection(open_mismatches_all()),
        )
        .values_list("pk", "status", "failed_copies", "unapplied_payments", "open_mismatches")
    )
    counts = {}
    for pk, status, copies, payments, mismatches in connections:
        total = copies + payments + mismatches + int(status in RECONNECT_STATUSES)
        if total:
            counts[pk] = total
    return counts
