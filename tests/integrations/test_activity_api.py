"""Sync health in the API: a connection's activity and runs, what needs attention, retry / ignore / dismiss."""

import datetime
import uuid
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice, Payment, TaxRate
from billing.services import LineInput, invoice_finalize
from integrations.exceptions import ProviderValidationError
from integrations.models import CopyStatus, LogLevel, PendingPaymentChange, RemoteDocument, SyncKind, SyncRun
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from integrations.synclog import log
from tests.factories import make_invoice

from .factories import ready_xero_connection, remote_copy

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=UTC),
    )


@pytest.fixture
def refused_copy(xero, connection):
    rate = TaxRate.objects.get(organization=connection.organization)
    invoice = make_invoice(
        organization=connection.organization,
        subsidiary=connection.subsidiary,
        lines=[LineInput("Design", Decimal("1"), Decimal("100.00"), None, rate)],
        finalize=True,
    )
    xero.refuse_with = ["Account code '200' is not a valid code for this document."]
    with pytest.raises(ProviderValidationError):
        invoice_copy(invoice=invoice, connection=connection)
    return RemoteDocument.objects.get(invoice=invoice)


def base(connection):
    return f"/api/v1/connections/{connection.pk}"


def test_activity_lists_entries_with_filters_and_runs(api, connection, refused_copy):
    run = SyncRun.objects.create(connection=connection, kind=SyncKind.PAYMENTS, outcome="succeeded", api_calls=2)
    log(
        organization_id=connection.organization_id,
        connection_id=connection.pk,
        level=LogLevel.INFO,
        action="payment.recorded",
        message="Recorded.",
        run=run,
    )

    errors = api.get(f"{base(connection)}/activity/?outcome=error").json()
    [entry] = errors["results"]
    assert entry["kind"] == "copies" and "is not a valid code" in entry["message"]
    assert entry["document"]["id"] == refused_copy.invoice_id and entry["what_to_do"]
    payments = api.get(f"{base(connection)}/activity/?kind=payments").json()["results"]
    assert [e["action"] for e in payments] == ["payment.recorded"] and payments[0]["run"] == run.pk
    runs = api.get(f"{base(connection)}/activity/?kind=runs").json()["results"]
    assert [(r["id"], r["api_calls"]) for r in runs] == [(run.pk, 2)]
    assert api.get(f"{base(connection)}/activity/?kind=nope").status_code == 400


def test_attention_lists_and_retries_a_failed_copy_once(api, xero, connection, refused_copy):
    body = api.get(f"{base(connection)}/attention/").json()
    assert body["count"] == 1 and [c["id"] for c in body["failed_copies"]] == [refused_copy.pk]

    response = api.post(f"{base(connection)}/attention/copies/{refused_copy.pk}/retry/")

    assert response.status_code == 200 and response.json()["status"] == CopyStatus.SUCCEEDED
    assert xero.creates == 1 and api.get(f"{base(connection)}/attention/").json()["count"] == 0
    assert api.post(f"{base(connection)}/attention/copies/{refused_copy.pk}/retry/").status_code == 404


def test_a_retry_refused_again_answers_with_the_providers_words(api, xero, connection, refused_copy):
    xero.refuse_with = ["Contact is archived."]

    response = api.post(f"{base(connection)}/attention/copies/{refused_copy.pk}/retry/")

    assert response.status_code == 400 and response.json()["provider_errors"] == ["Contact is archived."]


def test_ignore_needs_a_reason(api, connection, refused_copy):
    url = f"{base(connection)}/attention/copies/{refused_copy.pk}/ignore/"
    assert api.post(url, {"reason": " "}, format="json").status_code == 400

    assert api.post(url, {"reason": "Made by hand"}, format="json").status_code == 200
    refused_copy.refresh_from_db()
    assert refused_copy.ignored_reason == "Made by hand"


def test_a_payment_is_retried_after_its_fix_and_another_dismissed(api, xero, connection):
    draft = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary)
    remote_id = str(uuid.uuid4())
    remote_copy(connection, draft, remote_id=remote_id)
    moment = datetime.datetime(2026, 11, 10, tzinfo=UTC)
    xero.add_payment(invoice_id=remote_id, amount="50.00", date="2026-11-10", updated=moment, payment_id="pay-a")
    payments_sync(connection=connection)
    kept = PendingPaymentChange.objects.get()
    url = f"{base(connection)}/attention/payments/{kept.pk}/retry/"

    assert api.post(url).status_code == 409
    invoice_finalize(invoice=Invoice.objects.get(pk=draft.pk))
    response = api.post(url)

    assert response.status_code == 200 and response.json()["applied"] is True
    assert Payment.objects.get().amount == Decimal("50.00") and not PendingPaymentChange.objects.exists()


def test_dismiss_and_scope(api, connection, other_admin):
    kept = PendingPaymentChange.objects.create(
        connection=connection, remote_id="pay-x", record={"id": "pay-x"}, error="No."
    )
    rival = APIClient()
    rival.force_authenticate(other_admin)

    assert rival.get(f"{base(connection)}/activity/").status_code == 404
    assert rival.post(f"{base(connection)}/attention/payments/{kept.pk}/dismiss/", {"reason": "x"}).status_code == 404
    url = f"{base(connection)}/attention/payments/{kept.pk}/dismiss/"
    assert api.post(url, {"reason": "Refunded"}, format="json").status_code == 200
    kept.refresh_from_db()
    assert kept.dismissed_reason == "Refunded" and api.get(f"{base(connection)}/attention/").json()["count"] == 0
