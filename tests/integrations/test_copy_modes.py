"""'Update existing' and 'Create new': confirmed before posting, honest about a second remote invoice for the same
sale, voiding the previous copy first when it has no payments, and never counting a sale's payments twice."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.choices import PaymentStatus
from integrations.models import CopyStatus, RemoteDocument, RemotePayment, SyncLogEntry
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
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},  # the default numbering
        payment_sync_enabled_at=ENABLED,
    )


@pytest.fixture
def invoice(organization, subsidiary):
    return make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)


def prompt_url(invoice, connection):
    return f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/"


def sent_numbers(xero) -> list:
    writes = [r for r in xero.requests if r.method == "PUT" and "/Invoices" in r.url]
    return [json.loads(r.body)["Invoices"][0].get("InvoiceNumber") for r in writes]


# --- Create new in the default numbering ----------------------------------------------------------------------


def test_create_new_succeeds_in_the_default_numbering_as_a_numbered_second_invoice(xero, connection, invoice):
    first = invoice_copy(invoice=invoice, connection=connection)

    second = invoice_copy(invoice=invoice, connection=connection, mode="new")
    third = invoice_copy(invoice=invoice, connection=connection, mode="new")

    assert sent_numbers(xero) == [invoice.number, f"{invoice.number}-2", f"{invoice.number}-3"]
    assert (second.status, second.remote_number) == (CopyStatus.SUCCEEDED, f"{invoice.number}-2")
    assert third.is_latest and len(xero.invoices) == 3
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.superseded_at and second.superseded_at and not third.superseded_at
    invoice.refresh_from_db()
    assert invoice.number == first.remote_number  # our invoice keeps its number


def test_create_new_voids_the_previous_copy_first_when_asked(xero, connection, invoice):
    first = invoice_copy(invoice=invoice, connection=connection)

    new = invoice_copy(invoice=invoice, connection=connection, mode="new", void_previous=True)

    assert xero.invoices[first.remote_id]["Status"] == "VOIDED"
    assert xero.invoices[new.remote_id]["Status"] == "AUTHORISED"
    first.refresh_from_db()
    assert first.remote_voided_at and first.superseded_at and not first.is_latest
    void_post = next(r for r in xero.requests if r.method == "POST" and first.remote_id in r.url)
    assert json.loads(void_post.body) == {"Invoices": [{"InvoiceID": first.remote_id, "Status": "VOIDED"}]}
    assert void_post.headers["Idempotency-Key"].startswith("void-")
    assert SyncLogEntry.objects.filter(invoice=invoice, action="invoice.remote_voided").exists()


def test_voiding_a_copy_with_payments_recorded_here_is_refused_before_anything_is_sent(xero, connection, invoice):
    first = invoice_copy(invoice=invoice, connection=connection)
    xero.add_payment(invoice_id=first.remote_id, amount="100.00", date="2026-11-05", updated=ENABLED)
    payments_sync(connection=connection)
    requests_before = len(xero.requests)

    with pytest.raises(ValidationError, match="Remove the payment in Xero first"):
        invoice_copy(invoice=invoice, connection=connection, mode="new", void_previous=True)

    assert len(xero.requests) == requests_before and RemoteDocument.objects.filter(invoice=invoice).count() == 1


def test_xero_refusing_to_void_a_copy_with_an_unsynced_payment_creates_nothing_and_says_what_to_do(
    admin_client, xero, connection, invoice
):
    first = invoice_copy(invoice=invoice, connection=connection)
    xero.add_payment(invoice_id=first.remote_id, amount="1.00", date="2026-11-05", updated=ENABLED)  # not synced

    response = admin_client.post(prompt_url(invoice, connection), {"mode": "new", "void_previous": "1"})

    page = response.content.decode()
    assert response.status_code == 400 and len(xero.invoices) == 1
    assert "has a payment or credit note allocated" in page  # Xero's words, verbatim
    assert "Remove the payment in Xero first" in page and "without voiding" in page
    assert "Correct it and copy again" not in page
    failed = RemoteDocument.objects.get(invoice=invoice, status=CopyStatus.FAILED)
    assert failed.error.startswith("Nothing was created")


# --- confirmations ----------------------------------------------------------------------------------------------


def test_update_existing_and_create_new_are_confirmed_on_the_prompt_before_anything_is_posted(
    admin_client, xero, connection, invoice
):
    invoice_copy(invoice=invoice, connection=connection)
    writes = len(xero.requests)

    panel = admin_client.get(invoice.get_absolute_url()).content.decode()
    # No form on the panel posts a mode: both buttons are links to the prompt.
    assert not re.search(r'<button[^>]*name="mode"', panel)
    assert f'href="{prompt_url(invoice, connection)}?mode=new"' in panel
    prompt = admin_client.get(prompt_url(invoice, connection) + "?mode=new").content.decode()

    assert len(xero.requests) == writes  # looking is free
    assert "second invoice in Xero for the same sale" in prompt and f"numbered {invoice.number}-2" in prompt
    assert 'name="void_previous" value="1" checked' in prompt and f"Void {invoice.number} in Xero first" in prompt
    assert "changes Xero invoice" in prompt


def test_the_prompt_says_a_copy_with_payments_stays_and_how_its_payments_count(admin_client, xero, connection, invoice):
    first = invoice_copy(invoice=invoice, connection=connection)
    xero.add_payment(invoice_id=first.remote_id, amount="100.00", date="2026-11-05", updated=ENABLED)
    payments_sync(connection=connection)

    prompt = admin_client.get(prompt_url(invoice, connection) + "?mode=new").content.decode()

    assert 'name="void_previous"' not in prompt
    assert "Remove the payment in Xero first" in prompt and "payments made on it from now on do not" in prompt


def test_update_existing_of_a_paid_copy_says_remove_the_payment_instead_of_correct_it(
    admin_client, xero, connection, invoice
):
    invoice_copy(invoice=invoice, connection=connection)
    xero.refuse_with = ["This document cannot be edited as it has a payment or credit note allocated to it."]

    response = admin_client.post(prompt_url(invoice, connection), {"mode": "update"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "remove the payment in Xero first" in page and "Correct it and copy again" not in page


# --- payments: one sale is never paid twice through two copies --------------------------------------------------


def test_payments_on_a_superseded_copy_count_only_up_to_its_replacement(xero, connection, invoice):
    first = invoice_copy(invoice=invoice, connection=connection)
    superseded_moment = datetime.datetime.now(datetime.UTC)
    earlier = superseded_moment - datetime.timedelta(minutes=5)
    # Made on the first copy before "Create new", synced only afterwards: it counts.
    xero.add_payment(invoice_id=first.remote_id, amount="100.00", date="2026-11-05", updated=earlier)
    second = invoice_copy(invoice=invoice, connection=connection, mode="new")  # the first has payments: kept
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    # The sale paid again on the kept old copy (the customer paid the old invoice): not counted twice.
    xero.add_payment(invoice_id=first.remote_id, amount="1110.00", date="2026-11-06", updated=later)
    xero.add_payment(invoice_id=second.remote_id, amount="200.00", date="2026-11-06", updated=later)

    run = payments_sync(connection=connection)

    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("300.00") and invoice.payment_status == PaymentStatus.PARTIALLY_PAID
    assert run.counts["recorded"] == 2 and run.counts["ignored"] == 1
    warning = SyncLogEntry.objects.get(invoice=invoice, action="payment.superseded")
    assert warning.level == "warning" and "not counted" in warning.message
    assert set(RemotePayment.objects.values_list("remote_invoice_id", flat=True)) == {first.remote_id, second.remote_id}

    # A payment removed from the superseded copy is still removed here.
    counted = xero.payments[0]
    xero.add_payment(
        invoice_id=first.remote_id,
        amount="100.00",
        date="2026-11-05",
        updated=later + datetime.timedelta(minutes=1),
        payment_id=counted["PaymentID"],
        status="DELETED",
    )
    payments_sync(connection=connection)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("200.00")


def test_provider_refusal_text_classes(connection):
    from integrations import registry

    provider = registry.get("xero")
    assert "Open it in Xero" in provider.refusal_action(["Invoice # must be unique."], "copy")
    assert "remove the payment in Xero first" in provider.refusal_action(
        ["Invoice not of valid status for modification"], "update"
    )
    assert provider.refusal_action(["Invoice not of valid status for modification"], "void").startswith(
        "Remove the payment in Xero first"
    )
    assert provider.refusal_action(["Account code '999' is not a valid code."], "copy") == ""


def test_copies_made_before_the_mark_are_marked_superseded_by_the_migration(xero, connection, invoice):
    from importlib import import_module

    from django.apps import apps

    first = invoice_copy(invoice=invoice, connection=connection)
    second = invoice_copy(invoice=invoice, connection=connection, mode="new")
    RemoteDocument.objects.update(superseded_at=None)  # as rows from before this change

    class HistoricalApps:  # 0004 names the model as it was then; its rows are RemoteDocument's now (0009)
        def get_model(self, app_label, name):
            return RemoteDocument if name == "InvoiceCopy" else apps.get_model(app_label, name)

    # rename_remote_document: skip (the line above names the model as migration 0004 does)
    import_module("integrations.migrations.0004_copy_modes_waiting_and_voids").mark_superseded_copies(
        HistoricalApps(), None
    )

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.superseded_at == second.created_at and second.superseded_at is None
