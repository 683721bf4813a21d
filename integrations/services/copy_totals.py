"""After every accepted copy: keep the total the provider computed and say so when it is not ours.

Both sides round each line to the cent, but a provider may still land elsewhere (its own tax rounding, a setting
on its side); a payment of its amount due would then leave our invoice over- or underpaid. The difference is
shown on the invoice (RemoteDocument.total_mismatch) and logged, never hidden.
"""

from __future__ import annotations

from billing.models import Invoice
from billing.money import format_money

from ..models import LogLevel, RemoteDocument
from ..providers.base import RemoteInvoice
from ..synclog import log


def invoice_copy_total_check(*, copy: RemoteDocument, invoice: Invoice, remote: RemoteInvoice) -> None:
    """Store the provider's total on the copy; log a warning when it differs from the invoice's total."""
    copy.remote_total = remote.total
    copy.save(update_fields=["remote_total", "updated_at"])
    if remote.total is None or remote.total == invoice.total:
        return
    provider = copy.connection.name
    log(
        organization_id=copy.organization_id,
        connection_id=copy.connection_id,
        invoice_id=invoice.pk,
        level=LogLevel.WARNING,
        action="invoice.total_mismatch",
        message=(
            f"{provider} computed a total of {format_money(remote.total, invoice.currency)}; ours is "
            f"{format_money(invoice.total, invoice.currency)}. "
            f"Check the lines in {provider} before recording its payments."
        ),
        remote_id=remote.id,
    )
