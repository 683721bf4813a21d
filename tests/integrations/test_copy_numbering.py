"""Who numbers invoices: an issued invoice's number never changes; the provider numbers only invoices that have
no number of ours yet (those of a subsidiary whose numbering the provider owns, which finalize without one)."""

import json
from decimal import Decimal

import pytest
import responses

from billing.choices import InvoiceNumbering, InvoiceStatus
from billing.models import Invoice, Subsidiary
from billing.services import payment_record
from integrations.models import ConnectionStatus, CopyStatus, RemoteDocument, TaxRateMapping
from integrations.services.connection_setup import connection_setup_save
from integrations.services.connections import connection_disconnect
from integrations.services.invoice_copy import invoice_copy
from integrations.services.invoice_copy_bulk import invoice_copy_bulk
from integrations.setup_schema import SetupValues
from tests.factories import TaxRateFactory, make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
LISTS = {
    "accounts": [{"code": "200", "name": "Sales", "extra": {}}],
    "tax_types": [{"code": "OUTPUT2", "name": "VAT 21%", "extra": {"rate": "21", "can_apply_to_revenue": True}}],
    "items": [],
}


@pytest.fixture
def nl(organization):
    return Subsidiary.objects.create(
        organization=organization, name="Acme NL", legal_name="Acme NL B.V.", invoice_number_prefix="NL-"
    )


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, percentage=Decimal("21"))


@pytest.fixture
def connection(organization, nl, vat):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=nl,
        settings={"numbering": "app", "default_account": "200", "lists": LISTS},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


def save_setup(connection, vat, numbering: str):
    return connection_setup_save(
        connection=connection,
        values=SetupValues(
            {"sync_payments": False, "numbering": numbering, "default_account": "200"},
            {"service_type": {}, "tax_rate": {vat.pk: "OUTPUT2"}},
        ),
    )


def sent_numbers(xero) -> list:
    writes = [r for r in xero.requests if r.method == "PUT" and "/Invoices" in r.url]
    return [element.get("InvoiceNumber") for r in writes for element in json.loads(r.body)["Invoices"]]


def test_provider_numbering_sends_an_issued_invoice_with_its_own_number(xero, connection, vat, nl):
    invoice = make_invoice(subsidiary=nl, finalize=True)
    save_setup(connection, vat, "provider")

    copy = invoice_copy(invoice=invoice, connection=connection)

    invoice.refresh_from_db()
    assert invoice.number == "NL-0001" == copy.remote_number
    assert sent_numbers(xero) == ["NL-0001"]


def test_a_bulk_copy_under_provider_numbering_renumbers_no_issued_invoice(
    xero, connection, vat, nl, organization, admin_user, django_capture_on_commit_callbacks
):
    """The issue's case: 18 issued invoices (some paid), bulk-copied after switching to "Xero numbers invoices"."""
    invoices = [make_invoice(subsidiary=nl, finalize=True) for _ in range(18)]
    for invoice in invoices[::3]:
        payment_record(invoice=invoice, amount=invoice.total, date=invoice.issue_date)
    before = {invoice.pk: Invoice.objects.get(pk=invoice.pk).number for invoice in invoices}
    save_setup(connection, vat, "provider")

    with django_capture_on_commit_callbacks(execute=True):
        result = invoice_copy_bulk(invoice_ids=list(before), organization=organization, user=admin_user)

    assert len(result.queued) == 18
    after = dict(Invoice.objects.filter(pk__in=before).values_list("pk", "number"))
    renumbered = [pk for pk in before if after[pk] != before[pk]]
    assert renumbered == []
    assert sorted(after.values()) == [f"NL-{n:04d}" for n in range(1, 19)]  # the NL sequence, no gaps
    assert sorted(filter(None, sent_numbers(xero))) == sorted(before.values())
    assert RemoteDocument.objects.filter(status=CopyStatus.SUCCEEDED).count() == 18


