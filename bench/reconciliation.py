"""Reconciliation of 10,000 copied invoices: API calls, DB queries and time, beside reading one invoice per call.

    python bench/reconciliation.py [--invoices 10000] [--drift 100]

Runs on a scratch database (as bench/pages.py: a SQLite file under /tmp, or `bench_<name>` beside DATABASE_URL).
Xero's GET /Invoices is served by `responses` in its documented shape (the spec's getInvoices example: an
`Invoices` array with `pagination`; `IDs`, `page`, `pageSize` up to 1000, `where`, `createdByMyApp`; GET
/Invoices/{id} answers one), so the figures are our cost, not the network's. `--drift` invoices differ in Xero
(a quarter each: amount changed, voided, deleted, a payment we never recorded). Measured in the same run:
- batched: services.reconciliation as it runs nightly (Xero: the list of our invoices, a page per 1000, then
  the ids the list lacked 50 a call); goal ceil(invoices / 100) calls or fewer;
- one per invoice: the same run through the contract's one-by-one default (GET /Invoices/{id} for each copy).
Both must find the same mismatches.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import scratch_database  # noqa: E402 - sets the settings module, then Django is set up there
from bench.volume import finalized_invoices  # noqa: E402

XERO_API = "https://api.xero.com/api.xro/2.0"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000, help="copied invoices (default 10,000)")
    parser.add_argument("--drift", type=int, default=100, help="invoices that differ in Xero (default 100)")
    return parser.parse_args()


class XeroInvoices:
    """The organisation's sales invoices this app created, answered as Xero answers GET /Invoices."""

    def __init__(self):
        self.invoices: dict[str, dict] = {}

    def install(self, mock) -> None:
        base = re.escape(XERO_API)
        mock.add_callback("GET", re.compile(rf"{base}/Invoices(\?.*)?$"), callback=self._list)
        mock.add_callback("GET", re.compile(rf"{base}/Invoices/[^/?]+(\?.*)?$"), callback=self._one)

    @staticmethod
    def _answer(status: int, body: dict):
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    def _list(self, request):
        params = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        rows = [row for row in self.invoices.values() if row["Status"] != "DELETED"]  # as a list leaves them out
        if "IDs" in params:
            wanted = {part.lower() for part in params["IDs"].split(",")}
            rows = [row for row in self.invoices.values() if row["InvoiceID"] in wanted]
        body = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "Bench", "Invoices": rows}
        if "page" in params:
            page, size = int(params["page"]), min(int(params.get("pageSize") or 100), 1000)
            count = len(rows)
            body["pagination"] = {
                "page": page,
                "pageSize": size,
                "pageCount": math.ceil(count / size),
                "itemCount": count,
            }
            body["Invoices"] = rows[(page - 1) * size : page * size]
        return self._answer(200, body)

    def _one(self, request):
        invoice_id = urlsplit(request.url).path.rsplit("/", 1)[-1].lower()
        row = self.invoices.get(invoice_id)
        if row is None:
            return self._answer(404, {"Title": "Not Found", "Status": 404, "Detail": "Resource not found"})
        return self._answer(200, {"Id": str(uuid.uuid4()), "Status": "OK", "Invoices": [row]})


