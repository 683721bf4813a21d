"""Bulk copy of N invoices for N new clients to Xero: API calls, 429s, queries per invoice and (simulated) minutes
until every copy is done, in the provider's batches beside the one-by-one way, in the same run.

    python bench/bulk_copy.py [--invoices 100]

Runs on a scratch database (as bench/pages.py). Xero is tests/integrations/fake_xero.py served by `responses`,
with Xero's real per-tenant limit (60 calls in any minute: a 429 with Retry-After past it). The clock is
time_machine's: a deferred copy runs when its schedule is due, without waiting for real, so "minutes" is the time
the worker would take, not the time this script takes.
- batched: one invoice_copy_batch_task for the connection (contacts and invoices in chunks of 50);
- one by one: one invoice_copy_task per invoice, as the bulk copy queued them before batching.
Goal (issue 13): batched ≤ 6 calls, 0 × 429, ≤ 5 queries per invoice.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import logging
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there

UTC = datetime.UTC
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MINUTE_LIMIT = 60  # Xero: per tenant
MAX_DRAIN = 5000  # deferred task runs at most (a bench that never ends measures nothing)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100, help="invoices, each for a new client (default 100)")
    return parser.parse_args()


def build(count: int):
    """A Xero connection and `count` finalized invoices for each of two runs, every one for a client Xero does
    not know yet."""
    from integrations.models import TaxRateMapping
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory, TaxRateFactory, make_invoice
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT")

    def invoices():
        return [
            make_invoice(
                organization=organization,
                subsidiary=subsidiary,
                company=CompanyFactory(organization=organization),
                finalize=True,
            )
            for _ in range(count)
        ]

    return connection, invoices(), invoices()


def drain(traveller) -> int:
    """Run the deferred copies as a worker would, each when due (the clock jumps there). Returns the runs."""
    from django_q.models import Schedule

    from integrations import tasks

    runs = 0
    while runs < MAX_DRAIN:
        due = Schedule.objects.filter(func__startswith="integrations.tasks.invoice_copy").order_by("next_run", "id")
        entry = due.first()
        if entry is None:
            return runs
        traveller.move_to(max(entry.next_run, datetime.datetime.now(UTC)))
        args = ast.literal_eval(entry.args)
        entry.delete()
        getattr(tasks, entry.func.rsplit(".", 1)[-1])(*(args if isinstance(args, tuple) else (args,)))
        runs += 1
    raise RuntimeError(f"still deferring after {MAX_DRAIN} runs")


def measure(label, connection, invoices, queue):
    import responses
    import time_machine
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from integrations.models import Connection, CopyStatus, RemoteDocument
    from tests.integrations.fake_xero import FakeXero

    Connection.objects.filter(pk=connection.pk).update(paused_until=None)
    with (
        time_machine.travel(START, tick=False) as traveller,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
        CaptureQueriesContext(db) as queries,
    ):
        xero = FakeXero(mock).install()
        xero.minute_limit = MINUTE_LIMIT
        queue(connection, invoices)
        deferred = drain(traveller)
        minutes = (datetime.datetime.now(UTC) - START).total_seconds() / 60
        throttled, calls = xero.throttled, len(mock.calls)
    done = RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.SUCCEEDED).count()
    return {
        "label": label,
        "calls": calls,
        "throttled": throttled,
        "queries_per_invoice": len(queries) / len(invoices),
        "minutes": minutes,
        "deferred_runs": deferred,
        "done": done,
        "created": xero.creates,
    }


def batched(connection, invoices):
    from integrations import tasks

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None)


def one_by_one(connection, invoices):
    from integrations import tasks

    for invoice in invoices:
        tasks.invoice_copy_task(invoice.pk, connection.pk, "update", None)


def main():
    args = parse_args()
    logging.disable(logging.WARNING)
    cleanup = scratch_database()
    try:
        connection, first, second = build(args.invoices)
        rows = [
            measure("batched", connection, first, batched),
            measure("one by one", connection, second, one_by_one),
        ]
    finally:
        cleanup()
    count = args.invoices
    print(f"Bulk copy of {count} invoices for {count} new clients to Xero (fake, {MINUTE_LIMIT} calls a minute)")
    print(f"{'':12} {'API calls':>9} {'429s':>5} {'queries/invoice':>16} {'minutes':>8} {'deferred':>9} {'done':>5}")
    for row in rows:
        print(
            f"{row['label']:12} {row['calls']:>9} {row['throttled']:>5} {row['queries_per_invoice']:>16.1f} "
            f"{row['minutes']:>8.1f} {row['deferred_runs']:>9} {row['done']:>5}"
        )
    print("Goal (issue 13): batched ≤ 6 API calls, 0 × 429, ≤ 5 queries per invoice.")
    if any(row["done"] != count or row["created"] != count for row in rows):
        print("NOT EVERY COPY WAS MADE EXACTLY ONCE", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
