"""Payment sync at 10,000 copied invoices: API calls, DB queries and time, beside a naive per-invoice poll.

    python bench/payment_sync.py [--invoices 10000] [--changed 2000]
    python bench/payment_sync.py --idle-after 0,1,99,100,101,200,1000,2000 [--invoices 2000]

Runs on a scratch database (as bench/pages.py: a SQLite file under /tmp, or `bench_<name>` beside DATABASE_URL).
Xero is served by `responses` (tests/integrations/fake_xero.py), so the figures are our cost, not the network's.
Measured in the same run:
- idle run: nothing changed since the cursor (goal: 1 API call);
- 2,000 changed payments on 2,000 of the invoices (goal: 1 + ceil(2000/100) calls; queries bounded per payment);
- the idle run right after them (goal: 1 API call: the stored cursor covers every change, also when their number
  is an exact multiple of the page size and the run ended on an empty page);
- naive poll: GET /Invoices/{id} for every copied invoice, the way an integration without If-Modified-Since
  paging would look for payments;
- a new payment on every copied invoice (10,000), applied in bulk (goal: at most 20 queries per 1,000 payments,
  10,000 in at most 5 s), then the same again one by one (PAYMENTS_APPLY_IN_BULK=False), the old way.
With --idle-after N,M,…: for each count, a run over that many changed payments and the idle run after it (calls).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import logging
import math
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there
from bench.volume import finalized_invoices  # noqa: E402

UTC = datetime.UTC
ENABLED = datetime.datetime(2026, 1, 1, tzinfo=UTC)
PAGE = 100


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="copied invoices (default 10,000)")
    parser.add_argument("--changed", type=int, default=2_000, help="changed payments (default 2,000)")
    parser.add_argument(
        "--idle-after",
        type=lambda text: [int(part) for part in text.split(",") if part.strip()],
        default=None,
        metavar="N,M,...",
        help="instead: API calls of the idle run after N changed payments, for each count",
    )
    return parser.parse_args()


def build(invoice_count: int):
    """A Xero connection with `invoice_count` finalized invoices, each copied once."""
    from integrations.models import CopyStatus, RemoteDocument
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    company = CompanyFactory(organization=organization)
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"sync_payments": True, "numbering": "app", "default_account": "200"},
        payment_sync_enabled_at=ENABLED,
    )
    invoices = finalized_invoices(organization, subsidiary, company, invoice_count)
    RemoteDocument.objects.bulk_create(
        [
            RemoteDocument(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=str(uuid.uuid4()),
                remote_number=invoice.number,
                is_latest=True,
            )
            for invoice in invoices
        ],
        batch_size=1000,
    )
    return connection


def measure(label, action):
    """Run `action` (→ API calls, payments changed) counting every query (no debug-log cap) and the time."""
    from django.db import connection as db

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with db.execute_wrapper(count):
        started = time.perf_counter()
        api_calls, payments = action()
        seconds = time.perf_counter() - started
    return {"label": label, "api": api_calls, "queries": queries, "seconds": seconds, "payments": payments}


def main():
    args = parse_args()
    cleanup = scratch_database()
    logging.getLogger("integrations").setLevel(logging.WARNING)  # one line per request would drown the table
    try:
        if args.idle_after is not None:
            sweep = idle_after(args)
        else:
            rows = run(args)
    finally:
        cleanup()
    if args.idle_after is not None:
        print_sweep(sweep, args)
    else:
        print_table(rows, args)


def run(args):
    import responses

    from integrations.models import RemoteDocument
    from integrations.providers.xero.client import XeroApi
    from integrations.services.payments_sync import payments_sync
    from tests.integrations.fake_xero import FakeXero

    connection = build(args.invoices)
    remote_ids = list(RemoteDocument.objects.filter(connection=connection).values_list("remote_id", flat=True))
    rows = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()

        # Idle: the cursor is current and nothing changed since.
        connection.sync_cursors = {"payments": {"modified_since": "2026-11-01T00:00:00"}}
        connection.save(update_fields=["sync_cursors"])

        def sync():
            run = payments_sync(connection=connection)
            assert run.outcome == "succeeded", run.error
            return run.api_calls, sum(run.counts.get(k, 0) for k in ("recorded", "deleted", "restored"))

        rows.append(measure("idle run (nothing changed)", sync))

        changed = min(args.changed, len(remote_ids))
        start = datetime.datetime(2026, 11, 2, tzinfo=UTC)
        for index in range(changed):
            xero.add_payment(
                invoice_id=remote_ids[index],
                amount="10.00",
                date="2026-11-02",
                updated=start + datetime.timedelta(seconds=index),
            )
        rows.append(measure(f"{changed:,} changed payments", sync))
        rows.append(measure(f"idle run after the {changed:,} changes", sync))
        rows.append(measure("replay of the same pages", lambda: _replay(connection, sync)))

        # The naive alternative: poll every copied invoice, one GET /Invoices/{id} each.
        # The fake answers GET /Invoices/{id} for the invoices it holds: give it the copied ones.
        for remote_id in remote_ids:
            xero.invoices[remote_id] = {"InvoiceID": remote_id, "Status": "AUTHORISED", "Total": 1000.0}

        def naive():
            api = XeroApi(connection)
            for remote_id in RemoteDocument.objects.filter(connection=connection).values_list("remote_id", flat=True):
                api.request("GET", f"Invoices/{remote_id}")
            return api.calls, 0

        rows.append(measure(f"naive poll of {len(remote_ids):,} invoices", naive))

        # A new payment on every copied invoice: in bulk, then (after undoing them) one by one.
        from django.test import override_settings

        xero.payments = []
        start = datetime.datetime(2026, 11, 3, tzinfo=UTC)
        for index, remote_id in enumerate(remote_ids):
            xero.add_payment(
                invoice_id=remote_id,
                amount="25.00",
                date="2026-11-03",
                updated=start + datetime.timedelta(seconds=index),
            )
        for label, in_bulk in (("in bulk", True), ("one by one", False)):
            _forget_payments(connection)
            with override_settings(PAYMENTS_APPLY_IN_BULK=in_bulk), _applying_timed() as applying:
                row = measure(f"{len(remote_ids):,} new payments, {label}", sync)
            rows.append({**row, "applying": applying["seconds"]})
    return rows


@contextlib.contextmanager
def _applying_timed():
    """The time spent in the batches' transactions (applying), without fetching and reading the pages."""
    from integrations.services import payments_sync as module

    spent = {"seconds": 0.0}
    original = module._apply_batch

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - started

    module._apply_batch = timed
    try:
        yield spent
    finally:
        module._apply_batch = original


