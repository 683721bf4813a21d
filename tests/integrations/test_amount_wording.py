"""Amounts and rates in the integrations' pages and sync-log messages go through billing.money's helpers."""

import datetime
import re
import uuid
from decimal import Decimal

import pytest
import responses
from django.urls import reverse

from integrations.models import SyncLogEntry
from integrations.services.payments_sync import payments_sync
from tests.factories import TaxRateFactory, make_invoice

from .factories import ConnectionFactory, remote_copy
from .fake_xero import FakeXero

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"
UTC = datetime.UTC


@pytest.fixture
def xero():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeXero(rsps, API).install()


@pytest.fixture
def sync_connection(organization, subsidiary):
    return ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=UTC),
        settings={"sync_payments": True},
    )


def copied(connection):
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    remote_id = str(uuid.uuid4())
    remote_copy(connection, invoice, remote_id=remote_id)
    return invoice, remote_id


def test_sync_log_shows_amounts_with_two_decimals(xero, sync_connection, admin_client):
    invoice, remote_id = copied(sync_connection)
    updated = datetime.datetime(2026, 11, 10, 10, tzinfo=UTC)
    paid = xero.add_payment(invoice_id=remote_id, amount="489.7", date="2026-11-10", updated=updated)
    xero.add_payment(invoice_id=remote_id, amount="200", date="2026-11-10", updated=updated, currency="USD")
    payments_sync(connection=sync_connection)
    xero.add_payment(
        invoice_id=remote_id,
        amount="489.7",
        date="2026-11-10",
        updated=updated + datetime.timedelta(hours=1),
        payment_id=paid["PaymentID"],
        status="DELETED",
    )
    payments_sync(connection=sync_connection)

    messages = sorted(SyncLogEntry.objects.filter(invoice=invoice).values_list("message", flat=True))
    amounts = {amount for message in messages for amount in re.findall(r"of ([\d,.]+ [A-Z]{3})", message)}
    assert amounts == {"200.00 USD", "489.70 EUR"}, messages
    assert "Payment of 489.70 EUR on 10 Nov 2026 recorded." in messages
    assert "Payment of 489.70 EUR on 10 Nov 2026 deleted in the accounting tool." in messages


XERO_LISTS = {
    "accounts": [{"code": "200", "name": "Sales", "extra": {}}],
    "tax_types": [
        {"code": "OUTPUT2", "name": "20% (VAT on Income)", "extra": {"rate": "20.0", "can_apply_to_revenue": True}},
        {"code": "RRINPUT", "name": "Reduced", "extra": {"rate": "5.5000", "can_apply_to_revenue": True}},
        {"code": "ZERORATEDOUTPUT", "name": "Zero Rated Income", "extra": {"rate": "0.0"}},
        {"code": "NONE", "name": "No VAT", "extra": {}},
        {"code": "HIGH", "name": "Hoog tarief (21%)", "extra": {"rate": "21.0000"}},
    ],
    "items": [],
    "refreshed_at": "2026-11-21T10:00:00+00:00",
}


def test_xero_setup_page_shows_rates_as_plain_percentages(admin_client, organization, subsidiary):
    for name, percentage in [("UK VAT", "20"), ("Reduced", "5.5"), ("Zero rated", "0")]:
        TaxRateFactory(organization=organization, name=name, percentage=Decimal(percentage))
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, settings={"lists": XERO_LISTS})
    html = admin_client.get(reverse("integrations:connection-setup", args=[connection.pk])).content.decode()
    assert "E+" not in html
    for ours in ("UK VAT (20%)", "Reduced (5.5%)", "Zero rated (0%)"):
        assert ours in html
    for theirs in ("20% (VAT on Income) (20%)", "Reduced (5.5%)", "Zero Rated Income (0%)", ">No VAT<"):
        assert theirs in html
    assert ">Hoog tarief (21%)<" in html  # a name that states its rate is not given it twice
