"""Per-tenant limits (fixed minute and day windows, calls in flight), token-call caps, one-shot fault switches.

State is in DB rows so every process (web, worker) shares it. Admission happens under a lock on the tenant's
counter row (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway).
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from .clock import now_ms
from .declaration import LimitPolicy, SandboxProvider
from .models import Fault, InFlight, RateCounter

# An in-flight marker older than this is considered abandoned (a killed process) and no longer counts.
IN_FLIGHT_STALE = dt.timedelta(seconds=120)


@dataclass
class Admission:
    admitted: bool
    in_flight_id: int | None = None
    problem: str = ""  # "minute" | "day" | "concurrent" when refused
    retry_after: int = 0
    minute_remaining: int = 0
    day_remaining: int = 0
    fault: str = ""  # the fault switch consumed by this call, if any
    minute_limit: int = 0
    day_limit: int = 0
    minute_resets_at: dt.datetime | None = None  # end of the current minute window
    day_resets_at: dt.datetime | None = None  # the next UTC midnight

    def remaining(self) -> dict:
        """Calls left; with the limits and reset times for providers that report them (Exact's X-RateLimit-*)."""
        return {
            "minute": self.minute_remaining,
            "day": self.day_remaining,
            "minute_limit": self.minute_limit,
            "day_limit": self.day_limit,
            "minute_resets_at": self.minute_resets_at,
            "day_resets_at": self.day_resets_at,
        }


def _setting(name: str, default):
    return getattr(settings, name, default) if name else default


def policy_values(policy: LimitPolicy) -> tuple[int, dt.timedelta, int, int]:
    return (
        _setting(policy.per_minute_setting, policy.per_minute),
        dt.timedelta(seconds=_setting(policy.window_setting, policy.window_seconds)),
        _setting(policy.per_day_setting, policy.per_day),
        _setting(policy.concurrent_setting, policy.concurrent),
    )


def fault_retry_after(provider: SandboxProvider) -> int:
    return _setting(provider.limits.fault_retry_after_setting, provider.limits.fault_retry_after)


def locked_counter(provider_key: str, tenant_key: str) -> RateCounter:
    counter, _ = RateCounter.objects.get_or_create(provider=provider_key, tenant_key=tenant_key)
    return RateCounter.objects.select_for_update().get(pk=counter.pk)


def admit(provider: SandboxProvider, tenant_key: str) -> Admission:
    """Count the call against the tenant's windows and mark it in flight, or refuse it."""
    tenant_key = str(tenant_key)
    minute_limit, window, day_limit, concurrent_limit = policy_values(provider.limits)
    with transaction.atomic():
        counter = locked_counter(provider.key, tenant_key)
        now = now_ms()
        if counter.window_started_at is None or now >= counter.window_started_at + window:
            counter.window_started_at, counter.window_count = now, 0
        if counter.day != now.date():
            counter.day, counter.day_count = now.date(), 0
        window_ends = counter.window_started_at + window
        tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
        in_flight = InFlight.objects.filter(provider=provider.key, tenant_key=tenant_key)
        in_flight.filter(started_at__lt=now - IN_FLIGHT_STALE).delete()
        result = Admission(
            admitted=False,
            minute_remaining=max(minute_limit - counter.window_count, 0),
            day_remaining=max(day_limit - counter.day_count, 0),
            minute_limit=minute_limit,
            day_limit=day_limit,
            minute_resets_at=window_ends,
            day_resets_at=tomorrow,
        )
        if counter.day_count >= day_limit:
            result.problem, result.retry_after = "day", math.ceil((tomorrow - now).total_seconds())
        elif counter.window_count >= minute_limit:
            result.problem, result.retry_after = "minute", max(math.ceil((window_ends - now).total_seconds()), 1)
        elif in_flight.count() >= concurrent_limit:
            result.problem, result.retry_after = "concurrent", 1
        if result.problem:
            counter.save()
            return result
        counter.window_count += 1
        counter.day_count += 1
        counter.save()
        fault = Fault.objects.filter(provider=provider.key, tenant_key=tenant_key, consumed_at__isnull=True).first()
        if fault is not None:
            fault.consumed_at = now
            fault.save(update_fields=["consumed_at"])
        result.admitted = True
        result.fault = fault.kind if fault else ""
        result.minute_remaining = max(minute_limit - counter.window_count, 0)
        result.day_remaining = max(day_limit - counter.day_count, 0)
        result.in_flight_id = InFlight.objects.create(provider=provider.key, tenant_key=tenant_key, started_at=now).pk
        return result


def release(admission: Admission) -> None:
    if admission.in_flight_id:
        InFlight.objects.filter(pk=admission.in_flight_id).delete()


def token_call_count(provider_key: str, client_id: str) -> int:
    """Count one token-endpoint call of the client today (UTC) and return today's count."""
    with transaction.atomic():
        counter = locked_counter(provider_key, f"@token-calls:{client_id}")
        today = now_ms().date()
        if counter.day != today:
            counter.day, counter.day_count = today, 0
        counter.day_count += 1
        counter.save()
        return counter.day_count


def fault_arm(provider: SandboxProvider, tenant_key: str, kind: str) -> Fault:
    return Fault.objects.create(provider=provider.key, tenant_key=str(tenant_key), kind=kind, created_at=now_ms())


def faults_pending(provider: SandboxProvider, tenant_key: str):
    return Fault.objects.filter(provider=provider.key, tenant_key=str(tenant_key), consumed_at__isnull=True)
