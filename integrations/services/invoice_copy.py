"""Copy an invoice to an accounting tool: one remote invoice per attempt, however often it is retried.

An attempt is an RemoteDocument row, committed (status pending, fresh idempotency key) BEFORE any HTTP call:
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
from dataclasses import dataclass, field
from importlib import import_module

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import Invoice
from billing.services import invoice_set_number

from .. import registry
from ..connection_state import connection_mark_needs_reconnect, connection_pause
from ..exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
)
from ..models import (
    UNFINISHED_COPY_STATUSES,
    Connection,
    ContactLink,
    CopyStatus,
    LogLevel,
    RemoteDocument,
    ServiceTypeMapping,
    TaxRateMapping,
)
from ..providers.base import COPY_INVOICE, RemoteContact
from ..synclog import log
from .contact_links import contact_link_remember, contact_link_usable
from .copy_totals import invoice_copy_total_check

MODE_UPDATE = "update"
MODE_NEW = "new"
COPY_MODES = (MODE_UPDATE, MODE_NEW)


# --- checks and preview -------------------------------------------------------------------------------------


def invoice_copy_check(*, invoice: Invoice, connection: Connection) -> None:
    """Refuse (ValidationError) what may not be copied, before anything is saved or sent."""
    if connection.organization_id != invoice.organization_id:
        raise ValidationError({"connection": "Not found."})
    if connection.subsidiary_id != invoice.subsidiary_id:
        raise ValidationError(
            {"connection": f"{connection.name} is connected for another subsidiary than this invoice's."}
        )
    if not invoice.is_finalized:
        raise ValidationError(f"Only finalized invoices can be copied; this one is {invoice.get_status_display()}.")
    try:
        provider = registry.get(connection.provider)
    except registry.ProviderNotFound:
        raise ValidationError({"connection": "This integration is not available."}) from None
    if not provider.is_configured() or COPY_INVOICE not in provider.capabilities:
        raise ValidationError({"connection": f"{provider.name} cannot copy invoices here."})
    if not provider.allows(invoice.organization, COPY_INVOICE):
        raise ValidationError({"connection": f"Copying invoices to {provider.name} needs a higher plan."})
    if not connection.is_active:
        raise ValidationError(
            {
                "connection": f"{connection.name} is {connection.get_status_display().lower()}: "
                "reconnect it in Settings > App marketplace first."
            }
        )
    if not provider.setup_is_complete(connection):
        raise ValidationError(
            {"connection": f"Finish the setup of {connection.name} (accounts and tax rates) before copying."}
        )
    if not invoice.number and not provider.numbers_invoices(connection):
        raise ValidationError(
            f"This invoice has no number yet: it takes the number of the accounting tool that numbers "
            f"{invoice.subsidiary}'s invoices. Copy it there first."
        )


@dataclass
class CopyContext:
    """What a copy sends, loaded once: the provider's mapping module, our lines and the connection's mappings."""

    mapping: object
    lines: list
    mappings: object
    previews: list = field(default_factory=list)
    provider_numbers: bool = False  # the provider numbers invoices that have no number of ours


def _copy_context(invoice: Invoice, connection: Connection) -> CopyContext:
    mapping = import_module(f"integrations.providers.{connection.provider}.mapping")
    service_type_accounts = dict(
        ServiceTypeMapping.objects.filter(connection=connection).values_list("service_type_id", "remote_code")
    )
    tax_types = dict(TaxRateMapping.objects.filter(connection=connection).values_list("tax_rate_id", "remote_code"))
    mappings = mapping.mappings_from(
        settings=connection.settings or {}, service_type_accounts=service_type_accounts, tax_types=tax_types
    )
    lines = list(invoice.lines.select_related("service_type", "tax_rate"))
    provider_numbers = registry.get(connection.provider).numbers_invoices(connection)
    context = CopyContext(mapping=mapping, lines=lines, mappings=mappings, provider_numbers=provider_numbers)
    context.previews = mapping.invoice_preview(invoice, lines, mappings)  # mapping problems raise here
    return context


def invoice_copy_preview(*, invoice: Invoice, connection: Connection) -> list:
    """The lines, accounts and tax types a copy would send (for the prompt); ValidationError if it can't."""
    invoice_copy_check(invoice=invoice, connection=connection)
    return _copy_context(invoice, connection).previews


# --- the copy -----------------------------------------------------------------------------------------------


def _log(copy: RemoteDocument, level: str, action: str, message: str, remote_id: str = "") -> None:
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        invoice_id=copy.invoice_id,
        level=level,
        action=action,
        message=message,
        remote_id=remote_id,
    )


