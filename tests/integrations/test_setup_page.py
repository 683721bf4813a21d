"""The setup page asks for the tax rates the subsidiary's invoices use (others optional), warns about a mapped
rate that differs from ours, says what is missing, and summarises a refused save at the top."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.services import LineInput
from integrations import registry
from integrations.models import TaxRateMapping
from tests.factories import TaxRateFactory, make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

LISTS = {
    "accounts": [{"code": "200", "name": "Sales", "extra": {}}],
    "tax_types": [
        {"code": "OUTPUT2", "name": "21% VAT", "extra": {"rate": "21.00", "can_apply_to_revenue": True}},
        {"code": "NONE", "name": "No VAT", "extra": {"rate": "0.00", "can_apply_to_revenue": True}},
        {"code": "INPUT", "name": "Purchases", "extra": {"rate": "21.00", "can_apply_to_revenue": False}},
    ],
    "items": [],
    "refreshed_at": "2026-12-01T10:00:00+00:00",
}


@pytest.fixture
def rates(organization):
    return {
        "high": TaxRateFactory(organization=organization, name="High", percentage=Decimal("21")),
        "low": TaxRateFactory(organization=organization, name="Low", percentage=Decimal("9")),
        "unused": TaxRateFactory(organization=organization, name="Exempt", percentage=Decimal("0")),
    }


@pytest.fixture
def connection(organization, subsidiary, rates):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"numbering": "app", "default_account": "200", "lists": LISTS},
    )
    lines = [
        LineInput("Design", Decimal("1"), Decimal("100.00"), tax_rate=rates["high"]),
        LineInput("Books", Decimal("1"), Decimal("20.00"), tax_rate=rates["low"]),
    ]
    make_invoice(organization=organization, subsidiary=subsidiary, lines=lines)
    return connection


def setup_url(connection):
    return reverse("integrations:connection-setup", args=[connection.pk])


def test_only_the_rates_the_invoices_use_are_needed(connection, rates):
    provider = registry.get("xero")
    assert provider.setup_missing(connection) == ["a Xero tax rate for “Low (9%)”", "a Xero tax rate for “High (21%)”"]
    TaxRateMapping.objects.create(connection=connection, tax_rate=rates["high"], remote_code="OUTPUT2")
    TaxRateMapping.objects.create(connection=connection, tax_rate=rates["low"], remote_code="NONE")
    # The unused 0 % rate stays unmapped: the setup is complete anyway.
    assert provider.setup_missing(connection) == []
    assert provider.setup_is_complete(connection)


def test_setup_missing_names_the_default_account(connection, rates):
    connection.settings = {**connection.settings, "default_account": ""}
    connection.save()
    assert registry.get("xero").setup_missing(connection)[0] == "a default revenue account"


def test_the_page_and_the_marketplace_say_what_is_missing(admin_client, connection):
    page = admin_client.get(setup_url(connection)).content.decode()
    assert "Still needed" in page and "a Xero tax rate for “Low (9%)”" in page
    assert "Not used on this subsidiary&#x27;s invoices yet: optional." in page
    card = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Missing: a Xero tax rate for “Low (9%)”; a Xero tax rate for “High (21%)”" in card


def test_a_mapped_rate_that_differs_from_ours_is_warned_about(admin_client, connection, rates):
    TaxRateMapping.objects.create(connection=connection, tax_rate=rates["low"], remote_code="NONE")
    TaxRateMapping.objects.create(connection=connection, tax_rate=rates["high"], remote_code="OUTPUT2")
    page = admin_client.get(setup_url(connection)).content.decode()
    assert page.count('class="alert alert-warning small setup-warning"') == 1
    assert "“Low (9%)” is mapped to NONE at 0% in Xero" in page


def test_a_refused_save_shows_a_summary_at_the_top(admin_client, connection, rates):
    data = {
        "numbering": "app",
        "default_account": "200",
        f"tax_rate_{rates['high'].pk}": "INPUT",  # Xero refuses it on revenue
        f"tax_rate_{rates['low'].pk}": "NONE",
        f"tax_rate_{rates['unused'].pk}": "",
    }
    response = admin_client.post(setup_url(connection), data)
    assert response.status_code == 200
    page = response.content.decode()
    summary = page.index("The setup was not saved")
    assert summary < page.index("Payments and numbering")
    assert "High (21%)</a>: Xero does not allow" in page[summary:]
    assert not TaxRateMapping.objects.filter(connection=connection).exists()
