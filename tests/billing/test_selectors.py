"""billing.selectors: the invoice list query is tenant-scoped and costs the same for 5 or 50 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Invoice
from billing.selectors import invoice_list
from tests.factories import CompanyFactory, SubsidiaryFactory, make_invoice

pytestmark = pytest.mark.django_db


def make_invoices(organization, count):
    """Invoices with distinct companies and subsidiaries, so a missing select_related would show."""
    for index in range(count):
        make_invoice(
            subsidiary=SubsidiaryFactory(organization=organization, invoice_number_prefix=f"S{index}-"),
            company=CompanyFactory(organization=organization),
            finalize=index % 2 == 0,
        )


def test_invoice_list_is_scoped_to_the_organization(organization, other_organization):
    mine = make_invoice(organization=organization)
    make_invoice(organization=other_organization)
    assert list(invoice_list(organization=organization, filters={})) == [mine]


def test_invoice_list_ignores_empty_filters(organization):
    invoice = make_invoice(organization=organization)
    filters = {"status": "", "company": None, "q": "  ", "issued_from": None}
    assert list(invoice_list(organization=organization, filters=filters)) == [invoice]


def test_list_page_runs_a_constant_number_of_queries(admin_client, organization, django_assert_num_queries):
    make_invoices(organization, 5)
    with CaptureQueriesContext(connection) as five:
        response = admin_client.get(reverse("billing:invoice-list"))
    assert len(response.context["invoices"]) == 5
    make_invoices(organization, 45)
    assert Invoice.objects.count() == 50
    with django_assert_num_queries(len(five.captured_queries)):
        response = admin_client.get(reverse("billing:invoice-list"))
    assert len(response.context["invoices"]) == 50
