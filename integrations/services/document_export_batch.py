"""The bulk copy in the provider's batches: many documents of one connection exported with few calls.

The same engine as integrations.services.invoice_copy, element by element, with the calls and the queries shared:
- every document gets its attempt (a RemoteDocument, committed before any call, keyed for idempotency); an
  unfinished one is re-used, and one that may have reached the provider (pending, or its outcome unknown) is looked
  up first (DocumentMapper.lookup_keys → find_document) and adopted if found, so a retried batch makes no duplicate;
- contacts first: the remembered ones (ContactLink) in one query, the missing ones created in chunks of
  `batch_limits.contacts`, remembered only once the provider accepted a document sent to them;
- then the documents in chunks of `batch_limits.documents` (AccountingApi.create_documents); each element's result
  is its own: the provider's verbatim error fails that document only, an ambiguous answer leaves each element of
  the chunk pending with its outcome unknown, a 429 leaves the rest waiting (never failed) for the provider's
  window (the task runs them again then);
- a provider without batches (limits 1) is sent one by one, paced: at most PACE_SHARE of its `rate_limit` calls
  in one run, the rest waiting for the next window before the limit is hit.
A document that needs what a batch does not do (an update of an existing copy, a retry of an update) goes through
document_export on its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import registry
from ..connection_state import connection_pause
from ..documents import adapter_of
from ..exceptions import IntegrationError, ThrottledError
from ..models import UNFINISHED_COPY_STATUSES, Connection, CopyStatus, LogLevel, RemoteDocument, SyncLogEntry
from ..synclog import document_log_fields, log_entry
from .copy_outcomes import _fail, _succeed
from .export_batch_context import batch_contexts
from .export_batch_send import BatchOutcome, BatchStop, Element, Pace, contacts_step, documents_step
from .export_checks import document_export_checks
from .invoice_copy import MODE_UPDATE, _find_existing, document_export


def document_export_batch(*, documents: list, connection: Connection, user=None) -> BatchOutcome:
    """Export these documents (one kind, all exported through `connection`) in the provider's batches; mode
    "update" as the bulk copy does (a document with a live copy is re-exported over it, on its own). Call outside
    transaction.atomic(), as document_export."""
    connection = Connection.objects.select_related("organization").get(pk=connection.pk)
    provider = registry.get(connection.provider)
    outcome = BatchOutcome()
    refusals = document_export_checks(documents=documents, connection=connection)
    outcome.refused.update({pk: " ".join(exc.messages) for pk, exc in refusals.items()})
    checked = [document for document in documents if document.pk not in refusals]
    if not checked:
        return outcome
    batched, alone = _claim_attempts(checked, connection, user)
    api = provider.api(connection)
    pace = Pace(provider, api)
    elements = _with_contexts(batched, connection, outcome)
    if connection.is_paused:  # nothing is sent while the provider asked us to wait
        _wait_all(elements, connection, connection.paused_until, outcome)
        outcome.waiting.extend(document.pk for document, _copy in alone)  # their task runs them then
        return outcome
    try:
        for index, (document, _copy) in enumerate(alone):
            try:
                _export_alone(document, connection, user, outcome, rest=elements)
            except BatchStop:
                outcome.waiting.extend(later.pk for later, _ in alone[index + 1 :])
                raise
        elements = _look_up(api, elements, outcome)
        elements, later = contacts_step(api, elements, connection, outcome, pace)
        try:
            documents_step(api, elements, connection, outcome, pace)
        except BatchStop as stop:
            raise BatchStop(stop.rest + later, stop.until) from None
        if later:  # their contacts and documents in the next window
            raise pace.stop(later)
    except BatchStop as stop:
        _wait_all(stop.rest, connection, stop.until, outcome)
    return outcome


# --- attempts -----------------------------------------------------------------------------------------------


@transaction.atomic
def _claim_attempts(documents: list, connection: Connection, user) -> tuple[list[Element], list]:
    """Each document's attempt, as _claim_attempt would, in a few queries for all: the unfinished one re-used (a
    pending one looked up first), else a new one. A document with a live copy, or an unfinished update, goes on
    its own (document_export): those are updates, not batched creates."""
    adapter = adapter_of(documents[0])
    pks = [document.pk for document in documents]
    list(adapter.model.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk"))
    by_document: dict[int, list[RemoteDocument]] = {}
    for copy in RemoteDocument.objects.filter(connection=connection, **{f"{adapter.field}_id__in": pks}).order_by(
        "created_at", "id"
    ):
        by_document.setdefault(getattr(copy, f"{adapter.field}_id"), []).append(copy)
    batched, alone, new = [], [], []
    for document in documents:
        copies = by_document.get(document.pk, [])
        unfinished = next((c for c in copies if c.status in UNFINISHED_COPY_STATUSES), None)
        has_copy = any(c.status == CopyStatus.SUCCEEDED for c in copies)
        if (unfinished is not None and unfinished.remote_id) or (unfinished is None and has_copy):
            alone.append((document, unfinished))
        elif unfinished is not None:
            look_up = unfinished.status == CopyStatus.PENDING or unfinished.outcome_unknown
            batched.append(Element(document, unfinished, look_up=look_up))
        else:
            copy = RemoteDocument(
                organization_id=document.organization_id,
                kind=adapter.kind,
                **{adapter.field: document},
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                remote_number=adapter.number(document),  # a first copy: the document's own number
                options={},
                created_by=user if getattr(user, "is_authenticated", False) else None,
            )
            new.append(copy)
            batched.append(Element(document, copy, new=True))
    RemoteDocument.objects.bulk_create(new)
    reused = [e.copy.pk for e in batched if e.copy.status == CopyStatus.WAITING]
    if reused:  # a waiting attempt runs now
        RemoteDocument.objects.filter(pk__in=reused, status=CopyStatus.WAITING).update(
            status=CopyStatus.PENDING, waiting_until=None, updated_at=timezone.now()
        )
        for element in batched:
            if element.copy.pk in reused:
                element.copy.status, element.copy.waiting_until = CopyStatus.PENDING, None
    for element in batched:
        element.copy.connection = connection
    return batched, alone


def _with_contexts(elements: list[Element], connection: Connection, outcome: BatchOutcome) -> list[Element]:
    """The elements whose payload can be built; a mapping problem refuses that document (its new attempt goes)."""
    contexts = batch_contexts([e.document for e in elements], connection)
    ready, dropped = [], []
    for element in elements:
        context = contexts[element.document.pk]
        if isinstance(context, ValidationError):
            outcome.refused[element.document.pk] = " ".join(context.messages)
            if element.new:  # a mapping problem: this attempt never started (as document_export)
                dropped.append(element.copy.pk)
            continue
        element.context = context
        ready.append(element)
    if dropped:
        RemoteDocument.objects.filter(pk__in=dropped).delete()
    return ready


def _export_alone(document, connection: Connection, user, outcome: BatchOutcome, rest: list[Element]) -> None:
    """A document that is not a batched create (an update of its copy): document_export; a 429 stops the run,
    `rest` waits."""
    try:
        copy = document_export(document=document, connection=connection, mode=MODE_UPDATE, user=user)
    except ValidationError as exc:
        outcome.refused[document.pk] = " ".join(exc.messages)
    except ThrottledError:
        connection.refresh_from_db(fields=["paused_until"])
        outcome.waiting.append(document.pk)  # its attempt is waiting already (_fail → _wait)
        raise BatchStop(rest, connection.paused_until or timezone.now()) from None
    except IntegrationError:
        outcome.failed.append(document.pk)  # the attempt and the log record it
    else:
        (outcome.done if copy.status == CopyStatus.SUCCEEDED else outcome.failed).append(document.pk)
    finally:
        outcome.calls += 1


def _look_up(api, elements: list[Element], outcome: BatchOutcome) -> list[Element]:
    """An attempt that may have reached the provider is looked up before it is sent again (one read each: these
    are the few whose answer was lost); the found ones are adopted."""
    rest = []
    for index, element in enumerate(elements):
        if not element.look_up:
            rest.append(element)
            continue
        try:
            found = _find_existing(api, element.copy, element.document, element.context)
        except ThrottledError as exc:
            connection_pause(element.copy.connection, exc)
            raise BatchStop(rest + elements[index:], element.copy.connection.paused_until) from None
        except IntegrationError as exc:
            _fail(element.copy, exc)
            outcome.failed.append(element.document.pk)
            continue
        if found is None:
            rest.append(element)
        else:
            _succeed(element.copy, found, "adopted", element.document, element.context)
            outcome.done.append(element.document.pk)
    return rest


def _wait_all(elements: list[Element], connection: Connection, until: datetime | None, outcome: BatchOutcome):
    """These attempts wait (nothing was refused) until the provider's window: one update, one log entry each."""
    until = until or timezone.now()
    pks = [e.copy.pk for e in elements if e.copy.pk]
    RemoteDocument.objects.filter(pk__in=pks, status__in=UNFINISHED_COPY_STATUSES).update(
        status=CopyStatus.WAITING, waiting_until=until, updated_at=timezone.now()
    )
    message = (
        f"{connection.name} asked us to slow down (nothing was refused): the copy waits until {until:%H:%M:%S} UTC."
    )
    SyncLogEntry.objects.bulk_create(
        [
            log_entry(
                organization_id=e.copy.organization_id,
                connection_id=connection.pk,
                **document_log_fields(e.copy),
                level=LogLevel.INFO,
                action=f"{e.copy.kind}.copy_waiting",
                message=message,
            )
            for e in elements
        ]
    )
    outcome.waiting.extend(e.document.pk for e in elements)
    outcome.waiting_until = max(until, outcome.waiting_until or until)
