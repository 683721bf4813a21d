"""Selectors for the App marketplace page: one entry per configured provider, with its connections."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet

from billing.models import Organization

from . import registry
from .models import Connection, ConnectionStatus
from .providers.base import CAPABILITY_LABELS, Provider
from .sandbox.links import sandbox_page_url


@dataclass
class CapabilityEntry:
    key: str
    label: str
    allowed: bool
    required_plan: str
    upcoming: bool = False  # announced, not built yet


@dataclass
class ConnectionEntry:
    connection: Connection
    setup_complete: bool
    sandbox_url: str | None = None  # the built-in sandbox's page of this organisation (sandbox connections)
    setup_missing: list[str] = field(default_factory=list)  # what the setup still needs (Provider.setup_missing)

    @property
    def needs_reconnect(self) -> bool:
        return self.connection.status in (ConnectionStatus.NEEDS_RECONNECT, ConnectionStatus.ERROR)


@dataclass
class MarketplaceEntry:
    provider: Provider
    allowed: bool  # the organization's plan allows connecting it
    required_plan: str
    capabilities: list[CapabilityEntry]
    connections: list[ConnectionEntry] = field(default_factory=list)

    @property
    def upgrade_hints(self) -> list[CapabilityEntry]:
        return [c for c in self.capabilities if not c.allowed]


def organization_connections(*, organization: Organization) -> QuerySet[Connection]:
    return Connection.objects.filter(organization=organization).select_related("subsidiary")


def connection_for_admin(*, organization: Organization, pk, configured_only: bool = True) -> Connection:
    """The organization's connection (another organization's → DoesNotExist, i.e. a 404 in views)."""
    connection = organization_connections(organization=organization).get(pk=pk)
    if configured_only:
        registry.get_configured_or_404(connection.provider)
    return connection


def marketplace_entries(*, organization: Organization) -> list[MarketplaceEntry]:
    providers = registry.configured()
    connections = list(
        organization_connections(organization=organization)
        .filter(provider__in=[p.key for p in providers], removed_at__isnull=True)
        .order_by("status", "subsidiary__name", "name")
    )
    entries = []
    for provider in providers:
        entry = MarketplaceEntry(
            provider=provider,
            allowed=provider.allows(organization),
            required_plan=provider.required_plan(),
            capabilities=[
                CapabilityEntry(
                    key=capability,
                    label=CAPABILITY_LABELS.get(capability, capability),
                    allowed=provider.allows(organization, capability),
                    required_plan=provider.required_plan(capability),
                    upcoming=capability in provider.upcoming_capabilities,
                )
                for capability in sorted(
                    provider.capabilities | provider.upcoming_capabilities, key=list(CAPABILITY_LABELS).index
                )
            ],
        )
        for connection in connections:
            if connection.provider == provider.key:
                live = connection.status != ConnectionStatus.DISCONNECTED
                missing = provider.setup_missing(connection) if live else []
                entry.connections.append(
                    ConnectionEntry(connection, live and not missing, sandbox_page_url(connection), missing)
                )
        entries.append(entry)
    return entries
