"""Connecting e-conomic without OAuth, through the real views: the installation URL carries our app's public token
and a redirect URL bound to our state; the callback's agreement grant token is checked with GET /self (which names
the agreement and its company), kept encrypted on the Grant, never shown or logged; a grant of another app or no
token is refused; disconnecting wipes the token and keeps the history."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection as db
from django.urls import reverse

from integrations.models import Connection, ConnectionStatus, CopyStatus, Grant, RemoteDocument
from integrations.services.invoice_copy import document_export
from tests.factories import CompanyFactory, make_invoice

from .fake_economic import APP_PUBLIC, APP_SECRET, FakeEconomic
from .helpers import READY_SETTINGS

pytestmark = pytest.mark.django_db

TOKEN = "AgreementGrant-7Hq2xZ9fKp0wR3vL5sN8cB1d"


def start(admin_client, subsidiary) -> tuple[str, dict]:
    response = admin_client.post(
        reverse("integrations:connect", args=["economic"]), {"subsidiary": subsidiary.pk, "name": "Books"}
    )
    assert response.status_code == 302
    location = response["Location"]
    return location, {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_connect_goes_through_the_installation_page_and_back(admin_client, subsidiary, mock):
    location, query = start(admin_client, subsidiary)
    assert location.startswith(settings.ECONOMIC_INSTALL_URL + "?")
    assert query["appPublicToken"] == APP_PUBLIC
    back = urlsplit(query["redirectUrl"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == settings.SITE_URL + "/integrations/economic/callback/"
    state = parse_qs(back.query)["state"][0]

    server = FakeEconomic(mock, TOKEN).install()
    response = admin_client.get(reverse("integrations:callback", args=["economic"]), {"state": state, "token": TOKEN})

    connection = Connection.objects.get(provider="economic")
    assert response.status_code == 302 and response["Location"] == reverse(
        "integrations:connection-setup", args=[connection.pk]
    )
    assert connection.remote_tenant_id == "1118081"
    assert connection.remote_tenant_name == "The Demo Company (agreement 1118081)"
    assert (connection.grant.access_token, connection.grant.refresh_token) == (TOKEN, "")
    assert connection.grant.token_expires_at is None
    lists = connection.settings["lists"]
    assert [layout["code"] for layout in lists["layouts"]] == ["19"]
    assert all(lists[key] for key in ("layouts", "payment_terms", "vat_zones", "products", "customer_groups"))
    assert connection.settings["tenant"]["base_currency"] == "DKK"
    first = server.requests[0]
    assert first.url.endswith("/self") and first.headers["X-AgreementGrantToken"] == TOKEN
    assert first.headers["X-AppSecretToken"] == APP_SECRET
    with db.cursor() as cursor:  # encrypted at rest
        cursor.execute("SELECT access_token FROM integrations_grant WHERE id = %s", [connection.grant_id])
        stored = cursor.fetchone()[0]
    assert TOKEN not in stored

    again = admin_client.get(reverse("integrations:callback", args=["economic"]), {"state": state, "token": TOKEN})
    assert again.status_code == 302 and Connection.objects.count() == 1  # the state is single use


def test_a_grant_of_another_app_is_refused(admin_client, subsidiary, mock):
    _location, query = start(admin_client, subsidiary)
    state = parse_qs(urlsplit(query["redirectUrl"]).query)["state"][0]
    server = FakeEconomic(mock, TOKEN).install()
    server.app_public = "someone-elses-app"
    response = admin_client.get(
        reverse("integrations:callback", args=["economic"]), {"state": state, "token": TOKEN}, follow=True
    )
    assert "belongs to another e-conomic app" in response.content.decode()
    assert not Connection.objects.exists() and not Grant.objects.exists()


def test_a_callback_without_a_token_connects_nothing(admin_client, subsidiary, mock):
    _location, query = start(admin_client, subsidiary)
    state = parse_qs(urlsplit(query["redirectUrl"]).query)["state"][0]
    response = admin_client.get(reverse("integrations:callback", args=["economic"]), {"state": state}, follow=True)
    assert "sent no agreement grant token" in response.content.decode()
    assert not Connection.objects.exists() and not mock.calls


def test_no_token_in_pages_logs_or_admin_and_disconnect_wipes_it(
    admin_client, admin_user, organization, subsidiary, mock, caplog
):
    caplog.set_level(logging.DEBUG)
    _location, query = start(admin_client, subsidiary)
    state = parse_qs(urlsplit(query["redirectUrl"]).query)["state"][0]
    server = FakeEconomic(mock, TOKEN).install()
    server.add_customer("Globex", 1)
    admin_client.get(reverse("integrations:callback", args=["economic"]), {"state": state, "token": TOKEN})
    connection = Connection.objects.get(provider="economic")
    connection.settings = {**READY_SETTINGS, **{"lists": connection.settings["lists"]}}
    connection.save()
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        finalize=True,
    )
    copy = document_export(document=invoice, connection=connection)
    assert copy.status == CopyStatus.SUCCEEDED

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    pages = [
        reverse("integrations:marketplace"),
        reverse("integrations:connection-setup", args=[connection.pk]),
        reverse("integrations:connection-disconnect", args=[connection.pk]),
        reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk]),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_grant_changelist"),
        reverse("admin:integrations_synclogentry_changelist"),
        reverse("billing:invoice-detail", args=[invoice.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        for secret in (TOKEN, APP_SECRET):
            assert secret not in response.content.decode(), f"{url} shows a credential"
    for secret in (TOKEN, APP_SECRET):
        assert secret not in caplog.text

    calls = len(mock.calls)
    admin_client.post(reverse("integrations:connection-disconnect", args=[connection.pk]))
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.DISCONNECTED and connection.grant_id is None
    assert not Grant.objects.exists(), "the grant token is wiped"
    assert len(mock.calls) == calls, "e-conomic documents no call that removes the app from the agreement"
    assert RemoteDocument.objects.filter(pk=copy.pk).exists()  # history kept
