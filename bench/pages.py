"""Time the invoice pages at 10,000 invoices, beside the Django admin changelist of the same invoices.

    python bench/pages.py [--invoices 10000] [--runs 20]      (or `make bench`)

Runs on a scratch database: a SQLite file under /tmp, or, when DATABASE_URL is set, a scratch database
`bench_<pid>_<name>` created next to it on the same server (dropped afterwards). It creates the schema with
`migrate`, builds the invoices (one through the services, the rest bulk-created clones with consistent stored
totals: tests/test_performance.py), logs in with Django's test Client, and prints the median and p90 time of
each page over N runs, all measured in the same run, plus each page's query count.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "productive.settings.test"
os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

WARMUP_RUNS = 2
# WhiteNoise warns once per process that `collectstatic` has not run; the bench does not serve static files.
warnings.filterwarnings("ignore", message="No directory at")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="how many invoices (default 10,000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    return parser.parse_args()


def scratch_database():
    """Set Django up on a scratch database with the schema migrated; return a cleanup callable."""
    import django

    folder = None
    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="productive-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if folder:
        call_command("migrate", verbosity=0)
        return lambda: shutil.rmtree(folder, ignore_errors=True)
    # A database server: a scratch database beside the configured one, made (and migrated) like a test database.
    original = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{os.getpid()}_{original}"[:63]  # parallel runs never share one
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return lambda: connection.creation.destroy_test_db(original, verbosity=0)


def build(invoice_count: int):
    from django.contrib.auth import get_user_model

    from billing.choices import Role
    from tests.factories import MembershipFactory, OrganizationFactory
    from tests.test_performance import InvoiceVolume

    organization = OrganizationFactory(name="Bench Agency")
    volume = InvoiceVolume(organization)
    volume.grow_to(invoice_count)
    user = get_user_model().objects.create_superuser("bench@example.test", "bench@example.test", "bench-pass")
    MembershipFactory(user=user, organization=organization, role=Role.ADMIN)
    detail = organization_invoice_with_payment(organization)
    return user, detail


def organization_invoice_with_payment(organization):
    from billing.models import Invoice

    return Invoice.objects.filter(organization=organization, amount_paid__gt=0).order_by("-id").first()


def measure(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP_RUNS):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    query_count = len(queries)  # read now: the next request resets the connection's query log
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    return timings, query_count


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def print_table(rows: list[tuple[str, str, list[float], int]], invoice_count: int, runs: int) -> None:
    header = ("page", "url", "median ms", "p90 ms", "queries")
    table = [header] + [
        (label, url, f"{statistics.median(t):.1f}", f"{p90(t):.1f}", str(queries)) for label, url, t, queries in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print(f"\n{invoice_count:,} invoices, {runs} timed runs per page (after {WARMUP_RUNS} warm-up runs)\n")
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])] + [
            cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)
        ]
        print("  ".join(cells))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> None:
    args = parse_args()
    cleanup = scratch_database()
    try:
        from django.conf import settings
        from django.test import Client
        from django.urls import reverse

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

        started = time.perf_counter()
        user, detail = build(args.invoices)
        print(f"built {args.invoices:,} invoices in {time.perf_counter() - started:.1f} s")

        client = Client()
        client.force_login(user)
        pages = [
            ("invoice list", reverse("billing:invoice-list")),
            ("invoice detail", reverse("billing:invoice-detail", args=[detail.pk])),
            ("admin changelist", reverse("admin:billing_invoice_changelist")),
        ]
        rows = []
        for label, url in pages:
            timings, queries = measure(client, url, args.runs)
            rows.append((label, url, timings, queries))
        print_table(rows, args.invoices, args.runs)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()


if __name__ == "__main__":
    main()
