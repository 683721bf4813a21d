"""Copy to Xero: payload, numbering both ways, exactly one remote invoice per attempt, errors verbatim."""

import json
import threading
from decimal import Decimal

import pytest
import responses
from django.core.exceptions import ValidationError
from django.db import connection as db_connection

from billing.choices import InvoiceStatus
from billing.services import LineInput
from integrations.exceptions import AmbiguousWriteError, ProviderValidationError, TerminalError, ThrottledError
from integrations.models import (
    ConnectionStatus,
    ContactLink,
    CopyStatus,
    RemoteDocument,
    SyncLogEntry,
    TaxRateMapping,
)
from integrations.services.invoice_copy import invoice_copy, invoice_copy_preview
from integrations.services.invoice_copy_bulk import invoice_copy_bulk
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory
from .fake_xero import FakeXero

API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))


@pytest.fixture
def xero_connection(organization, subsidiary, vat):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"numbering": "app", "default_account": "200"},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


@pytest.fixture
def invoice(organization, subsidiary, vat):
    company = CompanyFactory(organization=organization, name="Globex", billing_email="ap@globex.test")
    return make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=company,
        subject="Website",
        lines=[LineInput("Design", Decimal("2"), Decimal("150.0050"), None, vat)],
        finalize=True,
    )


def invoice_writes(xero):
    return [r for r in xero.requests if "/Invoices" in r.url and r.method in ("PUT", "POST")]


@pytest.mark.django_db
def test_copy_creates_contact_and_authorised_invoice_with_idempotency_key(xero, xero_connection, invoice, admin_user):
    copy = invoice_copy(invoice=invoice, connection=xero_connection, user=admin_user)

    assert copy.status == CopyStatus.SUCCEEDED and copy.is_latest
    assert copy.remote_id in xero.invoices and copy.remote_number == invoice.number
    assert copy.remote_url.endswith(copy.remote_id)
    (put,) = invoice_writes(xero)
    assert put.headers["Idempotency-Key"] == copy.idempotency_key
    assert FakeXero.query(put)["summarizeErrors"] == "false"
    sent = json.loads(put.body, parse_float=Decimal)["Invoices"][0]
    assert sent["InvoiceNumber"] == invoice.number
    assert sent["LineItems"][0]["UnitAmount"] == Decimal("150.005")
    assert sent["LineItems"][0]["TaxType"] == "OUTPUT2" and sent["LineItems"][0]["AccountCode"] == "200"
    link = ContactLink.objects.get(connection=xero_connection, company=invoice.company)
    assert sent["Contact"]["ContactID"] == link.remote_id and link.remote_name == "Globex"
    actions = set(SyncLogEntry.objects.filter(invoice=invoice).values_list("action", flat=True))
    assert {"invoice.create", "contact.create", "invoice.created"} <= actions


@pytest.mark.django_db
def test_provider_numbering_sends_an_issued_invoice_with_its_number_and_keeps_it(xero, xero_connection, invoice):
    number = invoice.number
    xero_connection.settings = {**xero_connection.settings, "numbering": "provider"}
    xero_connection.save()

    copy = invoice_copy(invoice=invoice, connection=xero_connection)

    sent = json.loads(invoice_writes(xero)[0].body)["Invoices"][0]
    assert sent["InvoiceNumber"] == number
    invoice.refresh_from_db()
    assert invoice.number == copy.remote_number == number


@pytest.mark.django_db
def test_given_contact_is_remembered_for_the_company(xero, xero_connection, invoice):
    invoice_copy(invoice=invoice, connection=xero_connection, contact_id="picked-contact", contact_name="Globex Ltd")

    assert json.loads(invoice_writes(xero)[0].body)["Invoices"][0]["Contact"] == {"ContactID": "picked-contact"}
    link = ContactLink.objects.get(connection=xero_connection, company=invoice.company)
    assert (link.remote_id, link.remote_name) == ("picked-contact", "Globex Ltd")
    assert not xero.contacts  # no contact created


@pytest.mark.django_db
def test_double_click_gives_one_remote_invoice(xero, xero_connection, invoice):
    first = invoice_copy(invoice=invoice, connection=xero_connection)
    second = invoice_copy(invoice=invoice, connection=xero_connection)

    assert xero.creates == 1 and len(xero.invoices) == 1
    assert second.remote_id == first.remote_id and second.is_latest
    first.refresh_from_db()
    assert not first.is_latest
    assert RemoteDocument.objects.filter(invoice=invoice, is_latest=True).count() == 1


