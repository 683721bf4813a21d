"""Bulk copies meet Xero's per-tenant minute limit: throttled copies wait for Retry-After instead of failing."""

import datetime
from decimal import Decimal

import pytest
import responses
import time_machine
from django.utils import timezone
from django_q.models import Schedule

from integrations import tasks
from integrations.models import Connection, CopyStatus, InvoiceCopy, SyncLogEntry, TaxRateMapping
from tests.factories import TaxRateFactory, make_invoice

from .factories import ConnectionFactory
from .fake_xero import FakeXero

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def copy_setup(organization, subsidiary):
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT")
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(2)]
    return connection, invoices


def scheduled_copies():
    return list(Schedule.objects.filter(func="integrations.tasks.invoice_copy_task").order_by("id"))


@time_machine.travel(NOW, tick=False)
def test_a_throttled_copy_waits_for_retry_after_and_then_succeeds(copy_setup, admin_user):
    connection, (first, second) = copy_setup
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        # Xero's minute limit is hit by the first write; the fake serves everything after it.
        mock.add(
            responses.PUT,
            f"{API}/Contacts",
            status=429,
            headers={"Retry-After": "40", "X-Rate-Limit-Problem": "minute"},
        )
        xero = FakeXero(mock, API).install()

        assert tasks.invoice_copy_task(first.pk, connection.pk, "update", admin_user.pk).startswith("deferred")
        calls_after_429 = len(mock.calls)
        # While the connection is paused, the next invoice of the bulk copy makes no call at all.
        assert tasks.invoice_copy_task(second.pk, connection.pk, "update", admin_user.pk).startswith("deferred")
        assert len(mock.calls) == calls_after_429

        deferred = scheduled_copies()
        assert len(deferred) == 2
        for entry, invoice in zip(deferred, (first, second), strict=True):
            assert entry.schedule_type == Schedule.ONCE
            assert entry.next_run >= NOW + datetime.timedelta(seconds=40)  # not before Retry-After
            assert entry.next_run <= NOW + datetime.timedelta(seconds=40 + tasks.COPY_DEFER_JITTER_SECONDS)
            assert entry.args.startswith(f"({invoice.pk}, {connection.pk}, 'update', {admin_user.pk}, 1")
        assert SyncLogEntry.objects.filter(action="invoice.copy_deferred").count() == 2

        with time_machine.travel(NOW + datetime.timedelta(seconds=60), tick=False):
            for invoice in (first, second):
                assert tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk, 1).startswith(
                    "succeeded"
                )
    assert xero.creates == 2
    for invoice in (first, second):
        assert InvoiceCopy.objects.get(invoice=invoice, is_latest=True).status == CopyStatus.SUCCEEDED


def test_a_copy_deferred_too_often_gives_up(copy_setup, admin_user):
    connection, (invoice, _) = copy_setup
    Connection.objects.filter(pk=connection.pk).update(paused_until=timezone.now() + datetime.timedelta(minutes=5))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.PUT, f"{API}/Contacts", status=429, headers={"Retry-After": "30"})
        result = tasks.invoice_copy_task(invoice.pk, connection.pk, "update", None, tasks.COPY_MAX_DEFERRALS)
    assert result.startswith("failed")
    assert not scheduled_copies()
