"""Issue 7, item 1 through the channels: a line whose amount no column can hold is a 400 / a form error, saves
nothing, and the invoice list stays up (on SQLite it used to save the row and then fail on every read of it; on
PostgreSQL the insert failed with numeric field overflow, a 500)."""

import pytest
from django.urls import reverse

from billing.models import Invoice, InvoiceLine, PurchaseOrder
from tests.billing.test_views_invoices import invoice_post_data
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"
# Both within their fields' published limits (quantity 12 digits / 3 places, unit price 14 / 4).
HUGE_LINE = {"description": "Big", "quantity": "999999999", "unit_price": "9999999999.9999"}
LINE_REFUSED = (
    "Line 1: the amount of 9,999,999,989,999,900,000.00 is more than an invoice line can hold "
    "(at most 999,999,999,999.99)."
)


@pytest.fixture
def company(organization):
    return CompanyFactory(organization=organization, name="Globex")


def test_api_refuses_the_line_with_a_400_and_saves_nothing(admin_client, subsidiary, company):
    payload = {
        "subsidiary": subsidiary.pk,
        "company": company.pk,
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "lines": [HUGE_LINE],
    }
    response = admin_client.post(reverse("api:invoice-list"), payload, content_type=JSON)

    assert response.status_code == 400
    assert response.json() == {"lines": [LINE_REFUSED]}
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    assert admin_client.get(reverse("billing:invoice-list")).status_code == 200
    assert admin_client.get(reverse("api:invoice-list")).status_code == 200


def test_api_refuses_an_edit_that_would_overflow(admin_client, subsidiary, company):
    created = admin_client.post(
        reverse("api:invoice-list"),
        {
            "subsidiary": subsidiary.pk,
            "company": company.pk,
            "issue_date": "2026-11-01",
            "due_date": "2026-12-01",
            "lines": [{"description": "Small", "quantity": "1", "unit_price": "10"}],
        },
        content_type=JSON,
    ).json()
    url = reverse("api:invoice-detail", args=[created["id"]])
    response = admin_client.patch(url, {"lines": [HUGE_LINE]}, content_type=JSON)
    assert response.status_code == 400 and response.json() == {"lines": [LINE_REFUSED]}
    assert admin_client.get(url).json()["total"] == "10.00"


def test_web_form_shows_the_message_and_saves_nothing(member_client, subsidiary, company):
    data = invoice_post_data(subsidiary=subsidiary, company=company, lines=[HUGE_LINE])
    response = member_client.post(reverse("billing:invoice-create"), data)
    assert response.status_code == 200
    assert LINE_REFUSED in response.content.decode()
    assert not Invoice.objects.exists()


def test_purchase_order_form_refuses_it_too(admin_client, subsidiary, company):
    data = {
        "number": "",
        "subsidiary": subsidiary.pk,
        "vendor": company.pk,
        "budget": "",
        "issue_date": "2026-11-01",
        "delivery_date": "",
        "currency": "EUR",
        "status": "draft",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        **{f"lines-0-{key}": value for key, value in HUGE_LINE.items()},
    }
    response = admin_client.post(reverse("billing:purchaseorder-create"), data)
    assert response.status_code == 200
    assert "is more than a purchase order line can hold" in response.content.decode()
    assert not PurchaseOrder.objects.exists()
