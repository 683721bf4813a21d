"""The sandbox under real concurrency (PostgreSQL): limits, numbering and Idempotency-Key hold across threads."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, connections
from django.test import Client

from integrations.sandbox.kit import limits
from integrations.sandbox.models import InFlight, XeroInvoice, XeroOrg
from integrations.sandbox.xero.demo import ORGS, TRADING_TENANT_ID, demo_orgs_ensure
from integrations.sandbox.xero.provider import XERO

from .conftest import XeroSandbox

THREADS = 12


def race(function, count=THREADS):
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait(timeout=30)  # everyone hits the database at the same moment
            return function(index)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes all writers, so there is no race to test")


def test_demo_data_is_created_once(db):
    assert [org.name for org in demo_orgs_ensure()] == ["Sandbox Design B.V.", "Sandbox Trading Ltd"]
    assert len(demo_orgs_ensure()) == len(ORGS) == XeroOrg.objects.count()
    with pytest.raises(IntegrityError):
        XeroOrg.objects.create(tenant_id=TRADING_TENANT_ID, name="dup", created_at=XeroOrg.objects.first().created_at)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_at_most_five_calls_are_admitted_at_once():
    needs_postgres()
    demo_orgs_ensure()
    admissions = race(lambda _: limits.admit(XERO, TRADING_TENANT_ID))
    admitted = [a for a in admissions if a.admitted]
    assert len(admitted) == 5
    assert {a.problem for a in admissions if not a.admitted} == {"concurrent"}
    assert InFlight.objects.filter(provider="xero", tenant_key=TRADING_TENANT_ID).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_creates_get_distinct_numbers_and_one_key_creates_once(settings):
    needs_postgres()
    settings.SANDBOX_XERO_CONCURRENT_LIMIT = THREADS
    xero = XeroSandbox(Client())
    xero.connect()
    invoice = {"Type": "ACCREC", "Contact": {"Name": "Acme Widgets Ltd"}, "LineItems": []}

    def put(index, key=None):
        extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        response = Client().put(
            "/sandbox/xero/api/api.xro/2.0/Invoices",
            json.dumps({"Invoices": [invoice]}),
            content_type="application/json",
            **xero.headers(),
            **extra,
        )
        return response.status_code, response.content

    results = race(put)
    assert {status for status, _ in results} == {200}
    numbers = sorted(XeroInvoice.objects.values_list("number", flat=True))
    assert numbers == [f"INV-{n:04d}" for n in range(1, THREADS + 1)]

    replays = race(lambda index: put(index, key="same-key"))
    assert {status for status, _ in replays} == {200}
    assert len({body for _, body in replays}) == 1
    assert XeroInvoice.objects.count() == THREADS + 1
