"""Reads for the expense and purchase order pages (their accounting panel), the expense list's bulk send and the
API, for any exported kind. Every query is scoped to the document's organization."""

from __future__ import annotations

from django.db.models import QuerySet

from billing.models import Organization

from . import copy_advice, registry
from .documents import adapter_for, adapter_of
from .models import Connection, ConnectionStatus, RemoteDocument, SyncLogEntry

PANEL_LOG_ENTRIES = 8


def export_providers(*, organization: Organization, kind: str) -> list:
    """The configured providers that export `kind` and whose plan this organization has."""
    adapter = adapter_for(kind)
    return [
        provider
        for provider in registry.configured()
        if adapter.capability in provider.capabilities
        and kind in provider.export_kinds
        and provider.allows(organization, adapter.capability)
    ]


def export_connections(*, organization: Organization, kind: str, subsidiary_ids) -> dict[int, list[Connection]]:
    """Each subsidiary's active connections that export `kind` now (provider, plan and setup allow), one query."""
    providers = {provider.key: provider for provider in export_providers(organization=organization, kind=kind)}
    result: dict[int, list[Connection]] = {}
    connections = Connection.objects.filter(
        organization=organization,
        subsidiary_id__in=set(subsidiary_ids),
        status=ConnectionStatus.ACTIVE,
        provider__in=list(providers),
    ).order_by("provider", "name", "pk")
    for connection in connections:
        if providers[connection.provider].exports_enabled(connection, kind):
            result.setdefault(connection.subsidiary_id, []).append(connection)
    return result


def export_connection_warnings(*, organization: Organization, kind: str, subsidiary_id) -> list[Connection]:
    """The subsidiary's connections that would send `kind` but need a reconnect or are in error (the panel names
    them with a Reconnect button; their rows are gone until then)."""
    providers = {provider.key: provider for provider in export_providers(organization=organization, kind=kind)}
    connections = Connection.objects.filter(
        organization=organization,
        subsidiary_id=subsidiary_id,
        status__in=[ConnectionStatus.NEEDS_RECONNECT, ConnectionStatus.ERROR],
        provider__in=list(providers),
    ).order_by("provider", "name", "pk")
    return [
        connection for connection in connections if providers[connection.provider].exports_enabled(connection, kind)
    ]


def exports_enabled_anywhere(*, organization: Organization, kind: str) -> bool:
    """Whether any live connection of the organization exports `kind` now (the expense pages' payment section
    is shown only then; turning the export off hides it, the history stays)."""
    return bool(export_connections_for_organization(organization=organization, kind=kind))


def export_connections_for_organization(*, organization: Organization, kind: str) -> list[Connection]:
    subsidiaries = Connection.objects.filter(organization=organization).values_list("subsidiary_id", flat=True)
    found = export_connections(organization=organization, kind=kind, subsidiary_ids=list(subsidiaries))
    return [connection for connections in found.values() for connection in connections]


def document_copies(*, document) -> QuerySet[RemoteDocument]:
    """A document's remote documents (every attempt, every connection), newest first."""
    return document.copies.filter(organization_id=document.organization_id).select_related("connection")


def document_log(*, document, limit: int = PANEL_LOG_ENTRIES) -> list[SyncLogEntry]:
    adapter = adapter_of(document)
    return list(
        SyncLogEntry.objects.filter(
            organization_id=document.organization_id, is_http_call=False, **adapter.lookup(document)
        ).select_related("connection")[:limit]
    )


def document_panel(*, document) -> dict:
    """What an expense's or purchase order's accounting panel shows: the connections it can be sent through, each
    with its latest copy (else the newest attempt) and the newest attempt when that failed; copies on other
    connections; the payments that came back (bills); the recent sync log."""
    adapter = adapter_of(document)
    organization = document.organization
    connections = export_connections(
        organization=organization, kind=adapter.kind, subsidiary_ids=[adapter.subsidiary_id(document)]
    ).get(adapter.subsidiary_id(document), [])
    shown: dict[int, RemoteDocument] = {}
    newest: dict[int, RemoteDocument] = {}
    for copy in document_copies(document=document).order_by("-created_at", "-id"):
        newest.setdefault(copy.connection_id, copy)
        if copy.is_latest:
            shown[copy.connection_id] = copy
    latest = {**newest, **shown}
    ids = {connection.pk for connection in connections}
    return {
        "document": document,
        "kind": adapter.kind,
        "label": adapter.label,
        "refusal": adapter.export_refusal(document),
        "rows": [
            copy_advice.panel_row(connection, latest.get(connection.pk), newest.get(connection.pk), "send")
            for connection in connections
        ],
        "other_copies": [copy for pk, copy in latest.items() if pk not in ids],
        "warnings": export_connection_warnings(
            organization=organization, kind=adapter.kind, subsidiary_id=adapter.subsidiary_id(document)
        ),
        "log": document_log(document=document),
    }
