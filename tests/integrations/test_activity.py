"""A connection's Activity page and API: its sync log and runs, filtered, paginated, with the provider's words and
what to do, links here and in the provider, in the same few queries whatever the number of rows."""

import datetime
import uuid

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integrations.activity import PAGE_SIZE
from integrations.models import LogLevel, SyncKind, SyncLogEntry, SyncOutcome, SyncRun
from integrations.synclog import log
from tests.factories import make_invoice

from .factories import ConnectionFactory, remote_copy

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(organization=organization, subsidiary=subsidiary, name="Xero NL")


def activity_url(connection, **query):
    url = reverse("integrations:connection-activity", args=[connection.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def copied(connection, *, when=None, level=LogLevel.INFO, action="invoice.create", message="Copied.", run=None):
    """An invoice with a Xero copy and the log entry of that copy."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    remote_id = str(uuid.uuid4())
    remote_copy(
        connection,
        invoice,
        remote_id=remote_id,
        remote_number=invoice.number,
        remote_url=f"https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID={remote_id}",
    )
    entry = log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=level,
        action=action,
        message=message,
        invoice_id=invoice.pk,
        remote_id=remote_id,
        run=run,
    )
    if when:
        SyncLogEntry.objects.filter(pk=entry.pk).update(created_at=when)
    return invoice, entry


def entry_ids(response):
    return [row.pk for row in response.context["rows"]]


def test_the_page_shows_each_entry_with_links_here_and_in_the_provider(connection, admin_client):
    invoice, entry = copied(connection)

    page = admin_client.get(activity_url(connection)).content.decode()

    assert f'id="entry-{entry.pk}"' in page and "Copied." in page
    assert f'href="{invoice.get_absolute_url()}"' in page
    assert f"InvoiceID={entry.remote_id}" in page and "Open in Xero" in page


def test_an_error_shows_the_providers_words_verbatim_and_what_to_do(connection, admin_client):
    copied(connection, level=LogLevel.ERROR, action="invoice.copy_failed", message="Invoice # must be unique.")

    page = admin_client.get(activity_url(connection)).content.decode()

    assert "Invoice # must be unique." in page
    assert "Xero already has an invoice with this number" in page


def test_filters_kind_outcome_date_and_document(connection, admin_client):
    old_invoice, old = copied(connection, when=datetime.datetime(2026, 10, 1, 12, tzinfo=UTC))
    _, failed = copied(connection, level=LogLevel.ERROR, action="invoice.copy_failed", message="Refused.")
    payment = log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.INFO,
        action="payment.recorded",
        message="Payment of 10.00 recorded.",
    )
    http_line = log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.ERROR,
        action="http.put",
        message="Xero refused PUT /Invoices (HTTP 400)",
        is_http_call=True,
    )

    everything = entry_ids(admin_client.get(activity_url(connection)))
    assert everything == [payment.pk, failed.pk, old.pk] and http_line.pk not in everything
    assert entry_ids(admin_client.get(activity_url(connection, kind="payments"))) == [payment.pk]
    assert entry_ids(admin_client.get(activity_url(connection, kind="copies"))) == [failed.pk, old.pk]
    assert entry_ids(admin_client.get(activity_url(connection, outcome="error"))) == [failed.pk]
    assert entry_ids(admin_client.get(activity_url(connection, until="2026-10-01"))) == [old.pk]
    assert old.pk not in entry_ids(admin_client.get(activity_url(connection, since="2026-10-02")))
    assert entry_ids(admin_client.get(activity_url(connection, document=old_invoice.number))) == [old.pk]


def test_a_filter_value_we_do_not_offer_is_said_and_ignored(connection, admin_client):
    copied(connection)

    response = admin_client.get(activity_url(connection, kind="everything", since="yesterday"))

    page = response.content.decode()
    assert response.status_code == 200 and "Choose one of: copies" in page and "Enter a date as YYYY-MM-DD." in page
    assert len(response.context["rows"]) == 1


def test_runs_show_their_api_calls_and_counts_and_outlive_nothing(connection, admin_client):
    run = SyncRun.objects.create(
        connection=connection,
        kind=SyncKind.PAYMENTS,
        outcome=SyncOutcome.PARTIAL,
        finished_at=timezone.now(),
        counts={"fetched": 3, "recorded": 2, "failed": 1},
        api_calls=4,
    )
    copied(connection, run=run, action="payment.recorded", message="Recorded.")

    response = admin_client.get(activity_url(connection, kind="runs"))

    page = response.content.decode()
    assert [row.pk for row in response.context["rows"]] == [run.pk]
    assert f'id="run-{run.pk}"' in page and ">4</td>" in page and "recorded 2" in page and "Partly failed" in page
    assert "4 API calls" in admin_client.get(activity_url(connection)).content.decode()


def test_pagination_keeps_the_filters(connection, admin_client):
    for _ in range(PAGE_SIZE + 1):
        log(
            organization_id=connection.organization_id,
            connection_id=connection.pk,
            level=LogLevel.INFO,
            action="payment.recorded",
            message="Recorded.",
        )

    first = admin_client.get(activity_url(connection, kind="payments"))
    second = admin_client.get(activity_url(connection, kind="payments", page=2))

    assert len(first.context["rows"]) == PAGE_SIZE and len(second.context["rows"]) == 1
    assert "kind=payments&amp;page=2" in first.content.decode()


def test_the_page_costs_the_same_queries_at_5_and_at_50_rows(connection, admin_client, django_assert_max_num_queries):
    run = SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS, outcome=SyncOutcome.SUCCEEDED)
    for _ in range(5):
        copied(connection, run=run, level=LogLevel.ERROR, action="invoice.copy_failed", message="Refused.")
    with CaptureQueriesContext(db_connection) as five:
        assert len(admin_client.get(activity_url(connection)).context["rows"]) == 5
    for _ in range(45):
        copied(connection, run=run)

    with django_assert_max_num_queries(len(five.captured_queries)):
        response = admin_client.get(activity_url(connection))

    assert len(response.context["rows"]) == 50


def test_another_organizations_connection_is_404_and_members_403(connection, other_admin, member_client):
    rival = Client()
    rival.force_login(other_admin)

    assert rival.get(activity_url(connection)).status_code == 404
    assert member_client.get(activity_url(connection)).status_code == 403


def test_the_marketplace_links_each_connection_to_its_activity(connection, admin_client):
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()

    assert f'href="{activity_url(connection)}"' in page


def test_no_token_appears_on_the_page(connection, admin_client):
    copied(connection)
    grant = connection.grant

    page = admin_client.get(activity_url(connection)).content.decode()

    assert grant.access_token not in page and grant.refresh_token not in page
