"""The invoice list's Accounting column and filter (registered by integrations into billing's list), and the
invoice panel's "Copy failed" badge when a connection's latest attempt failed."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from billing.services import invoice_void, payment_record
from integrations.models import CopyStatus, RemoteDocument
from integrations.selectors import AccountingState, invoices_with_accounting_state
from tests.factories import make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

LIST = reverse("billing:invoice-list")
XERO_REFUSAL = "Email address must be valid.\nThe TaxType code 'OUTPUT9' does not exist or cannot be used."


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(organization=organization, subsidiary=subsidiary)


def attempt(invoice, connection, status, *, ago_minutes=0, **fields):
    copy = RemoteDocument.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=str(uuid.uuid4()),
        status=status,
        is_latest=status == CopyStatus.SUCCEEDED,
        **fields,
    )
    when = timezone.now() - datetime.timedelta(minutes=ago_minutes)
    RemoteDocument.objects.filter(pk=copy.pk).update(created_at=when, updated_at=when)
    copy.refresh_from_db()
    return copy


def invoice_in_state(state, connection):
    """A finalized invoice of `connection`'s subsidiary in each AccountingState."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    if state == AccountingState.NOT_COPIED:
        return invoice
    if state == AccountingState.FAILED:  # a bulk copy refused after an earlier success: still "failed"
        attempt(invoice, connection, CopyStatus.SUCCEEDED, ago_minutes=30, remote_number="NL-0026")
        attempt(invoice, connection, CopyStatus.FAILED, ago_minutes=1, error=XERO_REFUSAL)
    elif state == AccountingState.WAITING:
        attempt(invoice, connection, CopyStatus.WAITING, waiting_until=timezone.now())
    elif state == AccountingState.COPIED:  # a copy after an older failure is copied
        attempt(invoice, connection, CopyStatus.FAILED, ago_minutes=30, error="Nope.")
        attempt(invoice, connection, CopyStatus.SUCCEEDED, ago_minutes=-1)
    elif state == AccountingState.UPDATED:  # voided here after the copy: the copy no longer says what we hold
        attempt(invoice, connection, CopyStatus.SUCCEEDED, ago_minutes=30)
        invoice_void(invoice=invoice)
    return invoice


STATES = [value for value, _ in AccountingState.CHOICES]


def test_a_payment_after_the_copy_is_no_update_of_what_was_copied(connection):
    """Payments come back from the accounting tool: they change the invoice row, not what its copy carries."""
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    finalized = timezone.now() - datetime.timedelta(hours=1)
    Invoice.objects.filter(pk=invoice.pk).update(finalized_at=finalized, content_changed_at=finalized)
    attempt(invoice, connection, CopyStatus.SUCCEEDED, ago_minutes=30)
    payment_record(invoice=invoice, amount=Decimal("10.00"), date=datetime.date(2026, 11, 20))

    state = invoices_with_accounting_state(Invoice.objects.filter(pk=invoice.pk)).get().accounting_state
    assert state == AccountingState.COPIED


def test_every_state_has_a_case():
    assert set(STATES) == {"not_copied", "copied", "failed", "waiting", "updated"}


@pytest.mark.parametrize("state", STATES)
def test_list_column_shows_each_state(admin_client, connection, state):
    invoice = invoice_in_state(state, connection)
    response = admin_client.get(LIST)
    row = {i.pk: i for i in response.context["invoices"]}[invoice.pk]
    assert row.accounting_state == state
    page = response.content.decode()
    assert "<th>Accounting</th>" in page
    assert f'<span class="badge accounting-{state}">{AccountingState.LABELS[state]}</span>' in page.replace(
        "&#x27;", "'"
    )


def test_filter_narrows_to_each_state(admin_client, connection):
    invoices = {state: invoice_in_state(state, connection) for state in STATES}
    for state in STATES:
        response = admin_client.get(LIST, {"accounting_state": state})
        assert [i.pk for i in response.context["invoices"]] == [invoices[state].pk], state
    form = admin_client.get(LIST).context["filter_form"]
    assert [value for value, _ in form.fields["accounting_state"].choices] == ["", *STATES]


def test_no_column_without_a_copy_provider(admin_client, connection, settings, monkeypatch):
    from integrations import registry

    monkeypatch.setattr(registry, "configured", lambda: [])
    invoice_in_state(AccountingState.COPIED, connection)
    page = admin_client.get(LIST).content.decode()
    assert "Accounting" not in page and "accounting_state" not in page


def test_list_queries_stay_constant_with_column_and_filter(admin_client, connection):
    def counts():
        result = {}
        for params in ({}, {"accounting_state": AccountingState.FAILED}, {"accounting_state": "copied"}):
            with CaptureQueriesContext(db_connection) as queries:
                assert admin_client.get(LIST, params).status_code == 200
            result[str(params)] = len(queries)
        return result

    for state in STATES:
        invoice_in_state(state, connection)
    few = counts()
    for _ in range(6):
        for state in STATES:
            invoice_in_state(state, connection)
    assert counts() == few


def test_panel_shows_failed_badge_above_last_successful_copy(admin_client, connection):
    invoice = invoice_in_state(AccountingState.FAILED, connection)
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    badge = page.index('<span class="badge copy-failed">Copy failed</span>')
    assert badge < page.index("Invoice copied as NL-0026")
    assert "<li>Email address must be valid.</li>" in page
    assert "The TaxType code &#x27;OUTPUT9&#x27; does not exist or cannot be used." in page
    assert "What to do:" in page


def test_panel_has_no_badge_when_latest_attempt_succeeded(admin_client, connection):
    invoice = invoice_in_state(AccountingState.COPIED, connection)
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Copy failed" not in page


def test_panel_badge_for_a_first_copy_that_failed(admin_client, connection):
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    attempt(invoice, connection, CopyStatus.FAILED, error=XERO_REFUSAL)
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert 'class="badge copy-failed">Copy failed' in page and "<li>Email address must be valid.</li>" in page