def test_a_provider_numbered_subsidiary_finalizes_without_a_number_and_takes_xeros_on_the_first_copy(
    xero, connection, vat, nl
):
    numbered = make_invoice(subsidiary=nl, finalize=True)
    save_setup(connection, vat, "provider")
    nl.refresh_from_db()
    assert nl.invoice_numbering == InvoiceNumbering.ACCOUNTING_TOOL

    pending = make_invoice(subsidiary=nl, finalize=True)
    assert pending.status == InvoiceStatus.FINALIZED and pending.number == ""
    nl.refresh_from_db()
    assert nl.next_invoice_number == 2  # our sequence is not consumed

    copy = invoice_copy(invoice=pending, connection=connection)

    pending.refresh_from_db()
    assert pending.number == copy.remote_number == "XI-0001"
    assert sent_numbers(xero) == [None]
    # Copying it again (update or new) never changes the number it took.
    invoice_copy(invoice=pending, connection=connection, mode="update")
    invoice_copy(invoice=pending, connection=connection, mode="new")
    pending.refresh_from_db()
    numbered.refresh_from_db()
    assert (pending.number, numbered.number) == ("XI-0001", "NL-0001")


def test_switching_back_to_app_numbering_numbers_the_waiting_invoices_in_order(connection, vat, nl):
    save_setup(connection, vat, "provider")
    first, second = (make_invoice(subsidiary=nl, finalize=True) for _ in range(2))
    assert first.number == second.number == ""

    save_setup(connection, vat, "app")

    first.refresh_from_db()
    second.refresh_from_db()
    nl.refresh_from_db()
    assert (first.number, second.number) == ("NL-0001", "NL-0002")
    assert nl.invoice_numbering == InvoiceNumbering.APP
    assert make_invoice(subsidiary=nl, finalize=True).number == "NL-0003"


def test_disconnecting_the_numbering_connection_gives_the_numbering_back_to_the_app(mock, connection, vat, nl):
    save_setup(connection, vat, "provider")
    waiting = make_invoice(subsidiary=nl, finalize=True)
    mock.add(responses.DELETE, f"https://api.xero.com/connections/{connection.remote_connection_id}", status=204)

    connection_disconnect(connection=connection)

    nl.refresh_from_db()
    waiting.refresh_from_db()
    assert nl.invoice_numbering == InvoiceNumbering.APP and waiting.number == "NL-0001"


def test_only_one_connection_numbers_a_subsidiary(connection, vat, nl, organization):
    save_setup(connection, vat, "provider")
    other = ConnectionFactory(
        organization=organization, subsidiary=nl, name="Second Xero", settings={"lists": LISTS, "numbering": "app"}
    )
    with pytest.raises(Exception) as refused:
        save_setup(other, vat, "provider")
    assert connection.name in str(refused.value)


def test_an_unnumbered_invoice_is_not_copied_to_a_connection_that_does_not_number(xero, connection, vat, nl):
    save_setup(connection, vat, "provider")
    waiting = make_invoice(subsidiary=nl, finalize=True)
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.save()
    other = ConnectionFactory(
        organization=connection.organization, subsidiary=nl, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=other, tax_rate=vat, remote_code="OUTPUT2")

    with pytest.raises(Exception, match="no number yet"):
        invoice_copy(invoice=waiting, connection=other)
    assert not xero.requests


def test_finalizing_in_a_provider_numbered_subsidiary_is_documented_on_the_setup_page(admin_client, connection):
    page = admin_client.get(f"/settings/connections/{connection.pk}/setup/").content.decode()
    assert "keep their numbers" in page and "no number" in page


def test_taking_the_providers_number_is_not_a_change_since_the_copy(xero, connection, vat, nl):
    # The list's "Updated since copied" compares the invoice's updated_at with its copy's: the number the copy
    # brought back must not make a fresh copy look stale.
    from integrations.selectors import AccountingState, invoices_with_accounting_state

    save_setup(connection, vat, "provider")
    pending = make_invoice(subsidiary=nl, finalize=True)
    invoice_copy(invoice=pending, connection=connection)
    state = invoices_with_accounting_state(Invoice.objects.filter(pk=pending.pk)).get().accounting_state
    assert state == AccountingState.COPIED
