"""QuickBooks Online: API calls of the payment poll and of a bulk copy, each beside its naive baseline, in one run.

    python bench/quickbooks.py [--invoices 2000] [--changed 2000] [--bulk 100]

Runs on a scratch database (as bench/pages.py). QuickBooks is tests/integrations/providers/quickbooks/fake_qbo.py
served by `responses`, in Intuit's shapes, with Intuit's per-realm limits (500 requests a minute, 120 of them batch
requests: a 429 ThrottleExceeded past them). The clock is time_machine's: a deferred copy runs when due, without
waiting for real.
Payments (--invoices copied invoices, --changed of them paid in QuickBooks since the cursor):
- idle poll: nothing changed (goal: 1 API call, one CDC request);
- K changed payments (goal: ≤ 1 + ceil(K/1000) calls: CDC answers at most 1,000 objects);
- the idle poll right after them (goal: 1 call);
- naive poll: GET /invoice/{id} for every copied invoice, the way an integration without CDC looks for payments.
Bulk copy (--bulk invoices, each for a customer QuickBooks does not know yet):
- batched: one invoice_copy_batch_task (customers, then invoices, 30 operations a batch request);
- one by one: one invoice_copy_task per invoice (a customer create and an invoice create each);
- batched with our PDF ("This app makes the PDF"): the same, plus one Attachable upload per invoice (Intuit has
  no batch upload).
Goal (issue 9): batched ≤ 10 API calls and 0 × 429, beside one-call-per-object (≥ 2 × N).
"""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# QuickBooks is a configured provider only with credentials (read by the settings when Django is set up).
os.environ.setdefault("QUICKBOOKS_CLIENT_ID", "bench-qbo-client")
os.environ.setdefault("QUICKBOOKS_CLIENT_SECRET", "bench-qbo-secret")

from bench.deferred import drain  # noqa: E402
from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there
from bench.volume import finalized_invoices  # noqa: E402

UTC = datetime.UTC
ENABLED = datetime.datetime(2026, 1, 1, tzinfo=UTC)
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CDC_MAX = 1000
MINUTE_LIMIT, BATCH_MINUTE_LIMIT = 500, 120  # Intuit, per realm
READY = {
    "numbering": "app",
    "pdf": "provider",  # QuickBooks makes the PDF; the "our PDF" row attaches ours (one upload per invoice)
    "memo": "subject",
    "default_item": "1",
    "lists": {"items": [{"code": "1", "name": "Services", "extra": {"type": "Service"}}]},
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=2_000, help="copied invoices polled (default 2,000)")
    parser.add_argument("--changed", type=int, default=2_000, help="changed payments (default 2,000)")
    parser.add_argument("--bulk", type=int, default=100, help="invoices bulk copied, each for a new customer")
    return parser.parse_args()


def connection_create(organization, subsidiary, **settings):
    from django.utils import timezone

    from tests.integrations.factories import ConnectionFactory

    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        provider="quickbooks",
        name="QuickBooks",
        remote_tenant_id=str(9130350000000000 + ConnectionFactory._meta.model.objects.count() + 1),
        token_expires_at=timezone.now() + datetime.timedelta(minutes=50),
        settings={**READY, **settings},
        payment_sync_enabled_at=ENABLED,
    )


def copied_invoices(count: int):
    """A QuickBooks connection with `count` finalized EUR invoices, each copied once (remote ids "1001"…)."""
    from integrations.models import CopyStatus, RemoteDocument
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization, default_currency="EUR")
    company = CompanyFactory(organization=organization)
    connection = connection_create(organization, subsidiary, sync_payments=True)
    invoices = finalized_invoices(organization, subsidiary, company, count)
    RemoteDocument.objects.bulk_create(
        [
            RemoteDocument(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=str(1001 + n),
                remote_number=invoice.number,
                is_latest=True,
            )
            for n, invoice in enumerate(invoices)
        ],
        batch_size=1000,
    )
    return connection


