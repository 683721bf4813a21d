"""Item: the total the provider computes for a copy is the one we computed, and when it is not, it is shown.

Our prices carry 4 decimals and each line is rounded to the cent; Xero keeps 2 decimals of a unit price unless the
request says unitdp=4, so 3 × 99.9950 became 3 × 100.00 there. The copy is checked against the built-in sandbox,
which computes like Xero (unitdp, per-line rounding of amount and tax)."""

import json
from decimal import Decimal

import pytest
import responses
from django.test import override_settings

from billing.services import LineInput
from integrations import selectors
from integrations.models import LogLevel, SyncLogEntry, TaxRateMapping
from integrations.sandbox.models import XeroInvoice
from integrations.services.invoice_copy import invoice_copy
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .fake_xero import FakeXero
from .sandbox_bridge import SANDBOX_API, SandboxBridge, sandbox_connection

XERO_API = "https://api.xero.com/api.xro/2.0"
# (quantity, unit price): each rounds to another line amount at 2 decimals than at 4.
PRICES = [
    ("3", "99.9950"),  # 300.00 at 2 decimals, 299.99 at 4
    ("1", "1.0050"),
    ("7", "0.0049"),  # 0.00 at 2 decimals, 0.03 at 4
    ("2", "612.3350"),
    ("10", "24.3349"),
    ("1.5", "0.3333"),
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT 20", percentage=Decimal("20"))


@pytest.fixture
def invoice(organization, subsidiary, vat):
    company = CompanyFactory(organization=organization, name="Rounding Ltd", default_currency="EUR")
    lines = [LineInput(f"Line {n}", Decimal(q), Decimal(p), None, vat) for n, (q, p) in enumerate(PRICES, 1)]
    return make_invoice(
        organization=organization, subsidiary=subsidiary, company=company, lines=lines, currency="EUR", finalize=True
    )


@override_settings(XERO_API_URL=SANDBOX_API)
def test_the_sandboxs_total_is_ours_for_prices_that_round_differently_at_2_and_4_decimals(
    organization, subsidiary, vat, invoice
):
    connection = sandbox_connection(
        organization=organization, subsidiary=subsidiary, settings={"numbering": "app", "default_account": "200"}
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        SandboxBridge(mock)
        copy = invoice_copy(invoice=invoice, connection=connection)
        put = next(
            call.request for call in mock.calls if call.request.method == "PUT" and "/Invoices" in call.request.url
        )

    remote = XeroInvoice.objects.get(invoice_id=copy.remote_id)
    assert "unitdp=4" in put.url
    sent = json.loads(put.body, parse_float=Decimal)["Invoices"][0]["LineItems"][0]
    assert sent["UnitAmount"] == Decimal("99.995")
    assert invoice.total == Decimal("2123.46")
    assert (remote.sub_total, remote.total_tax, remote.total) == (invoice.subtotal, invoice.tax_total, invoice.total)
    assert copy.remote_total == invoice.total and not copy.total_mismatch
    assert not SyncLogEntry.objects.filter(action="invoice.total_mismatch").exists()


@pytest.fixture
def fake_xero_connection(organization, subsidiary, vat):
    from .factories import ConnectionFactory

    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        name="Books",
        settings={"numbering": "app", "default_account": "200"},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


class XeroWithItsOwnTotal(FakeXero):
    """Answers with a Total one cent above ours: a provider that rounds differently (tax per invoice, say)."""

    total = Decimal("2123.47")

    def _stored(self, element, invoice_id, number):
        invoice = super()._stored(element, invoice_id, number)
        invoice.update(Total=float(self.total), AmountDue=float(self.total))
        return invoice


def test_a_total_the_provider_computed_differently_is_shown_not_hidden(
    fake_xero_connection, invoice, admin_client, django_assert_num_queries
):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        XeroWithItsOwnTotal(mock, XERO_API).install()
        copy = invoice_copy(invoice=invoice, connection=fake_xero_connection)

    copy.refresh_from_db()
    assert copy.remote_total == Decimal("2123.47") and copy.total_mismatch
    warning = SyncLogEntry.objects.get(action="invoice.total_mismatch")
    assert warning.level == LogLevel.WARNING and "2,123.47 EUR" in warning.message and "2,123.46 EUR" in warning.message

    copies = list(selectors.invoice_copy_list(invoice=invoice))
    with django_assert_num_queries(0):  # what the panel and the API ask of each copy
        assert [c.total_mismatch for c in copies] == [True]
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "total-mismatch" in page and "2,123.47 EUR" in page and "2123.47" not in page
    api = admin_client.get(f"/api/v1/invoices/{invoice.pk}/copies/").json()
    assert api[0]["remote_total"] == "2123.47" and api[0]["total_mismatch"] is True


def test_every_copy_compares_again_update_existing_included(fake_xero_connection, invoice):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        xero = XeroWithItsOwnTotal(mock, XERO_API).install()
        first = invoice_copy(invoice=invoice, connection=fake_xero_connection)
        xero.total = invoice.total  # corrected in Xero: the update's answer agrees
        second = invoice_copy(invoice=invoice, connection=fake_xero_connection, mode="update")

    assert second.pk != first.pk and second.remote_id == first.remote_id
    assert second.remote_total == invoice.total and not second.total_mismatch
    first.refresh_from_db()
    assert first.remote_total == Decimal("2123.47")  # the earlier attempt keeps what Xero said then
