"""Settings pages: admins only; organization, subsidiaries, companies, service types, tax rates, members."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from billing.choices import Plan, Role
from billing.models import Company, Membership, ServiceType, Subsidiary, TaxRate
from tests.factories import CompanyFactory, MembershipFactory, ServiceTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_PAGES = [
    "settings-organization",
    "settings-subsidiary-list",
    "settings-subsidiary-create",
    "settings-company-list",
    "settings-company-create",
    "settings-servicetype-list",
    "settings-servicetype-create",
    "settings-taxrate-list",
    "settings-taxrate-create",
    "settings-member-list",
]


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_admin_sees_settings_pages(admin_client, subsidiary, name):
    response = admin_client.get(reverse(f"billing:{name}"))
    assert response.status_code == 200
    assert "App marketplace" in response.content.decode()


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_member_gets_403(member_client, name):
    assert member_client.get(reverse(f"billing:{name}")).status_code == 403
    assert member_client.post(reverse(f"billing:{name}"), {"name": "x"}).status_code == 403


def test_member_gets_403_on_object_pages_and_sees_no_settings_link(member_client, subsidiary, admin_user):
    admin_membership = Membership.objects.get(user=admin_user)
    assert member_client.get(reverse("billing:settings-subsidiary-edit", args=[subsidiary.pk])).status_code == 403
    url = reverse("billing:settings-member-role", args=[admin_membership.pk])
    assert member_client.post(url, {"role": "member"}).status_code == 403
    html = member_client.get(reverse("billing:invoice-list")).content.decode()
    assert reverse("billing:settings-organization") not in html


def test_organization_name_is_editable_and_plan_is_read_only(admin_client, organization):
    url = reverse("billing:settings-organization")
    html = admin_client.get(url).content.decode()
    assert "Ultimate" in html
    response = admin_client.post(url, {"name": "Acme Group", "plan": Plan.ESSENTIAL})
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Acme Group" and organization.plan == Plan.ULTIMATE


def test_create_and_edit_a_subsidiary(admin_client, organization):
    data = {
        "name": "Acme UK",
        "legal_name": "Acme UK Ltd",
        "address": "1 High St",
        "country": "GB",
        "vat_number": "GB123",
        "default_currency": "GBP",
        "payment_terms_days": "30",
        "invoice_number_prefix": "UK-",
        "next_invoice_number": "1",
    }
    response = admin_client.post(reverse("billing:settings-subsidiary-create"), data)
    assert response.status_code == 302
    subsidiary = Subsidiary.objects.get(organization=organization, name="Acme UK")
    assert "Acme UK Ltd" in admin_client.get(reverse("billing:settings-subsidiary-list")).content.decode()
    url = reverse("billing:settings-subsidiary-edit", args=[subsidiary.pk])
    response = admin_client.post(url, {**data, "vat_number": "GB999", "next_invoice_number": "0"})
    assert response.status_code == 200  # next number must be at least 1
    subsidiary.refresh_from_db()
    assert subsidiary.vat_number == "GB123"
    admin_client.post(url, {**data, "vat_number": "GB999"})
    subsidiary.refresh_from_db()
    assert subsidiary.vat_number == "GB999"


def test_create_a_company(admin_client, organization):
    data = {"name": "Initech", "billing_email": "ap@initech.test", "default_currency": "USD", "is_client": "on"}
    assert admin_client.post(reverse("billing:settings-company-create"), data).status_code == 302
    company = Company.objects.get(name="Initech")
    assert company.organization == organization and company.is_client and not company.is_supplier


def test_duplicate_service_type_is_refused(admin_client, organization):
    ServiceTypeFactory(organization=organization, name="Design")
    response = admin_client.post(reverse("billing:settings-servicetype-create"), {"name": "design"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["design already exists."]
    assert ServiceType.objects.filter(organization=organization).count() == 1


def test_tax_rate_bounds(admin_client, organization):
    url = reverse("billing:settings-taxrate-create")
    assert admin_client.post(url, {"name": "Odd", "percentage": "150"}).status_code == 200
    assert admin_client.post(url, {"name": "VAT", "percentage": "21"}).status_code == 302
    assert TaxRate.objects.get(organization=organization).percentage == Decimal("21")


def test_another_organizations_settings_object_is_404(admin_client, other_organization):
    foreign = CompanyFactory(organization=other_organization)
    url = reverse("billing:settings-company-edit", args=[foreign.pk])
    assert admin_client.get(url).status_code == 404
    assert admin_client.post(url, {"name": "Hijacked", "default_currency": "EUR"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name != "Hijacked"


def test_members_list_add_change_role_and_remove(admin_client, organization, member_user):
    url = reverse("billing:settings-member-list")
    html = admin_client.get(url).content.decode()
    assert "admin@acme.test" in html and "member@acme.test" in html

    response = admin_client.post(url, {"email": "New.Person@Acme.test", "role": Role.MEMBER})
    assert response.status_code == 302
    newcomer = get_user_model().objects.get(email="new.person@acme.test")
    assert not newcomer.has_usable_password()
    assert Membership.objects.filter(organization=organization, user=newcomer, role=Role.MEMBER).exists()

    existing = UserFactory(email="freelancer@else.test")
    admin_client.post(url, {"email": "freelancer@else.test", "role": Role.ADMIN})
    assert Membership.objects.get(organization=organization, user=existing).role == Role.ADMIN

    response = admin_client.post(url, {"email": "member@acme.test", "role": Role.MEMBER})
    assert "already a member" in response.content.decode()

    membership = Membership.objects.get(user=member_user)
    admin_client.post(reverse("billing:settings-member-role", args=[membership.pk]), {"role": Role.ADMIN})
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN

    admin_client.post(reverse("billing:settings-member-remove", args=[membership.pk]))
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_last_admin_cannot_be_demoted_or_removed(admin_client, admin_user, member_user):
    membership = Membership.objects.get(user=admin_user)
    response = admin_client.post(
        reverse("billing:settings-member-role", args=[membership.pk]), {"role": Role.MEMBER}, follow=True
    )
    assert "last admin" in response.content.decode()
    response = admin_client.post(reverse("billing:settings-member-remove", args=[membership.pk]), follow=True)
    assert "last admin" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_an_admin_can_step_down_when_another_admin_exists(admin_client, organization, admin_user):
    MembershipFactory(organization=organization, user=UserFactory(email="second@acme.test"), role=Role.ADMIN)
    membership = Membership.objects.get(user=admin_user)
    admin_client.post(reverse("billing:settings-member-role", args=[membership.pk]), {"role": Role.MEMBER})
    membership.refresh_from_db()
    assert membership.role == Role.MEMBER


def test_other_organizations_membership_is_404(admin_client, other_admin):
    foreign = Membership.objects.get(user=other_admin)
    url = reverse("billing:settings-member-remove", args=[foreign.pk])
    assert admin_client.post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_next_invoice_number_cannot_go_back_once_invoices_are_numbered(admin_client, subsidiary):
    from tests.factories import make_invoice

    make_invoice(subsidiary=subsidiary, finalize=True)  # INV-0001, next is 2
    data = {
        "name": subsidiary.name,
        "legal_name": subsidiary.legal_name,
        "default_currency": "EUR",
        "payment_terms_days": "30",
        "invoice_number_prefix": "INV-",
        "next_invoice_number": "1",
    }
    url = reverse("billing:settings-subsidiary-edit", args=[subsidiary.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "cannot go back" in response.content.decode()
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 2
    assert admin_client.post(url, {**data, "next_invoice_number": "100"}).status_code == 302
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 100
