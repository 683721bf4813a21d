"""Export a document (an invoice, an expense as a bill, a purchase order: the same engine): one remote document
per attempt, however often it is retried. The engine is generic over the document's kind: its adapter
(integrations.documents) says what the document is, its lines, contact role and mapping purpose; the provider's
mapper (Provider.mapper(), a DocumentMapper) builds the payload and says who numbers it and what a lookup before a
retry searches by; the client's *_document methods take the kind.

An attempt is a RemoteDocument row, committed (status pending, fresh idempotency key) BEFORE any HTTP call:
- the call sends the key as the provider's idempotency key, so a retried call is answered, not repeated;
- a second request for the same invoice + connection while an attempt is pending (double click, retried task,
  concurrent request) takes the invoice's row lock, finds that attempt and finishes it instead of starting
  another; a re-used create attempt first looks the invoice up (number / reference) and adopts what it finds,
  since the earlier try may have reached the provider (timeout after commit);
- on success the attempt becomes the latest copy (the others lose is_latest, other remote invoices become
  superseded, in the same transaction); a refusal is stored on the attempt (failed) and logged verbatim; an
  ambiguous outcome leaves it pending; a 429 leaves it waiting (nothing was refused) for the provider's window.

Numbers: an issued invoice is always sent with its number and keeps it; one without (its subsidiary's numbering
belongs to the provider) takes the provider's. "Create new" is a second remote invoice for the same sale, so its
number gets a copy suffix ("NL-0026-2"); it may void the previous copy first (services.remote_void).

Call these outside transaction.atomic(): the attempt must be committed before the call, and a token refresh
must be committed whatever happens next.
"""

from __future__ import annotations

import uuid
from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice

from .. import registry
from ..documents import adapter_of
from ..exceptions import IntegrationError
from ..models import (
    UNFINISHED_COPY_STATUSES,
    Connection,
    ContactLink,
    CopyStatus,
    LogLevel,
    RemoteDocument,
)
from ..providers.base import RemoteContact
from .contact_links import contact_link_usable, copy_role
from .copy_outcomes import _copies, _fail, _log, _succeed
from .export_checks import (  # noqa: F401  (invoice_copy_check / _preview: the views' and the bulk copy's names)
    CopyContext,
    _copy_context,
    document_export_check,
    invoice_copy_check,
    invoice_copy_preview,
)

MODE_UPDATE = "update"
MODE_NEW = "new"
COPY_MODES = (MODE_UPDATE, MODE_NEW)


# --- the copy -----------------------------------------------------------------------------------------------


