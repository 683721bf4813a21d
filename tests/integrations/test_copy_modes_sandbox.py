"""'Create new', voiding and throttling against the built-in Xero sandbox over real HTTP: our client and the
sandbox agree on numbers, on voiding (and its refusal while a payment is there) and on the pages' words."""

import pytest
from django.test import override_settings
from django.urls import reverse

from billing.choices import InvoiceStatus
from integrations.models import Connection, CopyStatus, RemoteDocument
from integrations.sandbox.models import XeroInvoice
from integrations.sandbox.xero import services as sandbox
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import TaxRateFactory, make_invoice

from .test_xero_sandbox_flow import _path


def connect(admin_client, subsidiary, live_server) -> Connection:
    tax_rate = TaxRateFactory(organization=subsidiary.organization)
    response = admin_client.post(
        reverse("integrations:connect", args=["xero"]), {"subsidiary": subsidiary.pk, "name": "Sandbox books"}
    )
    back = admin_client.post(_path(response["Location"]), {"tenant": TRADING_TENANT_ID, "allow": "1"})
    admin_client.get(_path(back["Location"]))
    connection = Connection.objects.get()
    lists = connection.settings["lists"]
    revenue_tax = next(t["code"] for t in lists["tax_types"] if t["extra"]["can_apply_to_revenue"])
    admin_client.post(
        reverse("integrations:connection-setup", args=[connection.pk]),
        {"numbering": "app", "default_account": lists["accounts"][0]["code"], f"tax_rate_{tax_rate.pk}": revenue_tax},
    )
    connection.refresh_from_db()
    return connection


@pytest.mark.django_db(transaction=True)
def test_create_new_and_void_against_the_sandbox(live_server, admin_client, subsidiary):
    with override_settings(**sandbox_provider_settings(live_server.url), SITE_URL=live_server.url):
        connection = connect(admin_client, subsidiary, live_server)
        invoice = make_invoice(subsidiary=subsidiary, finalize=True)
        prompt = reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk])

        assert admin_client.post(prompt, {"mode": "update", "contact": ""}).status_code == 302
        first = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
        assert first.remote_number == invoice.number

        # Create new, voiding the first copy in Xero first: a second numbered invoice, the first one voided.
        assert admin_client.post(prompt, {"mode": "new", "void_previous": "1"}).status_code == 302
        second = RemoteDocument.objects.get(invoice=invoice, is_latest=True)
        assert second.remote_number == f"{invoice.number}-2"
        statuses = dict(XeroInvoice.objects.filter(type="ACCREC").values_list("number", "status"))
        assert statuses[invoice.number] == "VOIDED" and statuses[second.remote_number] == "AUTHORISED"

        # A payment recorded in Xero (not synced yet): Xero refuses to void, our invoice is void, the copy stays.
        xero_invoice = XeroInvoice.objects.get(number=second.remote_number)
        payment = sandbox.payment_create(org=xero_invoice.org, invoice=xero_invoice, amount="10")
        void = reverse("integrations:invoice-void", args=[invoice.pk])
        page = admin_client.post(void, {"void_copies": "1"}, follow=True).content.decode()
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.VOID
        assert "stays open in Xero" in page and "Remove the payment in Xero first" in page
        assert XeroInvoice.objects.get(pk=xero_invoice.pk).status == "AUTHORISED"

        # Remove the payment in Xero, then "Void in Xero" from the panel.
        sandbox.payment_delete(payment=payment)
        assert "Void in Xero" in page
        page = admin_client.post(void, {"void_copies": "1"}, follow=True).content.decode()
        assert f"{second.remote_number} was voided in Xero too." in page
        assert XeroInvoice.objects.get(pk=xero_invoice.pk).status == "VOIDED"
        assert not RemoteDocument.objects.filter(status=CopyStatus.FAILED).exists()
