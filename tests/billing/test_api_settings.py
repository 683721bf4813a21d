"""Subsidiaries, companies, service types and tax rates: members read, admins write, tenants never mix."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Company, ServiceType, Subsidiary, TaxRate
from tests.factories import CompanyFactory, ServiceTypeFactory, SubsidiaryFactory, TaxRateFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"

# basename, factory, a valid create payload, a valid change
ENDPOINTS = [
    (
        "subsidiary",
        SubsidiaryFactory,
        {"name": "Acme UK", "legal_name": "Acme UK Ltd", "default_currency": "GBP", "invoice_number_prefix": "UK-"},
        {"vat_number": "GB123456789"},
    ),
    (
        "company",
        CompanyFactory,
        {"name": "Globex", "billing_email": "ap@globex.test", "default_currency": "USD"},
        {"is_supplier": True},
    ),
    ("servicetype", ServiceTypeFactory, {"name": "Development"}, {"name": "Dev work"}),
    ("taxrate", TaxRateFactory, {"name": "Reduced", "percentage": "9.000"}, {"percentage": "10.500"}),
]
IDS = [endpoint[0] for endpoint in ENDPOINTS]


@pytest.mark.parametrize(("basename", "factory", "payload", "change"), ENDPOINTS, ids=IDS)
def test_member_lists_and_retrieves_only_their_organizations_objects(
    member_client, organization, other_organization, basename, factory, payload, change
):
    mine = factory(organization=organization)
    theirs = factory(organization=other_organization)
    listed = member_client.get(reverse(f"api:{basename}-list")).json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    assert member_client.get(reverse(f"api:{basename}-detail", args=[mine.pk])).status_code == 200
    assert member_client.get(reverse(f"api:{basename}-detail", args=[theirs.pk])).status_code == 404


@pytest.mark.parametrize(("basename", "factory", "payload", "change"), ENDPOINTS, ids=IDS)
def test_member_cannot_create_or_change(member_client, organization, basename, factory, payload, change):
    obj = factory(organization=organization)
    model = type(obj)
    before = model.objects.count()
    assert member_client.post(reverse(f"api:{basename}-list"), payload, content_type=JSON).status_code == 403
    url = reverse(f"api:{basename}-detail", args=[obj.pk])
    assert member_client.patch(url, change, content_type=JSON).status_code == 403
    assert member_client.put(url, payload, content_type=JSON).status_code == 403
    assert model.objects.count() == before
    fresh = model.objects.get(pk=obj.pk)
    assert all(getattr(fresh, name) == getattr(obj, name) for name in change)


@pytest.mark.parametrize(("basename", "factory", "payload", "change"), ENDPOINTS, ids=IDS)
def test_admin_creates_and_changes(admin_client, organization, basename, factory, payload, change):
    response = admin_client.post(reverse(f"api:{basename}-list"), payload, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert all(body[name] == value for name, value in payload.items())
    model = type(factory.build())
    created = model.objects.get(pk=body["id"])
    assert created.organization == organization

    url = reverse(f"api:{basename}-detail", args=[created.pk])
    response = admin_client.patch(url, change, content_type=JSON)
    assert response.status_code == 200, response.content
    assert all(response.json()[name] == value for name, value in change.items())
    response = admin_client.put(url, {**payload, **change}, content_type=JSON)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(("basename", "factory", "payload", "change"), ENDPOINTS, ids=IDS)
def test_admin_cannot_touch_another_organizations_object(
    admin_client, other_organization, basename, factory, payload, change
):
    theirs = factory(organization=other_organization)
    url = reverse(f"api:{basename}-detail", args=[theirs.pk])
    assert admin_client.patch(url, change, content_type=JSON).status_code == 404
    assert admin_client.put(url, payload, content_type=JSON).status_code == 404


@pytest.mark.parametrize(
    ("basename", "payload", "field"),
    [
        ("subsidiary", {"name": "X", "legal_name": "X Ltd", "default_currency": "XYZ"}, "default_currency"),
        ("subsidiary", {"name": "X"}, "legal_name"),
        ("company", {"name": "Globex", "billing_email": "not-an-email"}, "billing_email"),
        ("company", {"name": ""}, "name"),
        ("taxrate", {"name": "Negative", "percentage": "-1"}, "percentage"),
        ("taxrate", {"name": "Text", "percentage": "abc"}, "percentage"),
        ("servicetype", {"name": "x" * 101}, "name"),
    ],
)
def test_bad_input_is_a_field_error_and_saves_nothing(admin_client, organization, basename, payload, field):
    models = {"subsidiary": Subsidiary, "company": Company, "taxrate": TaxRate, "servicetype": ServiceType}
    response = admin_client.post(reverse(f"api:{basename}-list"), payload, content_type=JSON)
    assert response.status_code == 400
    assert field in response.json()
    assert not models[basename].objects.exists()


def test_duplicate_service_type_name_is_an_error_on_name(admin_client, organization, other_organization):
    ServiceTypeFactory(organization=other_organization, name="Design")  # another tenant's name is free
    first = admin_client.post(reverse("api:servicetype-list"), {"name": "Design"}, content_type=JSON)
    assert first.status_code == 201
    second = admin_client.post(reverse("api:servicetype-list"), {"name": "Design"}, content_type=JSON)
    assert second.status_code == 400
    assert second.json()["name"] == ["Your organization already has a service type with this name."]
    assert ServiceType.objects.filter(organization=organization).count() == 1


def test_next_invoice_number_is_read_only(admin_client, subsidiary):
    url = reverse("api:subsidiary-detail", args=[subsidiary.pk])
    response = admin_client.patch(url, {"next_invoice_number": 500}, content_type=JSON)
    assert response.status_code == 200
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 1


def test_tax_rate_percentage_is_a_string(member_client, organization):
    TaxRateFactory(organization=organization, percentage=Decimal("21"))
    row = member_client.get(reverse("api:taxrate-list")).json()["results"][0]
    assert row["percentage"] == "21.000"
