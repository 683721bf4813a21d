"""Exact's 60 calls a minute per division, met by a bulk copy: paced on the X-RateLimit-* headers, it waits for
the window's reset before the limit and meets no 429; the same copy unpaced (headers ignored) runs into it. The
clock is a fake one that the client's sleep advances, so nothing waits for real and calls are counted, not
timed."""

from __future__ import annotations

import ast
from types import SimpleNamespace

import pytest

from integrations import tasks
from integrations.models import ContactLink, CopyStatus, RemoteDocument
from integrations.providers.exact.client import ExactApi
from tests.factories import make_invoice

from .fake_exact import FakeExact
from .helpers import READY_SETTINGS, exact_connection

pytestmark = pytest.mark.django_db

ACCOUNT = "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f"


class Clock:
    def __init__(self):
        self.now, self.slept = 1_800_000_000.0, []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("integrations.http.time", SimpleNamespace(time=clock.time, sleep=clock.sleep))
    return clock


def bulk(organization, subsidiary, count):
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(count)]
    for invoice in invoices:
        ContactLink.objects.get_or_create(
            connection=connection, company=invoice.company, defaults={"remote_id": ACCOUNT}
        )
    return connection, invoices


def test_a_bulk_copy_waits_for_the_window_before_the_limit(mock, clock, organization, subsidiary):
    server = FakeExact(mock, clock=clock.time, used=40).install()  # 20 calls left in this minute
    connection, invoices = bulk(organization, subsidiary, 45)

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None, 0)

    copies = RemoteDocument.objects.filter(invoice__in=invoices)
    assert set(copies.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED}
    assert len(server.entries) == 45 and server.throttled == 0  # 0 × 429
    # 19 calls, then one waited out until the window reset (one call kept in hand), then the rest.
    assert len(clock.slept) == 1 and 0 < clock.slept[0] <= 60


def test_the_same_bulk_copy_unpaced_runs_into_the_limit(mock, clock, organization, subsidiary, monkeypatch):
    monkeypatch.setattr(ExactApi, "rate_windows", lambda self, response: [])  # headers ignored
    server = FakeExact(mock, clock=clock.time, used=40).install()
    connection, invoices = bulk(organization, subsidiary, 45)

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None, 0)

    assert server.throttled == 1 and len(server.entries) == 20 and not clock.slept
    waiting = RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.WAITING).count()
    assert waiting == 25  # paused until the reset the 429 named, then copied by the next run
    connection.refresh_from_db()
    assert connection.is_paused


def test_a_bulk_copy_for_more_new_customers_than_one_run_can_pay_for_copies_them_all(
    mock, clock, organization, subsidiary
):
    """A new customer costs calls of its own (Exact: a lookup by name and a create): a run makes only the customers
    whose invoices it can also send, so every run copies invoices and the next one starts where it stopped (before,
    each run made customers until its budget was spent, their invoices waited, and the next run began again)."""
    from django_q.models import Schedule

    server = FakeExact(mock, clock=clock.time).install()
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(60)]

    tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None, 0)
    made = [len(server.entries)]
    while deferred := Schedule.objects.filter(func="integrations.tasks.invoice_copy_batch_task").first():
        assert len(ast.literal_eval(deferred.args)[1]) == 60 - sum(made)  # the rest waits for the next window
        clock.now = max(clock.now, deferred.next_run.timestamp())
        deferred.delete()
        tasks.invoice_copy_batch_task(*ast.literal_eval(deferred.args))
        made.append(len(server.entries) - sum(made))
    # 54 calls a run (90% of Exact's 60 a minute), 2 an invoice for a new customer: 27, 27, then the last 6.
    assert made == [27, 27, 6]

    copies = RemoteDocument.objects.filter(invoice__in=invoices)
    assert set(copies.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED}
    assert len(server.entries) == len(server.accounts) == 60 and server.throttled == 0
