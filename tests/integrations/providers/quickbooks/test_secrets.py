"""No QuickBooks credential in any page, log line or admin page, through a real connect, refresh, setup and copy;
"Refresh lists" reads the items, tax codes, terms and the numbering preference."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import responses
from django.urls import reverse
from django.utils import timezone

from integrations import registry
from integrations.models import Connection, Grant
from integrations.services.connections import authorization_callback, authorization_start
from integrations.services.invoice_copy import document_export
from tests.factories import make_invoice

from .fake_qbo import FakeQuickBooks
from .helpers import API, TOKEN_URL

pytestmark = pytest.mark.django_db

ACCESS, REFRESH, ROTATED = "qbo-access-eyJlbmMiOiJBMTI4", "AB11790000secret-refresh", "AB11790001rotated-refresh"
NEXT_ACCESS = "qbo-access-eyJhbGciOiJkaXIi-next"
REALM = "4620816365175555"


REFERENCE = {
    "Item": [{"Id": "1", "Name": "Services", "Type": "Service", "Active": True}],
    "TaxCode": [{"Id": "3", "Name": "21% BTW", "Active": True}],
    "Term": [{"Id": "2", "Name": "Net 30", "DueDays": 30, "Active": True}],
}


def test_connect_setup_copy_without_leaking_credentials(admin_client, admin_user, organization, subsidiary, caplog):
    caplog.set_level(logging.DEBUG)
    provider = registry.get("quickbooks")
    state, _url = authorization_start(
        provider=provider, organization=organization, user=admin_user, session_key="s", subsidiary=subsidiary, name="Q"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": ACCESS, "refresh_token": REFRESH, "expires_in": 3600})
        server = FakeQuickBooks(mock, API, REALM)
        server.reference = REFERENCE
        server.custom_txn_numbers = False
        server.install()
        result = authorization_callback(
            provider=provider,
            params={"state": state.state, "code": "c", "realmId": REALM},
            user=admin_user,
            session_key="s",
            organization=organization,
        )
        connection = result.connection
        admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))
        connection.refresh_from_db()
        assert [i["code"] for i in connection.settings["lists"]["items"]] == ["1"]
        assert [t["name"] for t in connection.settings["lists"]["tax_codes"]] == ["21% BTW"]
        assert [t["name"] for t in connection.settings["lists"]["terms"]] == ["Net 30"]
        assert connection.settings["tenant"]["custom_txn_numbers"] is False
        setup = reverse("integrations:connection-setup", args=[connection.pk])
        assert "QuickBooks can number invoices" in admin_client.get(setup).content.decode()
        admin_client.post(setup, {"numbering": "app", "pdf": "ours", "memo": "subject", "default_item": "1"})
        connection.refresh_from_db()
        assert connection.settings["default_item"] == "1"
        assert provider.setup_is_complete(connection)
        # the access token expires: one refresh, the rotated refresh token stored as received
        Grant.objects.filter(pk=connection.grant_id).update(token_expires_at=timezone.now() - timedelta(minutes=1))
        mock.replace(
            responses.POST, TOKEN_URL, json={"access_token": NEXT_ACCESS, "refresh_token": ROTATED, "expires_in": 3600}
        )
        invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
        copy = document_export(document=invoice, connection=Connection.objects.get(pk=connection.pk))
        assert copy.remote_id in server.invoices
    assert Grant.objects.get(pk=connection.grant_id).refresh_token == ROTATED

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    pages = [
        reverse("integrations:marketplace"),
        reverse("integrations:connection-setup", args=[connection.pk]),
        reverse("integrations:connection-disconnect", args=[connection.pk]),
        reverse("admin:integrations_connection_changelist"),
        reverse("admin:integrations_connection_change", args=[connection.pk]),
        reverse("admin:integrations_synclogentry_changelist"),
        reverse("billing:invoice-detail", args=[invoice.pk]),
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        for secret in (ACCESS, REFRESH, ROTATED, NEXT_ACCESS):
            assert secret not in response.content.decode(), f"{url} shows a credential"
    for secret in (ACCESS, REFRESH, ROTATED, NEXT_ACCESS):
        assert secret not in caplog.text
