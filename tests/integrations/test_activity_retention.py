"""Retention of the sync log: entries older than SYNC_LOG_RETENTION_DAYS go on the daily schedule; runs stay."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from integrations.models import LogLevel, SyncKind, SyncLogEntry, SyncOutcome, SyncRun
from integrations.schedules import SCHEDULES
from integrations.services.sync_log_retention import sync_log_prune
from integrations.synclog import log

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 2, 12, tzinfo=datetime.UTC)


def entry_at(connection, when, run=None):
    entry = log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.INFO,
        action="payment.recorded",
        message="Recorded.",
        run=run,
    )
    SyncLogEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return entry


def test_entries_older_than_400_days_go_and_their_run_stays(organization):
    connection = ConnectionFactory(organization=organization)
    run = SyncRun.objects.create(
        connection=connection, kind=SyncKind.PAYMENTS, outcome=SyncOutcome.SUCCEEDED, api_calls=3, counts={"fetched": 2}
    )
    old = entry_at(connection, NOW - datetime.timedelta(days=401), run=run)
    kept = entry_at(connection, NOW - datetime.timedelta(days=399), run=run)

    assert sync_log_prune(now=NOW) == 1

    assert list(SyncLogEntry.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not SyncLogEntry.objects.filter(pk=old.pk).exists()
    run.refresh_from_db()
    assert run.api_calls == 3 and run.counts == {"fetched": 2}, "the run's summary outlives its entries"
    assert sync_log_prune(now=NOW) == 0


@override_settings(SYNC_LOG_RETENTION_DAYS=30)
def test_the_retention_is_a_setting(organization):
    connection = ConnectionFactory(organization=organization)
    entry_at(connection, NOW - datetime.timedelta(days=31))
    entry_at(connection, NOW - datetime.timedelta(days=29))

    assert sync_log_prune(now=NOW) == 1 and SyncLogEntry.objects.count() == 1


@override_settings(SYNC_LOG_RETENTION_DAYS=0)
def test_a_retention_of_no_days_is_refused_and_deletes_nothing(organization):
    entry_at(ConnectionFactory(organization=organization), NOW - datetime.timedelta(days=1))

    with pytest.raises(ImproperlyConfigured):
        sync_log_prune(now=NOW)
    assert SyncLogEntry.objects.count() == 1


def test_it_runs_daily_on_the_schedule():
    [task] = [task for task in SCHEDULES if task.func.endswith("sync_log_prune")]
    assert task.minutes() == 24 * 60
