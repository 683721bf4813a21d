"""Every periodic django-q2 schedule the app runs, declared in one place.

`manage.py setup_schedules` (run by `make run` and on deploy) makes the Schedule table match SCHEDULES:
it creates or updates each entry by name and removes schedules of ours (name prefix "productive:") that are
no longer listed. Schedules without the prefix (added by hand in the admin) are left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django_q.models import Schedule

PREFIX = "productive:"


def setting_minutes(name: str, default: int) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ImproperlyConfigured(f"{name} must be a whole number of minutes (1 or more).")
    return value


@dataclass(frozen=True)
class PeriodicTask:
    name: str  # unique, starts with PREFIX
    func: str  # dotted path the worker imports and calls
    minutes_setting: str  # the setting holding the interval in minutes ...
    default_minutes: int  # ... and its value when the setting is absent
    why: str  # why it runs (printed by setup_schedules)
    args: tuple = field(default=())
    # When the interval is worked out rather than read (the payment sync: its providers' smallest poll interval).
    minutes_from: Callable[[], int] | None = None

    def minutes(self) -> int:
        if self.minutes_from is not None:
            return self.minutes_from()
        return setting_minutes(self.minutes_setting, self.default_minutes)

    def schedule_fields(self) -> dict:
        return {
            "func": self.func,
            "args": repr(self.args) if self.args else None,
            "kwargs": None,
            "hook": None,
            "schedule_type": Schedule.MINUTES,
            "minutes": self.minutes(),
            "repeats": -1,
            "cluster": None,
        }


def payments_poll_minutes() -> int:
    """The payment-sync schedule ticks at the smallest poll interval of the configured providers that sync
    payments; each connection is then polled on its own provider's interval (tasks.payments_sync_all)."""
    from .providers.base import SYNC_PAYMENTS
    from .registry import configured

    intervals = [provider.poll_interval for provider in configured() if SYNC_PAYMENTS in provider.capabilities]
    if not intervals:
        return setting_minutes("PAYMENTS_SYNC_INTERVAL_MINUTES", 2)
    return max(1, int(min(intervals).total_seconds() // 60))


def payments_poll_tick() -> timedelta:
    return timedelta(minutes=payments_poll_minutes())


SCHEDULES: tuple[PeriodicTask, ...] = (
    PeriodicTask(
        name="productive:clear-expired-sessions",
        func="django.core.management.call_command",
        args=("clearsessions",),
        minutes_setting="SESSION_CLEANUP_MINUTES",
        default_minutes=24 * 60,
        why="Sessions live in the database and Django never deletes expired ones by itself.",
    ),
    PeriodicTask(
        name="productive:payments-sync",
        func="integrations.tasks.payments_sync_all",
        minutes_setting="PAYMENTS_SYNC_INTERVAL_MINUTES",  # when no configured provider syncs payments
        default_minutes=2,
        why="Polling is the source of truth for payments (Xero has no payment webhooks): each connection is polled "
        "on its provider's interval, or at once after a webhook said something changed.",
        minutes_from=payments_poll_minutes,
    ),
    PeriodicTask(
        name="productive:purge-authorization-states",
        func="integrations.services.connections.authorization_states_purge",
        minutes_setting="AUTHORIZATION_STATES_PURGE_MINUTES",
        default_minutes=60,
        why="Abandoned connect attempts may hold a pending token: delete them once they can no longer complete.",
    ),
    PeriodicTask(
        name="productive:prune-sync-log",
        func="integrations.services.sync_log_retention.sync_log_prune",
        minutes_setting="SYNC_LOG_PRUNE_MINUTES",
        default_minutes=24 * 60,
        why="The sync log grows with every copy and payment: entries older than SYNC_LOG_RETENTION_DAYS go; each "
        "run's summary (SyncRun) stays.",
    ),
    PeriodicTask(
        name="productive:reconciliation",
        func="integrations.tasks.reconciliation_all",
        minutes_setting="RECONCILIATION_MINUTES",
        default_minutes=24 * 60,
        why="Documents change in the accounting tool behind our back (edited, voided, payments removed): each "
        "connection's copies are compared with what the provider holds, nightly, in batched reads.",
    ),
    PeriodicTask(
        name="productive:attention-digest",
        func="integrations.services.attention_digest.attention_digests_send",
        minutes_setting="ATTENTION_DIGEST_MINUTES",
        default_minutes=24 * 60,
        why="Admins who switched it on get a daily e-mail when something on their connections needs attention.",
    ),
)


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _check(schedules: tuple[PeriodicTask, ...]) -> None:
    names = [task.name for task in schedules]
    wrong = [name for name in names if not name.startswith(PREFIX)]
    if wrong:
        raise ImproperlyConfigured(f"Schedule names must start with {PREFIX!r}: {', '.join(wrong)}")
    if len(set(names)) != len(names):
        raise ImproperlyConfigured("Schedule names must be unique.")


@transaction.atomic
def schedules_sync(*, schedules: tuple[PeriodicTask, ...] = SCHEDULES) -> SyncResult:
    """Make the Schedule rows we own match `schedules`; running it twice changes nothing."""
    _check(schedules)
    result = SyncResult()
    for task in schedules:
        wanted = task.schedule_fields()
        rows = list(Schedule.objects.select_for_update().filter(name=task.name).order_by("pk"))
        # A copy made by hand (the name is not unique in django-q2) would make the lookup ambiguous.
        Schedule.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()
        current = rows[0] if rows else None
        if current is not None and all(getattr(current, key) == value for key, value in wanted.items()):
            result.unchanged.append(task.name)
            continue
        _, created = Schedule.objects.update_or_create(name=task.name, defaults=wanted)
        (result.created if created else result.updated).append(task.name)
    stale = Schedule.objects.filter(name__startswith=PREFIX).exclude(name__in=[task.name for task in schedules])
    result.removed = sorted(stale.values_list("name", flat=True))
    stale.delete()
    return result