@pytest.mark.django_db
def test_update_existing_and_create_new(xero, xero_connection, invoice):
    xero_connection.settings = {**xero_connection.settings, "numbering": "provider"}
    xero_connection.save()
    first = invoice_copy(invoice=invoice, connection=xero_connection)

    updated = invoice_copy(invoice=invoice, connection=xero_connection, mode="update")
    post = invoice_writes(xero)[-1]
    assert post.method == "POST" and post.url.split("?")[0].endswith(f"/Invoices/{first.remote_id}")
    assert updated.remote_id == first.remote_id and updated.idempotency_key != first.idempotency_key

    new = invoice_copy(invoice=invoice, connection=xero_connection, mode="new")
    assert new.remote_id != first.remote_id and len(xero.invoices) == 2
    assert list(RemoteDocument.objects.filter(invoice=invoice, is_latest=True)) == [new]


@pytest.mark.django_db
def test_timeout_after_xero_committed_retry_adopts_the_invoice(xero, xero_connection, invoice):
    xero.drop_answers = 3  # Xero commits; the answer to the call and to both retries of it never arrives

    with pytest.raises(AmbiguousWriteError):
        invoice_copy(invoice=invoice, connection=xero_connection)
    attempt = RemoteDocument.objects.get(invoice=invoice)
    assert attempt.status == CopyStatus.PENDING and "outcome is unknown" in attempt.error
    assert len(xero.invoices) == 1

    copy = invoice_copy(invoice=invoice, connection=xero_connection)

    assert copy.pk == attempt.pk and copy.status == CopyStatus.SUCCEEDED
    assert copy.remote_id == next(iter(xero.invoices))
    assert len(xero.invoices) == 1 and xero.creates == 1
    lookup = [r for r in xero.requests if r.method == "GET" and "/Invoices" in r.url]
    assert FakeXero.query(lookup[-1])["InvoiceNumbers"] == invoice.number
    assert SyncLogEntry.objects.filter(invoice=invoice, action="invoice.adopted").exists()


@pytest.mark.django_db
def test_lost_answer_is_retried_with_the_same_key_and_replayed(xero, xero_connection, invoice):
    xero.drop_answers = 1

    copy = invoice_copy(invoice=invoice, connection=xero_connection)

    first, retry = invoice_writes(xero)
    assert first.headers["Idempotency-Key"] == retry.headers["Idempotency-Key"] == copy.idempotency_key
    assert xero.creates == 1 and copy.remote_id in xero.invoices


@pytest.mark.django_db
def test_xero_validation_error_is_kept_verbatim_and_nothing_half_saved(xero, xero_connection, invoice):
    xero.refuse_with = ["Account code '200' is not a valid code for this document.", "Invoice not of valid status"]

    with pytest.raises(ProviderValidationError) as error:
        invoice_copy(invoice=invoice, connection=xero_connection)

    assert error.value.messages == xero.refuse_with or error.value.messages[0].startswith("Account code")
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == CopyStatus.FAILED and not copy.is_latest and copy.remote_id == ""
    assert copy.error == "Account code '200' is not a valid code for this document.\nInvoice not of valid status"
    assert SyncLogEntry.objects.filter(
        invoice=invoice, level="error", message__contains="Account code '200' is not a valid code"
    ).exists()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED and not xero.invoices

    # The next attempt is a new one with a new key (the failed one is never replayed).
    retry = invoice_copy(invoice=invoice, connection=xero_connection)
    assert retry.pk != copy.pk and retry.status == CopyStatus.SUCCEEDED


@pytest.mark.django_db
def test_unmapped_tax_rate_refuses_before_anything_is_saved(mock, xero_connection, invoice, vat):
    TaxRateMapping.objects.filter(connection=xero_connection).delete()

    with pytest.raises(ValidationError) as error:
        invoice_copy(invoice=invoice, connection=xero_connection)

    assert "setup" in " ".join(error.value.messages)
    assert not RemoteDocument.objects.exists() and not mock.calls


