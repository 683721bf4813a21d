"""Per-tenant limits (fixed minute and day windows, 5 concurrent) and the one-shot fault switches.

State is in DB rows so every process (web, worker) shares it. Admission happens under a lock on the tenant's
counter row (select_for_update on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway).
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.db import transaction

from .. import conf
from ..models import XeroFault, XeroInFlight, XeroOrg, XeroRateCounter
from .formats import now_ms


@dataclass
class Admission:
    admitted: bool
    in_flight_id: int | None = None
    problem: str = ""  # X-Rate-Limit-Problem when refused
    retry_after: int = 0
    minute_remaining: int = 0
    day_remaining: int = 0
    fault: str = ""  # the fault switch consumed by this call, if any


def admit(org: XeroOrg) -> Admission:
    """Count the call against the tenant's windows and mark it in flight, or refuse it (429)."""
    minute_limit = conf.get("SANDBOX_XERO_MINUTE_LIMIT")
    window = dt.timedelta(seconds=conf.get("SANDBOX_XERO_WINDOW_SECONDS"))
    day_limit = conf.get("SANDBOX_XERO_DAY_LIMIT")
    with transaction.atomic():
        counter, _ = XeroRateCounter.objects.get_or_create(org=org)
        counter = XeroRateCounter.objects.select_for_update().get(pk=counter.pk)
        now = now_ms()
        if counter.window_started_at is None or now >= counter.window_started_at + window:
            counter.window_started_at, counter.window_count = now, 0
        if counter.day != now.date():
            counter.day, counter.day_count = now.date(), 0
        window_ends = counter.window_started_at + window
        stale = now - dt.timedelta(seconds=conf.get("SANDBOX_XERO_IN_FLIGHT_STALE_SECONDS"))
        XeroInFlight.objects.filter(org=org, started_at__lt=stale).delete()
        result = Admission(
            admitted=False,
            minute_remaining=max(minute_limit - counter.window_count, 0),
            day_remaining=max(day_limit - counter.day_count, 0),
        )
        if counter.day_count >= day_limit:
            tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            result.problem, result.retry_after = "day", math.ceil((tomorrow - now).total_seconds())
        elif counter.window_count >= minute_limit:
            result.problem, result.retry_after = "minute", max(math.ceil((window_ends - now).total_seconds()), 1)
        elif XeroInFlight.objects.filter(org=org).count() >= conf.get("SANDBOX_XERO_CONCURRENT_LIMIT"):
            result.problem, result.retry_after = "concurrent", 1
        if result.problem:
            counter.save()
            return result
        counter.window_count += 1
        counter.day_count += 1
        counter.save()
        fault = XeroFault.objects.filter(org=org, consumed_at__isnull=True).first()
        if fault is not None:
            fault.consumed_at = now
            fault.save(update_fields=["consumed_at"])
        result.admitted = True
        result.fault = fault.kind if fault else ""
        result.minute_remaining = max(minute_limit - counter.window_count, 0)
        result.day_remaining = max(day_limit - counter.day_count, 0)
        result.in_flight_id = XeroInFlight.objects.create(org=org, started_at=now).pk
        return result


def release(admission: Admission) -> None:
    if admission.in_flight_id:
        XeroInFlight.objects.filter(pk=admission.in_flight_id).delete()


def fault_arm(*, org: XeroOrg, kind: str) -> XeroFault:
    return XeroFault.objects.create(org=org, kind=kind, created_at=now_ms())


def faults_pending(org: XeroOrg):
    return XeroFault.objects.filter(org=org, consumed_at__isnull=True)