def _forget_payments(connection):
    """Back to no payments at all, the cursor before every change (between the two ways of applying them)."""
    from billing.models import Invoice, Payment
    from integrations.models import RemotePayment, SyncLogEntry

    RemotePayment.objects.filter(connection=connection).delete()
    SyncLogEntry.objects.filter(connection=connection).delete()
    Payment.objects.filter(invoice__subsidiary=connection.subsidiary).delete()
    Invoice.objects.filter(subsidiary=connection.subsidiary).update(amount_paid=0, payment_status="unpaid")
    connection.sync_cursors = {}
    connection.save(update_fields=["sync_cursors"])


def idle_after(args):
    """For each count: that many changed payments since an empty cursor, one run, then the idle run after it."""
    import responses

    from integrations.models import RemoteDocument
    from integrations.services.payments_sync import payments_sync
    from tests.integrations.fake_xero import FakeXero

    connection = build(max(args.invoices, max(args.idle_after, default=0)))
    remote_ids = list(RemoteDocument.objects.filter(connection=connection).values_list("remote_id", flat=True))
    results = []
    start = datetime.datetime(2026, 11, 2, tzinfo=UTC)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()
        for round_number, count in enumerate(args.idle_after):
            xero.payments = []
            connection.sync_cursors = {}
            connection.save(update_fields=["sync_cursors"])
            base = start + datetime.timedelta(days=round_number)  # every round's changes are new ones
            for index in range(count):
                xero.add_payment(
                    invoice_id=remote_ids[index],
                    amount="0.01",
                    date="2026-11-02",
                    updated=base + datetime.timedelta(seconds=index),
                )
            busy = payments_sync(connection=connection)
            idle = payments_sync(connection=connection)
            assert busy.outcome == idle.outcome == "succeeded", busy.error or idle.error
            results.append((count, busy.api_calls, idle.api_calls))
    return results


def print_sweep(results, args):
    print(f"Idle payment poll after N changed payments (Xero served by `responses`, page size {PAGE})")
    print(f"{'changes':>8}  {'run':>4}  {'idle run after it':>17}  goal")
    for count, busy, idle in results:
        print(f"{count:>8,}  {busy:>4}  {idle:>17}  1")


def _replay(connection, sync):
    connection.sync_cursors = {}
    connection.save(update_fields=["sync_cursors"])
    return sync()


def print_table(rows, args):
    goal_busy = 1 + math.ceil(args.changed / PAGE)
    headers = ("scenario", "API calls", "DB queries", "queries/1,000 payments", "time (s)")
    table = [
        (
            row["label"],
            f"{row['api']:,}",
            f"{row['queries']:,}",
            f"{row['queries'] * 1000 / row['payments']:,.0f}" if row["payments"] else "-",
            f"{row['seconds']:.2f}",
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(f"Payment sync, {args.invoices:,} copied invoices (Xero served by `responses`)")
    print(fmt.format(*headers))
    print("  ".join("-" * w for w in widths))
    for line in table:
        print(fmt.format(*line))
    changed = f"{args.changed:,}"
    print(f"Goals: idle run 1 API call; {changed} changes {goal_busy} calls (1 + ceil({changed}/{PAGE})).")
    for row in rows:
        if "applying" in row:
            print(f"{row['label']}: {row['applying']:.2f} s of it applying (the batches' transactions)")
    print("New payments in bulk: at most 20 queries per 1,000 payments; 10,000 applied in at most 5 s.")


if __name__ == "__main__":
    main()
