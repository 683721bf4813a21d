"""The provider's PDF of an invoice, for billing's "Download PDF" (registered in IntegrationsConfig.ready())."""

from __future__ import annotations

import logging

from billing.pdf_sources import PdfSourceError
from integrations import registry
from integrations.connection_state import person_message
from integrations.exceptions import IntegrationError
from integrations.selectors import provider_pdf_copy

logger = logging.getLogger("integrations.pdf")


def invoice_provider_pdf(invoice) -> bytes | None:
    """The PDF the provider renders for the invoice's latest live copy, when the setup says the provider makes it;
    None otherwise (our PDF). A provider failure is a PdfSourceError with a clear message: serving our PDF instead
    would hand out a document that is not the one the client sees in the accounting tool."""
    copy = provider_pdf_copy(invoice=invoice)
    if copy is None:
        return None
    provider = registry.get(copy.connection.provider)
    try:
        pdf = provider.api(copy.connection).document_pdf(copy.kind, copy.remote_id)
    except IntegrationError as exc:
        logger.warning("invoice %s: %s PDF not fetched: %s", invoice.pk, provider.key, type(exc).__name__)
        raise PdfSourceError(
            f"{provider.name} makes this invoice's PDF, and it could not be fetched from {provider.name} just now: "
            f"{person_message(exc)} Try again later."
        ) from None
    if not pdf.startswith(b"%PDF"):
        raise PdfSourceError(f"{provider.name} did not send a PDF for this invoice. Try again later.")
    return pdf
