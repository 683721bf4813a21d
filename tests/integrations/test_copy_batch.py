"""A bulk copy in the provider's batches (services.document_export_batch through tasks.invoice_copy_batch_task):
few calls, few queries, and each invoice's result its own."""

import datetime
import json
from decimal import Decimal

import pytest
import responses
import time_machine
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django_q.models import Schedule

from integrations import tasks
from integrations.models import Connection, ContactLink, CopyStatus, RemoteDocument, TaxRateMapping
from integrations.providers.accounting_api import AccountingApi, BatchLimits
from integrations.providers.xero.client import XeroApi
from integrations.providers.xero.mapping import contact_number
from integrations.providers.xero.provider import XeroProvider
from tests.factories import TaxRateFactory, invoices_for_new_clients, make_invoice

from .factories import ConnectionFactory
from .fake_xero import FakeXero

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
MAX_QUERIES_PER_INVOICE = 5


@pytest.fixture
def connection(organization, subsidiary):
    rate = TaxRateFactory(organization=organization, percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT")
    return connection


def writes(mock, path):
    return [call for call in mock.calls if call.request.method == "PUT" and f"/{path}" in call.request.url]


def run(connection, invoices, user=None, deferrals=0):
    return tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", user and user.pk, deferrals)


def test_100_invoices_for_100_new_clients_take_at_most_6_calls_and_5_queries_each(
    organization, subsidiary, connection, admin_user
):
    invoices = invoices_for_new_clients(organization, subsidiary, 100)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        with CaptureQueriesContext(db) as queries:
            result = run(connection, invoices, admin_user)
        assert result.startswith("100 done, 0 failed, 0 waiting")
        assert len(mock.calls) <= 6
        assert len(writes(mock, "Invoices")) == 2 and len(writes(mock, "Contacts")) == 2  # 50 a call
        assert all("summarizeErrors=false" in call.request.url for call in mock.calls)
        assert not any(call.response.status_code == 429 for call in mock.calls)
    assert len(queries) <= MAX_QUERIES_PER_INVOICE * len(invoices), len(queries)
    assert xero.creates == 100 and len(xero.contacts) == 100
    copies = RemoteDocument.objects.filter(invoice__in=invoices)
    assert copies.count() == 100 and set(copies.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED}
    assert all(copy.is_latest and copy.remote_id in xero.invoices for copy in copies)
    assert {c.invoice.number for c in copies} == {c.remote_number for c in copies}
    # The contacts are remembered (once the invoices were accepted), each for its own client.
    links = ContactLink.objects.filter(connection=connection)
    assert links.count() == 100
    assert {link.company_id: xero.contacts[link.remote_id]["ContactNumber"] for link in links} == {
        i.company_id: contact_number(i.company) for i in invoices
    }


def test_each_batch_carries_an_idempotency_key_of_its_elements(organization, subsidiary, connection):
    invoices = invoices_for_new_clients(organization, subsidiary, 3)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        FakeXero(mock, API).install()
        run(connection, invoices)
        (put,) = writes(mock, "Invoices")
    keys = {copy.idempotency_key for copy in RemoteDocument.objects.all()}
    assert put.request.headers["Idempotency-Key"].startswith("batch-")
    assert len(put.request.headers["Idempotency-Key"]) <= 128
    assert len(json.loads(put.request.body)["Invoices"]) == 3 and len(keys) == 3


def test_a_refused_element_fails_its_own_invoice_only_with_xeros_words(organization, subsidiary, connection):
    invoices = invoices_for_new_clients(organization, subsidiary, 3)
    refused = invoices[1]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        xero.refuse_numbers[refused.number] = ["Account code '999' is not a valid code for this document."]
        result = run(connection, invoices)
        assert len(writes(mock, "Invoices")) == 1
    assert result.startswith("2 done, 1 failed")
    failed = RemoteDocument.objects.get(invoice=refused)
    assert failed.status == CopyStatus.FAILED
    assert failed.error == "Account code '999' is not a valid code for this document."
    others = RemoteDocument.objects.exclude(invoice=refused)
    assert set(others.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED} and others.count() == 2
    assert set(others.values_list("error", flat=True)) == {""}
    # Its contact is not remembered (Xero accepted no invoice for it); the neighbours' are.
    assert not ContactLink.objects.filter(company=refused.company).exists()
    assert ContactLink.objects.filter(connection=connection).count() == 2


def test_a_batch_whose_answer_is_lost_is_looked_up_on_retry_and_makes_no_duplicate(
    organization, subsidiary, connection
):
    invoices = invoices_for_new_clients(organization, subsidiary, 4)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        xero.drop_answers = 10  # Xero created the four; no answer came back, nor to the client's own retries
        result = run(connection, invoices)
        assert "0 done" in result and xero.creates == 4
        pending = RemoteDocument.objects.filter(invoice__in=invoices)
        assert set(pending.values_list("status", flat=True)) == {CopyStatus.PENDING}
        assert all(copy.outcome_unknown for copy in pending)
        assert all("The outcome is unknown" in copy.error for copy in pending)

        xero.drop_answers = 0
        before = len(mock.calls)
        result = run(connection, invoices)
        retry = mock.calls[before:]
    assert result.startswith("4 done, 0 failed")
    assert xero.creates == 4  # adopted, not created again
    assert [c.request.method for c in retry] == ["GET"] * 4  # one lookup each, no write
    copies = RemoteDocument.objects.filter(invoice__in=invoices)
    assert copies.count() == 4 and set(copies.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED}
    assert {copy.remote_id for copy in copies} == set(xero.invoices)


@time_machine.travel(NOW, tick=False)
def test_a_429_mid_bulk_leaves_the_rest_waiting_then_done(organization, subsidiary, connection):
    invoices = invoices_for_new_clients(organization, subsidiary, 60)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        xero.throttle_invoice_puts = {2}
        result = run(connection, invoices)
        assert result.startswith("50 done, 0 failed, 10 waiting")
        waiting = RemoteDocument.objects.filter(status=CopyStatus.WAITING)
        assert waiting.count() == 10 and not RemoteDocument.objects.filter(status=CopyStatus.FAILED).exists()
        assert {copy.waiting_until for copy in waiting} == {NOW + datetime.timedelta(seconds=40)}
        (deferred,) = Schedule.objects.filter(func="integrations.tasks.invoice_copy_batch_task")
        assert deferred.next_run == NOW + datetime.timedelta(seconds=40)
        assert Connection.objects.get(pk=connection.pk).paused_until == NOW + datetime.timedelta(seconds=40)

        with time_machine.travel(NOW + datetime.timedelta(seconds=41), tick=False):
            before = len(mock.calls)
            waiting_ids = sorted(waiting.values_list("invoice_id", flat=True))
            result = tasks.invoice_copy_batch_task(connection.pk, waiting_ids, "update", None, 1)
            assert result.startswith("10 done, 0 failed, 0 waiting")
            # The waiting ones' contacts were made before the 429 but are remembered only once an invoice is
            # accepted: the retry meets their names, finds them in one GET and adopts them (no contact twice).
            retry = [(c.request.method, c.request.url.split("?")[0].rsplit("/", 1)[-1]) for c in mock.calls[before:]]
            assert retry == [("PUT", "Contacts"), ("GET", "Contacts"), ("PUT", "Invoices")]
    assert len(xero.contacts) == 60
    assert xero.creates == 60
    assert RemoteDocument.objects.filter(status=CopyStatus.SUCCEEDED).count() == 60


class OneByOneXeroApi(XeroApi):
    """Xero as a provider without batch endpoints would be: the contract's defaults, one call per element."""

    batch_limits = BatchLimits()
    create_documents = AccountingApi.create_documents
    create_contacts = AccountingApi.create_contacts


class OneByOneXero(XeroProvider):
    rate_limit = (10, 60)  # a small budget, so the pacing shows at a small size

    def api(self, connection):
        return OneByOneXeroApi(connection)


ONE_BY_ONE = [f"{__name__}.OneByOneXero"]


@time_machine.travel(NOW, tick=False)
def test_a_provider_without_batches_is_sent_one_by_one_paced_under_its_limit(
    organization, subsidiary, connection, settings
):
    settings.INTEGRATION_PROVIDERS = ONE_BY_ONE
    invoices = invoices_for_new_clients(organization, subsidiary, 6)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        result = run(connection, invoices)
        # At most 9 calls of the 10 a minute (PACE_SHARE), each on its own; no 429 is met. Contacts only for the
        # invoices this run can send too: 4 contacts and their 4 invoices (a 5th pair would be 10).
        assert result.startswith("4 done, 0 failed, 2 waiting") and result.endswith("in 8 calls")
        assert len(writes(mock, "Contacts")) == 4 and len(writes(mock, "Invoices")) == 4
        puts = writes(mock, "Invoices")
        assert all(len(json.loads(call.request.body)["Invoices"]) == 1 for call in puts)
        assert {call.request.headers["Idempotency-Key"] for call in puts} <= set(
            RemoteDocument.objects.values_list("idempotency_key", flat=True)
        )  # each element sent with its attempt's own key
        waiting = RemoteDocument.objects.filter(status=CopyStatus.WAITING)
        assert waiting.count() == 2 and {c.waiting_until for c in waiting} == {NOW + datetime.timedelta(minutes=1)}
        (deferred,) = Schedule.objects.filter(func="integrations.tasks.invoice_copy_batch_task")
        assert deferred.next_run == NOW + datetime.timedelta(minutes=1)

        with time_machine.travel(NOW + datetime.timedelta(minutes=1), tick=False):
            ids = sorted(waiting.values_list("invoice_id", flat=True))
            assert tasks.invoice_copy_batch_task(connection.pk, ids, "update", None, 1).startswith("2 done")
        assert len(writes(mock, "Contacts")) == 6  # one contact a client: none made for an invoice that waited
    assert xero.creates == 6 and RemoteDocument.objects.filter(status=CopyStatus.SUCCEEDED).count() == 6


def test_a_document_refused_before_sending_is_said_on_its_invoice_and_its_neighbours_go(
    organization, subsidiary, connection, admin_client
):
    from integrations.models import SyncLogEntry

    sent = invoices_for_new_clients(organization, subsidiary, 2)
    draft = make_invoice(organization=organization, subsidiary=subsidiary)  # voided or reopened since it was queued
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = FakeXero(mock, API).install()
        result = run(connection, [*sent, draft])
    assert result.startswith("2 done, 0 failed, 0 waiting, 1 refused")
    assert xero.creates == 2 and not RemoteDocument.objects.filter(invoice=draft).exists()
    (refusal,) = SyncLogEntry.objects.filter(invoice=draft, action="invoice.copy_refused")
    assert "Only finalized invoices can be copied" in refusal.message
