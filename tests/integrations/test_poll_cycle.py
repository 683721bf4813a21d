"""A poll cycle waits on many providers at once: committed connections (pool threads see only committed rows),
a Xero stand-in over real HTTP that answers after a delay, the real fan-out and runs. Counts, not times."""

from __future__ import annotations

import datetime

import pytest

from integrations import tasks
from integrations.models import SyncKind, SyncOutcome, SyncRun

from .factories import ConnectionFactory
from .slow_xero import SlowXero

pytestmark = pytest.mark.django_db(transaction=True)

ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def test_a_cycle_runs_every_due_connection_several_at_once(settings):
    settings.INTEGRATIONS_POLL_THREADS = 4
    settings.INTEGRATIONS_POLL_CONNECTIONS_PER_TASK = 5
    connections = [
        ConnectionFactory(payment_sync_enabled_at=ENABLED, settings={"sync_payments": True}) for _ in range(12)
    ]
    with SlowXero(delay=0.2) as stub:
        settings.XERO_API_URL = stub.api_url

        queued = tasks.payments_sync_all()  # sync broker in tests: the three shares run here, one after another

    assert sorted(queued) == sorted(c.pk for c in connections)
    assert stub.calls == 12  # idle: one call per connection
    assert stub.most_in_flight_total == 4  # a share's threads waited on the network together
    assert max(stub.most_in_flight.values()) == 1
    runs = SyncRun.objects.filter(kind=SyncKind.PAYMENTS)
    assert sorted(runs.values_list("connection_id", flat=True)) == sorted(queued)
    assert set(runs.values_list("outcome", flat=True)) == {SyncOutcome.SUCCEEDED}

    assert tasks.payments_sync_all() == []  # none is due again before its interval


def test_one_thread_each_is_the_one_by_one_baseline(settings):
    settings.INTEGRATIONS_POLL_THREADS = 1
    for _ in range(3):
        ConnectionFactory(payment_sync_enabled_at=ENABLED, settings={"sync_payments": True})
    with SlowXero(delay=0.05) as stub:
        settings.XERO_API_URL = stub.api_url
        tasks.payments_sync_all()

    assert stub.calls == 3 and stub.most_in_flight_total == 1
