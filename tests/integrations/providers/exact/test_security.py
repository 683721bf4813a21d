"""Security as for the other providers: setup admin-only and scoped to the organization, no credential in any
page, admin page, sync log or log line through a refresh and a copy; disconnect wipes the credentials (Exact has
no revocation endpoint: nothing is called) and keeps the history."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, ContactLink, Grant, SyncLogEntry
from integrations.services.invoice_copy import document_export
from tests.factories import OrganizationFactory, SubsidiaryFactory, make_invoice

from .fake_exact import FakeExact
from .helpers import READY_SETTINGS, TOKEN_URL, exact_connection, token_answer

pytestmark = pytest.mark.django_db

ACCESS, REFRESH = "exact-access-gAAAAABsecret", "exact-refresh-Q7secret"
NEXT_ACCESS, ROTATED = "exact-access-next-secret", "exact-refresh-rotated-secret"
ACCOUNT = "7a1e0c3e-9b51-4c1e-a7c6-2f0b1d3c4e5f"


def test_setup_is_admin_only_and_scoped(admin_client, member_client, organization, subsidiary):
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    url = reverse("integrations:connection-setup", args=[connection.pk])
    assert member_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200
    other_org = OrganizationFactory()
    other = exact_connection(organization=other_org, subsidiary=SubsidiaryFactory(organization=other_org))
    assert admin_client.get(reverse("integrations:connection-setup", args=[other.pk])).status_code == 404
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    assert admin_client.get(reverse("integrations:invoice-copy", args=[invoice.pk, other.pk])).status_code == 404


def test_no_credential_in_pages_logs_or_the_sync_log(admin_client, admin_user, organization, subsidiary, caplog):
    caplog.set_level(logging.DEBUG)
    connection = exact_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings=dict(READY_SETTINGS),
        access_token=ACCESS,
        refresh_token=REFRESH,
        token_expires_at=timezone.now() - timedelta(seconds=1),
        access_token_obtained_at=timezone.now() - timedelta(minutes=10),
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=ACCOUNT)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json=token_answer(NEXT_ACCESS, ROTATED))
        server = FakeExact(mock).install()
        copy = document_export(document=invoice, connection=Connection.objects.get(pk=connection.pk))
        assert copy.remote_id in server.entries
        assert server.requests[0].headers["Authorization"] == f"Bearer {NEXT_ACCESS}"
    assert Grant.objects.get(pk=connection.grant_id).refresh_token == ROTATED

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    pages = [
        reverse("integrations:marketplace"),
        reverse("integrations:connection-setup", args=[connection.pk]),
        reverse("integrations:connection-disconnect", args=[connection.pk]),
        reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk]),
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_synclogentry_changelist"),
        reverse("billing:invoice-detail", args=[invoice.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        for secret in (ACCESS, REFRESH, NEXT_ACCESS, ROTATED):
            assert secret not in response.content.decode(), f"{url} shows a credential"
    for secret in (ACCESS, REFRESH, NEXT_ACCESS, ROTATED):
        assert secret not in caplog.text
        assert not SyncLogEntry.objects.filter(provider_response__contains=secret).exists()
        assert not SyncLogEntry.objects.filter(message__contains=secret).exists()


def test_disconnect_wipes_credentials_calls_nothing_and_keeps_history(admin_client, organization, subsidiary):
    connection = exact_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    grant_id = connection.grant_id
    with responses.RequestsMock() as mock:  # no call to Exact at all
        response = admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))
        assert not mock.calls
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.grant_id is None
    assert not Grant.objects.filter(pk=grant_id).exists()