def copy_attempt_key_clean(value: str) -> str:
    """The attempt key a copy form carries (a uuid4 rendered with the form), normalised; "" when absent."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValidationError({"attempt": "This copy form is damaged: open the copy page again."}) from None


def copy_number_for_new(*, invoice, connection: Connection) -> str:
    """The number a new remote document of this document (an invoice, ...) gets: its own number for its first copy
    on the connection; for a later one ("Create new") that number with a copy suffix, since the provider keeps the
    earlier copy's number (voided or not) and refuses a duplicate; "" when it has no number (the provider numbers
    it)."""
    number = adapter_of(invoice).number(invoice)
    if not number:
        return ""
    copies = _copies(invoice, connection)
    if not copies.filter(status=CopyStatus.SUCCEEDED).exists():
        return number
    taken = set(copies.exclude(status=CopyStatus.FAILED).values_list("remote_number", flat=True))
    suffix = 2
    while f"{number}-{suffix}" in taken:
        suffix += 1
    return f"{number}-{suffix}"


@transaction.atomic
def _claim_attempt(
    *, invoice, connection: Connection, mode: str, user, attempt_key: str = "", options: dict | None = None
) -> tuple[RemoteDocument, bool]:
    """The attempt this form already started (any status), else the unfinished (pending or waiting) attempt of
    this document (`invoice`: an invoice, or any exported document) + connection (re-used: True), else a new one
    committed now (keyed by the form's attempt key)."""
    document, adapter = invoice, adapter_of(invoice)
    adapter.model.objects.select_for_update().get(pk=document.pk)  # serialises attempts for one document
    if attempt_key:
        submitted = RemoteDocument.objects.filter(idempotency_key=attempt_key).first()
        if submitted is not None:
            if getattr(submitted, f"{adapter.field}_id") != document.pk or submitted.connection_id != connection.pk:
                raise ValidationError({"attempt": "This copy form was used for another copy: open the page again."})
            return submitted, True
    copies = _copies(document, connection)
    unfinished = copies.filter(status__in=UNFINISHED_COPY_STATUSES).order_by("created_at", "id").first()
    if unfinished is not None:
        return unfinished, True
    latest = copies.filter(is_latest=True, remote_voided_at__isnull=True).first()
    target = latest if mode == MODE_UPDATE else None
    copy = RemoteDocument.objects.create(
        organization_id=document.organization_id,
        kind=adapter.kind,
        **{adapter.field: document},
        connection=connection,
        idempotency_key=attempt_key or str(uuid.uuid4()),
        # An update attempt carries the remote document it changes (its number and version); a create attempt
        # the number it sends.
        remote_id=target.remote_id if target else "",
        remote_number=target.remote_number if target else copy_number_for_new(invoice=document, connection=connection),
        remote_version=target.remote_version if target else "",
        options=options or {},
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return copy, False


def _contact_id(api, copy: RemoteDocument, company, contact_id: str, contact_name: str) -> str:
    """The contact to send to: the one named (its form checked by the caller, contact_id_clean), else the one
    remembered for the company, else a new one made from it. Nothing is remembered here: the contact sent is kept
    on `copy.contact_sent` and `_succeed` links it once the provider accepted the invoice."""
    connection = copy.connection
    link = ContactLink.objects.filter(connection=connection, company=company, role=copy_role(copy)).first()
    if contact_id:
        name = contact_name or (link.remote_name if link and link.remote_id == contact_id else "")
        copy.contact_sent = RemoteContact(id=contact_id, name=name)
        return contact_id
    if link is not None and contact_link_usable(connection, link):
        copy.contact_sent = RemoteContact(id=link.remote_id, name=link.remote_name)
        return link.remote_id
    if link is not None:
        _log(
            copy,
            LogLevel.WARNING,
            "contact.link_ignored",
            f"The contact remembered for {company} ({link.remote_id[:40]}) is not a "
            f"{registry.get(connection.provider).name} contact id: "
            "a contact is made from the company instead.",
        )
    copy.contact_sent = api.create_contact(company)
    return copy.contact_sent.id


def _find_existing(api, copy: RemoteDocument, document, context: CopyContext):
    """After an attempt that may have reached the provider: the document it created, if any (what to search by
    is the provider's rule: DocumentMapper.lookup_keys)."""
    kind = context.adapter.kind
    keys = context.mapper.lookup_keys(kind, document, number=copy.remote_number)
    if not keys:
        return None
    found = api.find_document(kind, number=keys.number, reference=keys.reference)
    if found is None:
        return None
    # Never adopt a remote document that is already another document's copy (a shared reference, say).
    taken = RemoteDocument.objects.filter(connection_id=copy.connection_id, remote_id=found.id).exclude(
        pk__in=_copies(document, copy.connection_id).values("pk")
    )
    return None if taken.exists() else found


def _send(api, copy, document, context, *, look_up, contact_id, contact_name):
    kind, company = context.adapter.kind, context.adapter.company(document)

    def payload(contact: str) -> dict:
        number = copy.remote_number or (None if copy.remote_id else "")  # an update keeps the remote number
        return context.mapper.payload(
            kind, document, context.lines, context.mappings, contact_id=contact, number=number
        )

    if copy.remote_id:
        contact = _contact_id(api, copy, company, contact_id, contact_name)
        remote = api.update_document(
            kind, copy.remote_id, payload(contact), copy.idempotency_key, version=copy.remote_version
        )
        return remote, "updated"
    if look_up:
        found = _find_existing(api, copy, document, context)
        if found is not None:
            return found, "adopted"
    contact = _contact_id(api, copy, company, contact_id, contact_name)
    return api.create_document(kind, payload(contact), copy.idempotency_key), "created"


def invoice_copy(
    *,
    invoice: Invoice,
    connection: Connection,
    contact_id: str | None = None,
    mode: str = MODE_UPDATE,
    user=None,
    contact_name: str = "",
    attempt_key: str = "",
    void_previous: bool = False,
    options: dict | None = None,
) -> RemoteDocument:
    """Copy an invoice: document_export of the invoice kind."""
    invoice = Invoice.objects.select_related("organization", "company", "subsidiary").get(pk=invoice.pk)
    return document_export(
        document=invoice,
        connection=connection,
        contact_id=contact_id,
        mode=mode,
        user=user,
        contact_name=contact_name,
        attempt_key=attempt_key,
        void_previous=void_previous,
        options=options,
    )


def document_export(
    *,
    document,
    connection: Connection,
    contact_id: str | None = None,
    mode: str = MODE_UPDATE,
    user=None,
    contact_name: str = "",
    attempt_key: str = "",
    void_previous: bool = False,
    options: dict | None = None,
) -> RemoteDocument:
    """Export (mode "new") or re-export over the latest copy (mode "update"; without a copy it creates one).

    `attempt_key` (a uuid4 rendered with the copy form) becomes the new attempt's idempotency key; a second
    submission of the same form (double click, "Create new" clicked twice, a resent POST) gets that attempt
    back instead of starting another: a finished copy is returned as it is, an unfinished one is finished.
    `void_previous` (mode "new"): void the latest copy in the provider first; nothing is created if it refuses.
    `options`: the copy prompt's provider options (CopyPromptForm.options, validated), kept on the attempt so a
    retry or a deferred try sends the same; a re-used attempt keeps the options it was started with.

    Raises ValidationError for what we refuse ourselves (nothing saved), and the integrations.exceptions
    hierarchy for what the provider answered (the attempt records it)."""
    from .remote_void import copy_void_remote, remote_void_refusal

    if mode not in COPY_MODES:
        raise ValidationError({"mode": f"Choose one of: {', '.join(COPY_MODES)}."})
    attempt_key = copy_attempt_key_clean(attempt_key)
    connection = Connection.objects.select_related("organization").get(pk=connection.pk)
    document_export_check(document=document, connection=connection)
    copy, reused = _claim_attempt(
        invoice=document, connection=connection, mode=mode, user=user, attempt_key=attempt_key, options=options
    )
    if copy.status == CopyStatus.SUCCEEDED:
        return copy  # this form was already sent and the copy is done
    if copy.status == CopyStatus.FAILED:
        raise ValidationError(f"This copy was already sent and failed: {copy.error} Open the copy page again to retry.")
    try:
        context = _copy_context(document, connection, copy.options)  # an attempt sends the options it began with
    except ValidationError:
        if not reused:  # a mapping problem: this attempt never started
            copy.delete()
        raise
    latest = _copies(document, connection).filter(is_latest=True, remote_voided_at=None)
    previous = latest.exclude(pk=copy.pk).first() if mode == MODE_NEW and void_previous and not copy.remote_id else None
    if previous is not None and remote_void_refusal(previous):  # our records refuse: nothing is sent
        if not reused:
            copy.delete()
        raise ValidationError(remote_void_refusal(previous))
    # A waiting attempt never reached the provider (429, or deferred before any call); a pending one may have.
    look_up = reused and (copy.status == CopyStatus.PENDING or copy.outcome_unknown)
    RemoteDocument.objects.filter(pk=copy.pk, status=CopyStatus.WAITING).update(
        status=CopyStatus.PENDING, waiting_until=None, updated_at=timezone.now()
    )
    copy.refresh_from_db()
    api = registry.get(connection.provider).api(connection)
    api.copy_options = dict(copy.options or {})
    binding = api.bind(**context.adapter.bind(document)) if hasattr(api, "bind") else nullcontext()
    with binding:
        if previous is not None:
            try:
                copy_void_remote(previous, api=api)
            except IntegrationError as exc:
                exc.voiding = previous.remote_number or previous.remote_id  # what the page says it could not void
                _fail(copy, exc, prefix=f"Nothing was created: {connection.name} did not void {exc.voiding}. ")
                raise
        try:
            remote, how = _send(
                api, copy, document, context, look_up=look_up, contact_id=contact_id or "", contact_name=contact_name
            )
        except IntegrationError as exc:
            _fail(copy, exc)
            raise
    copy = _succeed(copy, remote, how, document, context)
    if how != "adopted":
        from .copy_attachments import copy_attach_files

        copy_attach_files(api, copy, document)
    return copy


def document_send(*, kind: str, pk: int, connection: Connection, **options) -> RemoteDocument:
    """document_export of our document of `kind` with this pk, loaded as the engine reads it (the views', API's and
    tasks' entry point for bills and purchase orders; invoice_copy is the invoice kind's)."""
    from ..documents import adapter_for

    return document_export(document=adapter_for(kind).load(pk), connection=connection, **options)
