"""Which of our documents a remote payment pays, and the payment model it becomes there: the one seam between
the payment feed and billing.

The documents are our copies that are paid (RemoteDocument): invoices, whose payments are billing's Payment, and
bills (our expenses), whose payments are ExpensePayment, all written through billing.services. One feed page
carries both (Xero's GET /Payments pays ACCREC and ACCPAY invoices alike): a payment on a bill we sent becomes an
expense payment, one on an invoice we copied an invoice payment. The copies of a connection are read once per run
(one query for both kinds), so matching costs no query per record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from billing.choices import InvoiceStatus, PaymentSource, PaymentStatus
from billing.models import Expense, ExpensePayment, Invoice, Payment
from billing.services import (
    ReportedPayment,
    expense_payment_delete,
    expense_payment_record,
    expense_payment_restore,
    expense_payment_update,
    payment_delete,
    payment_record,
    payment_restore,
    payment_update,
    payments_record_reported,
)

from ..models import DOCUMENT_FIELDS, Connection, CopyStatus, DocumentKind, RemoteDocument, RemotePayment
from ..providers.base import PaymentAllocation
from .document_statuses import FINAL_STATUSES


@dataclass(frozen=True)
class Target:
    """One of our documents as the provider knows it."""

    document_id: int  # our invoice (or expense, for a bill)
    remote_document_id: str
    # When another copy first replaced this remote document (None: it is the latest copy).
    superseded_at: datetime | None = None
    remote_number: str = ""
    order: int = 0  # the copy's id: the order in which remainder runs go round the open documents
    kind: str = DocumentKind.INVOICE

    @property
    def log_fields(self) -> dict:
        """SyncLogEntry fields pointing at our document: {"invoice_id": 5} or {"expense_id": 7}."""
        return {f"{DOCUMENT_FIELDS[self.kind]}_id": self.document_id}

    @property
    def payment_field(self) -> str:
        """The RemotePayment field of the payment it becomes."""
        return "expense_payment" if self.kind == DocumentKind.BILL else "payment"


PAID_KINDS = (DocumentKind.INVOICE, DocumentKind.BILL)


def payment_log_fields(payment) -> dict:
    """SyncLogEntry fields pointing at the document a payment of ours is on."""
    if isinstance(payment, ExpensePayment):
        return {"expense_id": payment.expense_id}
    return {"invoice_id": payment.invoice_id}


class PaymentTargets:
    """Our paid documents' copies on one connection (invoices and bills), matched by remote id or, where the
    provider gives only that, by number (a number two copies share matches neither)."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.source = connection.provider if connection.provider in PaymentSource.values else PaymentSource.MANUAL
        self._by_id: dict[str, Target] = {}
        self._by_number: dict[str, Target | None] = {}
        self.status_kinds: set[str] = set()  # kinds with open copies whose provider status is read back
        self._load()

    def _load(self) -> None:
        earliest: dict[str, datetime | None] = {}
        invoice_of: dict[str, tuple[str, int]] = {}
        number_of: dict[str, str] = {}
        latest: set[str] = set()
        # The same query tells which other kinds have copies whose status the run reads back (purchase orders).
        rows = RemoteDocument.objects.filter(connection=self.connection).exclude(remote_id="")
        for (
            remote_id,
            kind,
            invoice_id,
            expense_id,
            superseded_at,
            is_latest,
            number,
            status,
            remote_status,
        ) in rows.values_list(
            "remote_id",
            "kind",
            "invoice_id",
            "expense_id",
            "superseded_at",
            "is_latest",
            "remote_number",
            "status",
            "remote_status",
        ):
            if kind not in PAID_KINDS:
                if is_latest and status == CopyStatus.SUCCEEDED and remote_status not in FINAL_STATUSES:
                    self.status_kinds.add(kind)
                continue
            invoice_of[remote_id] = (kind, expense_id if kind == DocumentKind.BILL else invoice_id)
            number_of[remote_id] = number_of.get(remote_id) or number
            since = earliest.get(remote_id)
            if superseded_at and (since is None or superseded_at < since):
                since = superseded_at
            earliest[remote_id] = since
            if is_latest:
                latest.add(remote_id)
        for remote_id, (kind, document_id) in invoice_of.items():
            target = Target(
                kind=kind,
                document_id=document_id,
                remote_document_id=remote_id,
                superseded_at=None if remote_id in latest else earliest[remote_id],
                remote_number=number_of[remote_id],
            )
            self._by_id[remote_id] = target
            if target.remote_number:
                taken = target.remote_number in self._by_number
                self._by_number[target.remote_number] = None if taken else target

    def match(self, allocation: PaymentAllocation) -> Target | None:
        if allocation.document_id:
            return self._by_id.get(allocation.document_id)
        if allocation.document_number:
            return self._by_number.get(allocation.document_number.strip())
        return None

    def open_documents(self, *, after: int, limit: int, first: list[str]) -> list[Target]:
        """Up to `limit` latest copies whose remote remainder may still change what we recorded: `first` (kept
        for retry) ahead, then round the rest in copy order from `after`, wrapping to the start. A copy counts
        while its invoice is not fully paid, or for PAYMENTS_REMAINDER_WATCH_DAYS after the last payment derived on
        it by this connection (a remainder that grows again removes them); then a paid copy leaves the set, so a
        poll costs calls for the open copies only."""
        watched_since = timezone.localdate() - timedelta(days=settings.PAYMENTS_REMAINDER_WATCH_DAYS)
        derived = RemotePayment.objects.filter(
            connection=self.connection,
            remote_invoice_id=OuterRef("remote_id"),
            payment__is_deleted=False,
            payment__date__gte=watched_since,
        )
        copies = (
            RemoteDocument.objects.filter(
                connection=self.connection,
                kind=DocumentKind.INVOICE,
                is_latest=True,
                status=CopyStatus.SUCCEEDED,
                remote_voided_at__isnull=True,
                invoice__status=InvoiceStatus.FINALIZED,
            )
            .exclude(remote_id="")
            .filter(
                Q(invoice__payment_status__in=[PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID]) | Exists(derived)
            )
            .order_by("id")
        )
        fields = ("id", "remote_id", "invoice_id", "remote_number")
        chosen = list(copies.filter(remote_id__in=first).values_list(*fields)[:limit]) if first else []
        seen = {row[0] for row in chosen}
        for window in (copies.filter(id__gt=after), copies.filter(id__lte=after)):
            if len(chosen) >= limit:
                break
            for row in window.exclude(id__in=seen).values_list(*fields)[: limit - len(chosen)]:
                chosen.append(row)
                seen.add(row[0])
        return [
            Target(document_id=invoice_id, remote_document_id=remote_id, remote_number=number, order=copy_id)
            for copy_id, remote_id, invoice_id, number in chosen
        ]

    # --- the payment model ---------------------------------------------------------------------------------

    def record(
        self, target: Target, *, amount: Decimal, date: date, reference: str, currency: str, external_id: str
    ) -> Payment | ExpensePayment:
        if target.kind == DocumentKind.BILL:
            return expense_payment_record(
                expense=Expense(pk=target.document_id),
                amount=amount,
                date=date,
                reference=reference[:200],
                currency=currency or None,
                source=self.source,
                external_id=external_id,
            )
        return payment_record(
            invoice=Invoice(pk=target.document_id),
            amount=amount,
            date=date,
            reference=reference[:200],
            currency=currency or None,
            source=self.source,
            external_id=external_id,
        )

    def record_reported(self, items: list[tuple[Target, Decimal, object]]) -> list[Payment | ExpensePayment | None]:
        """New payments (target, amount, the provider's record) in bulk, invoices' and bills' apart; for each, its
        payment, or None where billing refuses it (record() says why)."""
        created: list[Payment | ExpensePayment | None] = [None] * len(items)
        for kind in PAID_KINDS:
            chosen = [(index, item) for index, item in enumerate(items) if item[0].kind == kind]
            if not chosen:
                continue
            payments = payments_record_reported(
                organization_id=self.connection.organization_id,
                parent_kind=DOCUMENT_FIELDS[kind],  # "invoice" or "expense"
                reported=[
                    ReportedPayment(
                        parent_id=target.document_id,
                        amount=amount,
                        date=record.date,
                        reference=record.reference,
                        currency=record.currency,
                        external_id=record.id,
                    )
                    for _, (target, amount, record) in chosen
                ],
                source=self.source,
            )
            for (index, _), payment in zip(chosen, payments, strict=True):
                created[index] = payment
        return created

    @staticmethod
    def update(payment, *, amount: Decimal, date: date, reference: str | None = None):
        update = expense_payment_update if isinstance(payment, ExpensePayment) else payment_update
        return update(
            payment=payment, amount=amount, date=date, reference=None if reference is None else reference[:200]
        )

    @staticmethod
    def remove(payment):
        return (expense_payment_delete if isinstance(payment, ExpensePayment) else payment_delete)(payment=payment)

    @staticmethod
    def restore(payment):
        return (expense_payment_restore if isinstance(payment, ExpensePayment) else payment_restore)(payment=payment)
