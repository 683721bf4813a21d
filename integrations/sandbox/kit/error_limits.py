"""Per-endpoint error limits (a provider's `error_limit`): more than N counted error answers to one endpoint of a
tenant within the window block that endpoint; every call to it is then answered with the provider's
`error_blocked` reply until the block has passed.

Counted: answers to calls of a granted tenant (the provider's refusals and the calls' own answers, faults
included). A call without a valid token or for a tenant it does not grant names no user and division to count
against, so it is not counted.

State: one RateCounter row per (tenant, endpoint), `tenant_key` = "<tenant>@errors:<endpoint>", so every process
shares it. `window_started_at` / `window_count` are the current window (it starts at its first error); a count
above the limit means blocked, and then `window_started_at` is when the block began.
"""

import datetime as dt
import hashlib
import math

from django.conf import settings
from django.db import transaction

from .clock import now_ms
from .declaration import ErrorLimit, SandboxProvider
from .limits import locked_counter
from .models import RateCounter

MARK = "@errors:"
ENDPOINT_KEPT = 100  # characters of the endpoint in the counter's key; a longer one is shortened to a digest


def _key(tenant_key: str, endpoint: str) -> str:
    if len(endpoint) > ENDPOINT_KEPT:
        endpoint = endpoint[:80] + "…" + hashlib.blake2b(endpoint.encode(), digest_size=8).hexdigest()
    return f"{tenant_key}{MARK}{endpoint}"


def _errors(limit: ErrorLimit) -> int:
    return getattr(settings, limit.errors_setting, limit.errors) if limit.errors_setting else limit.errors


def _block_left(counter: RateCounter, limit: ErrorLimit, now: dt.datetime) -> int:
    """Seconds the endpoint stays blocked (0: not blocked)."""
    if counter.window_started_at is None or counter.window_count <= _errors(limit):
        return 0
    ends = counter.window_started_at + dt.timedelta(seconds=limit.block_seconds)
    return max(0, math.ceil((ends - now).total_seconds()))


def blocked_for(provider: SandboxProvider, tenant_key: str, endpoint: str) -> int:
    """Seconds `endpoint` of the tenant stays blocked for too many errors (0: it is not)."""
    counter = RateCounter.objects.filter(provider=provider.key, tenant_key=_key(tenant_key, endpoint)).first()
    return _block_left(counter, provider.error_limit, now_ms()) if counter else 0


def error_count(provider: SandboxProvider, tenant_key: str, endpoint: str, status: int) -> None:
    """Count an answer of a counted status; the one that exceeds the limit starts the block."""
    limit = provider.error_limit
    if status not in limit.statuses:
        return
    with transaction.atomic():
        counter = locked_counter(provider.key, _key(tenant_key, endpoint))
        now = now_ms()
        if _block_left(counter, limit, now):
            return
        window_over = counter.window_started_at is None or now >= counter.window_started_at + dt.timedelta(
            seconds=limit.window_seconds
        )
        if window_over or counter.window_count > _errors(limit):  # a new window, or a block that has passed
            counter.window_started_at, counter.window_count = now, 0
        counter.window_count += 1
        if counter.window_count > _errors(limit):
            counter.window_started_at = now  # blocked from now
        counter.save()


def rule(provider: SandboxProvider) -> str:
    """The rule in a sentence (the tenant page)."""
    limit = provider.error_limit
    if limit is None:
        return ""
    statuses = ", ".join(str(status) for status in sorted(limit.statuses))
    return (
        f"More than {_errors(limit)} answers of {statuses} to one endpoint within {_span(limit.window_seconds)} "
        f"block that endpoint for {_span(limit.block_seconds)}."
    )


def _span(seconds: int) -> str:
    return "an hour" if seconds == 3600 else f"{seconds} seconds"


def error_blocks(provider: SandboxProvider, tenant_key: str) -> list[tuple[str, dt.datetime]]:
    """The tenant's blocked endpoints and when each block ends (the tenant page)."""
    if provider.error_limit is None:
        return []
    now, found = now_ms(), []
    counters = RateCounter.objects.filter(provider=provider.key, tenant_key__startswith=f"{tenant_key}{MARK}")
    for counter in counters:
        left = _block_left(counter, provider.error_limit, now)
        if left:
            found.append((counter.tenant_key.split(MARK, 1)[1], now + dt.timedelta(seconds=left)))
    return sorted(found)


def error_counts_clear(provider: SandboxProvider, tenant_key: str) -> int:
    """Forget the tenant's error counts and blocks (a page control); returns how many endpoints had any."""
    counters = RateCounter.objects.filter(provider=provider.key, tenant_key__startswith=f"{tenant_key}{MARK}")
    return counters.delete()[0]
