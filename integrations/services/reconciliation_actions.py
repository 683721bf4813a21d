"""Acting on a reconciliation mismatch (integrations.reconciliation reads them): each action goes through the
service that does the same anywhere else, so nothing is duplicated and nothing is sent twice.

- update existing: document_export in mode update (the copy page's "Update existing"): our document over its copy;
- copy again as new: document_export in mode new (the copy page's "Create new"), for a copy voided or deleted in
  the provider while ours is live;
- re-sync payments: one payments_sync run of the connection (the feed's own rules: deletions, edits, kept
  changes), then our amount paid is compared with the provider's again;
- void it there too: remote_void.copy_void_remote (the invoice page's "Void in …"), for a copy left open when our
  document was voided;
- mark as reconciled: with a reason; the same difference is not reported again.

A successful action resolves the copy's open mismatches it settles and writes one sync-log entry (Activity).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from .. import registry
from ..models import (
    Connection,
    LogLevel,
    MismatchAction,
    MismatchField,
    MismatchResolution,
    ReconciliationMismatch,
    SyncOutcome,
)
from ..providers.base import SYNC_PAYMENTS
from ..synclog import document_log_fields, log
from ..tasks import payment_sync_skip_reason
from .attention import _require_active, reason_clean
from .invoice_copy import MODE_NEW, MODE_UPDATE, document_export
from .payments_sync import payments_sync
from .reconciliation import money_text
from .remote_void import copy_void_remote

# Which fields an action settles on the copy (its other open mismatches stay).
SETTLES = {
    MismatchAction.UPDATE_EXISTING: (MismatchField.TOTAL, MismatchField.CURRENCY, MismatchField.NUMBER),
    MismatchAction.COPY_AGAIN: tuple(MismatchField.values),
    MismatchAction.RESYNC_PAYMENTS: (MismatchField.AMOUNT_PAID,),
    MismatchAction.VOID_IN_PROVIDER: tuple(MismatchField.values),
}
RESOLUTIONS = {
    MismatchAction.UPDATE_EXISTING: MismatchResolution.UPDATED,
    MismatchAction.COPY_AGAIN: MismatchResolution.COPIED_AGAIN,
    MismatchAction.RESYNC_PAYMENTS: MismatchResolution.PAYMENTS_RESYNCED,
    MismatchAction.VOID_IN_PROVIDER: MismatchResolution.VOIDED_THERE,
    MismatchAction.MARK_RECONCILED: MismatchResolution.RECONCILED,
}


def actions_for(mismatch: ReconciliationMismatch) -> list[str]:
    """What the page and the API offer: the suggested action, and marking it as reconciled."""
    return list(dict.fromkeys([mismatch.suggested_action, MismatchAction.MARK_RECONCILED]))


def mismatch_act(*, mismatch: ReconciliationMismatch, action: str, user=None, reason: str = "") -> str:
    """Do `action` about an open mismatch; returns what happened in a sentence. Raises ValidationError for what
    we refuse (nothing sent) and the integrations.exceptions hierarchy for what the provider refused."""
    if action not in actions_for(mismatch):
        raise ValidationError({"action": f"Choose one of: {', '.join(actions_for(mismatch))}."})
    copy = mismatch.remote_document
    connection = Connection.objects.select_related("organization").get(pk=mismatch.connection_id)
    if action == MismatchAction.MARK_RECONCILED:
        reason = reason_clean(reason)
        _resolve(connection, [mismatch.pk], action, user, reason)
        return _logged(connection, copy, user, f"The {_label(mismatch)} difference is marked as reconciled: {reason}")
    _require_active(connection)
    if action in (MismatchAction.UPDATE_EXISTING, MismatchAction.COPY_AGAIN):
        mode = MODE_UPDATE if action == MismatchAction.UPDATE_EXISTING else MODE_NEW
        result = document_export(
            document=copy.document, connection=connection, mode=mode, user=user, options=copy.options
        )
        done = "updated in" if mode == MODE_UPDATE else "copied again to"
        message = f"{copy.document} is {done} {connection.name} ({result.remote_number or result.remote_id})."
    elif action == MismatchAction.VOID_IN_PROVIDER:
        voided = copy_void_remote(copy)
        message = f"{voided.remote_number or voided.remote_id} is voided in {connection.name} too."
    else:
        message = _resync_payments(connection, mismatch)
    settled = _open_of_copy(mismatch).filter(field__in=SETTLES[action]).values_list("pk", flat=True)
    _resolve(connection, list(settled), action, user, "")
    return _logged(connection, copy, user, message)


def _resync_payments(connection: Connection, mismatch: ReconciliationMismatch) -> str:
    provider = registry.get(connection.provider)
    if SYNC_PAYMENTS not in provider.capabilities:
        raise ValidationError(f"{provider.name} does not sync payments: mark it as reconciled instead.")
    reason = payment_sync_skip_reason(connection)
    if reason:
        raise ValidationError(f"Payments are not synced now ({reason}): turn payment sync on in the settings first.")
    run = payments_sync(connection=connection)
    if run.outcome in (SyncOutcome.FAILED, SyncOutcome.SKIPPED):
        raise ValidationError(f"The payment sync did not run through: {run.error or run.get_outcome_display()}")
    document = type(mismatch.remote_document.document).objects.get(pk=mismatch.remote_document.document.pk)
    paid = money_text(getattr(document, "amount_paid", None))
    if paid != mismatch.theirs:
        raise ValidationError(
            f"Payments were re-synced, but we still hold {paid} paid where {provider.name} holds {mismatch.theirs}: "
            "check the payments under Needs attention, or mark it as reconciled."
        )
    return f"Payments re-synced: {document} now has {paid} paid, as in {provider.name}."


def _open_of_copy(mismatch: ReconciliationMismatch):
    return ReconciliationMismatch.objects.filter(
        connection_id=mismatch.connection_id, remote_document_id=mismatch.remote_document_id, resolved_at=None
    )


def _resolve(connection: Connection, pks: list[int], action: str, user, reason: str) -> None:
    ReconciliationMismatch.objects.filter(pk__in=pks, connection=connection, resolved_at=None).update(
        resolved_at=timezone.now(), resolved_by=user, resolution=RESOLUTIONS[action], reason=reason
    )


def _label(mismatch: ReconciliationMismatch) -> str:
    return mismatch.get_field_display().lower()


def _logged(connection: Connection, copy, user, message: str) -> str:
    who = getattr(user, "email", "") or "an admin"
    log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.INFO,
        action=f"{copy.kind}.reconciled",
        message=f"{message} ({who})",
        remote_id=copy.remote_id,
        **document_log_fields(copy),
    )
    return message
