"""Sync health counts in templates: the Needs attention badge of the marketplace rows and the settings navigation."""

from django import template

from ..attention import attention_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def attention_total(context) -> int:
    """Items needing attention over the organization's connections (admins only; 0 otherwise). One query, or
    none when the page already counted them (the marketplace's `attention`)."""
    if not context.get("is_org_admin"):
        return 0
    counts = context.get("attention")
    if counts is None:
        request = context.get("request")
        organization = getattr(request, "organization", None)
        if organization is None:
            return 0
        counts = attention_counts(organization=organization)
    return sum(counts.values())


@register.filter
def attention_of(counts, connection_pk) -> int:
    return (counts or {}).get(connection_pk, 0)
