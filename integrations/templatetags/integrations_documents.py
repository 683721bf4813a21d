"""Template tags the expense and purchase order pages use to show the integrations:
{% load integrations_documents %}."""

from django import template

from billing.choices import PaymentSource
from billing.tenancy import current_membership

from .. import document_selectors
from ..documents import adapter_of

register = template.Library()

SEND_URLS = {"bill": "integrations:expense-send", "purchase_order": "integrations:purchase-order-send"}
STATUS_URLS = {"purchase_order": "integrations:purchase-order-status"}


@register.inclusion_tag("integrations/document_panel.html", takes_context=True)
def document_integrations_panel(context, document):
    """The document's accounting panel: where it can be sent, its copies, the payments that came back (a bill's),
    its sync log. Shown only while some connection sends this kind (an expense's payment section disappears when
    "Send expenses" is turned off everywhere; its history stays)."""
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    kind = adapter_of(document).kind
    panel = document_selectors.document_panel(document=document)
    shown = bool(panel["rows"] or panel["warnings"]) or (kind == "purchase_order" and bool(panel["other_copies"]))
    synced = [p for p in document.payments.all() if p.source != PaymentSource.MANUAL] if kind == "bill" else []
    return {
        **panel,
        "shown": shown,
        "synced_payments": synced,
        "send_url": SEND_URLS[kind],
        "status_url": STATUS_URLS.get(kind, ""),
        "is_admin": bool(membership and membership.is_admin),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.simple_tag(takes_context=True)
def document_bulk_send(context, kind: str) -> list:
    """The providers the list's bulk "Send to …" names (admins; connections that send `kind` now); []: not offered."""
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    if not (membership and membership.is_admin):
        return []
    connections = document_selectors.export_connections_for_organization(
        organization=membership.organization, kind=kind
    )
    return sorted({connection.name for connection in connections})
