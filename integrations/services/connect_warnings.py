"""What an admin should know before (or right after) connecting a subsidiary to a remote tenant: that another
subsidiary of theirs is connected to it already, or that its base currency is not the subsidiary's.

Warnings, not refusals (two subsidiaries may share one organisation on purpose), except that connecting the same
subsidiary to the same tenant twice is refused at completion; the choose-organisation page says so beforehand.
Shown server-rendered on the choose-organisation page, and after the callback on the page it lands on.
"""

from __future__ import annotations

import logging

from billing.models import Subsidiary

from .. import registry
from ..exceptions import IntegrationError
from ..models import Connection, ConnectionStatus
from ..providers.base import Provider, RemoteTenant, TokenSet
from .pick_lists import TENANT_SETTING  # where the connection keeps tenant_details()

logger = logging.getLogger("integrations.connections")

BASE_CURRENCY = "base_currency"  # the key of tenant_details() / pending_tenant_details() this module reads
# Describing each tenant for the choose page (its base currency) costs one call per tenant: bounded.
MAX_TENANTS_DESCRIBED = 10


def describe_tenants(provider: Provider, tokens: TokenSet, tenants: list[RemoteTenant], options: dict):
    """The granted tenants with their pending_tenant_details in `extra` (best effort: a failure leaves them out)."""
    described = []
    for index, tenant in enumerate(tenants):
        details = {}
        if index < MAX_TENANTS_DESCRIBED:
            try:
                details = provider.pending_tenant_details(tokens.access_token, tenant, options=options)
            except IntegrationError as exc:
                logger.info("%s tenant details not loaded: %s", provider.key, exc.message)
        described.append(RemoteTenant(tenant.id, tenant.name, tenant.connection_id, {**tenant.extra, **details}))
    return described


def connect_warnings(
    *,
    provider: Provider,
    subsidiary: Subsidiary,
    tenant_id: str,
    tenant_name: str,
    base_currency: str = "",
    exclude_pk=None,
) -> list[str]:
    """The warnings for connecting `subsidiary` to one remote tenant (`exclude_pk`: the connection just made)."""
    others = (
        Connection.objects.filter(
            organization_id=subsidiary.organization_id, provider=provider.key, remote_tenant_id=tenant_id
        )
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .select_related("subsidiary")
        .order_by("pk")
    )
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    name = tenant_name or tenant_id
    warnings = []
    for other in others:
        if other.subsidiary_id == subsidiary.pk:
            warnings.append(
                f"{subsidiary} is already connected to {name} (“{other.name}”): connecting it again is refused. "
                "Use Reconnect on that connection instead."
            )
        else:
            warnings.append(
                f"{name} is already connected for {other.subsidiary} (“{other.name}”): the invoices and payments "
                f"of both subsidiaries go to the same {provider.name} {provider.tenant_noun}."
            )
    currency = (base_currency or "").strip().upper()
    if currency and currency != (subsidiary.default_currency or "").upper():
        warnings.append(
            f"{name} keeps its books in {currency} but {subsidiary} invoices in {subsidiary.default_currency}: "
            f"its invoices will be foreign-currency invoices in {provider.name}."
        )
    return warnings


def tenant_warnings(state, tenant: dict) -> list[str]:
    """connect_warnings for one of a pending round trip's tenants (none for a reconnect: same tenant, same row)."""
    if state.reconnect_id:
        return []
    return connect_warnings(
        provider=registry.get(state.provider),
        subsidiary=state.subsidiary,
        tenant_id=tenant["id"],
        tenant_name=tenant.get("name", ""),
        base_currency=(tenant.get("extra") or {}).get(BASE_CURRENCY, ""),
    )


def connection_warnings(connection: Connection) -> list[str]:
    """connect_warnings for a connection just made, with the tenant details loaded after connecting."""
    details = (connection.settings or {}).get(TENANT_SETTING) or {}
    return connect_warnings(
        provider=registry.get(connection.provider),
        subsidiary=connection.subsidiary,
        tenant_id=connection.remote_tenant_id,
        tenant_name=connection.remote_tenant_name,
        base_currency=details.get(BASE_CURRENCY, ""),
        exclude_pk=connection.pk,
    )
