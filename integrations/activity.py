"""Reads for a connection's Activity page and its API: the sync log and the sync runs, filtered and paginated.

Built on SyncLogEntry and SyncRun (no second log). Each page costs the same few queries whatever its length: the
entries come with their run and document (select_related) and the provider's address of the copy they are about
(one subquery), and what to do about an error is worked out from the entry's own words (Provider.refusal_action).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import copy_advice
from .models import Connection, DocumentKind, LogLevel, RemoteDocument, SyncLogEntry, SyncRun

PAGE_SIZE = 50

KIND_COPIES = "copies"
KIND_PAYMENTS = "payments"
KIND_CONNECTION = "connection"
KIND_RUNS = "runs"
KINDS = (
    (KIND_COPIES, "Copies"),
    (KIND_PAYMENTS, "Payments"),
    (KIND_CONNECTION, "Connection"),
    (KIND_RUNS, "Sync runs"),
)
OUTCOMES = ((LogLevel.INFO, "Done"), (LogLevel.WARNING, "Warning"), (LogLevel.ERROR, "Error"))

# The document's own actions ("invoice.create", "bill.copy_failed", ...) and the contacts a copy sends to.
_COPY_PREFIXES = (*(f"{kind}." for kind in DocumentKind.values), "contact.")
_PAYMENT_PREFIX = "payment."


def _starts_with_any(prefixes) -> Q:
    condition = Q()
    for prefix in prefixes:
        condition |= Q(action__startswith=prefix)
    return condition


def entry_kind(action: str) -> str:
    """Which Activity kind a log action belongs to."""
    if action.startswith(_COPY_PREFIXES):
        return KIND_COPIES
    if action.startswith(_PAYMENT_PREFIX):
        return KIND_PAYMENTS
    return KIND_CONNECTION


@dataclass(frozen=True)
class ActivityFilters:
    """The page's filters, cleaned: every value is one the page offers, or empty."""

    kind: str = ""
    outcome: str = ""
    since: date | None = None
    until: date | None = None
    document: str = ""  # a document's number (or an expense's description), in part

    @classmethod
    def from_query(cls, query) -> ActivityFilters:
        """From request.GET (or the API's query): ValidationError naming each value that is not one we offer."""
        errors = {}
        kind = query.get("kind", "").strip()
        if kind and kind not in dict(KINDS):
            errors["kind"] = f"Choose one of: {', '.join(dict(KINDS))}."
        outcome = query.get("outcome", "").strip()
        if outcome and outcome not in dict(OUTCOMES):
            errors["outcome"] = f"Choose one of: {', '.join(dict(OUTCOMES))}."
        dates = {}
        for name in ("since", "until"):
            value = query.get(name, "").strip()
            try:
                dates[name] = date.fromisoformat(value) if value else None
            except ValueError:
                errors[name] = "Enter a date as YYYY-MM-DD."
        if errors:
            raise ValidationError(errors)
        document = query.get("document", "").strip()[:100]
        return cls(kind=kind, outcome=outcome, document=document, **dates)

    @property
    def any(self) -> bool:
        return bool(self.kind or self.outcome or self.since or self.until or self.document)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _dated(queryset: QuerySet, field: str, filters: ActivityFilters) -> QuerySet:
    if filters.since:
        queryset = queryset.filter(**{f"{field}__gte": _day_start(filters.since)})
    if filters.until:
        queryset = queryset.filter(**{f"{field}__lt": _day_start(filters.until) + timedelta(days=1)})
    return queryset


def _remote_url() -> Coalesce:
    """The provider's address of the copy an entry is about: the copy with the entry's remote id, else the
    document's latest copy on the connection."""
    copies = RemoteDocument.objects.filter(connection_id=OuterRef("connection_id")).exclude(remote_url="")
    by_remote_id = copies.filter(remote_id=OuterRef("remote_id")).exclude(remote_id="")
    latest = copies.filter(is_latest=True)
    return Coalesce(
        Subquery(by_remote_id.order_by("-id").values("remote_url")[:1]),
        Subquery(latest.filter(invoice_id=OuterRef("invoice_id")).values("remote_url")[:1]),
        Subquery(latest.filter(expense_id=OuterRef("expense_id")).values("remote_url")[:1]),
        Subquery(latest.filter(purchase_order_id=OuterRef("purchase_order_id")).values("remote_url")[:1]),
    )


