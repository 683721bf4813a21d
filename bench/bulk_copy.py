"""Bulk copy of N invoices for N new clients to Xero: API calls, 429s, queries per invoice and (simulated) minutes
until every copy is done, in the provider's batches beside the one-by-one way, in the same run.

    python bench/bulk_copy.py [--invoices 100]
    python bench/bulk_copy.py --bills [--invoices 100]

Runs on a scratch database (as bench/pages.py). Xero is tests/integrations/fake_xero.py served by `responses`,
with Xero's real per-tenant limit (60 calls in any minute: a 429 with Retry-After past it). The clock is
time_machine's: a deferred copy runs when its schedule is due, without waiting for real, so "minutes" is the time
the worker would take, not the time this script takes.
- batched: one invoice_copy_batch_task for the connection (contacts and invoices in chunks of 50);
- one by one: one invoice_copy_task per invoice, as the bulk copy queued them before batching.
Goal (issue 13): batched ≤ 6 calls, 0 × 429, ≤ 5 queries per invoice.

With --bills: N approved expenses for N new vendors sent as Xero bills (issue 10): batched (one
document_export_batch_task: PUT /Contacts and PUT /Invoices in chunks of 50) beside one by one (document_export per
expense, waiting out each 429 as a deferred copy would); then the idle payment poll of the connection with
invoices and bills exported, after a payment on each kind. Goal: batched ≤ 6 calls, the idle poll 1 call.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.deferred import MAX_DRAIN, drain  # noqa: E402
from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there

UTC = datetime.UTC
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MINUTE_LIMIT = 60  # Xero: per tenant


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100, help="documents, each for a new contact (default 100)")
    parser.add_argument("--bills", action="store_true", help="send expenses as bills instead of invoices")
    return parser.parse_args()


def build(count: int):
    """A Xero connection and `count` finalized invoices for each of two runs, every one for a client Xero does
    not know yet."""
    from integrations.models import TaxRateMapping
    from tests.factories import OrganizationFactory, SubsidiaryFactory, TaxRateFactory, invoices_for_new_clients
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT")

    return (
        connection,
        invoices_for_new_clients(organization, subsidiary, count),
        invoices_for_new_clients(organization, subsidiary, count),
    )


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
        queue(connection, invoices, traveller)
        deferred = drain(traveller)
        minutes = (datetime.datetime.now(UTC) - START).total_seconds() / 60
        throttled, calls = xero.throttled, len(mock.calls)
    field = "expense__in" if invoices and type(invoices[0]).__name__ == "Expense" else "invoice__in"
    done = RemoteDocument.objects.filter(**{field: invoices}, status=CopyStatus.SUCCEEDED).count()
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


def batched(connection, invoices, _traveller):
    from integrations import tasks

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None)


def one_by_one(connection, invoices, _traveller):
    from integrations import tasks

    for invoice in invoices:
        tasks.invoice_copy_task(invoice.pk, connection.pk, "update", None)


def build_bills(count: int):
    """A Xero connection that sends expenses, and `count` approved expenses for each of two runs, every one for a
    vendor Xero does not know yet."""
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory
    from tests.integrations.purchases import bills_connection, make_expense

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    connection = bills_connection(organization, subsidiary)

    def expenses():
        return [
            make_expense(organization, subsidiary, vendor=CompanyFactory(organization=organization, is_supplier=True))
            for _ in range(count)
        ]

    return connection, expenses(), expenses()


def bills_batched(connection, expenses, _traveller):
    from integrations import tasks_documents
    from integrations.document_kinds import BILL

    tasks_documents.document_export_batch_task(BILL, connection.pk, [e.pk for e in expenses], None)


def bills_one_by_one(connection, expenses, traveller):
    """document_export per expense; a 429 waits (the clock moves to the pause's end) and the expense is sent again,
    as a deferred copy would be."""
    from django.utils import timezone

    from integrations.document_kinds import BILL
    from integrations.exceptions import ThrottledError
    from integrations.models import Connection
    from integrations.services.invoice_copy import document_send

    for expense in expenses:
        for _ in range(MAX_DRAIN):
            try:
                document_send(kind=BILL, pk=expense.pk, connection=connection)
                break
            except ThrottledError:
                traveller.move_to(Connection.objects.get(pk=connection.pk).paused_until or timezone.now())


def idle_poll_calls(connection, bills) -> tuple[int, int]:
    """A payment on one invoice and one bill of the connection, the sync that reads them, then the idle poll:
    (calls of the sync, calls of the idle poll)."""
    import responses
    import time_machine

    from integrations.services.invoice_copy import invoice_copy
    from integrations.services.payments_sync import payments_sync
    from tests.factories import make_invoice
    from tests.integrations.fake_xero import FakeXero

    with time_machine.travel(START, tick=False), responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock).install()
        invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
        invoice_id = invoice_copy(invoice=invoice, connection=connection).remote_id
        bill_id = bills[0].copies.get(is_latest=True).remote_id
        xero.invoices[bill_id] = {"Type": "ACCPAY", "InvoiceID": bill_id}
        xero.add_payment(invoice_id=invoice_id, amount="10.00", date="2026-12-01", updated=START)
        xero.add_payment(invoice_id=bill_id, amount="10.00", date="2026-12-01", updated=START)
        first = payments_sync(connection=connection)
        idle = payments_sync(connection=connection)
    assert first.counts["recorded"] == 2, first.counts
    return first.api_calls, idle.api_calls


def main_bills(args) -> int:
    logging.disable(logging.WARNING)
    cleanup = scratch_database()
    try:
        connection, first, second = build_bills(args.invoices)
        rows = [
            measure("batched", connection, first, bills_batched),
            measure("one by one", connection, second, bills_one_by_one),
        ]
        sync_calls, idle_calls = idle_poll_calls(connection, first)
    finally:
        cleanup()
    count = args.invoices
    print(f"Bulk send of {count} expenses for {count} new vendors to Xero as bills ({MINUTE_LIMIT} calls a minute)")
    print(f"{'':12} {'API calls':>9} {'429s':>5} {'queries/expense':>16} {'minutes':>8} {'deferred':>9} {'done':>5}")
    for row in rows:
        print(
            f"{row['label']:12} {row['calls']:>9} {row['throttled']:>5} {row['queries_per_invoice']:>16.1f} "
            f"{row['minutes']:>8.1f} {row['deferred_runs']:>9} {row['done']:>5}"
        )
    print(f"Payment sync with invoices and bills exported: {sync_calls} call(s); the idle poll after it: {idle_calls}.")
    print("Goal (issue 10): batched ≤ 6 API calls; the idle poll 1 call.")
    if any(row["done"] != count or row["created"] != count for row in rows) or idle_calls != 1:
        print("NOT EVERY BILL WAS MADE EXACTLY ONCE, OR THE IDLE POLL COST MORE THAN ONE CALL", file=sys.stderr)
        return 1
    return 0


def main():
    args = parse_args()
    if args.bills:
        return main_bills(args)
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
