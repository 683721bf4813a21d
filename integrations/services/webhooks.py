"""Receive a provider's webhook delivery: store each event once and queue the payment syncs it asks for.

The view (views/webhooks.py) has checked the signature over the raw body and the provider has parsed it into
WebhookNotices. Webhooks are hints, never data: the payment sync they queue reads the provider, and the scheduled
poll stays the source of truth (a dropped webhook costs latency, never a payment). Here:

- dedupe: (provider, notice key) is unique; a redelivered event is acknowledged and ignored;
- each new event is matched to the live connections of its remote tenant (none: stored as "unknown tenant" and
  still acknowledged, so the provider never retries into an error loop) and, when it asks for a sync only of a
  document we copied (Xero's INVOICE updates), to the connections holding a copy of that resource;
- every connection an event wants synced is marked (Connection.sync_requested_at: due at the schedule's next
  tick, whatever its poll interval) and gets at most one queued sync however many events a burst brings: none
  while one of its runs is running (the one-running rule would only skip it; the mark makes the next tick run it),
  none within the debounce after the last queued one (tasks.payments_sync_enqueue).

Queries are bounded by the connections concerned, never by the number of events.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ..models import (
    Connection,
    ConnectionStatus,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    SyncRun,
    WebhookEvent,
    WebhookResult,
)
from ..providers.base import SYNC_IF_OUR_DOCUMENT, SYNC_NONE, Provider, WebhookNotice

KEY_MAX = 255  # WebhookEvent.dedupe_key
EXCERPT_KEYS = 12
EXCERPT_TEXT = 200


@dataclass
class WebhookReceipt:
    stored: int = 0
    duplicates: int = 0
    queued: list[int] = field(default_factory=list)  # connection ids a payment sync was queued for


def _dedupe_key(notice: WebhookNotice) -> str:
    key = notice.key
    return key if len(key) <= KEY_MAX else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _bounded(value, depth: int = 0):
    """The excerpt as support reads it in the admin: a few short fields, whatever the provider sent."""
    if isinstance(value, dict) and depth < 2:
        return {str(k)[:40]: _bounded(v, depth + 1) for k, v in list(value.items())[:EXCERPT_KEYS]}
    if isinstance(value, bool | int | float) or value is None:
        return value
    return str(value)[:EXCERPT_TEXT]


def _tenant_connections(provider_key: str, tenant_ids: set[str]) -> dict[str, list[Connection]]:
    """Each tenant's live connections of ours (shared tenants: several, in several organizations)."""
    found: dict[str, list[Connection]] = {}
    connections = (
        Connection.objects.filter(provider=provider_key, remote_tenant_id__in=tenant_ids, removed_at__isnull=True)
        .exclude(status=ConnectionStatus.DISCONNECTED)
        .select_related("organization")
        .order_by("pk")
    )
    for connection in connections:
        found.setdefault(connection.remote_tenant_id, []).append(connection)
    return found


def _document_holders(connection_ids: set[int], resource_ids: set[str]) -> set[tuple[int, str]]:
    """(connection id, remote id) of every copy we made of one of the resources."""
    if not connection_ids or not resource_ids:
        return set()
    copies = RemoteDocument.objects.filter(connection_id__in=connection_ids, remote_id__in=resource_ids)
    return set(copies.values_list("connection_id", "remote_id"))


def _affected(notice: WebhookNotice, tenant_connections: list[Connection], holders) -> list[Connection]:
    if notice.wants_sync == SYNC_NONE:
        return []
    if notice.wants_sync == SYNC_IF_OUR_DOCUMENT:
        return [c for c in tenant_connections if (c.pk, notice.resource_id) in holders]
    return list(tenant_connections)


def _connection_states(connections: dict[int, Connection], now) -> dict[int, str]:
    """What each connection an event wants synced gets: a queued sync, one already pending, or none (it does
    not sync now). Claims the queue slots; the tasks are queued once the events are stored."""
    from ..tasks import payment_sync_skip_reason, payments_sync_claim

    eligible = [pk for pk, connection in connections.items() if not payment_sync_skip_reason(connection)]
    running = set(
        SyncRun.objects.filter(
            connection_id__in=eligible, kind=SyncKind.PAYMENTS, outcome=SyncOutcome.RUNNING
        ).values_list("connection_id", flat=True)
    )
    claimed = set(payments_sync_claim([pk for pk in eligible if pk not in running], now=now))
    states = {}
    for pk in connections:
        if pk not in eligible:
            states[pk] = WebhookResult.SYNC_SKIPPED
        else:
            states[pk] = WebhookResult.SYNC_QUEUED if pk in claimed else WebhookResult.SYNC_PENDING
    return states


