"""Template tags the billing pages use to show the integrations: {% load integrations_invoice %}."""

from django import template

from billing.tenancy import current_membership

from .. import selectors
from ..services.remote_void import live_copies

register = template.Library()


@register.inclusion_tag("integrations/copy_panel.html", takes_context=True)
def invoice_integrations_panel(context, invoice):
    """The invoice's accounting-tool panel: usable connections, their latest copy, warnings and recent log."""
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    return {
        **selectors.invoice_panel(invoice=invoice),
        "is_admin": bool(membership and membership.is_admin),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("integrations/void_action.html", takes_context=True)
def invoice_void_action(context, invoice):
    """The invoice page's "Void": a prompt when the invoice has a live copy in an accounting tool (void it there
    too?), else billing's own void."""
    return {
        "invoice": invoice,
        "has_copies": bool(live_copies(invoice=invoice)),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def bulk_copy_available(context) -> list:
    """The providers the invoice list's bulk "Copy to …" names (an admin, and configured copy providers); [] when
    it is not offered."""
    request = context.get("request")
    membership = current_membership(request) if request is not None else None
    if not (membership and membership.is_admin):
        return []
    return selectors.copy_providers(organization=membership.organization)


@register.filter
def accounting_state_label(state: str) -> str:
    """The invoice list's words for an AccountingState value."""
    return selectors.AccountingState.LABELS.get(state, "")
