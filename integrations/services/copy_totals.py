"""After every accepted copy: keep the total the provider computed and say so when it is not ours.

Both sides round each line to the cent, but a provider may still land elsewhere (its own tax rounding, a setting
on its side); a payment of its amount due would then leave our invoice over- or underpaid. The difference is
shown on the document (RemoteDocument.total_mismatch) and logged, never hidden.
"""

from __future__ import annotations

from billing.money import format_money

from ..documents import adapter_of
from ..models import LogLevel, RemoteDocument
from ..providers.base import RemoteInvoice
from ..synclog import document_log_fields, log


def invoice_copy_total_check(*, copy: RemoteDocument, invoice, remote: RemoteInvoice) -> None:
    """Store the provider's total on the copy; log a warning when it differs from the document's total
    (`invoice`: the invoice, or any exported document)."""
    adapter = adapter_of(invoice)
    total, currency = adapter.total(invoice), adapter.currency(invoice)
    copy.remote_total = remote.total
    copy.save(update_fields=["remote_total", "updated_at"])
    if remote.total is None or remote.total == total:
        return
    provider = copy.connection.name
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        **document_log_fields(copy),
        level=LogLevel.WARNING,
        action=f"{adapter.kind}.total_mismatch",
        message=(
            f"{provider} computed a total of {format_money(remote.total, currency)}; ours is "
            f"{format_money(total, currency)}. "
            f"Check the lines in {provider} before recording its payments."
        ),
        remote_id=remote.id,
    )
