"""Retention of the sync log: entries older than settings.SYNC_LOG_RETENTION_DAYS (default 400) are deleted by a
daily schedule (integrations.schedules). A SyncRun outlives its entries: it holds the run's counts and API calls,
and an entry's link to it is all that goes.

Deleted in batches of ids, so one run never holds a long lock on the table nor loads the rows it deletes.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from ..models import SyncLogEntry

DEFAULT_RETENTION_DAYS = 400
BATCH = 5000


def retention_days() -> int:
    days = getattr(settings, "SYNC_LOG_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise ImproperlyConfigured("SYNC_LOG_RETENTION_DAYS must be a whole number of days (1 or more).")
    return days


def sync_log_prune(*, now=None) -> int:
    """Delete the entries older than the retention; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=retention_days())
    deleted = 0
    while True:
        ids = list(
            SyncLogEntry.objects.filter(created_at__lt=cutoff).order_by("id").values_list("id", flat=True)[:BATCH]
        )
        if not ids:
            return deleted
        deleted += SyncLogEntry.objects.filter(id__in=ids).delete()[0]
