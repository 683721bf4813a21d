"""Bulk copies meet Xero's per-tenant minute limit: throttled copies wait for Retry-After instead of failing."""

import datetime
from decimal import Decimal

import pytest
import responses
import time_machine
from django.utils import timezone
from django_q.models import Schedule

from integrations import tasks
from integrations.models import Connection, CopyStatus, RemoteDocument, SyncLogEntry, TaxRateMapping
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
            assert entry.args.startswith(f"({invoice.pk}, {connection.pk}, 'update', {admin_user.pk}, 1")
        # Each in its own slot of Xero's window (60 calls a minute, 2 calls a copy): 2 s apart.
        assert sorted(entry.next_run for entry in deferred) == [
            NOW + datetime.timedelta(seconds=40),
            NOW + datetime.timedelta(seconds=42),
        ]
        assert SyncLogEntry.objects.filter(action="invoice.copy_deferred").count() == 2
        # Waiting, not failed: the history shows no failure, the attempts say when they run again.
        assert not RemoteDocument.objects.filter(status=CopyStatus.FAILED).exists()
        assert not SyncLogEntry.objects.filter(level="error").exists()
        assert {c.waiting_until for c in RemoteDocument.objects.all()} == {entry.next_run for entry in deferred}

        with time_machine.travel(NOW + datetime.timedelta(seconds=60), tick=False):
            for invoice in (first, second):
                assert tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk, 1).startswith(
                    "succeeded"
                )
    assert xero.creates == 2
    for invoice in (first, second):
        assert RemoteDocument.objects.get(invoice=invoice, is_latest=True).status == CopyStatus.SUCCEEDED


def test_a_copy_deferred_too_often_gives_up(copy_setup, admin_user):
    connection, (invoice, _) = copy_setup
    Connection.objects.filter(pk=connection.pk).update(paused_until=timezone.now() + datetime.timedelta(minutes=5))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.PUT, f"{API}/Contacts", status=429, headers={"Retry-After": "30"})
        result = tasks.invoice_copy_task(invoice.pk, connection.pk, "update", None, tasks.COPY_MAX_DEFERRALS)
    assert result.startswith("failed")
    assert not scheduled_copies()
    copy = RemoteDocument.objects.get(invoice=invoice)  # given up: now it did fail, and says why
    assert copy.status == CopyStatus.FAILED and "given up" in copy.error


@time_machine.travel(NOW, tick=False)
def test_a_throttled_bulk_copy_records_no_failure_and_spreads_the_deferred_copies_over_the_window(
    organization, subsidiary, admin_user, copy_setup, admin_client
):
    """The issue's measurement: 20 copies of a bulk copy meet Xero's minute limit (Retry-After 40 s)."""
    connection, _ = copy_setup
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(20)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(
            responses.PUT,
            f"{API}/Contacts",
            status=429,
            headers={"Retry-After": "40", "X-Rate-Limit-Problem": "minute"},
        )
        FakeXero(mock, API).install()
        for invoice in invoices:
            assert tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk).startswith("deferred")

    assert RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.FAILED).count() == 0
    assert SyncLogEntry.objects.filter(invoice__in=invoices, level="error").count() == 0
    assert RemoteDocument.objects.filter(invoice__in=invoices, status=CopyStatus.WAITING).count() == 20
    etas = sorted((entry.next_run - NOW).total_seconds() for entry in scheduled_copies())
    assert etas == [40 + 2 * slot for slot in range(20)]  # one slot each, 2 s apart, from Retry-After on

    page = admin_client.get(invoices[5].get_absolute_url()).content.decode()
    assert "Waiting:" in page and "slow down" in page and "failed" not in page


def test_the_slot_spacing_follows_the_provider_budget(copy_setup):
    connection, _ = copy_setup
    assert tasks.copy_slot_spacing(connection) == datetime.timedelta(seconds=2)  # Xero: 60 calls a minute
    connection.provider = "unknown"
    assert tasks.copy_slot_spacing(connection) == tasks.COPY_DEFAULT_SPACING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deferrals_take_distinct_slots(organization, subsidiary, copy_setup):
    import threading

    from django.db import connection as db_connection

    from integrations.services.invoice_copy_bulk import invoice_copy_defer

    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers but not this interleaving)")
    connection, _ = copy_setup
    Connection.objects.filter(pk=connection.pk).update(paused_until=timezone.now() + datetime.timedelta(seconds=30))
    invoices = [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(6)]
    barrier, errors = threading.Barrier(len(invoices)), []
    spacing = datetime.timedelta(seconds=2)

    def defer(invoice):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            invoice_copy_defer(invoice=invoice, connection=connection, mode="update", user=None, spacing=spacing)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=defer, args=(invoice,)) for invoice in invoices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    slots = sorted(RemoteDocument.objects.filter(status=CopyStatus.WAITING).values_list("waiting_until", flat=True))
    assert len(slots) == 6 and all(b - a == spacing for a, b in zip(slots, slots[1:], strict=False))


@time_machine.travel(NOW, tick=False)
def test_a_waiting_copy_of_an_invoice_voided_meanwhile_fails_instead_of_waiting_for_ever(copy_setup, admin_user):
    from billing.services import invoice_void

    connection, (invoice, _) = copy_setup
    Connection.objects.filter(pk=connection.pk).update(paused_until=NOW + datetime.timedelta(seconds=30))
    assert tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk).startswith("deferred")
    invoice_void(invoice=invoice)

    with time_machine.travel(NOW + datetime.timedelta(seconds=60), tick=False):
        result = tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk, 1)

    assert result.startswith("refused")
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == CopyStatus.FAILED and copy.error.startswith("Not copied: Only finalized invoices")
