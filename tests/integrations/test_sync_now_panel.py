""" "Sync payments now" on the invoice panel over HTMX: the panel comes back "syncing" and polls until its run ends."""

import datetime

import pytest
from django.utils import timezone

from integrations.models import CopyStatus, RemoteDocument, SyncKind, SyncOutcome, SyncRun
from tests.factories import make_invoice

from .factories import ConnectionFactory, ready_xero_connection

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


@pytest.fixture
def invoice(organization, subsidiary, connection):
    """A copied invoice: its panel offers "Sync payments now"."""
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    RemoteDocument.objects.create(
        organization=organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=f"test-{invoice.pk}",
        status=CopyStatus.SUCCEEDED,
        remote_id="r-1",
        remote_number=invoice.number,
        is_latest=True,
    )
    return invoice


def sync_url(connection):
    return f"/settings/connections/{connection.pk}/sync/"


def panel_url(invoice, connection, after):
    return f"/integrations/invoices/{invoice.pk}/panel/?sync={connection.pk}&after={after}"


def run(connection, **fields):
    return SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS, **fields)


def test_htmx_sync_returns_the_panel_polling_until_the_run_ends(
    admin_client, connection, invoice, django_capture_on_commit_callbacks
):
    earlier = run(connection, finished_at=timezone.now(), outcome=SyncOutcome.SUCCEEDED)
    with django_capture_on_commit_callbacks() as callbacks:  # queued, not run: the worker has not started it
        response = admin_client.post(sync_url(connection), {"invoice": invoice.pk, "next": "/"}, **HTMX)
    assert len(callbacks) == 1
    page = response.content.decode()
    assert response.status_code == 200 and 'id="integrations"' in page
    assert "Syncing payments from Acme Xero" in page
    assert f'hx-get="{panel_url(invoice, connection, earlier.pk)}"'.replace("&", "&amp;") in page
    assert 'hx-trigger="every 2s"' in page

    # The worker started the run: still polling.
    started = run(connection)
    page = admin_client.get(panel_url(invoice, connection, earlier.pk), **HTMX).content.decode()
    assert "Syncing payments" in page and 'hx-trigger="every 2s"' in page

    # It finished: the panel shows the result and stops polling; the button is back.
    started.outcome, started.finished_at = SyncOutcome.SUCCEEDED, timezone.now()
    started.counts = {"recorded": 2, "deleted": 0, "failed": 0}
    started.save()
    page = admin_client.get(panel_url(invoice, connection, earlier.pk), **HTMX).content.decode()
    assert "2 recorded" in page and "every 2s" not in page and "Sync payments now" in page


def test_failed_run_is_shown_and_polling_stops(admin_client, connection, invoice):
    run(connection, finished_at=timezone.now(), outcome=SyncOutcome.FAILED, error="Xero said no.")
    page = admin_client.get(panel_url(invoice, connection, 0), **HTMX).content.decode()
    assert "Payment sync failed: Xero said no." in page and "every 2s" not in page


def test_a_sync_that_will_be_skipped_says_why_and_does_not_poll(admin_client, connection, invoice):
    connection.settings = {**connection.settings, "sync_payments": False}
    connection.save()
    response = admin_client.post(sync_url(connection), {"invoice": invoice.pk}, **HTMX)
    page = response.content.decode()
    assert "payment sync is off" in page and "every 2s" not in page


def test_without_htmx_the_form_still_redirects(admin_client, connection, invoice):
    response = admin_client.post(sync_url(connection), {"invoice": invoice.pk, "next": invoice.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()


def test_panel_is_admin_only_and_organization_scoped(
    admin_client, member_client, other_organization, connection, invoice
):
    assert member_client.get(panel_url(invoice, connection, 0), **HTMX).status_code == 403
    foreign_invoice = make_invoice(organization=other_organization, finalize=True)
    foreign_connection = ConnectionFactory(organization=other_organization)
    assert admin_client.get(panel_url(foreign_invoice, connection, 0), **HTMX).status_code == 404
    assert admin_client.get(panel_url(invoice, foreign_connection, 0), **HTMX).status_code == 404
    assert admin_client.get(panel_url(invoice, connection, "x"), **HTMX).status_code == 404
    post = admin_client.post(sync_url(connection), {"invoice": foreign_invoice.pk}, **HTMX)
    assert post.status_code == 404


def test_invoice_page_form_posts_over_htmx_with_the_invoice(admin_client, connection, invoice):
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert f'hx-post="{sync_url(connection)}"' in page and f'name="invoice" value="{invoice.pk}"' in page


def test_sync_now_during_another_run_is_followed_by_the_run_after_it(admin_client, connection, invoice, xero):
    """Pressed while a scheduled (or webhook) run holds the connection: the queued task is skipped, hands its
    request on, and the panel keeps following until the run after the busy one has finished."""
    from integrations import tasks

    busy = run(connection)  # running: it may have read Xero before the press
    response = admin_client.post(sync_url(connection), {"invoice": invoice.pk}, **HTMX)
    assert "Syncing payments" in response.content.decode()

    assert tasks.payments_sync_connection(connection.pk).startswith("skipped")  # the queued task meets the busy run
    connection.refresh_from_db()
    assert connection.sync_requested_at is not None
    page = admin_client.get(panel_url(invoice, connection, busy.pk), **HTMX).content.decode()
    assert "Syncing payments" in page and "Not synced" not in page and 'hx-trigger="every 2s"' in page

    busy.outcome, busy.finished_at = SyncOutcome.SUCCEEDED, timezone.now()
    busy.save()
    assert tasks.payments_sync_trailing(connection.pk, busy) == [connection.pk]  # one more run right after it
    tasks.payments_sync_connection(connection.pk)  # the worker runs it
    page = admin_client.get(panel_url(invoice, connection, busy.pk), **HTMX).content.decode()
    assert "Payments synced" in page and "every 2s" not in page
