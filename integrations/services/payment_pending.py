"""Payment changes kept for retry (PendingPaymentChange): one record that cannot be applied never blocks a
connection. It is logged once, kept with its error, and retried first by later runs; the same error again only
counts the attempt (a replay logs nothing new), and applying it, or a newer change of the same payment that
applies, removes the row. A change dismissed under Needs attention (services.attention) is not retried until a
newer change of the same payment replaces it.

Records are kept as JSON with Decimals and dates as strings, read back into the feed's DTOs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from ..models import PendingPaymentChange
from ..providers.base import PaymentAllocation, RemotePaymentRecord, RemoteRemainder

# At most this many kept changes are retried per run (the oldest tried first), so a long list costs one bounded
# batch per run, never a run's worth of queries per kept change.
RETRY_BATCH = 100
REMAINDER_PREFIX = "document:"


def _text(value) -> str | None:
    return None if value is None else str(value)


def record_to_json(record: RemotePaymentRecord) -> dict:
    return {
        "id": record.id,
        "allocations": [
            {"amount": str(a.amount), "document_id": a.document_id, "document_number": a.document_number}
            for a in record.allocations
        ],
        "currency": record.currency,
        "date": _text(record.date and record.date.isoformat()),
        "reference": record.reference,
        "deleted": record.deleted,
        "updated_at": _text(record.updated_at and record.updated_at.isoformat()),
    }


def record_from_json(data: dict) -> RemotePaymentRecord:
    return RemotePaymentRecord(
        id=data["id"],
        allocations=tuple(
            PaymentAllocation(
                amount=Decimal(a["amount"]),
                document_id=a.get("document_id", ""),
                document_number=a.get("document_number", ""),
            )
            for a in data.get("allocations", [])
        ),
        currency=data.get("currency", ""),
        date=date.fromisoformat(data["date"]) if data.get("date") else None,
        reference=data.get("reference", ""),
        deleted=bool(data.get("deleted")),
        updated_at=datetime.fromisoformat(data["updated_at"]) if data.get("updated_at") else None,
    )


def remainder_to_json(remainder: RemoteRemainder) -> dict:
    return {
        "document_id": remainder.document_id,
        "total": str(remainder.total),
        "remainder": str(remainder.remainder),
        "currency": remainder.currency,
    }


def remainder_key(document_id: str) -> str:
    """The kept row's remote_id for a remainder that could not be applied (its document, not a payment)."""
    return f"{REMAINDER_PREFIX}{document_id}"


@dataclass
class PendingBook:
    """The kept changes of one connection during one run: read once (their ids), then kept or cleared per record."""

    connection_id: int
    ids: set[str] = field(default_factory=set)
    _rows: dict[str, PendingPaymentChange] = field(default_factory=dict)

    @classmethod
    def load(cls, connection_id: int, *, any_kept: bool = True) -> PendingBook:
        """`any_kept=False` (the caller already knows there are none) saves the query."""
        if not any_kept:
            return cls(connection_id=connection_id)
        ids = set(PendingPaymentChange.objects.filter(connection_id=connection_id).values_list("remote_id", flat=True))
        return cls(connection_id=connection_id, ids=ids)

    def due(self) -> list[PendingPaymentChange]:
        """The kept changes this run retries first."""
        if not self.ids:
            return []
        # A dismissed change (Needs attention) is no longer retried.
        kept = PendingPaymentChange.objects.filter(connection_id=self.connection_id, dismissed_at=None)
        rows = list(kept[:RETRY_BATCH])
        self._rows.update({row.remote_id: row for row in rows})
        return rows

    def prefetch(self, remote_ids: list[str]) -> None:
        """Read the kept rows among a page's ids (no query when none of them is kept)."""
        wanted = [remote_id for remote_id in remote_ids if remote_id in self.ids and remote_id not in self._rows]
        if wanted:
            rows = PendingPaymentChange.objects.filter(connection_id=self.connection_id, remote_id__in=wanted)
            self._rows.update({row.remote_id: row for row in rows})

    def dismissed(self, remote_id: str, record: dict) -> bool:
        """This very change was dismissed under Needs attention (a newer change of the payment is not). No query:
        the kept rows of the batch are prefetched."""
        row = self._rows.get(remote_id)
        return row is not None and row.dismissed_at is not None and row.record == record

    def keep(self, remote_id: str, record: dict, error: str) -> bool:
        """Keep (or keep again) a change that failed; True when it is news worth a log entry (a first failure, or
        a different error than the kept one)."""
        if remote_id in self.ids and remote_id not in self._rows:
            self.prefetch([remote_id])
        row = self._rows.get(remote_id)
        now = timezone.now()
        if row is None:
            row = PendingPaymentChange.objects.create(
                connection_id=self.connection_id, remote_id=remote_id, record=record, error=error, last_tried_at=now
            )
            self._rows[remote_id] = row
            self.ids.add(remote_id)
            return True
        news = row.error != error
        changes = {"record": record, "error": error, "attempts": F("attempts") + 1, "last_tried_at": now}
        if row.record != record:  # a newer change of the payment: a dismissal of the older one no longer holds
            changes.update(dismissed_at=None, dismissed_by=None, dismissed_reason="")
            row.dismissed_at, row.dismissed_by_id, row.dismissed_reason = None, None, ""
        PendingPaymentChange.objects.filter(pk=row.pk).update(**changes)
        row.record, row.error = record, error
        return news

    def clear(self, remote_id: str) -> bool:
        """The change applied (or a newer one did): its kept row goes. True when there was one."""
        if remote_id not in self.ids:
            return False
        self.ids.discard(remote_id)
        self._rows.pop(remote_id, None)
        PendingPaymentChange.objects.filter(connection_id=self.connection_id, remote_id=remote_id).delete()
        return True
