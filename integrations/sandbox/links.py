"""Links from the app into the sandbox (the connection card calls sandbox_page_url)."""

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .kit.registry import get


def sandbox_page_url(connection) -> str | None:
    """The sandbox page of a sandbox connection's tenant, or None (not a sandbox / sandboxes off)."""
    if not getattr(settings, "SANDBOX_PROVIDERS", False) or not connection.is_sandbox:
        return None
    provider = get(connection.provider)
    if provider is None or not connection.remote_tenant_id:
        return None
    try:
        return reverse(
            f"sandbox:{provider.key}-{provider.tenant_url_name}", kwargs={"tenant_id": connection.remote_tenant_id}
        )
    except NoReverseMatch:
        return None
