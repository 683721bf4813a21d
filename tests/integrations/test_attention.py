"""Needs attention: failed copies retried through the copy engine (never a duplicate), ignored with a reason;
payments that could not be applied retried after the cause is fixed, or dismissed; the counts on the badges."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing.models import Invoice, Payment
from billing.services import LineInput, invoice_finalize
from integrations.attention import attention_counts, failed_copies
from integrations.exceptions import AmbiguousWriteError, ProviderValidationError
from integrations.models import (
    ConnectionStatus,
    CopyStatus,
    PendingPaymentChange,
    RemoteDocument,
    SyncKind,
    SyncLogEntry,
    SyncRun,
    TaxRateMapping,
)
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
ENABLED = datetime.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))


@pytest.fixture
def connection(organization, subsidiary, vat):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=ENABLED,
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


def new_invoice(organization, subsidiary, vat, *, finalize=True):
    company = CompanyFactory(organization=organization, name="Globex")
    return make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Design", Decimal("2"), Decimal("150.00"), None, vat)],
        finalize=finalize,
    )


@pytest.fixture
def invoice(organization, subsidiary, vat):
    return new_invoice(organization, subsidiary, vat)


def attention_url(connection):
    return reverse("integrations:connection-attention", args=[connection.pk])


def retry_url(connection, copy):
    return reverse("integrations:attention-copy-retry", args=[connection.pk, copy.pk])


# --- copies -------------------------------------------------------------------------------------------------


def test_an_ambiguous_copy_is_listed_and_its_retry_makes_exactly_one_remote_invoice(
    xero, connection, invoice, admin_client
):
    xero.drop_answers = 3  # Xero commits; the answers to the call and to both its retries are lost
    with pytest.raises(AmbiguousWriteError):
        invoice_copy(invoice=invoice, connection=connection)
    attempt = RemoteDocument.objects.get(invoice=invoice)
    assert attempt.status == CopyStatus.PENDING and len(xero.invoices) == 1

    page = admin_client.get(attention_url(connection)).content.decode()
    assert f'id="attention-copy-{attempt.pk}"' in page and "looked up first, never duplicated" in page

    response = admin_client.post(retry_url(connection, attempt), follow=True)

    assert response.status_code == 200 and "is copied" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.status == CopyStatus.SUCCEEDED and attempt.remote_id in xero.invoices
    assert xero.creates == 1 and len(xero.invoices) == 1, "the retry adopted the invoice Xero already had"
    assert RemoteDocument.objects.filter(invoice=invoice).count() == 1
    assert not failed_copies(connection=connection).exists()
    assert "Nothing needs attention" in admin_client.get(attention_url(connection)).content.decode()


def test_a_refused_copy_shows_the_providers_words_and_a_retry_after_the_fix_copies_it_once(
    xero, connection, invoice, admin_client
):
    xero.refuse_with = ["Invoice # must be unique."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)

    page = admin_client.get(attention_url(connection)).content.decode()
    assert "Invoice # must be unique." in page
    assert "Xero already has an invoice with this number" in page  # Provider.refusal_action's next step

    admin_client.post(retry_url(connection, failed))

    copies = RemoteDocument.objects.filter(invoice=invoice)
    assert copies.count() == 2 and copies.filter(status=CopyStatus.SUCCEEDED).count() == 1
    assert xero.creates == 1 and len(xero.invoices) == 1
    assert not failed_copies(connection=connection).exists(), "a newer successful attempt resolves the failure"


def test_a_retry_refused_again_stays_listed_with_the_new_words(xero, connection, invoice, admin_client):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)
    xero.refuse_with = ["Contact is archived."]

    response = admin_client.post(retry_url(connection, failed), follow=True)

    assert "was not copied" in response.content.decode() and "Contact is archived." in response.content.decode()
    [listed] = failed_copies(connection=connection)
    assert listed.pk != failed.pk and listed.error == "Contact is archived." and not xero.invoices


def test_retry_all_copies_every_failed_document(xero, connection, organization, subsidiary, vat, admin_client):
    invoices = [new_invoice(organization, subsidiary, vat) for _ in range(3)]
    for invoice in invoices:
        xero.refuse_with = ["Account code '200' is not a valid code for this document."]
        with pytest.raises(ProviderValidationError):
            invoice_copy(invoice=invoice, connection=connection)
    assert failed_copies(connection=connection).count() == 3

    response = admin_client.post(reverse("integrations:attention-copies-retry-all", args=[connection.pk]), follow=True)

    assert "3 copied, 0 failed again." in response.content.decode()
    assert xero.creates == 3 and not failed_copies(connection=connection).exists()


def test_ignore_needs_a_reason_and_records_who_when_why(xero, connection, invoice, admin_client, admin_user):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)
    url = reverse("integrations:attention-copy-ignore", args=[connection.pk, failed.pk])

    response = admin_client.post(url, {"reason": "   "}, follow=True)

    assert "Say why" in response.content.decode()
    failed.refresh_from_db()
    assert failed.ignored_at is None and failed_copies(connection=connection).count() == 1

    admin_client.post(url, {"reason": "Entered by hand in Xero"})

    failed.refresh_from_db()
    assert failed.ignored_by == admin_user and failed.ignored_reason == "Entered by hand in Xero" and failed.ignored_at
    assert failed.status == CopyStatus.FAILED, "the attempt and its error stay in the history"
    assert not failed_copies(connection=connection).exists()
    entry = SyncLogEntry.objects.get(action="invoice.copy_ignored")
    assert entry.invoice_id == invoice.pk and "admin@acme.test" in entry.message and "by hand" in entry.message
    assert admin_client.post(url, {"reason": "again"}).status_code == 404, "an ignored copy is no longer listed"


def test_a_copy_is_not_retried_through_a_connection_that_needs_reconnecting(xero, connection, invoice, admin_client):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.save()
    calls = len(xero.requests)

    response = admin_client.post(retry_url(connection, failed), follow=True)

    assert "Reconnect" in response.content.decode() and len(xero.requests) == calls
    page = admin_client.get(attention_url(connection)).content.decode()
    assert "The connection needs reconnecting" in page
    assert attention_counts(organization=connection.organization) == {connection.pk: 2}


# --- payments -----------------------------------------------------------------------------------------------


def copied_draft(connection, organization, subsidiary, vat):
    """A draft invoice with a Xero copy (made in the past): a payment on it cannot apply until it is finalized."""
    draft = new_invoice(organization, subsidiary, vat, finalize=False)
    copy = RemoteDocument.objects.create(
        organization=organization,
        invoice=draft,
        connection=connection,
        idempotency_key=str(uuid.uuid4()),
        status=CopyStatus.SUCCEEDED,
        remote_id=str(uuid.uuid4()),
        is_latest=True,
    )
    return draft, copy.remote_id


def kept_payment(xero, connection, organization, subsidiary, vat):
    draft, remote_id = copied_draft(connection, organization, subsidiary, vat)
    updated = datetime.datetime(2026, 11, 10, 10, tzinfo=UTC)
    xero.add_payment(invoice_id=remote_id, amount="100.00", date="2026-11-10", updated=updated, payment_id="pay-1")
    payments_sync(connection=connection)
    return draft, PendingPaymentChange.objects.get(connection=connection)


def test_an_unapplied_payment_is_retried_now_after_its_cause_is_fixed(
    xero, connection, organization, subsidiary, vat, admin_client
):
    draft, kept = kept_payment(xero, connection, organization, subsidiary, vat)
    page = admin_client.get(attention_url(connection)).content.decode()
    assert f'id="attention-payment-{kept.pk}"' in page and kept.error in page
    url = reverse("integrations:attention-payment-retry", args=[connection.pk, kept.pk])

    response = admin_client.post(url, follow=True)  # not fixed yet: still refused, kept, one more attempt

    assert "Still not applied" in response.content.decode()
    kept.refresh_from_db()
    assert kept.attempts == 2 and not Payment.objects.exists()

    invoice_finalize(invoice=Invoice.objects.get(pk=draft.pk))  # the cause, fixed
    calls = len(xero.requests)
    response = admin_client.post(url, follow=True)

    assert "Payment pay-1 is applied." in response.content.decode()
    assert not PendingPaymentChange.objects.exists()
    assert Payment.objects.get().amount == Decimal("100.00") and Payment.objects.get().invoice_id == draft.pk
    assert len(xero.requests) == calls, "the kept change is applied as kept: no call to Xero"
    run = SyncRun.objects.filter(kind=SyncKind.PAYMENTS).order_by("-id").first()
    assert run.outcome == "succeeded" and run.counts["recorded"] == 1 and run.counts["retried"] == 1


def test_a_dismissed_payment_is_no_longer_retried_until_a_newer_change_comes(
    xero, connection, organization, subsidiary, vat, admin_client, admin_user
):
    draft, kept = kept_payment(xero, connection, organization, subsidiary, vat)
    url = reverse("integrations:attention-payment-dismiss", args=[connection.pk, kept.pk])

    assert "Say why" in admin_client.post(url, {"reason": ""}, follow=True).content.decode()
    admin_client.post(url, {"reason": "Refunded outside the books"})

    kept.refresh_from_db()
    assert kept.dismissed_by == admin_user and kept.dismissed_reason == "Refunded outside the books"
    assert attention_counts(organization=organization) == {}
    assert SyncLogEntry.objects.filter(action="payment.dismissed", remote_id="pay-1").exists()

    invoice_finalize(invoice=Invoice.objects.get(pk=draft.pk))
    payments_sync(connection=connection)  # nothing new in the feed: the dismissed change is not retried

    assert not Payment.objects.exists()
    kept.refresh_from_db()
    assert kept.attempts == 1

    remote_id = draft.copies.get().remote_id
    updated = datetime.datetime(2026, 11, 11, 10, tzinfo=UTC)
    xero.add_payment(invoice_id=remote_id, amount="90.00", date="2026-11-10", updated=updated, payment_id="pay-1")
    payments_sync(connection=connection)  # a newer change of the payment applies: the kept row goes

    assert Payment.objects.get().amount == Decimal("90.00") and not PendingPaymentChange.objects.exists()


# --- badges, scope, permissions -------------------------------------------------------------------------------


def test_the_marketplace_row_and_the_settings_navigation_show_the_count(xero, connection, invoice, admin_client):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)

    page = admin_client.get(reverse("integrations:marketplace")).content.decode()

    assert 'class="needs-attention">Needs attention <span class="attention-badge">1</span>' in page
    assert 'aria-label="1 need attention">1</span>' in page  # the settings navigation
    other_settings_page = admin_client.get(reverse("billing:settings-organization")).content.decode()
    assert 'aria-label="1 need attention">1</span>' in other_settings_page


def test_another_organizations_items_are_404_and_members_403(
    xero, connection, invoice, other_admin, member_client, other_organization
):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)
    rival = Client()
    rival.force_login(other_admin)
    rivals_connection = ConnectionFactory(organization=other_organization)

    assert rival.get(attention_url(connection)).status_code == 404
    assert rival.post(retry_url(connection, failed)).status_code == 404
    # Their own connection with our copy's id: still 404, nothing sent.
    assert rival.post(retry_url(rivals_connection, failed)).status_code == 404
    assert member_client.get(attention_url(connection)).status_code == 403
    assert member_client.post(retry_url(connection, failed)).status_code == 403
    assert xero.creates == 0 and RemoteDocument.objects.get().status == CopyStatus.FAILED


def test_posts_need_the_csrf_token(xero, connection, invoice, admin_user):
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    failed = RemoteDocument.objects.get(invoice=invoice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    assert client.post(retry_url(connection, failed)).status_code == 403
    assert xero.creates == 0
