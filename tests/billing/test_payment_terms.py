"""Payment terms: a subsidiary's (default 30 days), overridden by a company's; an invoice's due date is its date
plus those terms. The new-invoice form starts with today and that due date; settings pages and the API edit them."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from billing.models import Invoice
from billing.selectors import invoice_due_date
from billing.services import LineInput, invoice_create
from tests.billing.test_views_invoices import invoice_post_data
from tests.factories import CompanyFactory, SubsidiaryFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 20)
LINE = {"description": "Design", "quantity": "1", "unit_price": "100", "service_type": "", "tax_rate": ""}


@pytest.fixture
def frozen_today():
    with time_machine.travel(datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.UTC), tick=False):
        yield TODAY


def test_the_companys_terms_override_the_subsidiarys(organization):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    own_terms = CompanyFactory(organization=organization, payment_terms_days=45)
    no_terms = CompanyFactory(organization=organization)
    assert invoice_due_date(issue_date=TODAY, subsidiary=subsidiary, company=own_terms) == datetime.date(2027, 1, 4)
    assert invoice_due_date(issue_date=TODAY, subsidiary=subsidiary, company=no_terms) == datetime.date(2026, 12, 4)
    immediate = CompanyFactory(organization=organization, payment_terms_days=0)
    assert invoice_due_date(issue_date=TODAY, subsidiary=subsidiary, company=immediate) == TODAY


def test_a_new_subsidiary_has_30_days(organization):
    assert SubsidiaryFactory(organization=organization).payment_terms_days == 30


def test_the_new_invoice_form_starts_today_due_after_the_only_subsidiarys_terms(
    admin_client, organization, frozen_today
):
    SubsidiaryFactory(organization=organization, payment_terms_days=14)
    form = admin_client.get(reverse("billing:invoice-create")).context["form"]
    assert form["issue_date"].value() == TODAY
    assert form["due_date"].value() == datetime.date(2026, 12, 4)


def test_with_several_subsidiaries_the_form_proposes_the_default_terms(admin_client, organization, frozen_today):
    SubsidiaryFactory(organization=organization, payment_terms_days=14)
    SubsidiaryFactory(organization=organization, payment_terms_days=60)
    form = admin_client.get(reverse("billing:invoice-create")).context["form"]
    assert (form["issue_date"].value(), form["due_date"].value()) == (TODAY, datetime.date(2026, 12, 20))


def test_the_form_s_choices_carry_their_terms_for_the_page_to_propose_the_due_date(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    company = CompanyFactory(organization=organization, payment_terms_days=45)
    CompanyFactory(organization=organization, name="No terms")
    html = admin_client.get(reverse("billing:invoice-create")).content.decode()
    assert f'value="{subsidiary.pk}" selected data-currency="EUR" data-payment-terms="14"' in html
    assert f'value="{company.pk}" data-currency="EUR" data-payment-terms="45"' in html
    assert html.count("data-payment-terms") == 2
    assert html.count('data-sets-due-date="id_due_date"') == 3  # subsidiary, company, issue date


@pytest.mark.parametrize(("company_terms", "due"), [(10, "2026-11-11"), (None, "2026-11-15")])
def test_an_empty_due_date_is_the_date_plus_the_terms(admin_client, organization, company_terms, due):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    company = CompanyFactory(organization=organization, payment_terms_days=company_terms)
    data = invoice_post_data(subsidiary=subsidiary, company=company, lines=[LINE], due_date="")
    response = admin_client.post(reverse("billing:invoice-create"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Invoice.objects.get().due_date == datetime.date.fromisoformat(due)


def test_editing_a_draft_with_an_empty_due_date_recomputes_it(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    company = CompanyFactory(organization=organization)
    invoice = invoice_create(
        organization=organization,
        subsidiary=subsidiary,
        company=company,
        issue_date=datetime.date(2026, 11, 1),
        due_date=datetime.date(2026, 11, 2),
        lines=[LineInput("Design", Decimal("1"), Decimal("100"))],
    )
    lines = [{**LINE, "description": "Design, revised"}]
    data = invoice_post_data(subsidiary=subsidiary, company=company, lines=lines, due_date="")
    response = admin_client.post(reverse("billing:invoice-edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.due_date == datetime.date(2026, 11, 15)


def test_an_explicit_due_date_wins(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    company = CompanyFactory(organization=organization, payment_terms_days=10)
    data = invoice_post_data(subsidiary=subsidiary, company=company, lines=[LINE], due_date="2026-12-24")
    assert admin_client.post(reverse("billing:invoice-create"), data).status_code == 302
    assert Invoice.objects.get().due_date == datetime.date(2026, 12, 24)


# --- editable in the settings pages and the API ---------------------------------------------------------------


def test_settings_pages_edit_the_terms(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization)
    company = CompanyFactory(organization=organization, payment_terms_days=45)
    url = reverse("billing:settings-subsidiary-edit", args=[subsidiary.pk])
    form = admin_client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if name in form.fields and value is not None}
    assert admin_client.post(url, {**data, "payment_terms_days": "21"}).status_code == 302
    subsidiary.refresh_from_db()
    assert subsidiary.payment_terms_days == 21

    url = reverse("billing:settings-company-edit", args=[company.pk])
    form = admin_client.get(url).context["form"]
    data = {name: value for name, value in form.initial.items() if name in form.fields and value not in (None, False)}
    assert admin_client.post(url, {**data, "payment_terms_days": ""}).status_code == 302  # back to the subsidiary's
    company.refresh_from_db()
    assert company.payment_terms_days is None
    response = admin_client.post(url, {**data, "payment_terms_days": "400"})
    assert response.status_code == 200 and "payment_terms_days" in response.context["form"].errors


def test_the_api_reads_and_writes_the_terms(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization)
    company = CompanyFactory(organization=organization)
    url = reverse("api:subsidiary-detail", args=[subsidiary.pk])
    assert admin_client.get(url).json()["payment_terms_days"] == 30
    response = admin_client.patch(url, {"payment_terms_days": 14}, content_type="application/json")
    assert response.status_code == 200 and response.json()["payment_terms_days"] == 14
    url = reverse("api:company-detail", args=[company.pk])
    assert admin_client.get(url).json()["payment_terms_days"] is None
    response = admin_client.patch(url, {"payment_terms_days": 366}, content_type="application/json")
    assert response.status_code == 400 and "payment_terms_days" in response.json()
    assert admin_client.patch(url, {"payment_terms_days": 7}, content_type="application/json").status_code == 200


def test_an_api_invoice_without_due_date_gets_the_terms(admin_client, organization):
    subsidiary = SubsidiaryFactory(organization=organization, payment_terms_days=14)
    company = CompanyFactory(organization=organization, payment_terms_days=7)
    payload = {"subsidiary": subsidiary.pk, "company": company.pk, "issue_date": "2026-11-01", "lines": []}
    response = admin_client.post(reverse("api:invoice-list"), payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["due_date"] == "2026-11-08"