def payments(args) -> list[tuple[str, int, int]]:
    """(scenario, API calls, payments recorded) for the poll scenarios."""
    import responses
    from django.conf import settings

    from integrations.models import RemoteDocument
    from integrations.providers.quickbooks.client import QuickBooksApi
    from integrations.services.payments_sync import payments_sync
    from tests.integrations.providers.quickbooks.fake_qbo import FakeQuickBooks, intuit_time

    connection = copied_invoices(args.invoices)
    remote_ids = list(RemoteDocument.objects.filter(connection=connection).values_list("remote_id", flat=True))
    rows = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = FakeQuickBooks(mock, settings.QUICKBOOKS_API_URL, connection.remote_tenant_id).install()
        server.minute_limit, server.batch_minute_limit = None, None  # the poll measures calls, not pacing
        connection.sync_cursors = {"payments": {"changed_since": intuit_time(server.clock)}}
        connection.save(update_fields=["sync_cursors"])

        def sync(label):
            run = payments_sync(connection=connection)
            assert run.outcome == "succeeded", run.error
            rows.append((label, run.api_calls, run.counts.get("recorded", 0)))

        sync("idle poll (nothing changed)")
        changed = min(args.changed, len(remote_ids))
        for n in range(changed):
            server.pay(str(50_000 + n), [(remote_ids[n], "10.00")])
        sync(f"{changed:,} changed payments")
        sync(f"idle poll after the {changed:,} changes")

        for remote_id in remote_ids:
            server.invoices[remote_id] = {"Id": remote_id, "SyncToken": "0", "TotalAmt": 1000.0, "Balance": 990.0}
        api = QuickBooksApi(connection)
        for remote_id in remote_ids:
            api.request("GET", f"invoice/{remote_id}")
        rows.append((f"naive poll of {len(remote_ids):,} invoices", api.calls, 0))
    return rows


def bulk_invoices(count: int):
    from tests.factories import OrganizationFactory, SubsidiaryFactory, invoices_for_new_clients

    organization = OrganizationFactory(name="Bench Bulk Agency")
    subsidiary = SubsidiaryFactory(organization=organization, default_currency="EUR")
    connection = connection_create(organization, subsidiary)
    return connection, *(invoices_for_new_clients(organization, subsidiary, count) for _ in range(3))


def bulk(label, connection, invoices, queue) -> dict:
    import responses
    import time_machine
    from django.conf import settings

    from integrations.models import Connection, CopyStatus, RemoteDocument
    from tests.integrations.providers.quickbooks.fake_qbo import FakeQuickBooks

    Connection.objects.filter(pk=connection.pk).update(paused_until=None)
    with (
        time_machine.travel(START, tick=False) as traveller,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        server = FakeQuickBooks(mock, settings.QUICKBOOKS_API_URL, connection.remote_tenant_id).install()
        server.minute_limit, server.batch_minute_limit = MINUTE_LIMIT, BATCH_MINUTE_LIMIT
        started = time.perf_counter()
        queue(connection, invoices)
        deferred = drain(traveller)
        seconds = time.perf_counter() - started
    done = RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.SUCCEEDED).count()
    batches = sum(1 for request in server.requests if request.url.split("?")[0].endswith("/batch"))
    return {
        "label": label,
        "calls": len(server.requests),
        "batches": batches,
        "throttled": server.throttled,
        "deferred": deferred,
        "done": done,
        "remote": len(server.invoices),
        "uploads": len(server.attachables),
        "customers": len(server.customers),
        "seconds": seconds,
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
        poll = payments(args)
        connection, first, second, third = bulk_invoices(args.bulk)
        copies = [bulk("batched", connection, first, batched), bulk("one by one", connection, second, one_by_one)]
        connection.settings = {**connection.settings, "pdf": "ours"}
        connection.save(update_fields=["settings"])
        copies.append(bulk("our PDF", connection, third, batched))
    finally:
        cleanup()
    print(f"QuickBooks payment poll, {args.invoices:,} copied invoices (fake QuickBooks, CDC, `responses`)")
    width = max(len(label) for label, _calls, _payments in poll)
    print(f"{'scenario':<{width}}  {'API calls':>9}  {'payments':>8}")
    for label, calls, recorded in poll:
        print(f"{label:<{width}}  {calls:>9,}  {recorded:>8,}")
    changed, goal = f"{args.changed:,}", 1 + math.ceil(args.changed / CDC_MAX)
    print(f"Goals: idle poll 1 API call; {changed} changes ≤ {goal} calls (1 + ceil({changed}/{CDC_MAX})).")
    print()
    count = args.bulk
    print(
        f"QuickBooks bulk copy of {count} invoices for {count} new customers "
        f"(fake, {MINUTE_LIMIT} requests a minute, {BATCH_MINUTE_LIMIT} of them batch requests)"
    )
    print(
        f"{'':12} {'API calls':>9} {'batches':>8} {'uploads':>8} {'429s':>5} {'deferred':>9} {'done':>5} "
        f"{'time (s)':>9}"
    )
    for row in copies:
        print(
            f"{row['label']:12} {row['calls']:>9} {row['batches']:>8} {row['uploads']:>8} {row['throttled']:>5} "
            f"{row['deferred']:>9} {row['done']:>5} {row['seconds']:>9.1f}"
        )
    print("Goal (issue 9): batched ≤ 10 API calls, 0 × 429, beside one call per object (≥ 2 × invoices).")
    if any(row["done"] != count or row["remote"] != count or row["customers"] != count for row in copies) or (
        copies[-1]["uploads"] != count
    ):
        print("NOT EVERY COPY WAS MADE EXACTLY ONCE", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
