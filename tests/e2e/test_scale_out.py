"""Scale-out: two django-q2 clusters, as two hosts would run them, share one Redis broker, one PostgreSQL database
and one schedule. Every copy is made once, every payment applied once, and no schedule slot runs twice.

Runs in CI's scale-out pass (`.ci/run`: REDIS_URL set, E2E_QCLUSTERS=2, PostgreSQL); skipped with one cluster.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone
from django_q.models import Task

from billing.models import Payment
from integrations.models import Connection, CopyStatus, RemoteDocument, SyncKind, SyncRun
from integrations.sandbox.models import XeroInvoice, XeroOrg
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from integrations.sandbox.xero.services.payments import payment_create
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice
from tests.integrations.test_copy_modes_sandbox import _path

from .conftest import QCLUSTERS, payments_poll_due, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(QCLUSTERS < 2, reason="the scale-out pass runs it (E2E_QCLUSTERS=2 with Redis and PostgreSQL)"),
]

INVOICES = 12
SCHEDULER_LOOK_SECONDS = 35  # django-q2's scheduler looks for due schedules about every 30 s in each cluster


def connect_syncing(admin_client, subsidiary) -> Connection:
    tax_rate = TaxRateFactory(organization=subsidiary.organization)
    response = admin_client.post(
        reverse("integrations:connect", args=["xero"]), {"subsidiary": subsidiary.pk, "name": "Scale-out books"}
    )
    back = admin_client.post(_path(response["Location"]), {"tenant": TRADING_TENANT_ID, "allow": "1"})
    admin_client.get(_path(back["Location"]))
    connection = Connection.objects.get()
    lists = connection.settings["lists"]
    revenue_tax = next(t["code"] for t in lists["tax_types"] if t["extra"]["can_apply_to_revenue"])
    admin_client.post(
        reverse("integrations:connection-setup", args=[connection.pk]),
        {
            "numbering": "app",
            "default_account": lists["accounts"][0]["code"],
            f"tax_rate_{tax_rate.pk}": revenue_tax,
            "sync_payments": "on",
        },
    )
    connection.refresh_from_db()
    assert connection.payment_sync_enabled_at is not None
    return connection


def test_two_clusters_make_each_copy_and_run_each_poll_once(worker, admin_client, subsidiary):
    assert db_connection.vendor == "postgresql", "two hosts share a database server"
    connection = connect_syncing(admin_client, subsidiary)
    organization = subsidiary.organization
    invoices = [
        make_invoice(
            organization=organization,
            subsidiary=subsidiary,
            company=CompanyFactory(organization=organization),
            finalize=True,
        )
        for _ in range(INVOICES)
    ]

    # A bulk copy and, while it runs, the same bulk copy again (a second press, another host's web process).
    for _ in range(2):
        response = admin_client.post(
            "/api/v1/invoices/copy-bulk/", {"invoice_ids": [i.pk for i in invoices]}, content_type="application/json"
        )
        assert response.status_code == 202, response.content
    copies = RemoteDocument.objects.filter(invoice__in=invoices, is_latest=True)
    wait_until(
        lambda: copies.filter(status=CopyStatus.SUCCEEDED).count() == INVOICES,
        timeout=90,
        message="every invoice copied",
    )
    org = XeroOrg.objects.get(tenant_id=TRADING_TENANT_ID)
    in_xero = list(XeroInvoice.objects.filter(org=org, type="ACCREC").values_list("number", flat=True))
    assert sorted(in_xero) == sorted(i.number for i in invoices)  # each once, none twice

    # Payments recorded in Xero on three of them, then one poll slot: both clusters' schedulers look for it.
    paid = invoices[:3]
    for invoice in paid:
        remote = XeroInvoice.objects.get(org=org, number=invoice.number)
        payment_create(org=org, invoice=remote, amount=Decimal("10.00"))
    slot_opened = timezone.now()
    payments_poll_due()
    runs = SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS, started_at__gte=slot_opened)
    wait_until(lambda: runs.exclude(outcome="running").exists(), timeout=90, message="the scheduled payment run")
    time.sleep(SCHEDULER_LOOK_SECONDS)  # long enough for the other cluster's scheduler to look at the same slot

    polls = Task.objects.filter(func="integrations.tasks.payments_sync_all", started__gte=slot_opened)
    assert polls.count() == 1  # the slot ran on one cluster only
    assert runs.count() == 1
    for invoice in paid:
        (payment,) = Payment.objects.filter(invoice=invoice, deleted_at__isnull=True)
        assert payment.amount == Decimal("10.00")
    assert Payment.objects.filter(invoice__in=invoices[3:]).count() == 0
    assert "Q Cluster" in worker.log() and worker.log().count("running") >= 2
