"""A poll interval per provider: the schedule ticks at the smallest one and queues only the connections whose own
provider's interval has passed since their last run (or that a webhook marked as changed). Two test-only
providers (Xero's client under other keys, served by FakeXero) poll every 5 and every 30 minutes."""

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from integrations import registry, tasks
from integrations.models import SyncKind, SyncOutcome, SyncRun
from integrations.providers.xero.provider import XeroProvider
from integrations.schedules import payments_poll_minutes, schedules_sync

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


class FastBooks(XeroProvider):
    key = "fastbooks"
    name = "Fast Books"
    poll_interval_setting = "FASTBOOKS_POLL_MINUTES"
    webhook_key_setting = ""


class SlowBooks(XeroProvider):
    key = "slowbooks"
    name = "Slow Books"
    poll_interval_setting = "SLOWBOOKS_POLL_MINUTES"  # reads are metered: poll rarely
    webhook_key_setting = ""


TWO_PROVIDERS = dict(
    INTEGRATION_PROVIDERS=[
        "tests.integrations.test_poll_intervals.FastBooks",
        "tests.integrations.test_poll_intervals.SlowBooks",
    ],
    FASTBOOKS_POLL_MINUTES=5,
    SLOWBOOKS_POLL_MINUTES=30,
)


@pytest.fixture
def two_providers(settings):
    """Through the settings fixture only: mixed with @override_settings, its undo would restore the override."""
    for name, value in TWO_PROVIDERS.items():
        setattr(settings, name, value)
    return settings


def syncing(provider, **kwargs):
    return ConnectionFactory(
        provider=provider, payment_sync_enabled_at=ENABLED, settings={"sync_payments": True}, **kwargs
    )


def ran(connection, minutes_ago, outcome=SyncOutcome.SUCCEEDED):
    started = timezone.now() - datetime.timedelta(minutes=minutes_ago)
    SyncRun.objects.create(
        connection=connection, kind=SyncKind.PAYMENTS, started_at=started, finished_at=started, outcome=outcome
    )


def runs(connection):
    return SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS).count()


def test_xero_keeps_the_global_interval(settings):
    xero = registry.get("xero")
    assert xero.poll_interval == datetime.timedelta(minutes=settings.PAYMENTS_SYNC_INTERVAL_MINUTES)
    settings.PAYMENTS_SYNC_INTERVAL_MINUTES = 7
    assert xero.poll_interval == datetime.timedelta(minutes=7) and payments_poll_minutes() == 7


def test_the_schedule_ticks_at_the_smallest_interval(two_providers):
    settings = two_providers
    schedules_sync()
    assert Schedule.objects.get(name="productive:payments-sync").minutes == 5
    settings.FASTBOOKS_POLL_MINUTES = 45  # now Slow Books is the faster one
    assert schedules_sync().updated == ["productive:payments-sync"]
    assert Schedule.objects.get(name="productive:payments-sync").minutes == 30


def test_an_unconfigured_provider_does_not_set_the_tick(two_providers):
    settings = two_providers
    settings.SLOWBOOKS_POLL_MINUTES = 1
    settings.XERO_CLIENT_ID = ""  # both test providers need Xero's credentials
    assert payments_poll_minutes() == settings.PAYMENTS_SYNC_INTERVAL_MINUTES


@pytest.mark.parametrize("value", [0, "often", 2.5, True])
def test_a_bad_interval_setting_is_refused(two_providers, value):
    two_providers.SLOWBOOKS_POLL_MINUTES = value
    with pytest.raises(ImproperlyConfigured, match="SLOWBOOKS_POLL_MINUTES"):
        schedules_sync()


@pytest.mark.parametrize(
    "minutes_ago, fast_due, slow_due",
    [
        (None, True, True),  # never ran
        (2, False, False),
        (4, True, False),  # within half a tick of its interval: this tick, not the next one
        (6, True, False),
        (28, True, True),
        (31, True, True),
    ],
)
def test_each_connection_is_polled_on_its_providers_interval(two_providers, xero, minutes_ago, fast_due, slow_due):
    fast, slow = syncing("fastbooks"), syncing("slowbooks")
    if minutes_ago is not None:
        ran(fast, minutes_ago)
        ran(slow, minutes_ago)

    queued = tasks.payments_sync_all()

    expected = [c.pk for c, due in ((fast, fast_due), (slow, slow_due)) if due]
    assert sorted(queued) == sorted(expected)
    before = 0 if minutes_ago is None else 1
    assert (runs(fast), runs(slow)) == (before + fast_due, before + slow_due)  # the worker (sync mode) ran them


def test_a_failed_run_waits_its_interval_and_a_skipped_one_does_not_count(two_providers, xero):
    failing, skipped_only = syncing("slowbooks"), syncing("slowbooks")
    ran(failing, 3, SyncOutcome.FAILED)
    ran(skipped_only, 3, SyncOutcome.SKIPPED)
    assert tasks.payments_sync_all() == [skipped_only.pk]


def test_a_connection_a_webhook_marked_is_due_at_once(two_providers, xero):
    slow = syncing("slowbooks")
    ran(slow, 3)
    assert tasks.payments_sync_all() == []
    slow.sync_requested_at = timezone.now()
    slow.save(update_fields=["sync_requested_at"])

    assert tasks.payments_sync_all() == [slow.pk]

    slow.refresh_from_db()
    assert slow.sync_requested_at is None, "the run covered the webhook's change"
    assert tasks.payments_sync_all() == [], "debounced: it was queued moments ago"


def test_the_tick_does_not_queue_what_was_queued_moments_ago(two_providers, xero):
    fast = syncing("fastbooks", sync_queued_at=timezone.now() - datetime.timedelta(seconds=10))
    assert tasks.payments_sync_all() == []
    fast.sync_queued_at = timezone.now() - datetime.timedelta(minutes=1)
    fast.save(update_fields=["sync_queued_at"])
    assert tasks.payments_sync_all() == [fast.pk]


def test_the_card_shows_the_interval_and_whether_webhooks_are_on(settings, admin_client, organization, subsidiary):
    syncing("xero", organization=organization, subsidiary=subsidiary)
    settings.XERO_WEBHOOK_KEY = ""
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Polled every 2 min</div>" in page
    settings.XERO_WEBHOOK_KEY = "key"
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Polled every 2 min · webhooks on</div>" in page
