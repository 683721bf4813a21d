"""The sending half of a batched export (document_export_batch): contacts, then documents, in the provider's
chunks, and the successes recorded together. Each element keeps its own result (the provider's verbatim error on
its own attempt only); a 429 stops the run and what was not sent waits (BatchStop)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..connection_state import connection_pause
from ..exceptions import IntegrationError, TerminalError, ThrottledError
from ..models import ContactLink, CopyStatus, LogLevel, RemoteDocument, SyncLogEntry
from ..providers.accounting_api import DocumentWrite
from ..providers.base import RemoteContact
from ..synclog import document_log_fields, log_entry
from .contact_links import contact_link_usable
from .copy_attachments import copy_attach_files
from .copy_outcomes import _fail, _log, _succeed
from .copy_totals import invoice_copy_total_check
from .export_checks import CopyContext

# A provider without batch endpoints gets at most this share of its per-window call budget from one run.
PACE_SHARE = 0.9


@dataclass
class Element:
    """One document of the batch and its attempt."""

    document: object
    copy: RemoteDocument
    look_up: bool = False
    context: CopyContext | None = None
    new: bool = False  # its attempt was started by this run (a mapping problem removes it again)


@dataclass
class BatchOutcome:
    """What became of each document (by pk): done, failed, waiting (until `waiting_until`), or refused before
    anything was saved or sent (the reason)."""

    done: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    waiting_until: datetime | None = None
    calls: int = 0  # provider calls made for the batch's writes


class BatchStop(Exception):
    """No more calls until `until` (the provider's Retry-After, or our pacing); `rest` waits for it."""

    def __init__(self, rest: list[Element], until: datetime):
        super().__init__()
        self.rest, self.until = rest, until


class Pace:
    """The run's call budget. A batch endpoint is one call a chunk; a provider without one gets at most
    PACE_SHARE of its rate_limit calls a run (one an element), so the limit is never met."""

    def __init__(self, provider, api):
        self.left: int | None = None
        self.window = timedelta(0)
        limits = api.batch_limits
        if provider.rate_limit and (limits.documents == 1 or limits.contacts == 1):
            calls, seconds = provider.rate_limit
            self.left, self.window = max(1, int(calls * PACE_SHARE)), timedelta(seconds=seconds)

    def chunk(self, limit: int) -> int:
        """How many elements the next chunk may take (0: the budget is spent)."""
        if self.left is None:
            return limit
        if self.left <= 0:
            return 0
        return limit if limit > 1 else self.left

    def spend(self, limit: int, elements: int) -> int:
        calls = 1 if limit > 1 else elements
        if self.left is not None:
            self.left -= calls
        return calls

    def stop(self, rest: list[Element]) -> BatchStop:
        return BatchStop(rest, timezone.now() + self.window)

    def fitting(self, groups: list[tuple[object, list[Element]]], *, ready: int, limits) -> int:
        """How many of the contact groups (company, its elements) this run can make the contacts of and still send
        their documents, with the `ready` elements' documents. A contact made for a document that must wait is
        paid for again by the next run (it is not remembered until a document reaches it): a run that spent its
        budget on contacts alone would leave every run the same work."""
        if self.left is None:
            return len(groups)
        documents, taken = ready, 0
        for _company, group in groups:
            documents += len(group)
            cost = self.calls(limits.contacts, taken + 1) + self.calls(limits.documents, documents)
            if cost > self.left:
                break
            taken += 1
        return taken

    @staticmethod
    def calls(limit: int, elements: int) -> int:
        return elements if limit <= 1 else -(-elements // limit)


def _fail_all(elements: list[Element], exc: IntegrationError, outcome: BatchOutcome) -> None:
    for element in elements:
        _fail(element.copy, exc)
        outcome.failed.append(element.document.pk)


# --- contacts -----------------------------------------------------------------------------------------------


def contacts_step(
    api, elements: list[Element], connection, outcome: BatchOutcome, pace: Pace
) -> tuple[list[Element], list[Element]]:
    """Each element's contact: the remembered one (one query for all), else one created for its company (one per
    company, in chunks of batch_limits.contacts). Returns the elements ready to send, and those left for the next
    run (a paced provider: contacts only for the documents this run can send, Pace.fitting); a refused contact
    fails its documents only. Nothing is remembered here (that waits for the provider to accept a document)."""
    if not elements:
        return [], []
    adapter = elements[0].context.adapter
    companies = {e.document.pk: adapter.company(e.document) for e in elements}
    links = {
        link.company_id: link
        for link in ContactLink.objects.filter(
            connection=connection, company_id__in={c.pk for c in companies.values()}, role=adapter.contact_role
        )
    }
    ready: list[Element] = []
    missing: dict[int, tuple[object, list[Element]]] = {}
    for element in elements:
        company = companies[element.document.pk]
        link = links.get(company.pk)
        if link is not None and contact_link_usable(connection, link):
            element.copy.contact_sent = RemoteContact(id=link.remote_id, name=link.remote_name)
            ready.append(element)
            continue
        if link is not None:
            _log(
                element.copy,
                LogLevel.WARNING,
                "contact.link_ignored",
                f"The contact remembered for {company} ({link.remote_id[:40]}) is not a contact id of "
                f"{connection.name}: a contact is made from the company instead.",
            )
        missing.setdefault(company.pk, (company, []))[1].append(element)
    groups = list(missing.values())
    fit = pace.fitting(groups, ready=len(ready), limits=api.batch_limits)
    later: list[Element] = []
    if fit < len(groups) and (ready or fit):  # else one group is more than a run: it goes as far as it can
        later = [e for _, group in groups[fit:] for e in group]
        groups = groups[:fit]
    limit = api.batch_limits.contacts
    start = 0
    while start < len(groups):
        size = pace.chunk(limit)
        if size == 0:
            raise pace.stop(ready + [e for _, group in groups[start:] for e in group] + later)
        chunk, start = groups[start : start + size], start + size
        results = api.create_contacts([(f"contact-{uuid.uuid4()}", company) for company, _ in chunk])
        outcome.calls += pace.spend(limit, len(chunk))
        throttle, unsent = None, []
        for (_company, group), result in zip(chunk, results, strict=True):
            if result.ok:
                for element in group:
                    element.copy.contact_sent = result.answer
                ready.extend(group)
            elif isinstance(result.error, ThrottledError):
                throttle = result.error
                unsent.extend(group)
            elif isinstance(result.error, TerminalError):  # the grant is dead: nothing more is sent
                _fail_all(
                    ready + unsent + group + [e for _, g in groups[start:] for e in g] + later, result.error, outcome
                )
                return [], []
            else:
                _fail_all(group, result.error, outcome)
        if throttle is not None:
            connection_pause(connection, throttle)
            raise BatchStop(ready + unsent + [e for _, g in groups[start:] for e in g] + later, connection.paused_until)
    return ready, later


# --- documents ----------------------------------------------------------------------------------------------


def _payload(element: Element) -> dict:
    context, copy = element.context, element.copy
    return context.mapper.payload(
        context.adapter.kind,
        element.document,
        context.lines,
        context.mappings,
        contact_id=copy.contact_sent.id,
        number=copy.remote_number or "",  # a create: its number, or "" (the provider numbers it)
    )


def documents_step(api, elements: list[Element], connection, outcome: BatchOutcome, pace: Pace) -> None:
    """Create the documents in chunks of batch_limits.documents (AccountingApi.create_documents), each element
    carrying its attempt's idempotency key."""
    if not elements:
        return
    kind = elements[0].context.adapter.kind
    limit = api.batch_limits.documents
    start = 0
    while start < len(elements):
        size = pace.chunk(limit)
        if size == 0:
            raise pace.stop(elements[start:])
        chunk, start = elements[start : start + size], start + size
        results = api.create_documents(kind, [DocumentWrite(e.copy.idempotency_key, _payload(e)) for e in chunk])
        outcome.calls += pace.spend(limit, len(chunk))
        by_key = {result.key: result for result in results}
        accepted, throttle, unsent, dead = [], None, [], None
        for element in chunk:
            result = by_key[element.copy.idempotency_key]
            if result.ok:
                accepted.append((element, result.answer))
            elif isinstance(result.error, ThrottledError):
                throttle = result.error
                unsent.append(element)
            else:  # the provider's refusal (verbatim on this attempt only), an unknown outcome (pending), a dead grant
                dead = result.error if isinstance(result.error, TerminalError) else dead
                _fail_all([element], result.error, outcome)
        succeed_many(accepted, connection, outcome, api)
        if dead is not None:
            _fail_all(elements[start:], dead, outcome)
            return
        if throttle is not None:
            connection_pause(connection, throttle)
            raise BatchStop(unsent + elements[start:], connection.paused_until)


# --- successes ----------------------------------------------------------------------------------------------


def _needs_own_success(element: Element, connection) -> bool:
    """What the shared success does not do: take the provider's number, attach our PDF or the document's file (a
    receipt: one call more for that document)."""
    context = element.context
    kind = context.adapter.kind
    takes_number = context.provider_numbers and not context.adapter.number(element.document)
    attaches = context.mapper.attaches_our_pdf(connection, kind) or bool(_has_attachment(element))
    return takes_number or attaches


def _has_attachment(element: Element) -> bool:
    return bool(getattr(element.document, "receipt", None))


SUCCESS_FIELDS = [
    "status",
    "remote_id",
    "remote_number",
    "remote_url",
    "remote_version",
    "remote_state",
    "remote_status",
    "remote_total",
    "is_latest",
    "error",
    "error_kind",
    "outcome_unknown",
    "waiting_until",
    "updated_at",
]


def succeed_many(accepted: list[tuple[Element, object]], connection, outcome: BatchOutcome, api=None) -> None:
    """copy_outcomes._succeed for a chunk, in a few queries: each attempt becomes its document's latest copy (the
    earlier ones lose is_latest and are superseded), its contact is remembered, the copy is logged."""
    plain = []
    for element, remote in accepted:
        if _needs_own_success(element, connection):
            _succeed(element.copy, remote, "created", element.document, element.context)
            if api is not None:
                outcome.calls += copy_attach_files(api, element.copy, element.document)
            outcome.done.append(element.document.pk)
        else:
            plain.append((element, remote))
    if not plain:
        return
    adapter = plain[0][0].context.adapter
    pks = [element.document.pk for element, _ in plain]
    copies = [element.copy for element, _ in plain]
    now = timezone.now()
    mismatched = []
    with transaction.atomic():
        list(adapter.model.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))
        others = RemoteDocument.objects.filter(connection=connection, **{f"{adapter.field}_id__in": pks}).exclude(
            pk__in=[copy.pk for copy in copies]
        )
        others.filter(is_latest=True).update(is_latest=False)
        others.filter(superseded_at__isnull=True).exclude(remote_id="").update(superseded_at=now)
        entries = []
        for element, remote in plain:
            copy = element.copy
            copy.status = CopyStatus.SUCCEEDED
            copy.remote_id = remote.id
            copy.remote_number = remote.number or copy.remote_number
            copy.remote_url = remote.url or copy.remote_url
            copy.remote_version = remote.version or copy.remote_version
            copy.remote_state = remote.state or copy.remote_state
            copy.remote_status = remote.status or copy.remote_status
            copy.remote_total = remote.total
            copy.is_latest, copy.error, copy.error_kind, copy.outcome_unknown = True, "", "", False
            copy.waiting_until = None
            copy.updated_at = now
            label = f"{adapter.label} {copy.remote_number}" if copy.remote_number else adapter.label
            entries.append(_entry(copy, f"{adapter.kind}.created", f"Copied as {connection.name} {label}.", remote.id))
            if remote.total is not None and remote.total != adapter.total(element.document):
                mismatched.append((element, remote))
        RemoteDocument.objects.bulk_update(copies, SUCCESS_FIELDS)
        entries += _remember_contacts(plain, connection)
        SyncLogEntry.objects.bulk_create(entries)
        for element, remote in mismatched:  # rare: the provider's total differs (a warning each)
            invoice_copy_total_check(copy=element.copy, invoice=element.document, remote=remote)
    outcome.done.extend(pks)


def _entry(copy: RemoteDocument, action: str, message: str, remote_id: str, level: str = LogLevel.INFO):
    return log_entry(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        **document_log_fields(copy),
        level=level,
        action=action,
        message=message,
        remote_id=remote_id,
    )


def _remember_contacts(plain: list[tuple[Element, object]], connection) -> list[SyncLogEntry]:
    """contact_link_remember for the chunk: one upsert of the links that are new or changed; their log entries."""
    adapter = plain[0][0].context.adapter
    role = adapter.contact_role
    sent = {}
    for element, _ in plain:
        contact = element.copy.contact_sent
        if contact is not None and contact.id:
            sent[adapter.company(element.document).pk] = (adapter.company(element.document), contact, element.copy)
    if not sent:
        return []
    links = {
        link.company_id: link
        for link in ContactLink.objects.filter(connection=connection, company_id__in=list(sent), role=role)
    }
    upserts, entries = [], []
    for company_pk, (company, contact, copy) in sent.items():
        link = links.get(company_pk)
        same = link is not None and link.remote_id == contact.id
        name = contact.name or (link.remote_name if same else "")
        if same and link.remote_name == name:
            continue
        upserts.append(
            ContactLink(connection=connection, company=company, role=role, remote_id=contact.id, remote_name=name)
        )
        # The words of contact_links.contact_link_remember, for the same event.
        entries.append(
            _entry(copy, "contact.linked", f"{company} is linked to the contact “{name or contact.id}”.", contact.id)
        )
    if upserts:
        ContactLink.objects.bulk_create(
            upserts,
            update_conflicts=True,
            unique_fields=["connection", "company", "role"],
            update_fields=["remote_id", "remote_name", "updated_at"],
        )
    return entries
