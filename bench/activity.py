"""Time a connection's Activity page at 100,000 sync-log entries, beside the Django admin changelist of the same
entries, and show that the page's queries do not grow with the log.

    python bench/activity.py [--entries 100000] [--runs 20]      (or `make bench`)

Runs on a scratch database (as bench/pages.py: a SQLite file under /tmp, or `bench_<name>` beside DATABASE_URL).
The log is bulk-created on one connection: copies, payments, errors and the raw HTTP lines, a tenth of them about
invoices (with a copy each, so the page's link to the provider is looked up), spread over a year. Each page is
requested through Django's test Client (after two warm-up requests): the median and p90 of N timed runs, and its
queries, counted first at 1,000 entries and again at the full size in the same run (constant: the same number).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import measure, p90, scratch_database  # noqa: E402 - sets the settings module first

SMALL = 1_000
ACTIONS = [
    ("invoice.create", "info", "Copied to Xero as INV-{n}."),
    ("payment.recorded", "info", "Payment of 100.00 EUR recorded from Xero."),
    ("invoice.copy_failed", "error", "Xero refused the data. Account code '200' is not a valid code."),
    ("contact.create", "info", "Contact created in Xero."),
    ("payment.deleted", "warning", "Payment deleted in Xero: removed here."),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000, help="sync-log entries (default 100,000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    return parser.parse_args()


def build():
    """An admin (a superuser, for the Django admin too) and a Xero connection with a few copied invoices."""
    from django.contrib.auth import get_user_model

    from billing.choices import Role
    from integrations.models import CopyStatus, RemoteDocument
    from tests.factories import MembershipFactory, OrganizationFactory, SubsidiaryFactory, make_invoice
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    user = get_user_model().objects.create_superuser("bench@example.test", "bench@example.test", "bench-pass")
    MembershipFactory(user=user, organization=organization, role=Role.ADMIN)
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(20)]
    for invoice in invoices:
        RemoteDocument.objects.create(
            organization=organization,
            invoice=invoice,
            connection=connection,
            idempotency_key=str(uuid.uuid4()),
            status=CopyStatus.SUCCEEDED,
            remote_id=str(uuid.uuid4()),
            remote_number=invoice.number,
            remote_url="https://go.xero.com/AccountsReceivable/View.aspx",
            is_latest=True,
        )
    return user, connection, invoices


def grow(connection, invoices, start: int, stop: int) -> None:
    from integrations.models import SyncLogEntry, SyncRun

    now = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)
    run = SyncRun.objects.create(connection=connection, kind="payments", outcome="succeeded")
    batch = []
    for n in range(start, stop):
        action, level, message = ACTIONS[n % len(ACTIONS)]
        batch.append(
            SyncLogEntry(
                organization_id=connection.organization_id,
                connection=connection,
                run=run if action.startswith("payment.") else None,
                invoice=invoices[n % len(invoices)] if n % 10 == 0 else None,
                level=level,
                action=action,
                message=message.format(n=n),
                is_http_call=n % 7 == 0,
                http_status=400 if level == "error" else None,
                created_at=now - datetime.timedelta(minutes=5 * n),
            )
        )
        if len(batch) == 5000:
            SyncLogEntry.objects.bulk_create(batch)
            batch = []
    SyncLogEntry.objects.bulk_create(batch)


def pages(connection, invoices):
    from django.urls import reverse

    activity = reverse("integrations:connection-activity", args=[connection.pk])
    return [
        ("activity", activity),
        ("activity, errors", f"{activity}?outcome=error"),
        ("activity, one invoice", f"{activity}?document={invoices[0].number}"),
        ("activity, page 40", f"{activity}?page=40"),
        ("activity, runs", f"{activity}?kind=runs"),
        ("admin changelist", reverse("admin:integrations_synclogentry_changelist")),
    ]


def main() -> None:
    args = parse_args()
    cleanup = scratch_database()
    try:
        from django.conf import settings
        from django.test import Client

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        user, connection, invoices = build()
        client = Client()
        client.force_login(user)
        small = min(SMALL, args.entries)
        grow(connection, invoices, 0, small)
        queries_small = {label: measure(client, url, 1)[1] for label, url in pages(connection, invoices)}
        started = time.perf_counter()
        grow(connection, invoices, small, args.entries)
        print(f"built {args.entries:,} sync-log entries in {time.perf_counter() - started:.1f} s")
        rows = []
        for label, url in pages(connection, invoices):
            timings, queries = measure(client, url, args.runs)
            rows.append((label, timings, queries_small[label], queries))
        print_table(rows, args, small)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


def print_table(rows, args, small: int) -> None:
    header = ("page", "median ms", "p90 ms", f"queries at {small:,}", f"queries at {args.entries:,}")
    table = [header] + [
        (label, f"{statistics.median(t):.1f}", f"{p90(t):.1f}", str(q_small), str(q_full))
        for label, t, q_small, q_full in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print(f"\nActivity page, {args.entries:,} sync-log entries, {args.runs} timed runs per page\n")
    for index, row in enumerate(table):
        print(
            "  ".join([row[0].ljust(widths[0])] + [cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True)])
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))
    grew = [label for label, _t, q_small, q_full in rows if label.startswith("activity") and q_small != q_full]
    if grew:
        raise SystemExit(f"Queries grew with the log on: {', '.join(grew)}")


if __name__ == "__main__":
    main()
