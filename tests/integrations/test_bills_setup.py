"""The Xero setup's Expenses card: "Send expenses to Xero", the default expense account (from Xero's expense-class
accounts), service type → expense account links and tax rates for purchases (purpose purchase, beside the sales
ones), purchase order numbering; saved with a green check, refused without the plan or the default account."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.choices import Plan
from integrations import registry
from integrations.models import MappingPurpose, ServiceTypeMapping, TaxRateMapping
from integrations.services.pick_lists import cached_lists, connection_refresh_lists
from tests.factories import ServiceTypeFactory, TaxRateFactory

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

LISTS = {
    "accounts": [{"code": "200", "name": "Sales", "extra": {}}],
    "expense_accounts": [
        {"code": "400", "name": "Advertising", "extra": {"type": "EXPENSE"}},
        {"code": "420", "name": "Office expenses", "extra": {"type": "OVERHEADS"}},
    ],
    "tax_types": [
        {"code": "OUTPUT2", "name": "21% VAT on sales", "extra": {"rate": "21.00", "can_apply_to_revenue": True}},
        {"code": "INPUT2", "name": "21% VAT on purchases", "extra": {"rate": "21.00", "can_apply_to_revenue": False}},
    ],
    "items": [],
    "refreshed_at": "2026-12-01T10:00:00+00:00",
}


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))


@pytest.fixture
def admin_work(organization):
    return ServiceTypeFactory(organization=organization, name="Admin work")


@pytest.fixture
def connection(organization, subsidiary, vat):
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        settings={"numbering": "app", "default_account": "200", "lists": LISTS},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


def setup_url(connection):
    return reverse("integrations:connection-setup", args=[connection.pk])


def form(vat, admin_work, **fields):
    return {
        "numbering": "app",
        "default_account": "200",
        f"tax_rate_{vat.pk}": "OUTPUT2",
        f"service_type_{admin_work.pk}": "",
        "export_expenses": "on",
        "default_expense_account": "400",
        f"expense_service_type_{admin_work.pk}": "420",
        f"expense_tax_rate_{vat.pk}": "INPUT2",
        **fields,
    }


def test_the_expenses_card_is_on_the_setup_page(admin_client, connection, admin_work):
    page = admin_client.get(setup_url(connection)).content.decode()
    assert "Expenses" in page and "Send expenses to Xero" in page and "Default expense account" in page
    assert "420 · Office expenses" in page and "Xero expense account" in page
    assert "Xero numbers purchase orders" in page


def test_saving_it_keeps_the_purchase_links_beside_the_sales_ones(admin_client, connection, vat, admin_work):
    response = admin_client.post(setup_url(connection), form(vat, admin_work))

    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.settings["export_expenses"] is True and connection.settings["default_expense_account"] == "400"
    link = ServiceTypeMapping.objects.get(connection=connection, service_type=admin_work)
    assert (link.purpose, link.remote_code, link.remote_name) == (MappingPurpose.PURCHASE, "420", "Office expenses")
    rates = dict(TaxRateMapping.objects.filter(connection=connection).values_list("purpose", "remote_code"))
    assert rates == {MappingPurpose.SALES: "OUTPUT2", MappingPurpose.PURCHASE: "INPUT2"}
    assert registry.get("xero").setup_is_complete(connection)  # the green check
    marketplace = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "✔ Ready" in marketplace


def test_sending_expenses_needs_a_default_expense_account(admin_client, connection, vat, admin_work):
    response = admin_client.post(setup_url(connection), form(vat, admin_work, default_expense_account=""))
    assert response.status_code == 200
    assert "Choose the default expense account to send expenses to Xero." in response.content.decode()
    connection.refresh_from_db()
    assert not connection.settings.get("export_expenses")


def test_sending_expenses_needs_the_professional_plan(admin_client, connection, vat, admin_work, organization):
    organization.plan = Plan.ESSENTIAL
    organization.save()
    response = admin_client.post(setup_url(connection), form(vat, admin_work))
    assert response.status_code == 200
    assert "Sending expenses to Xero needs the Professional plan." in response.content.decode()


def test_turning_it_off_again_is_saved(admin_client, connection, vat, admin_work):
    admin_client.post(setup_url(connection), form(vat, admin_work))
    data = form(vat, admin_work)
    del data["export_expenses"]
    admin_client.post(setup_url(connection), data)
    connection.refresh_from_db()
    assert connection.settings["export_expenses"] is False
    assert ServiceTypeMapping.objects.filter(connection=connection, purpose=MappingPurpose.PURCHASE).exists()


def test_refresh_lists_fetches_the_expense_class_accounts(xero, mock, connection):

    accounts = {
        "Accounts": [
            {
                "AccountID": "a1",
                "Code": "400",
                "Name": "Advertising",
                "Type": "EXPENSE",
                "Class": "EXPENSE",
                "Status": "ACTIVE",
            },
            {
                "AccountID": "a2",
                "Code": "310",
                "Name": "Cost of Goods Sold",
                "Type": "DIRECTCOSTS",
                "Class": "EXPENSE",
                "Status": "ACTIVE",
            },
        ]
    }
    for path, body in (
        ("Accounts", accounts),
        ("TaxRates", {"TaxRates": []}),
        ("Items", {"Items": []}),
        ("Organisation", {"Organisations": [{"ShortCode": "!abc", "BaseCurrency": "EUR"}]}),
    ):
        mock.add("GET", f"https://api.xero.com/api.xro/2.0/{path}", json=body)

    connection_refresh_lists(connection=connection)

    lists = cached_lists(connection)
    assert [o["code"] for o in lists["expense_accounts"]] == ["400", "310"]
    asked = [c.request.url for c in mock.calls if "/Accounts" in c.request.url]
    assert any("Class%3D%3D%22EXPENSE%22" in url or 'Class=="EXPENSE"' in url for url in asked)
    assert json.dumps(lists)  # cached as plain JSON
