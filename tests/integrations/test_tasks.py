"""django-q2 tasks (Q_CLUSTER sync=True in tests): the fan-out, the per-connection re-check, the copy task."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.models import Schedule

from integrations import tasks
from integrations.models import ConnectionStatus, CopyStatus, RemoteDocument, SyncLogEntry, SyncRun, TaxRateMapping
from integrations.schedules import SCHEDULES, schedules_sync
from tests.factories import OrganizationFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


def syncing(**kwargs):
    return ConnectionFactory(payment_sync_enabled_at=ENABLED, settings={"sync_payments": True}, **kwargs)


def test_fan_out_runs_only_eligible_connections(xero):
    eligible = [syncing(), syncing()]
    paused = syncing(paused_until=timezone.now() + datetime.timedelta(minutes=5))
    switched_off = ConnectionFactory(payment_sync_enabled_at=ENABLED, settings={"sync_payments": False})
    never_enabled = ConnectionFactory(settings={"sync_payments": True})
    disconnected = syncing(status=ConnectionStatus.DISCONNECTED)
    needs_reconnect = syncing(status=ConnectionStatus.NEEDS_RECONNECT)

    queued = tasks.payments_sync_all()

    assert sorted(queued) == sorted(c.pk for c in eligible)
    ran = set(SyncRun.objects.values_list("connection_id", flat=True))
    assert ran == {c.pk for c in eligible}
    for skipped in (paused, switched_off, never_enabled, disconnected, needs_reconnect):
        assert skipped.pk not in ran


def test_per_connection_task_rechecks_before_running(xero):
    connection = syncing()
    assert tasks.payments_sync_connection(connection.pk).startswith("succeeded")

    connection.status = ConnectionStatus.DISCONNECTED
    connection.save()
    assert tasks.payments_sync_connection(connection.pk) == "skipped: the connection is disconnected"
    assert tasks.payments_sync_connection(999999) == "skipped: the connection no longer exists"
    assert SyncRun.objects.filter(connection=connection).count() == 1


def test_xero_payment_sync_is_on_every_plan(xero):
    connection = syncing(organization=OrganizationFactory(plan="essential"))
    assert tasks.payment_sync_skip_reason(connection) == ""


def test_task_arguments_are_ids_only(xero, monkeypatch):
    syncing()
    calls = []
    monkeypatch.setattr(tasks, "async_task", lambda *args, **kwargs: calls.append((args, kwargs)))

    tasks.payments_sync_all()

    ((args, kwargs),) = calls
    assert args[0] == "integrations.tasks.payments_sync_connections"
    (ids,) = args[1:]
    assert all(isinstance(pk, int) for pk in ids) and kwargs == {"group": "payments-sync"}


def test_a_cycle_is_shared_out_in_tasks_of_a_set_size(xero, monkeypatch, settings):
    settings.INTEGRATIONS_POLL_CONNECTIONS_PER_TASK = 2
    connections = [syncing() for _ in range(5)]
    calls = []
    monkeypatch.setattr(tasks, "async_task", lambda *args, **kwargs: calls.append(args[1]))

    queued = tasks.payments_sync_all()

    assert [len(share) for share in calls] == [2, 2, 1]
    assert sorted(pk for share in calls for pk in share) == sorted(queued) == sorted(c.pk for c in connections)


def test_invoice_copy_task_copies_and_logs_refusals(xero, organization, subsidiary, admin_user):
    rate = TaxRateFactory(organization=organization, percentage=Decimal("9"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT")
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    draft = make_invoice(organization=organization, subsidiary=subsidiary)

    result = tasks.invoice_copy_task(invoice.pk, connection.pk, "update", admin_user.pk)

    assert result.startswith("succeeded")
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == CopyStatus.SUCCEEDED and copy.created_by == admin_user
    assert tasks.invoice_copy_task(draft.pk, connection.pk, "update", None).startswith("refused")
    assert SyncLogEntry.objects.filter(invoice=draft, action="invoice.copy_refused").exists()
    assert tasks.invoice_copy_task(999999, connection.pk, "update", None).startswith("skipped")


def test_payments_sync_schedule_is_declared():
    (entry,) = [s for s in SCHEDULES if s.name == "productive:payments-sync"]
    assert entry.func == "integrations.tasks.payments_sync_all"

    schedules_sync()

    schedule = Schedule.objects.get(name="productive:payments-sync")
    assert schedule.func == "integrations.tasks.payments_sync_all" and schedule.minutes == 2
