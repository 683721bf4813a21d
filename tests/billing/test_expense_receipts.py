"""An expense's receipt: uploaded on the form or through the API (a PDF or an image, its type checked by the
name and the first bytes, at most RECEIPT_MAX_BYTES), downloaded by the organization's members only, cleared."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from billing.models import Expense
from tests.factories import BudgetFactory, CompanyFactory, SubsidiaryFactory

from .test_views_expenses import expense_data

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def vendor(organization):
    return CompanyFactory(organization=organization, name="Print Shop", is_supplier=True)


@pytest.fixture
def budget(organization, subsidiary):
    return BudgetFactory(organization=organization, subsidiary=subsidiary)


def upload(member_client, budget, vendor, name, content, content_type="application/pdf"):
    data = expense_data(budget, vendor, receipt=SimpleUploadedFile(name, content, content_type=content_type))
    return member_client.post(reverse("billing:expense-create"), data)


def test_a_receipt_uploaded_on_the_form_is_kept_and_downloaded(member_client, budget, vendor):
    response = upload(member_client, budget, vendor, "scan.pdf", PDF)

    assert response.status_code == 302
    expense = Expense.objects.get()
    assert (
        expense.receipt.name.startswith(f"receipts/{expense.organization_id}/") and "scan" not in expense.receipt.name
    )
    page = member_client.get(expense.get_absolute_url()).content.decode()
    assert reverse("billing:expense-receipt", args=[expense.pk]) in page
    download = member_client.get(reverse("billing:expense-receipt", args=[expense.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert f'filename="receipt-{expense.pk}.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("notes.txt", b"hello", "A receipt must be a PDF, PNG, JPEG or GIF file."),
        ("scan.pdf", PNG, "This file is not a PDF file."),  # renamed
        ("scan.png", b"", "The submitted file is empty."),
    ],
)
def test_a_file_that_is_not_a_receipt_is_refused(member_client, budget, vendor, name, content, words):
    response = upload(member_client, budget, vendor, name, content)
    assert response.status_code == 200 and words in response.content.decode()
    assert not Expense.objects.exists()


@override_settings(RECEIPT_MAX_BYTES=1024)
def test_a_receipt_too_large_is_refused(member_client, budget, vendor):
    response = upload(member_client, budget, vendor, "scan.pdf", PDF + b"0" * 2048)
    assert response.status_code == 200 and "A receipt may be at most" in response.content.decode()


def test_the_api_takes_a_receipt_and_reads_back_its_download_url(member_user, budget, vendor):
    api = APIClient()
    api.force_authenticate(member_user)
    data = {
        "budget": budget.pk,
        "vendor": vendor.pk,
        "description": "Stock photos",
        "amount": "49.90",
        "date": "2026-11-05",
        "receipt": SimpleUploadedFile("photo.png", PNG, content_type="image/png"),
    }
    response = api.post(reverse("api:expense-list"), data, format="multipart")

    assert response.status_code == 201, response.content
    expense = Expense.objects.get()
    assert response.json()["receipt"].endswith(reverse("billing:expense-receipt", args=[expense.pk]))
    refused = api.patch(
        reverse("api:expense-detail", args=[expense.pk]),
        {"receipt": SimpleUploadedFile("photo.gif", PNG, content_type="image/gif")},
        format="multipart",
    )
    assert refused.status_code == 400 and "This file is not a GIF file." in str(refused.json())


def test_another_organization_cannot_download_it(member_client, budget, vendor, other_organization, other_admin):
    upload(member_client, budget, vendor, "scan.pdf", PDF)
    expense = Expense.objects.get()
    from django.test import Client

    rival = Client()
    rival.force_login(other_admin)
    assert rival.get(reverse("billing:expense-receipt", args=[expense.pk])).status_code == 404


def test_an_expense_without_a_vendor_takes_the_budgets_currency(member_client, organization):
    budget = BudgetFactory(
        organization=organization, subsidiary=SubsidiaryFactory(organization=organization), currency="GBP"
    )
    from billing.services import expense_create

    expense = expense_create(
        organization=organization, budget=budget, description="Taxi", amount="12.00", date="2026-11-05"
    )
    assert expense.vendor is None and expense.currency == "GBP"
