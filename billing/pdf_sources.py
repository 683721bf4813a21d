"""Where an invoice's PDF comes from when another app makes it, without billing importing that app.

An app registers a source (from its AppConfig.ready()): given an invoice, it answers the PDF bytes it holds for
it, or None to leave the PDF to us. When it should have one but cannot get it, it raises PdfSourceError with a
message for the user: the view shows that message instead of silently serving a PDF that is not the invoice's
official one.
"""

from __future__ import annotations

from collections.abc import Callable


class PdfSourceError(Exception):
    """The source owns this invoice's PDF but could not fetch it; str() is the message for the user."""


_sources: list[Callable[[object], bytes | None]] = []


def register_invoice_pdf_source(source: Callable[[object], bytes | None]) -> None:
    if source not in _sources:
        _sources.append(source)


def external_invoice_pdf(invoice) -> bytes | None:
    """The first registered source's PDF of the invoice, None when none has one (then ours is rendered)."""
    for source in _sources:
        pdf = source(invoice)
        if pdf is not None:
            return pdf
    return None
