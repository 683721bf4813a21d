"""e-conomic payment poll at 10,000 copied invoices of which 300 are still open: API calls, DB queries and time,
beside the naive one-call-per-invoice polls.

    python bench/economic_poll.py [--invoices 10000] [--open 300]

Runs on a scratch database (as bench/pages.py). e-conomic is served by `responses` (FakeEconomic, the tests' stateful
agreement), so the figures are our cost, not the network's. e-conomic has no payment feed: each run asks what is
still owed on up to 200 open copies with one `bookedInvoiceNumber$in:[…]` filter (its limit), so a sweep of every
open copy costs ⌈open / 200⌉ calls, and a run where remainders fell two more (the accounting years, then that
year's customer-payment entries of every customer whose invoice fell, to date the payments). Paid copies leave the
polled set once PAYMENTS_REMAINDER_WATCH_DAYS have passed since their last derived payment (here: 90 days ago).
Measured in the same run:
- the sweep of the open copies (goal: ⌈open / 200⌉ calls over ⌈open / 200⌉ runs, plus 2 a run where something
  fell), with a tenth of them partly paid (each a payment entry booked three days ago: the date mirrored);
- the same sweep again (nothing changed: the same calls, nothing written);
- naive: GET /invoices/booked/:n for every open copy, and for every copied invoice.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import math
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there
from bench.volume import finalized_invoices  # noqa: E402

UTC = datetime.UTC
IN_MAX = 200
FIRST_NUMBER = 100_001


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="copied invoices (default 10,000)")
    parser.add_argument("--open", type=int, default=300, help="of which still open (default 300)")
    args = parser.parse_args()
    args.open = min(args.open, args.invoices)
    return args


def build(invoice_count: int, open_count: int):
    """An e-conomic connection with `invoice_count` booked copies; all but `open_count` paid 90 days ago through
    payments derived from their remainder."""
    from django.utils import timezone

    from billing.choices import PaymentSource, PaymentStatus
    from billing.models import Invoice, Payment
    from integrations.models import CopyStatus, RemoteDocument, RemotePayment
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory
    from tests.integrations.providers.economic.helpers import READY_SETTINGS, economic_connection

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    company = CompanyFactory(organization=organization)
    connection = economic_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 1, 1, tzinfo=UTC),
    )
    paid_count = invoice_count - open_count
    invoices = finalized_invoices(organization, subsidiary, company, invoice_count)
    paid = Invoice.objects.filter(pk__in=[invoice.pk for invoice in invoices[:paid_count]])
    paid.update(amount_paid=Decimal("1000.00"), payment_status=PaymentStatus.PAID)
    copies = RemoteDocument.objects.bulk_create(
        [
            RemoteDocument(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=str(FIRST_NUMBER + index),
                remote_number=invoice.number,
                remote_state="booked",
                is_latest=True,
            )
            for index, invoice in enumerate(invoices)
        ],
        batch_size=1000,
    )
    long_ago = timezone.localdate() - datetime.timedelta(days=90)
    payments = Payment.objects.bulk_create(
        [
            Payment(
                organization=organization,
                invoice=invoice,
                amount=Decimal("1000.00"),
                currency="EUR",
                date=long_ago,
                source=PaymentSource.ECONOMIC,
                external_id="remainder-1",
            )
            for invoice in invoices[:paid_count]
        ],
        batch_size=1000,
    )
    RemotePayment.objects.bulk_create(
        [
            RemotePayment(
                connection=connection,
                remote_id="remainder-1",
                allocation_key=copy.remote_id,
                remote_invoice_id=copy.remote_id,
                payment=payment,
            )
            for copy, payment in zip(copies, payments, strict=False)
        ],
        batch_size=1000,
    )
    return connection, [copy.remote_id for copy in copies]


def measure(label, action):
    """Run `action` (→ API calls, payments written) counting every query and the time."""
    from django.db import connection as db

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with db.execute_wrapper(count):
        started = time.perf_counter()
        api_calls, written = action()
        seconds = time.perf_counter() - started
    return {"label": label, "api": api_calls, "queries": queries, "seconds": seconds, "written": written}


def run(args):
    from django.test import override_settings

    from tests.integrations.providers.economic.fake_economic import APP_SECRET

    with override_settings(ECONOMIC_APP_SECRET_TOKEN=APP_SECRET, ECONOMIC_APP_PUBLIC_TOKEN="bench"):
        return _run(args)


def _run(args):
    import responses
    from django.utils import timezone

    from billing.models import Payment
    from integrations.providers.economic.client import EconomicApi
    from integrations.services.payments_sync import payments_sync
    from tests.integrations.providers.economic.fake_economic import FakeEconomic

    connection, remote_ids = build(args.invoices, args.open)
    open_ids = remote_ids[args.invoices - args.open :]
    rows = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        economic = FakeEconomic(mock).install()
        for index, remote_id in enumerate(remote_ids):
            economic.book_invoice(int(remote_id), "1000.00")
            if index < args.invoices - args.open:
                economic.owe(int(remote_id), "0.00")
        paid_on = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
        for remote_id in open_ids[::10]:  # a tenth of the open ones partly paid since the last poll
            economic.pay(int(remote_id), "600.00", paid_on)
        runs_per_sweep = max(1, math.ceil(args.open / IN_MAX))

        def sweep():
            calls = written = 0
            for _ in range(runs_per_sweep):
                sync_run = payments_sync(connection=connection)
                assert sync_run.outcome == "succeeded", sync_run.error
                calls += sync_run.api_calls
                written += sync_run.counts["recorded"] + sync_run.counts["deleted"] + sync_run.counts["updated"]
            return calls, written

        rows.append(measure(f"sweep of the {args.open:,} open copies ({runs_per_sweep} runs)", sweep))
        rows.append(measure("the same sweep again (nothing changed)", sweep))
        dated = Payment.objects.filter(date=paid_on, is_deleted=False).count()
        assert dated == len(open_ids[::10]), f"{dated} payments carry the entries' date"

        def naive(ids):
            def poll():
                api = EconomicApi(connection)
                for remote_id in ids:
                    api.read_booked(remote_id)
                return api.calls, 0

            return poll

        rows.append(measure(f"naive: one GET per open invoice ({args.open:,})", naive(open_ids)))
        rows.append(measure(f"naive: one GET per copied invoice ({args.invoices:,})", naive(remote_ids)))
    return rows


def print_table(rows, args):
    headers = ("scenario", "API calls", "DB queries", "payments written", "time (s)")
    table = [
        (row["label"], f"{row['api']:,}", f"{row['queries']:,}", f"{row['written']:,}", f"{row['seconds']:.2f}")
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(
        f"e-conomic payment poll, {args.invoices:,} copied invoices of which {args.open:,} open "
        "(e-conomic served by `responses`)"
    )
    print(fmt.format(*headers))
    print("  ".join("-" * w for w in widths))
    for line in table:
        print(fmt.format(*line))
    goal = math.ceil(args.open / IN_MAX)
    print(
        f"Goal: a sweep costs ceil({args.open:,}/{IN_MAX}) = {goal} calls (+2 a run where a remainder fell, to date "
        f"its payment), beside the naive {args.open:,} "
        f"(one per open invoice) or {args.invoices:,} (one per copied invoice)."
    )


def main():
    args = parse_args()
    cleanup = scratch_database()
    logging.getLogger("integrations").setLevel(logging.WARNING)
    try:
        rows = run(args)
    finally:
        cleanup()
    print_table(rows, args)


if __name__ == "__main__":
    main()
