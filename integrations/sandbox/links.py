"""Links from the app into the sandbox (the connection card calls sandbox_page_url)."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse


def sandbox_page_url(connection) -> str | None:
    """The sandbox page of a sandbox connection's organisation, or None (not a sandbox / sandboxes off)."""
    if not getattr(settings, "SANDBOX_PROVIDERS", False) or not connection.is_sandbox:
        return None
    if connection.provider != "xero" or not connection.remote_tenant_id:
        return None
    try:
        return reverse("sandbox:xero-org", kwargs={"tenant_id": connection.remote_tenant_id})
    except NoReverseMatch:
        return None