def build(invoice_count: int, drift: int, xero: XeroInvoices):
    """A Xero connection with `invoice_count` finalized invoices copied once; `drift` of them changed in Xero."""

    from integrations.models import CopyStatus, RemoteDocument
    from tests.factories import CompanyFactory, OrganizationFactory, SubsidiaryFactory
    from tests.integrations.factories import ConnectionFactory

    organization = OrganizationFactory(name="Bench Agency")
    subsidiary = SubsidiaryFactory(organization=organization)
    company = CompanyFactory(organization=organization)
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"sync_payments": True, "numbering": "app"}
    )
    invoices = finalized_invoices(organization, subsidiary, company, invoice_count)
    copies = []
    for index, invoice in enumerate(invoices):
        remote_id = str(uuid.uuid4())
        row = {
            "Type": "ACCREC",
            "InvoiceID": remote_id,
            "InvoiceNumber": invoice.number,
            "Status": "AUTHORISED",
            "CurrencyCode": "EUR",
            "Total": 1000.00,
            "AmountPaid": 0.00,
            "AmountDue": 1000.00,
        }
        if index < drift:  # a quarter each: amount changed, voided, deleted, a payment we never recorded
            kind = index % 4
            if kind == 0:
                row.update(Total=1100.00, AmountDue=1100.00)
            elif kind == 1:
                row.update(Status="VOIDED", AmountDue=0.00)
            elif kind == 2:
                row.update(Status="DELETED", AmountDue=0.00)
            else:
                row.update(AmountPaid=250.00, AmountDue=750.00)
        xero.invoices[remote_id] = row
        copies.append(
            RemoteDocument(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=remote_id,
                remote_number=invoice.number,
                is_latest=True,
            )
        )
    RemoteDocument.objects.bulk_create(copies, batch_size=1000)
    return connection


def measure(label, action):
    """Run `action` (→ its SyncRun) counting every query and the time."""
    from django.db import connection as db

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with db.execute_wrapper(count):
        started = time.perf_counter()
        run = action()
        seconds = time.perf_counter() - started
    assert run.outcome == "succeeded", run.error
    return {"label": label, "api": run.api_calls, "queries": queries, "seconds": seconds, "found": run.counts}


def run(args):
    import responses

    from integrations.providers.accounting_api import AccountingApi
    from integrations.providers.xero.client import XeroApi
    from integrations.services.reconciliation import reconciliation_run

    xero = XeroInvoices()
    connection = build(args.invoices, min(args.drift, args.invoices), xero)
    rows = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero.install(mock)
        rows.append(
            measure("batched (list of our invoices, then ids)", lambda: reconciliation_run(connection=connection))
        )
        # The same run, one GET /Invoices/{id} per copy: the contract's default for a provider without a list read.
        batched = (XeroApi.documents_state, XeroApi.state_batch_size)
        XeroApi.documents_state, XeroApi.state_batch_size = AccountingApi.documents_state, 1
        try:
            rows.append(measure("one per invoice", lambda: reconciliation_run(connection=connection)))
        finally:
            XeroApi.documents_state, XeroApi.state_batch_size = batched
    return rows


def print_table(rows, args):
    headers = ("way", "API calls", "DB queries", "time (s)", "checked", "with differences")
    table = [
        (
            row["label"],
            f"{row['api']:,}",
            f"{row['queries']:,}",
            f"{row['seconds']:.2f}",
            f"{row['found']['checked']:,}",
            f"{row['found']['mismatched']:,}",
        )
        for row in rows
    ]
    widths = [max(len(str(line[i])) for line in [headers, *table]) for i in range(len(headers))]
    fmt = "  ".join(f"{{:<{widths[0]}}}" if i == 0 else f"{{:>{w}}}" for i, w in enumerate(widths))
    print(f"Reconciliation, {args.invoices:,} copied invoices, {args.drift:,} changed in Xero (served by `responses`)")
    print(fmt.format(*headers))
    print("  ".join("-" * w for w in widths))
    for line in table:
        print(fmt.format(*line))
    goal = math.ceil(args.invoices / 100)
    print(f"Goal: batched {goal:,} calls or fewer (ceil({args.invoices:,}/100)), beside {args.invoices:,} one by one.")
    if len({row["found"]["mismatched"] for row in rows}) != 1:
        raise SystemExit("The two ways found different mismatches.")


def main():
    args = parse_args()
    cleanup = scratch_database()
    logging.getLogger("integrations").setLevel(logging.WARNING)  # one line per request would drown the table
    try:
        rows = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        cleanup()
    print_table(rows, args)


if __name__ == "__main__":
    main()