# The best that happened for an event that concerns several connections.
_RESULT_ORDER = [WebhookResult.SYNC_QUEUED, WebhookResult.SYNC_PENDING, WebhookResult.SYNC_SKIPPED]


def _event_row(provider: Provider, key: str, notice: WebhookNotice, tenant_connections, affected, states, now):
    if not tenant_connections:
        result, connection = WebhookResult.UNKNOWN_TENANT, None
    elif affected:
        # The connection whose sync will cover it (its run marks it processed).
        connection = min(affected, key=lambda c: _RESULT_ORDER.index(states[c.pk]))
        result = states[connection.pk]
    else:
        result = WebhookResult.NOT_OURS if notice.wants_sync == SYNC_IF_OUR_DOCUMENT else WebhookResult.NO_SYNC
        connection = tenant_connections[0]
    waits = result in (WebhookResult.SYNC_QUEUED, WebhookResult.SYNC_PENDING)
    return WebhookEvent(
        provider=provider.key,
        dedupe_key=key,
        connection=connection,
        remote_tenant_id=notice.tenant_id[:100],
        resource_kind=notice.resource_kind[:40],
        resource_id=notice.resource_id[:100],
        event_type=notice.event_type[:40],
        occurred_at=notice.occurred_at,
        received_at=now,
        result=result,
        processed_at=None if waits else now,  # a queued or pending one is processed by the sync that covers it
        payload_excerpt=_bounded(notice.excerpt),
    )


def webhook_receive(*, provider: Provider, notices: list[WebhookNotice]) -> WebhookReceipt:
    """Store the delivery's new events and queue the payment syncs they ask for (see the module docstring)."""
    from ..tasks import payments_sync_queue

    now = timezone.now()
    receipt = WebhookReceipt()
    unique: dict[str, WebhookNotice] = {}
    for notice in notices:
        unique.setdefault(_dedupe_key(notice), notice)
    known = set(
        WebhookEvent.objects.filter(provider=provider.key, dedupe_key__in=list(unique)).values_list(
            "dedupe_key", flat=True
        )
    )
    fresh = {key: notice for key, notice in unique.items() if key not in known}
    receipt.duplicates = len(notices) - len(fresh)
    if not fresh:
        return receipt

    by_tenant = _tenant_connections(provider.key, {notice.tenant_id for notice in fresh.values()})
    candidates = {c.pk for connections in by_tenant.values() for c in connections}
    documents = {n.resource_id for n in fresh.values() if n.wants_sync == SYNC_IF_OUR_DOCUMENT}
    holders = _document_holders(candidates, documents)
    affected = {key: _affected(notice, by_tenant.get(notice.tenant_id, []), holders) for key, notice in fresh.items()}
    wanted = {c.pk: c for connections in affected.values() for c in connections}
    states = _connection_states(wanted, now)

    rows = [
        _event_row(provider, key, notice, by_tenant.get(notice.tenant_id, []), affected[key], states, now)
        for key, notice in fresh.items()
    ]
    with transaction.atomic():
        # A concurrent delivery of the same event may have stored it meanwhile: the unique key keeps one.
        WebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
        if wanted:
            Connection.objects.filter(pk__in=list(wanted)).update(sync_requested_at=now)
    receipt.stored = len(rows)
    receipt.queued = [pk for pk, state in states.items() if state == WebhookResult.SYNC_QUEUED]
    payments_sync_queue(receipt.queued)
    return receipt


def webhook_requests_covered(*, connection_id: int, run: SyncRun) -> None:
    """A payment sync ran: what webhooks said before it started is covered (the mark is cleared, their events
    processed). What arrived after its start keeps the connection due (tasks.payments_sync_trailing runs it)."""
    Connection.objects.filter(pk=connection_id, sync_requested_at__lte=run.started_at).update(sync_requested_at=None)
    WebhookEvent.objects.filter(
        connection_id=connection_id, processed_at__isnull=True, received_at__lte=run.started_at
    ).update(processed_at=run.finished_at or timezone.now())
