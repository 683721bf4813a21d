"""insert_all beside bulk_create: the CPU time of inserting N payments, N sync log entries and N remote-payment
links (the three tables a payment feed fills), each way in the same run, best of a few rounds.

    python bench/bulk_insert.py [--rows 10000] [--rounds 5]

Runs on a scratch database (as bench/pages.py: SQLite under /tmp, or `bench_<pid>_<name>` beside DATABASE_URL).
Each round inserts inside a transaction that is rolled back, so every round starts from the same tables.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of each table (default 10,000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of each way; the best counts (default 5)")
    return parser.parse_args()


def builders(count: int):
    """One callable per table, each making `count` unsaved rows for the same invoice and connection."""
    from billing.models import Payment
    from integrations.models import RemotePayment, SyncLogEntry
    from tests.factories import make_invoice
    from tests.integrations.factories import ConnectionFactory

    invoice = make_invoice(finalize=True)
    connection = ConnectionFactory(organization=invoice.organization, subsidiary=invoice.subsidiary)
    day = datetime.date(2026, 11, 10)

    def payments():
        return [
            Payment(
                organization_id=invoice.organization_id,
                invoice=invoice,
                amount=Decimal("12.34"),
                currency="EUR",
                date=day,
                reference=f"R-{i}",
                source="xero",
                external_id=f"pay-{i}",
            )
            for i in range(count)
        ]

    def log_entries():
        return [
            SyncLogEntry(
                organization_id=invoice.organization_id,
                connection=connection,
                invoice_id=invoice.pk,
                level="info",
                action="payment.recorded",
                message=f"Payment of 12.34 EUR on 10 Nov 2026 recorded ({i}).",
                remote_id=f"pay-{i}",
            )
            for i in range(count)
        ]

    def links(saved_payments):
        return [
            RemotePayment(
                connection=connection,
                remote_id=payment.external_id,
                allocation_key=str(invoice.pk),
                remote_invoice_id=str(invoice.pk),
                payment=payment,
            )
            for payment in saved_payments
        ]

    return payments, log_entries, links


def best_cpu(rounds: int, insert, make) -> float:
    from django.db import transaction

    best = float("inf")
    for _ in range(rounds):
        rows = make()
        with transaction.atomic():
            started = time.process_time()
            insert(rows)
            best = min(best, time.process_time() - started)
            transaction.set_rollback(True)
    return best


def main():
    args = parse_args()
    cleanup = scratch_database()
    try:
        from django.db import connection, transaction

        from productive.bulk_insert import insert_all

        payments, log_entries, links = builders(args.rows)
        with transaction.atomic():
            saved = insert_all(payments())  # the links need payments that exist; rolled back at the end
            tables = {"payments": payments, "sync log entries": log_entries, "payment links": lambda: links(saved)}
            results = []
            for table, make in tables.items():
                ours = best_cpu(args.rounds, insert_all, make)
                django = best_cpu(args.rounds, lambda rows: type(rows[0]).objects.bulk_create(rows), make)
                results.append((table, ours, django))
            transaction.set_rollback(True)
    finally:
        cleanup()
    print(f"{args.rows:,} rows a table on {connection.vendor}, best CPU time of {args.rounds} rounds (ms)")
    print(f"{'table':<18} {'insert_all':>10} {'bulk_create (baseline)':>23} {'saved':>6}")
    for table, ours, django in results:
        print(f"{table:<18} {ours * 1000:>10.0f} {django * 1000:>23.0f} {1 - ours / django:>6.0%}")


if __name__ == "__main__":
    main()
