"""A poll cycle of N idle Xero connections when every call takes a normal round trip (250 ms): seconds until every
connection has run, beside the one-connection-per-task way, in the same run.

    python bench/poll_cycle.py [--connections 1000] [--latency 0.25] [--workers 2] [--threads 8]
                               [--baseline-connections 100]

Runs on a scratch database (as bench/pages.py). Xero is tests/integrations/slow_xero.py: real HTTP on localhost,
each idle GET /Payments answered after --latency seconds. The cycle is the real one: payments_sync_all fans the
due connections out into shares (INTEGRATIONS_POLL_CONNECTIONS_PER_TASK) and each share runs its connections
--threads at a time (payments_sync_connections). The --workers django-q workers are threads of this process
taking shares off the queue (one interpreter for all of them: if anything, slower than worker processes).
- threaded: shares of 50, --threads per share;
- one by one (baseline): a share per connection, one thread, as the cycle ran before; measured on
  --baseline-connections of them and projected to N (it grows linearly: N × latency / workers).
Goal (issue 13): 1,000 idle connections at 250 ms within 60 s on 2 cores; calls in flight per tenant ≤ the cap.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import queue
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there

ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.25, help="seconds per provider call (default 0.25)")
    parser.add_argument("--workers", type=int, default=2, help="django-q workers (default 2, as Q_WORKERS)")
    parser.add_argument("--threads", type=int, default=8, help="threads per share (INTEGRATIONS_POLL_THREADS)")
    parser.add_argument("--baseline-connections", type=int, default=100)
    return parser.parse_args()


def build(count: int) -> list[int]:
    from tests.factories import OrganizationFactory
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    return [
        ConnectionFactory(
            organization=organization, payment_sync_enabled_at=ENABLED, settings={"sync_payments": True}
        ).pk
        for _ in range(count)
    ]


def cycle(connection_ids: list[int], *, workers: int, threads: int, per_task: int) -> float:
    """Seconds for one cycle over these connections: fan out, then `workers` take the shares off the queue."""
    from django import db
    from django.conf import settings

    from integrations import tasks
    from integrations.models import Connection

    settings.INTEGRATIONS_POLL_THREADS = threads
    settings.INTEGRATIONS_POLL_CONNECTIONS_PER_TASK = per_task
    Connection.objects.filter(pk__in=connection_ids).update(sync_queued_at=None, last_synced_at=None)
    Connection.objects.exclude(pk__in=connection_ids).update(payment_sync_enabled_at=None)
    shares: queue.Queue = queue.Queue()
    real_async_task = tasks.async_task
    tasks.async_task = lambda func, ids, **kwargs: shares.put(ids)  # the broker: shares wait for a worker
    try:
        started = time.perf_counter()
        tasks.payments_sync_all()

        def work():
            try:
                while True:
                    try:
                        ids = shares.get_nowait()
                    except queue.Empty:
                        return
                    tasks.payments_sync_connections(ids)
            finally:
                db.connection.close()

        pool = [threading.Thread(target=work) for _ in range(workers)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return time.perf_counter() - started
    finally:
        tasks.async_task = real_async_task


def main():
    args = parse_args()
    logging.disable(logging.WARNING)
    cleanup = scratch_database()
    from django.conf import settings

    from integrations.models import SyncKind, SyncRun
    from tests.integrations.slow_xero import SlowXero

    try:
        with SlowXero(delay=args.latency) as stub:
            settings.XERO_API_URL = stub.api_url
            ids = build(args.connections)
            threaded = cycle(ids, workers=args.workers, threads=args.threads, per_task=50)
            threaded_calls, most_per_tenant = stub.calls, max(stub.most_in_flight.values(), default=0)
            ran = SyncRun.objects.filter(kind=SyncKind.PAYMENTS).values("connection_id").distinct().count()

            SyncRun.objects.all().delete()  # due again
            subset = ids[: args.baseline_connections]
            baseline = cycle(subset, workers=args.workers, threads=1, per_task=1)
            baseline_calls = stub.calls - threaded_calls
    finally:
        cleanup()
    projected = baseline * args.connections / len(subset)
    n = args.connections
    print(
        f"Poll cycle of {n} idle Xero connections, {args.latency * 1000:.0f} ms a call, {args.workers} workers "
        f"(SlowXero over HTTP)"
    )
    print(f"{'':34} {'connections':>11} {'API calls':>9} {'seconds':>8} {'seconds for ' + str(n):>16}")
    print(
        f"{'threaded (' + str(args.threads) + ' per share of 50)':34} {n:>11} {threaded_calls:>9} "
        f"{threaded:>8.1f} {threaded:>16.1f}"
    )
    print(
        f"{'one by one (a task per connection)':34} {len(subset):>11} {baseline_calls:>9} {baseline:>8.1f} "
        f"{projected:>16.1f} (projected)"
    )
    print(f"Most calls in flight toward one tenant: {most_per_tenant}; connections that ran: {ran} of {n}.")
    print("Goal (issue 13): 1,000 idle connections at 250 ms within 60 s on 2 cores.")
    if ran != n or threaded_calls != n:
        print("NOT EVERY CONNECTION RAN EXACTLY ONCE", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
