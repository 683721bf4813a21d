"""Purchase order pages: list, detail, create/edit with lines through the services."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import PurchaseOrder
from billing.services import LineInput, purchase_order_create
from tests.factories import CompanyFactory, SubsidiaryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vendor(organization):
    return CompanyFactory(organization=organization, name="Print Shop")


def po_data(subsidiary, vendor, lines, **changes):
    data = {
        "number": "",
        "subsidiary": subsidiary.pk,
        "vendor": vendor.pk,
        "budget": "",
        "issue_date": "2026-11-01",
        "delivery_date": "2026-11-15",
        "currency": "EUR",
        "status": "draft",
        "note": "",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


def test_create_list_detail_and_edit(member_client, organization, subsidiary, vendor):
    lines = [{"description": "Paper", "quantity": "10", "unit_price": "4.5"}]
    response = member_client.post(reverse("billing:purchaseorder-create"), po_data(subsidiary, vendor, lines))
    order = PurchaseOrder.objects.get(organization=organization)
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    assert order.number == "PO-0001" and order.total == Decimal("45.00")

    html = member_client.get(reverse("billing:purchaseorder-list")).content.decode()
    assert "PO-0001" in html and "Print Shop" in html and "45.00 EUR" in html
    html = member_client.get(order.get_absolute_url()).content.decode()
    assert "Paper" in html and "45.00" in html

    edit = reverse("billing:purchaseorder-edit", args=[order.pk])
    assert 'value="Paper"' in member_client.get(edit).content.decode()
    lines = [{"description": "Ink", "quantity": "2", "unit_price": "30"}]
    response = member_client.post(edit, po_data(subsidiary, vendor, lines, number="PO-0001", status="sent"))
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "sent" and order.total == Decimal("60.00")
    assert [line.description for line in order.lines.all()] == ["Ink"]


def test_duplicate_number_is_refused(member_client, organization, subsidiary, vendor):
    purchase_order_create(
        organization=organization,
        subsidiary=subsidiary,
        vendor=vendor,
        number="PO-7",
        issue_date="2026-11-01",
        lines=[LineInput("Paper", Decimal("1"), Decimal("1"))],
    )
    lines = [{"description": "Ink", "quantity": "1", "unit_price": "1"}]
    response = member_client.post(
        reverse("billing:purchaseorder-create"), po_data(subsidiary, vendor, lines, number="PO-7")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["number"] == ["Purchase order PO-7 already exists."]
    assert PurchaseOrder.objects.count() == 1


def test_zero_quantity_is_refused(member_client, subsidiary, vendor):
    lines = [{"description": "Ink", "quantity": "0", "unit_price": "1"}]
    response = member_client.post(reverse("billing:purchaseorder-create"), po_data(subsidiary, vendor, lines))
    assert "The quantity must be greater than zero." in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_another_organizations_order_is_404(member_client, other_organization):
    from tests.factories import SubsidiaryFactory

    order = purchase_order_create(
        organization=other_organization,
        subsidiary=SubsidiaryFactory(organization=other_organization),
        vendor=CompanyFactory(organization=other_organization),
        issue_date="2026-11-01",
        currency="EUR",
    )
    for name in ("purchaseorder-detail", "purchaseorder-edit"):
        assert member_client.get(reverse(f"billing:{name}", args=[order.pk])).status_code == 404


def test_filters_and_search_narrow_the_list(member_client, organization, subsidiary, vendor):
    other_vendor = CompanyFactory(organization=organization, name="Paper Mill")
    other_subsidiary = SubsidiaryFactory(organization=organization, name="Acme UK", invoice_number_prefix="UK-")
    line = [LineInput("Paper", Decimal("1"), Decimal("10"))]
    cards = purchase_order_create(
        organization=organization,
        subsidiary=subsidiary,
        vendor=vendor,
        issue_date=datetime.date(2026, 11, 1),
        note="Business cards for the team",
        lines=line,
    )
    paper = purchase_order_create(
        organization=organization,
        subsidiary=other_subsidiary,
        vendor=other_vendor,
        issue_date=datetime.date(2026, 5, 1),
        status="sent",
        lines=line,
    )
    url = reverse("billing:purchaseorder-list")

    def listed(**params):
        response = member_client.get(url, params)
        assert response.status_code == 200
        return set(response.context["purchase_orders"])

    assert listed() == {cards, paper}
    assert listed(status="sent") == {paper}
    assert listed(vendor=vendor.pk) == {cards}
    assert listed(subsidiary=other_subsidiary.pk) == {paper}
    assert listed(issued_from="2026-10-01") == {cards}
    assert listed(issued_to="2026-06-01") == {paper}
    assert listed(q=paper.number) == {paper}
    assert listed(q="paper mill") == {paper}  # vendor name
    assert listed(q="business cards") == {cards}  # note
    assert "No purchase orders match these filters." in member_client.get(url, {"q": "nothing"}).content.decode()


def test_filter_choices_are_the_organizations_own(member_client, other_organization):
    foreign = CompanyFactory(organization=other_organization, name="Foreign Vendor")
    url = reverse("billing:purchaseorder-list")
    assert "Foreign Vendor" not in member_client.get(url).content.decode()
    response = member_client.get(url, {"vendor": foreign.pk})
    assert response.status_code == 200
    assert response.context["filter_form"].errors