@pytest.mark.django_db
def test_refusals(mock, xero_connection, invoice, organization, subsidiary, other_organization):
    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    with pytest.raises(ValidationError, match="finalized"):
        invoice_copy(invoice=draft, connection=xero_connection)

    foreign = ConnectionFactory(organization=other_organization)
    with pytest.raises(ValidationError, match="Not found"):
        invoice_copy(invoice=invoice, connection=foreign)

    sister = ConnectionFactory(organization=organization, settings=xero_connection.settings)
    with pytest.raises(ValidationError, match="another subsidiary"):
        invoice_copy(invoice=invoice, connection=sister)

    xero_connection.status = ConnectionStatus.NEEDS_RECONNECT
    xero_connection.save()
    with pytest.raises(ValidationError, match="reconnect"):
        invoice_copy(invoice=invoice, connection=xero_connection)

    with pytest.raises(ValidationError):
        invoice_copy(invoice=invoice, connection=xero_connection, mode="sideways")
    assert not RemoteDocument.objects.exists() and not mock.calls


@pytest.mark.django_db
def test_throttled_copy_pauses_the_connection(mock, xero_connection, invoice):
    mock.add(responses.PUT, f"{API}/Contacts", status=429, headers={"Retry-After": "30"}, json={})

    with pytest.raises(ThrottledError):
        invoice_copy(invoice=invoice, connection=xero_connection)

    xero_connection.refresh_from_db()
    assert xero_connection.is_paused
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert copy.status == CopyStatus.WAITING and copy.waiting_until == xero_connection.paused_until
    assert not SyncLogEntry.objects.filter(invoice=invoice, level="error").exists()  # nothing failed


@pytest.mark.django_db
def test_revoked_grant_marks_the_connection_for_reconnect(mock, xero_connection, invoice):
    ContactLink.objects.create(
        connection=xero_connection, company=invoice.company, remote_id="5f0c7a8e-2b1d-4c3e-9a6f-1e2d3c4b5a69"
    )
    mock.add(
        responses.PUT,
        f"{API}/Invoices",
        status=401,
        json={"Title": "Unauthorized", "Detail": "AuthorizationUnsuccessful"},
    )
    mock.add(
        responses.POST,
        "https://identity.xero.com/connect/token",
        status=400,
        json={"error": "invalid_grant"},
    )

    with pytest.raises(TerminalError):
        invoice_copy(invoice=invoice, connection=xero_connection)

    xero_connection.refresh_from_db()
    assert xero_connection.status == ConnectionStatus.NEEDS_RECONNECT


@pytest.mark.django_db
def test_preview_lists_lines_accounts_and_taxes(xero_connection, invoice):
    (line,) = invoice_copy_preview(invoice=invoice, connection=xero_connection)
    assert (line.account_code, line.tax_type, line.amount) == ("200", "OUTPUT2", Decimal("300.01"))


@pytest.mark.django_db
def test_bulk_queues_one_batch_task_per_connection_after_commit(
    xero, xero_connection, invoice, organization, subsidiary, admin_user, django_capture_on_commit_callbacks
):
    second = make_invoice(organization=organization, subsidiary=subsidiary, company=invoice.company, finalize=True)
    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    lonely = make_invoice(organization=organization, finalize=True)  # another subsidiary, no connection

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = invoice_copy_bulk(
            invoice_ids=[invoice.pk, second.pk, draft.pk, lonely.pk, 999999], organization=organization, user=admin_user
        )

    assert sorted(result.queued) == sorted([invoice.pk, second.pk]) and len(callbacks) == 1  # one connection
    assert set(result.skipped) == {draft.pk, lonely.pk, 999999}
    assert "finalized" in result.skipped[draft.pk] and "no active" in result.skipped[lonely.pk]
    # Q_CLUSTER sync=True: the task ran; each invoice has its copy, both in one batch.
    assert RemoteDocument.objects.filter(status=CopyStatus.SUCCEEDED).count() == 2 and xero.creates == 2


@pytest.mark.django_db
def test_bulk_limits(organization, admin_user):
    with pytest.raises(ValidationError, match="at most 100"):
        invoice_copy_bulk(invoice_ids=list(range(1, 102)), organization=organization, user=admin_user)
    with pytest.raises(ValidationError):
        invoice_copy_bulk(invoice_ids=[], organization=organization, user=admin_user)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_make_one_remote_invoice(xero, xero_connection, invoice):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers but not this interleaving)")
    results, errors = [], []
    barrier = threading.Barrier(4)

    def copy_it():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(invoice_copy(invoice=invoice, connection=xero_connection))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=copy_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len(xero.invoices) == 1
    assert len({copy.remote_id for copy in results}) == 1
    assert RemoteDocument.objects.filter(invoice=invoice, is_latest=True).count() == 1
