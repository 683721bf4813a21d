"""Our e-conomic provider against the built-in e-conomic sandbox over real HTTP (live server): connect through the
installation page (the agreement grant token comes back on the callback), pick lists, setup, copy as a draft,
update the draft, a bookkeeper books it in e-conomic, then a partial payment, a full one and a reversal on the
sandbox's agreement page, each mirrored from the remainder by the payment sync — client and sandbox agree."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from billing.choices import PaymentStatus
from billing.services import LineInput
from integrations.models import Connection, ConnectionStatus, CopyStatus
from integrations.sandbox.economic import payments as sandbox_payments
from integrations.sandbox.economic.booking import book
from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.models import EcoAgreement
from integrations.sandbox.economic.store import find
from integrations.services.invoice_copy import invoice_copy
from integrations.services.payments_sync import payments_sync
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import TaxRateFactory, make_invoice


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def sync(connection: Connection):
    return payments_sync(connection=Connection.objects.get(pk=connection.pk))


@pytest.mark.django_db(transaction=True)
def test_connect_copy_book_and_remainders_against_the_economic_sandbox(live_server, admin_client, subsidiary):
    urls = sandbox_provider_settings(live_server.url)
    with override_settings(**urls, SITE_URL=live_server.url, SANDBOX_PROVIDERS=True):
        response = admin_client.post(
            reverse("integrations:connect", args=["economic"]), {"subsidiary": subsidiary.pk, "name": "DK books"}
        )
        assert response["Location"].startswith(urls["ECONOMIC_INSTALL_URL"])
        assert "appPublicToken=sandbox-economic-public-token" in response["Location"]
        install = _path(response["Location"])
        assert admin_client.get(install).status_code == 200
        back = admin_client.post(install, {"tenant": [str(DANISH_AGREEMENT)], "allow": "1"})
        assert back["Location"].startswith(f"{live_server.url}/integrations/economic/callback/?")
        assert "token=" in back["Location"] and "state=" in back["Location"]

        done = admin_client.get(_path(back["Location"]))
        connection = Connection.objects.get()
        assert done["Location"] == reverse("integrations:connection-setup", args=[connection.pk])
        assert connection.remote_tenant_id == str(DANISH_AGREEMENT) and connection.status == ConnectionStatus.ACTIVE
        assert "Sandbox Studio ApS" in connection.remote_tenant_name
        lists = connection.settings["lists"]
        assert all(lists[key] for key in ("layouts", "payment_terms", "vat_zones", "products", "customer_groups"))

        first = {key: lists[key][0]["code"] for key in ("layouts", "payment_terms", "vat_zones", "customer_groups")}
        saved = admin_client.post(
            reverse("integrations:connection-setup", args=[connection.pk]),
            {
                "numbering": "app",
                "pdf": "ours",
                "booking": "draft",
                "layout": first["layouts"],
                "payment_terms": first["payment_terms"],
                "vat_zone": first["vat_zones"],
                "customer_group": first["customer_groups"],
                "default_product": lists["products"][0]["code"],
                "sync_payments": "on",
            },
        )
        assert saved.status_code == 302, saved.content.decode()[:2000]

        # Danish VAT, 25 %, as the demo agreement's domestic VAT zone adds to its products: the same total there.
        vat = TaxRateFactory(organization=subsidiary.organization, percentage=Decimal("25"))
        invoice = make_invoice(
            organization=subsidiary.organization,
            subsidiary=subsidiary,
            lines=[LineInput("Design", Decimal("4"), Decimal("250.00"), None, vat)],
            finalize=True,
            currency="DKK",
        )
        copy = invoice_copy(invoice=invoice, connection=connection)
        assert copy.status == CopyStatus.SUCCEEDED, copy.error
        assert invoice.total == Decimal("1250.00")
        agreement = EcoAgreement.objects.get(agreement_number=DANISH_AGREEMENT)
        draft_number = copy.remote_id.removeprefix("draft-")
        draft = find(agreement, "invoices/drafts", draft_number)
        assert draft is not None and draft.body["references"]["other"] == invoice.number

        # While it is a draft, "Update existing" changes it in place.
        again = invoice_copy(invoice=invoice, connection=connection)
        assert again.status == CopyStatus.SUCCEEDED and again.remote_id == copy.remote_id

        # A bookkeeper books it in e-conomic with our number's digits; the next sync finds it by our number.
        booked = book(agreement, {"draftInvoice": {"draftInvoiceNumber": int(draft_number)}})
        sync(connection)
        total = invoice.total

        # A partial payment registered with a past date: mirrored with that date, read from the customer-payment
        # entries. Each poll asks the drafts and the booked invoice by our number (the copy's id is still its
        # draft's); this one adds the accounting years and this year's entries, only because the remainder fell.
        part = (total / 4).quantize(Decimal("0.01"))
        paid_on = timezone.localdate() - dt.timedelta(days=6)
        sandbox_payments.payment_register(agreement, booked.number, str(part), paid_on.isoformat())
        run = sync(connection)
        invoice.refresh_from_db()
        assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID and invoice.amount_paid == part
        assert [p.date for p in invoice.payments.all()] == [paid_on]
        assert run.api_calls == 2 + 2

        run = sync(connection)  # nothing moved: nothing read but the remainders, nothing written
        invoice.refresh_from_db()
        assert invoice.payments.filter(is_deleted=False).count() == 1 and run.api_calls == 2
        assert run.counts["unchanged"] == 1 and run.counts["recorded"] == 0

        rest = sandbox_payments.payment_register(agreement, booked.number, "", "")  # the remainder, in full
        sync(connection)
        invoice.refresh_from_db()
        assert invoice.payment_status == PaymentStatus.PAID and invoice.amount_paid == total

        assert sorted(p.date for p in invoice.payments.all()) == [paid_on, timezone.localdate()]

        sandbox_payments.payment_reverse(agreement, str(rest.pk))
        run = sync(connection)
        invoice.refresh_from_db()
        assert invoice.amount_paid == part and invoice.payment_status == PaymentStatus.PARTIALLY_PAID
        assert run.api_calls == 2  # the remainder grew: nothing to date, no entries read
        assert [p.date for p in invoice.payments.filter(is_deleted=False)] == [paid_on]
