"""The disconnect page counts what the provider holds; a disconnected connection can be removed from the list
while its copies and log stay on the invoices."""

import pytest
from django.urls import reverse

from integrations.models import Connection, ConnectionStatus, CopyStatus, RemoteDocument, SyncLogEntry
from tests.factories import make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def add_copy(connection, invoice, status, n):
    return RemoteDocument.objects.create(
        organization=connection.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=f"key-{connection.pk}-{n}",
        status=status,
        remote_id=f"remote-{n}" if status == CopyStatus.SUCCEEDED else "",
        is_latest=status == CopyStatus.SUCCEEDED and n == 0,
    )


def test_disconnect_page_counts_only_copies_that_succeeded(admin_client, organization, subsidiary):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    add_copy(connection, invoice, CopyStatus.SUCCEEDED, 0)
    for n, status in enumerate([CopyStatus.FAILED, CopyStatus.FAILED, CopyStatus.PENDING], start=1):
        add_copy(connection, invoice, status, n)

    page = admin_client.get(reverse("integrations:connection-disconnect", args=[connection.pk])).content.decode()

    assert "The 1 invoice copy in Xero" in page


@pytest.fixture
def disconnected(organization, subsidiary):
    connection = ConnectionFactory(
        organization=organization, subsidiary=subsidiary, status=ConnectionStatus.DISCONNECTED, name="Old Xero"
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    add_copy(connection, invoice, CopyStatus.SUCCEEDED, 0)
    return connection, invoice


def test_a_disconnected_connection_is_removed_from_the_list_and_keeps_its_history(admin_client, disconnected):
    connection, invoice = disconnected
    url = reverse("integrations:connection-remove", args=[connection.pk])
    assert url in admin_client.get(reverse("integrations:marketplace")).content.decode()

    response = admin_client.post(url)

    assert response.status_code == 302
    page = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert f'id="connection-{connection.pk}"' not in page
    connection.refresh_from_db()
    assert connection.removed_at is not None
    assert RemoteDocument.objects.filter(invoice=invoice, connection=connection).count() == 1
    assert SyncLogEntry.objects.filter(connection=connection, action="connection.removed").count() == 1
    invoice_page = admin_client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    assert "Old Xero" in invoice_page  # the copy's history still names it


def test_a_live_connection_cannot_be_removed(admin_client, organization, subsidiary):
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary)
    admin_client.post(reverse("integrations:connection-remove", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.removed_at is None and connection.status == ConnectionStatus.ACTIVE


def test_remove_is_admin_only_post_only_and_scoped(member_client, other_admin, admin_client, disconnected, client):
    connection, _invoice = disconnected
    url = reverse("integrations:connection-remove", args=[connection.pk])
    assert admin_client.get(url).status_code == 405
    assert member_client.post(url).status_code in (302, 403)
    client.force_login(other_admin)
    assert client.post(url).status_code == 404
    assert Connection.objects.get(pk=connection.pk).removed_at is None
