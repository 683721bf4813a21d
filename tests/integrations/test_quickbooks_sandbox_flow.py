"""Our QuickBooks provider against the built-in QuickBooks sandbox over real HTTP (live server): connect with
consent and realmId, pick lists, setup, copy (with the prompt's tax code), then a partial payment recorded in the
sandbox, edited and voided, each brought back by the payment sync — the client and the sandbox agree end to end."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.choices import PaymentStatus
from integrations.models import Connection, ConnectionStatus, CopyStatus
from integrations.sandbox.quickbooks import payments as sandbox_payments
from integrations.sandbox.quickbooks.demo import US_REALM_ID
from integrations.sandbox.quickbooks.models import QboCompany
from integrations.sandbox.quickbooks.store import live
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import make_invoice


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.django_db(transaction=True)
def test_connect_copy_and_payments_against_the_quickbooks_sandbox(live_server, admin_client, subsidiary):
    # Webhooks off: here the payment sync alone brings each change back.
    urls = {**sandbox_provider_settings(live_server.url), "QUICKBOOKS_WEBHOOK_VERIFIER": ""}
    with override_settings(**urls, SITE_URL=live_server.url, SANDBOX_PROVIDERS=True):
        response = admin_client.post(
            reverse("integrations:connect", args=["quickbooks"]), {"subsidiary": subsidiary.pk, "name": "QBO books"}
        )
        assert response["Location"].startswith(urls["QUICKBOOKS_AUTHORIZE_URL"])
        assert admin_client.get(_path(response["Location"])).status_code == 200
        back = admin_client.post(_path(response["Location"]), {"tenant": [US_REALM_ID], "allow": "1"})
        assert back["Location"].startswith(f"{live_server.url}/integrations/quickbooks/callback/?")
        assert f"realmId={US_REALM_ID}" in back["Location"]

        done = admin_client.get(_path(back["Location"]))
        connection = Connection.objects.get()
        assert done["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
        assert connection.remote_tenant_id == US_REALM_ID and connection.status == ConnectionStatus.ACTIVE
        assert connection.remote_tenant_name == "Sandbox Craft Studio Inc"
        lists = connection.settings["lists"]
        item = lists["items"][0]["code"]
        assert {"NON", "TAX"} <= {code["code"] for code in lists["tax_codes"]}

        saved = admin_client.post(
            reverse("integrations:connection-setup", args=[connection.pk]),
            {"sync_payments": "on", "numbering": "app", "pdf": "ours", "memo": "subject", "default_item": item},
        )
        assert saved.status_code == 302, saved.content.decode()[:2000]

        invoice = make_invoice(
            organization=subsidiary.organization, subsidiary=subsidiary, finalize=True, currency="USD"
        )  # the US demo company has multicurrency off
        copy = invoice_copy(invoice=invoice, connection=connection, options={"tax_code": "NON"})
        assert copy.status == CopyStatus.SUCCEEDED and copy.remote_id and copy.remote_number == invoice.number
        company = QboCompany.objects.get(realm_id=US_REALM_ID)
        remote = live(company, "Invoice").get(entity_id=copy.remote_id).body
        assert remote["DocNumber"] == invoice.number
        assert Decimal(str(remote["TotalAmt"])) == invoice.total  # NON: no tax added in QuickBooks

        part = (invoice.total / 4).quantize(Decimal("0.01"))
        payment = sandbox_payments.payment_record(company, {copy.remote_id: str(part)})
        payments_sync(connection=Connection.objects.get(pk=connection.pk))
        invoice.refresh_from_db()
        assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID and invoice.amount_paid == part

        sandbox_payments.payment_edit(company, payment, {copy.remote_id: str(part * 2)})
        payments_sync(connection=Connection.objects.get(pk=connection.pk))
        invoice.refresh_from_db()
        assert invoice.amount_paid == part * 2 and invoice.payments.filter(is_deleted=False).count() == 1

        sandbox_payments.payment_void(company, payment)
        payments_sync(connection=Connection.objects.get(pk=connection.pk))
        invoice.refresh_from_db()
        assert invoice.amount_paid == 0 and invoice.payment_status == PaymentStatus.UNPAID
        assert invoice.payments.count() == 1  # kept on record, no longer counting