def copy_attempt_key_clean(value: str) -> str:
    """The attempt key a copy form carries (a uuid4 rendered with the form), normalised; "" when absent."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValidationError({"attempt": "This copy form is damaged: open the copy page again."}) from None


def copy_number_for_new(*, invoice: Invoice, connection: Connection) -> str:
    """The number a new remote invoice of this invoice gets: its own number for its first copy on the connection;
    for a later one ("Create new") that number with a copy suffix, since the provider keeps the earlier copy's
    number (voided or not) and refuses a duplicate; "" when the invoice has no number (the provider numbers it)."""
    if not invoice.number:
        return ""
    copies = RemoteDocument.objects.filter(invoice=invoice, connection=connection)
    if not copies.filter(status=CopyStatus.SUCCEEDED).exists():
        return invoice.number
    taken = set(copies.exclude(status=CopyStatus.FAILED).values_list("remote_number", flat=True))
    suffix = 2
    while f"{invoice.number}-{suffix}" in taken:
        suffix += 1
    return f"{invoice.number}-{suffix}"


@transaction.atomic
def _claim_attempt(
    *, invoice: Invoice, connection: Connection, mode: str, user, attempt_key: str = ""
) -> tuple[RemoteDocument, bool]:
    """The attempt this form already started (any status), else the unfinished (pending or waiting) attempt of
    this invoice + connection (re-used: True), else a new one committed now (keyed by the form's attempt key)."""
    Invoice.objects.select_for_update().get(pk=invoice.pk)  # serialises attempts for one invoice
    if attempt_key:
        submitted = RemoteDocument.objects.filter(idempotency_key=attempt_key).first()
        if submitted is not None:
            if submitted.invoice_id != invoice.pk or submitted.connection_id != connection.pk:
                raise ValidationError({"attempt": "This copy form was used for another copy: open the page again."})
            return submitted, True
    copies = RemoteDocument.objects.filter(invoice=invoice, connection=connection)
    unfinished = copies.filter(status__in=UNFINISHED_COPY_STATUSES).order_by("created_at", "id").first()
    if unfinished is not None:
        return unfinished, True
    latest = copies.filter(is_latest=True, remote_voided_at__isnull=True).first()
    target = latest if mode == MODE_UPDATE else None
    copy = RemoteDocument.objects.create(
        organization_id=invoice.organization_id,
        invoice=invoice,
        connection=connection,
        idempotency_key=attempt_key or str(uuid.uuid4()),
        # An update attempt carries the remote invoice it changes (and keeps its number); a create attempt the
        # number it sends.
        remote_id=target.remote_id if target else "",
        remote_number=target.remote_number if target else copy_number_for_new(invoice=invoice, connection=connection),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return copy, False


def _contact_id(api, copy: RemoteDocument, company, contact_id: str, contact_name: str) -> str:
    """The contact to send to: the one named (its form checked by the caller, contact_id_clean), else the one
    remembered for the company, else a new one made from it. Nothing is remembered here: the contact sent is kept
    on `copy.contact_sent` and `_succeed` links it once the provider accepted the invoice."""
    connection = copy.connection
    link = ContactLink.objects.filter(connection=connection, company=company).first()
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


def _find_existing(api, copy: RemoteDocument, invoice: Invoice, context: CopyContext):
    """After an attempt that may have reached the provider: the invoice it created, if any."""
    number = copy.remote_number
    reference = "" if number else context.mapping.invoice_reference(invoice)
    if not (number or reference):
        return None
    found = api.find_invoice(number=number, reference=reference)
    if found is None:
        return None
    # Never adopt a remote invoice that is already another invoice's copy (a shared reference, say).
    taken = RemoteDocument.objects.filter(connection_id=copy.connection_id, remote_id=found.id).exclude(invoice=invoice)
    return None if taken.exists() else found


def _send(api, copy, invoice, context, *, look_up, contact_id, contact_name):
    def payload(contact: str) -> dict:
        number = copy.remote_number or (None if copy.remote_id else "")  # an update keeps the remote number
        return context.mapping.invoice_payload(
            invoice, context.lines, context.mappings, contact_id=contact, number=number
        )

    if copy.remote_id:
        contact = _contact_id(api, copy, invoice.company, contact_id, contact_name)
        return api.update_invoice(copy.remote_id, payload(contact), copy.idempotency_key), "updated"
    if look_up:
        found = _find_existing(api, copy, invoice, context)
        if found is not None:
            return found, "adopted"
    contact = _contact_id(api, copy, invoice.company, contact_id, contact_name)
    return api.create_invoice(payload(contact), copy.idempotency_key), "created"


@transaction.atomic
def _succeed(copy: RemoteDocument, remote, how: str, invoice: Invoice, context: CopyContext) -> RemoteDocument:
    Invoice.objects.select_for_update().get(pk=invoice.pk)
    others = RemoteDocument.objects.filter(invoice=invoice, connection_id=copy.connection_id).exclude(pk=copy.pk)
    others.filter(is_latest=True).update(is_latest=False)
    # Another remote invoice is now this sale's copy: the earlier ones are superseded (payment sync counts no new
    # payment on them, so one sale is never paid twice through two copies).
    others.filter(superseded_at__isnull=True).exclude(remote_id__in=["", remote.id]).update(
        superseded_at=timezone.now()
    )
    copy.status = CopyStatus.SUCCEEDED
    copy.remote_id = remote.id
    copy.remote_number = remote.number or copy.remote_number
    copy.remote_url = remote.url or copy.remote_url
    copy.is_latest = True
    copy.error = ""
    copy.outcome_unknown = False
    copy.waiting_until = None
    copy.save()
    label = f"invoice {copy.remote_number}" if copy.remote_number else "invoice"
    verb = {"created": "Copied as", "updated": "Updated", "adopted": "Found the earlier copy:"}[how]
    _log(copy, LogLevel.INFO, f"invoice.{how}", f"{verb} {copy.connection.name} {label}.", remote.id)
    if context.provider_numbers and remote.number and not invoice.number:  # an issued number never changes
        try:
            invoice_set_number(invoice=invoice, number=remote.number)
        except ValidationError as exc:
            _log(copy, LogLevel.WARNING, "invoice.number", f"Could not take number {remote.number}: {exc.messages[0]}")
        else:
            _log(copy, LogLevel.INFO, "invoice.number", f"The invoice now has {copy.connection.name}'s number.")
    contact_link_remember(copy=copy, company=invoice.company)
    invoice_copy_total_check(copy=copy, invoice=invoice, remote=remote)
    return copy


def copy_error_text(exc: IntegrationError) -> str:
    if isinstance(exc, ProviderValidationError) and exc.messages:
        return "\n".join(exc.messages)
    return str(exc)


def _wait(copy: RemoteDocument, exc: ThrottledError) -> None:
    """A 429 refuses nothing: pause the connection and leave the attempt waiting for the provider's window."""
    connection_pause(copy.connection, exc)
    until = copy.connection.paused_until
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=CopyStatus.WAITING, waiting_until=until, updated_at=timezone.now()
    )
    copy.refresh_from_db()
    _log(
        copy,
        LogLevel.INFO,
        "invoice.copy_waiting",
        f"{copy.connection.name} asked us to slow down (nothing was refused): "
        f"the copy waits until {until:%H:%M:%S} UTC.",
    )


def _fail(copy: RemoteDocument, exc: IntegrationError, prefix: str = "") -> None:
    """Record the outcome on the attempt (only if no concurrent try finished it meanwhile)."""
    if isinstance(exc, ThrottledError):
        _wait(copy, exc)
        return
    text = prefix + copy_error_text(exc)
    keep_pending = isinstance(exc, AmbiguousWriteError)
    status = CopyStatus.PENDING if keep_pending else CopyStatus.FAILED
    if keep_pending:
        text = f"{text} The outcome is unknown: the next try looks the invoice up before copying again."
    RemoteDocument.objects.filter(pk=copy.pk, status__in=UNFINISHED_COPY_STATUSES).update(
        status=status, error=text, outcome_unknown=keep_pending or copy.outcome_unknown, updated_at=timezone.now()
    )
    copy.refresh_from_db()
    _log(copy, LogLevel.WARNING if keep_pending else LogLevel.ERROR, "invoice.copy_failed", text)
    if isinstance(exc, TerminalError):
        connection_mark_needs_reconnect(copy.connection, exc)


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
) -> RemoteDocument:
    """Copy (mode "new") or re-copy over the latest copy (mode "update"; without a copy it creates one).

    `attempt_key` (a uuid4 rendered with the copy form) becomes the new attempt's idempotency key; a second
    submission of the same form (double click, "Create new" clicked twice, a resent POST) gets that attempt
    back instead of starting another: a finished copy is returned as it is, an unfinished one is finished.
    `void_previous` (mode "new"): void the latest copy in the provider first; nothing is created if it refuses.

    Raises ValidationError for what we refuse ourselves (nothing saved), and the integrations.exceptions
    hierarchy for what the provider answered (the attempt records it)."""
    from .remote_void import copy_void_remote, remote_void_refusal

    if mode not in COPY_MODES:
        raise ValidationError({"mode": f"Choose one of: {', '.join(COPY_MODES)}."})
    attempt_key = copy_attempt_key_clean(attempt_key)
    invoice = Invoice.objects.select_related("organization", "company", "subsidiary").get(pk=invoice.pk)
    connection = Connection.objects.select_related("organization").get(pk=connection.pk)
    invoice_copy_check(invoice=invoice, connection=connection)
    context = _copy_context(invoice, connection)
    copy, reused = _claim_attempt(invoice=invoice, connection=connection, mode=mode, user=user, attempt_key=attempt_key)
    if copy.status == CopyStatus.SUCCEEDED:
        return copy  # this form was already sent and the copy is done
    if copy.status == CopyStatus.FAILED:
        raise ValidationError(f"This copy was already sent and failed: {copy.error} Open the copy page again to retry.")
    latest = RemoteDocument.objects.filter(
        invoice=invoice, connection=connection, is_latest=True, remote_voided_at=None
    )
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
    binding = api.bind(invoice=invoice) if hasattr(api, "bind") else nullcontext()
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
                api, copy, invoice, context, look_up=look_up, contact_id=contact_id or "", contact_name=contact_name
            )
        except IntegrationError as exc:
            _fail(copy, exc)
            raise
    return _succeed(copy, remote, how, invoice, context)
