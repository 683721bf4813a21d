"""Voiding an invoice that was copied: asked whether to void the copy in Xero too, done when asked (and allowed),
and otherwise said plainly that it stays open there; the panel tells which it is."""

import datetime

import pytest
import responses
from django.urls import reverse

from billing.choices import InvoiceStatus
from integrations.models import RemoteDocument
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from tests.factories import make_invoice

from .factories import ready_xero_connection

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
ENABLED = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=ENABLED,
    )


@pytest.fixture
def copied(xero, connection, organization, subsidiary):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    return invoice, invoice_copy(invoice=invoice, connection=connection)


def void_url(invoice):
    return reverse("integrations:invoice-void", args=[invoice.pk])


def test_void_asks_whether_to_void_the_xero_copy_too(admin_client, xero, copied):
    invoice, copy = copied

    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert f'href="{void_url(invoice)}"' in page  # "Void" asks first: the invoice has a copy in Xero
    assert f'action="{reverse("billing:invoice-void", args=[invoice.pk])}"' not in page
    prompt = admin_client.get(void_url(invoice)).content.decode()
    assert f"Xero invoice {copy.remote_number}" in prompt
    assert 'name="void_copies" value="1" checked' in prompt and "in the accounting tool too" in prompt
    assert invoice.status == InvoiceStatus.FINALIZED and not any(r.method == "POST" for r in xero.requests)


def test_voiding_with_the_copy_voids_it_in_xero_and_the_panel_says_so(admin_client, xero, copied):
    invoice, copy = copied

    response = admin_client.post(void_url(invoice), {"void_copies": "1"}, follow=True)

    invoice.refresh_from_db()
    copy.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert xero.invoices[copy.remote_id]["Status"] == "VOIDED" and xero.invoices[copy.remote_id]["AmountDue"] == 0
    assert copy.remote_voided_at is not None
    page = response.content.decode()
    assert f"{copy.remote_number} was voided in Xero too." in page
    assert "Voided in Xero too" in page and "Finalize the invoice to copy it." not in page


def test_voiding_without_the_copy_says_clearly_that_it_stays_open_in_xero(admin_client, xero, copied):
    invoice, copy = copied

    response = admin_client.post(void_url(invoice), {}, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID and xero.invoices[copy.remote_id]["Status"] == "AUTHORISED"
    page = response.content.decode()
    assert f"{copy.remote_number} stays open in Xero" in page
    assert "Still open in Xero" in page and "Finalize the invoice to copy it." not in page
    # Later, from the panel: void it there after all.
    assert f'href="{void_url(invoice)}">Void in Xero' in page
    admin_client.post(void_url(invoice), {"void_copies": "1"})
    assert xero.invoices[copy.remote_id]["Status"] == "VOIDED"


def test_xero_refusing_a_copy_with_payments_keeps_it_and_says_remove_the_payment_first(admin_client, xero, copied):
    invoice, copy = copied
    xero.add_payment(invoice_id=copy.remote_id, amount="5.00", date="2026-11-05", updated=ENABLED)  # not synced yet

    response = admin_client.post(void_url(invoice), {"void_copies": "1"}, follow=True)

    page = response.content.decode()
    invoice.refresh_from_db()
    copy.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID and copy.remote_voided_at is None
    assert xero.invoices[copy.remote_id]["Status"] == "AUTHORISED"
    assert "stays open in Xero" in page and "Remove the payment in Xero first" in page
    assert "has a payment or credit note allocated" in page


def test_a_synced_payment_refuses_our_void_first_and_nothing_is_sent(admin_client, xero, connection, copied):
    invoice, copy = copied
    xero.add_payment(invoice_id=copy.remote_id, amount="5.00", date="2026-11-05", updated=ENABLED)
    payments_sync(connection=connection)
    posts = [r for r in xero.requests if r.method == "POST"]

    response = admin_client.post(void_url(invoice), {"void_copies": "1"}, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED  # billing refuses: the invoice has payments
    assert "Remove the invoice&#x27;s payments before voiding it." in response.content.decode()
    assert [r for r in xero.requests if r.method == "POST"] == posts


def test_members_void_the_invoice_but_the_xero_copy_stays_for_an_admin(member_client, xero, copied):
    invoice, copy = copied

    prompt = member_client.get(void_url(invoice)).content.decode()
    assert 'name="void_copies"' not in prompt and "Only an admin" in prompt
    response = member_client.post(void_url(invoice), {"void_copies": "1"}, follow=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID and xero.invoices[copy.remote_id]["Status"] == "AUTHORISED"
    assert "an admin can void it there" in response.content.decode()


def test_an_invoice_without_copies_keeps_billings_own_void(admin_client, organization, subsidiary, connection):
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert f'action="{reverse("billing:invoice-void", args=[invoice.pk])}"' in page and void_url(invoice) not in page


def test_another_organizations_invoice_is_404(admin_client, other_organization):
    foreign = make_invoice(organization=other_organization, finalize=True)
    assert admin_client.get(void_url(foreign)).status_code == 404
    assert admin_client.post(void_url(foreign), {"void_copies": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvoiceStatus.FINALIZED


def test_a_voided_copy_is_not_offered_again_and_a_second_void_post_changes_nothing(admin_client, xero, copied):
    invoice, copy = copied
    admin_client.post(void_url(invoice), {"void_copies": "1"})
    posts = len([r for r in xero.requests if r.method == "POST"])

    response = admin_client.post(void_url(invoice), {"void_copies": "1"}, follow=True)

    assert len([r for r in xero.requests if r.method == "POST"]) == posts
    assert "None left open" in admin_client.get(void_url(invoice)).content.decode()
    assert response.status_code == 200 and RemoteDocument.objects.get(pk=copy.pk).remote_voided_at


@responses.activate
def test_void_without_a_connection_mock_is_never_called_for_a_draft(admin_client, organization, subsidiary):
    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    response = admin_client.post(void_url(draft), {"void_copies": "1"}, follow=True)
    assert "Only a finalized invoice can be voided." in response.content.decode()
    assert not responses.calls