def activity_entries(*, connection: Connection, filters: ActivityFilters) -> QuerySet[SyncLogEntry]:
    """The connection's log (without the raw HTTP lines, which are for support in the admin), newest first."""
    entries = SyncLogEntry.objects.filter(
        connection=connection, organization_id=connection.organization_id, is_http_call=False
    )
    if filters.kind == KIND_COPIES:
        entries = entries.filter(_starts_with_any(_COPY_PREFIXES))
    elif filters.kind == KIND_PAYMENTS:
        entries = entries.filter(action__startswith=_PAYMENT_PREFIX)
    elif filters.kind == KIND_CONNECTION:
        entries = entries.exclude(_starts_with_any((*_COPY_PREFIXES, _PAYMENT_PREFIX)))
    if filters.outcome:
        entries = entries.filter(level=filters.outcome)
    if filters.document:
        entries = entries.filter(
            Q(invoice__number__icontains=filters.document)
            | Q(purchase_order__number__icontains=filters.document)
            | Q(expense__description__icontains=filters.document)
        )
    entries = _dated(entries, "created_at", filters)
    return (
        entries.select_related("run", "invoice", "expense", "purchase_order")
        .annotate(remote_url=_remote_url())
        .order_by("-created_at", "-id")
    )


def activity_runs(*, connection: Connection, filters: ActivityFilters) -> QuerySet[SyncRun]:
    """The connection's sync runs (they outlive their entries: retention prunes only entries), newest first."""
    runs = SyncRun.objects.filter(connection=connection)
    if filters.outcome == LogLevel.ERROR:
        runs = runs.filter(outcome__in=["failed", "partial"])
    elif filters.outcome == LogLevel.INFO:
        runs = runs.filter(outcome="succeeded")
    elif filters.outcome == LogLevel.WARNING:
        runs = runs.filter(outcome__in=["skipped", "running"])
    return _dated(runs, "started_at", filters).order_by("-started_at", "-id")


def activity_page(*, connection: Connection, filters: ActivityFilters, page_number=1, page_size=PAGE_SIZE) -> Page:
    """One page of entries, or of runs when the kind filter asks for runs (an out-of-range page is the last)."""
    if filters.kind == KIND_RUNS:
        rows = activity_runs(connection=connection, filters=filters)
    else:
        rows = activity_entries(connection=connection, filters=filters)
    return Paginator(rows, page_size).get_page(page_number)


def document_of(entry: SyncLogEntry):
    """The invoice, expense or purchase order an entry is about (already loaded), or None."""
    return entry.invoice or entry.expense or entry.purchase_order


DEFAULT_ACTIONS = {
    KIND_COPIES: "Correct it and copy again (Needs attention: retry).",
    KIND_PAYMENTS: "Fix the cause (in the accounting tool or here), then retry it under Needs attention.",
    KIND_CONNECTION: "",
}


def what_to_do(entry: SyncLogEntry, provider) -> str:
    """For an error: the provider's advice for words it recognises, else the general next step of its kind."""
    if entry.level != LogLevel.ERROR:
        return ""
    kind = entry_kind(entry.action)
    advice = provider.refusal_action([entry.message], "copy") if provider and kind == KIND_COPIES else ""
    return advice or DEFAULT_ACTIONS[kind]


def what_to_do_for_copy(copy: RemoteDocument, provider) -> str:
    """The next step for a failed copy (Needs attention): the provider's advice for its words, else ours."""
    if copy.status == "pending":
        return "We can't tell whether it arrived. Retry: it is looked up first, never duplicated."
    if not copy.error_refused:  # a lost grant's failure shows once reconnected
        return "Nothing to correct: it did not get through. Retry it."
    return copy_advice.provider_advice(copy, provider, "copy") or DEFAULT_ACTIONS[KIND_COPIES]
