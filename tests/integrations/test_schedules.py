import datetime
from io import StringIO

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule
from django_q.scheduler import scheduler

from integrations.schedules import PREFIX, SCHEDULES, PeriodicTask, schedules_sync

pytestmark = pytest.mark.django_db


def _rows():
    return sorted(Schedule.objects.values_list("name", "func", "args", "kwargs", "schedule_type", "minutes", "repeats"))


def test_every_declared_schedule_is_ours_and_importable():
    from django.utils.module_loading import import_string

    assert SCHEDULES
    for task in SCHEDULES:
        assert task.name.startswith(PREFIX)
        assert callable(import_string(task.func))


def test_running_twice_gives_the_same_rows():
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    first = _rows()
    assert [row[0] for row in first] == sorted(task.name for task in SCHEDULES)
    next_runs = dict(Schedule.objects.values_list("name", "next_run"))

    out = StringIO()
    call_command("setup_schedules", stdout=out)
    assert _rows() == first
    assert dict(Schedule.objects.values_list("name", "next_run")) == next_runs
    assert "unchanged  productive:clear-expired-sessions" in out.getvalue()


def test_changing_the_interval_setting_updates_the_row(settings):
    schedules_sync()
    settings.SESSION_CLEANUP_MINUTES = 60
    result = schedules_sync()
    assert result.updated == ["productive:clear-expired-sessions"]
    row = Schedule.objects.get(name="productive:clear-expired-sessions")
    assert (row.schedule_type, row.minutes) == (Schedule.MINUTES, 60)
    assert Schedule.objects.filter(name="productive:clear-expired-sessions").count() == 1


def test_a_bad_interval_setting_is_refused(settings):
    settings.SESSION_CLEANUP_MINUTES = "daily"
    with pytest.raises(ImproperlyConfigured, match="SESSION_CLEANUP_MINUTES"):
        schedules_sync()
    assert not Schedule.objects.exists()


def test_our_schedules_no_longer_listed_are_removed_and_others_kept():
    Schedule.objects.create(name="productive:retired-job", func="math.floor", args="1", schedule_type="I", minutes=5)
    Schedule.objects.create(name="someone-elses-job", func="math.floor", args="1", schedule_type="I", minutes=5)
    result = schedules_sync()
    assert result.removed == ["productive:retired-job"]
    names = set(Schedule.objects.values_list("name", flat=True))
    assert names == {"someone-elses-job", *(task.name for task in SCHEDULES)}


def test_a_hand_made_duplicate_and_drift_are_repaired():
    name = SCHEDULES[0].name
    Schedule.objects.create(name=name, func="math.floor", args="1", schedule_type=Schedule.DAILY)
    Schedule.objects.create(name=name, func="math.floor", args="1", schedule_type=Schedule.DAILY)
    result = schedules_sync()
    assert result.updated == [name]
    row = Schedule.objects.get(name=name)
    assert (row.func, row.schedule_type) == (SCHEDULES[0].func, Schedule.MINUTES)


def test_names_must_carry_our_prefix_and_be_unique():
    foreign = PeriodicTask("cleanup", "math.floor", "X_MINUTES", 5, "test")
    with pytest.raises(ImproperlyConfigured, match="must start with"):
        schedules_sync(schedules=(foreign,))
    mine = PeriodicTask("productive:x", "math.floor", "X_MINUTES", 5, "test")
    with pytest.raises(ImproperlyConfigured, match="unique"):
        schedules_sync(schedules=(mine, mine))


def test_the_session_cleanup_schedule_really_deletes_expired_sessions():
    expired = SessionStore()
    expired["k"] = "v"
    expired.set_expiry(-60)
    expired.save()
    alive = SessionStore()
    alive["k"] = "v"
    alive.save()
    schedules_sync()
    Schedule.objects.filter(name="productive:clear-expired-sessions").update(
        next_run=timezone.now() - datetime.timedelta(minutes=1)
    )

    scheduler()  # the cluster's scheduler tick; tests run django-q2 with sync=True, so the task runs now

    assert list(Session.objects.values_list("session_key", flat=True)) == [alive.session_key]
    row = Schedule.objects.get(name="productive:clear-expired-sessions")
    assert row.next_run > timezone.now()
