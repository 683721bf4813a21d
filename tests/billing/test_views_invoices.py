"""Invoice pages: list (filters, search, constant queries), detail, create/edit drafts, finalize, void, PDF."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.choices import InvoiceStatus
from billing.models import Invoice
from billing.services import LineInput, payment_record
from tests.factories import CompanyFactory, ServiceTypeFactory, SubsidiaryFactory, TaxRateFactory, make_invoice

pytestmark = pytest.mark.django_db


def invoice_post_data(*, subsidiary, company, lines, **header):
    data = {
        "subsidiary": subsidiary.pk,
        "company": company.pk,
        "budget": "",
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "currency": "EUR",
        "subject": "Website redesign",
        "po_number": "PO-77",
        "note": "Thanks!",
        "custom_fields": "Project code: ACME-42",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    data.update(header)
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


@pytest.fixture
def company(organization):
    return CompanyFactory(organization=organization, name="Globex")


def test_list_shows_invoices_with_their_columns(admin_client, subsidiary, company):
    draft = make_invoice(subsidiary=subsidiary, company=company, subject="Kick-off")
    final = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
    response = admin_client.get(reverse("billing:invoice-list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert final.number in html
    assert "Draft" in html and "Kick-off" in html
    assert "Globex" in html and "Acme NL" in html
    assert "1,000.00 EUR" in html  # grouped thousands
    assert "status-finalized" in html and "pay-unpaid" in html
    assert f'value="{draft.pk}"' in html  # the row checkbox
    assert "data-select-all" in html and "data-bulk-count" in html


def test_list_hides_other_organizations_invoices(admin_client, subsidiary, other_organization):
    mine = make_invoice(subsidiary=subsidiary, subject="Mine")
    theirs = make_invoice(organization=other_organization, subject="Theirs")
    response = admin_client.get(reverse("billing:invoice-list"))
    assert list(response.context["invoices"]) == [mine]
    assert theirs.subject not in response.content.decode()


def test_filters_and_search_narrow_the_list(admin_client, subsidiary, company, organization):
    other_company = CompanyFactory(organization=organization, name="Initech")
    other_subsidiary = SubsidiaryFactory(organization=organization, name="Acme UK", invoice_number_prefix="UK-")
    draft = make_invoice(subsidiary=subsidiary, company=company, subject="Logo design")
    final = make_invoice(subsidiary=subsidiary, company=other_company, finalize=True)
    paid = make_invoice(
        subsidiary=other_subsidiary, company=company, finalize=True, issue_date=datetime.date(2026, 6, 1)
    )
    payment_record(invoice=paid, amount=paid.total, date=paid.issue_date)
    url = reverse("billing:invoice-list")

    def listed(**params):
        return set(admin_client.get(url, params).context["invoices"])

    assert listed() == {draft, final, paid}
    assert listed(status="draft") == {draft}
    assert listed(payment_status="paid") == {paid}
    assert listed(subsidiary=other_subsidiary.pk) == {paid}
    assert listed(company=other_company.pk) == {final}
    assert listed(issued_from="2026-10-01") == {draft, final}
    assert listed(issued_to="2026-07-01") == {paid}
    assert listed(q="logo") == {draft}
    assert listed(q="initech") == {final}
    assert listed(q=final.number) == {final}


def test_filter_choices_are_the_organizations_own(admin_client, subsidiary, company, other_organization):
    foreign = CompanyFactory(organization=other_organization, name="Foreign Co")
    response = admin_client.get(reverse("billing:invoice-list"))
    assert "Foreign Co" not in response.content.decode()
    # A smuggled foreign id is an invalid choice, not a way to see their invoices.
    response = admin_client.get(reverse("billing:invoice-list"), {"company": foreign.pk})
    assert response.status_code == 200
    assert response.context["filter_form"].errors


def test_list_paginates_by_50(admin_client, subsidiary):
    first = make_invoice(subsidiary=subsidiary)
    Invoice.objects.bulk_create(
        [
            Invoice(
                **{f.attname: getattr(first, f.attname) for f in Invoice._meta.concrete_fields if not f.primary_key}
            )
            for _ in range(54)
        ]
    )
    response = admin_client.get(reverse("billing:invoice-list"))
    assert len(response.context["invoices"]) == 50
    assert "Page 1 of 2" in response.content.decode()
    response = admin_client.get(reverse("billing:invoice-list"), {"page": 2, "status": "draft"})
    assert len(response.context["invoices"]) == 5


def test_detail_shows_header_lines_totals_and_buttons(admin_client, subsidiary, company, organization):
    tax = TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))
    design = ServiceTypeFactory(organization=organization, name="Design")
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Homepage", Decimal("2"), Decimal("150"), service_type=design, tax_rate=tax)],
        subject="Website",
        po_number="PO-9",
        custom_fields={"Project": "ACME-1"},
    )
    response = admin_client.get(reverse("billing:invoice-detail", args=[invoice.pk]))
    assert response.status_code == 200
    assert response.context["invoice"] == invoice
    html = response.content.decode()
    for text in ("Homepage", "Design", "VAT (21%)", "300.00", "63.00", "363.00", "PO-9", "ACME-1", "Website"):
        assert text in html
    assert reverse("billing:invoice-edit", args=[invoice.pk]) in html
    assert reverse("billing:invoice-finalize", args=[invoice.pk]) in html
    assert "Download PDF" in html
    assert "Record payment" not in html and reverse("billing:invoice-void", args=[invoice.pk]) not in html


def test_detail_of_finalized_invoice_offers_payment_and_void(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    html = admin_client.get(reverse("billing:invoice-detail", args=[invoice.pk])).content.decode()
    assert "Record payment" in html
    assert reverse("billing:invoice-void", args=[invoice.pk]) in html
    assert reverse("billing:invoice-edit", args=[invoice.pk]) not in html


def test_another_organizations_invoice_is_404(admin_client, other_organization):
    theirs = make_invoice(organization=other_organization)
    for name in ("invoice-detail", "invoice-edit", "invoice-pdf", "invoice-payment-create"):
        assert admin_client.get(reverse(f"billing:{name}", args=[theirs.pk])).status_code == 404
    assert admin_client.post(reverse("billing:invoice-finalize", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == InvoiceStatus.DRAFT


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("billing:invoice-list"))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_create_form_lists_only_the_organizations_choices(admin_client, subsidiary, company, other_organization):
    CompanyFactory(organization=other_organization, name="Foreign Co")
    TaxRateFactory(organization=other_organization, name="Foreign VAT")
    response = admin_client.get(reverse("billing:invoice-create"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Globex" in html
    assert "Foreign Co" not in html and "Foreign VAT" not in html
    assert "__prefix__" in html  # the empty line template for "Add line"
    assert f'value="{company.pk}" data-currency="EUR"' in html


def test_create_draft_through_the_form(member_client, subsidiary, company, organization):
    tax = TaxRateFactory(organization=organization, percentage=Decimal("20"))
    data = invoice_post_data(
        subsidiary=subsidiary,
        company=company,
        lines=[
            {"description": "Design", "quantity": "3", "unit_price": "100", "tax_rate": tax.pk},
            {"description": "Removed row", "quantity": "1", "unit_price": "5", "DELETE": "on"},
            {"description": "", "quantity": "1", "unit_price": ""},  # an untouched extra row
        ],
    )
    response = member_client.post(reverse("billing:invoice-create"), data)
    invoice = Invoice.objects.get(organization=organization)
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    assert invoice.status == InvoiceStatus.DRAFT
    assert [line.description for line in invoice.lines.all()] == ["Design"]
    assert invoice.total == Decimal("360.00")
    assert invoice.custom_fields == {"Project code": "ACME-42"}
    assert invoice.po_number == "PO-77"


@pytest.mark.parametrize(
    ("header", "line", "message"),
    [
        ({}, {"description": "Work", "quantity": "0", "unit_price": "10"}, "The quantity must be greater than zero."),
        ({"due_date": "2026-10-01"}, {"description": "Work", "quantity": "1", "unit_price": "10"}, "cannot be before"),
        ({}, {"description": "", "quantity": "1", "unit_price": ""}, "Add at least one line."),
        ({"custom_fields": "no colon here"}, {"description": "W", "quantity": "1", "unit_price": "1"}, "key: value"),
    ],
)
def test_bad_input_shows_the_message_and_saves_nothing(admin_client, subsidiary, company, header, line, message):
    data = invoice_post_data(subsidiary=subsidiary, company=company, lines=[line], **header)
    response = admin_client.post(reverse("billing:invoice-create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Invoice.objects.exists()


def test_foreign_company_id_is_refused(admin_client, subsidiary, other_organization):
    foreign = CompanyFactory(organization=other_organization)
    data = invoice_post_data(
        subsidiary=subsidiary, company=foreign, lines=[{"description": "W", "quantity": "1", "unit_price": "1"}]
    )
    response = admin_client.post(reverse("billing:invoice-create"), data)
    assert response.status_code == 200
    assert "company" in response.context["form"].errors
    assert not Invoice.objects.exists()


def test_service_errors_land_on_their_fields(admin_client, subsidiary, company, organization):
    # The budget/currency rule lives in the service; its dict error is mapped onto the form's field.
    from tests.factories import BudgetFactory

    budget = BudgetFactory(organization=organization, company=company, subsidiary=subsidiary, currency="GBP")
    data = invoice_post_data(
        subsidiary=subsidiary,
        company=company,
        lines=[{"description": "W", "quantity": "1", "unit_price": "1"}],
        budget=budget.pk,
    )
    response = admin_client.post(reverse("billing:invoice-create"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["currency"] == ["The budget is in GBP; the invoice must be too."]
    assert not Invoice.objects.exists()


def test_edit_draft_prefills_and_replaces_lines(admin_client, subsidiary, company):
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        custom_fields={"Ref": "X1"},
        lines=[
            LineInput("Design work", Decimal("10"), Decimal("100")),
            LineInput("Hosting", Decimal("1.5"), Decimal("12.3456")),
        ],
    )
    response = admin_client.get(reverse("billing:invoice-edit", args=[invoice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="Design work"' in html and "Ref: X1" in html
    assert 'value="10"' in html and 'value="100"' in html  # never "1E+2"
    assert 'value="1.5"' in html and 'value="12.3456"' in html
    data = invoice_post_data(
        subsidiary=subsidiary,
        company=company,
        lines=[{"description": "Development", "quantity": "2.5", "unit_price": "80"}],
        subject="Changed",
    )
    response = admin_client.post(reverse("billing:invoice-edit", args=[invoice.pk]), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.subject == "Changed"
    assert [line.description for line in invoice.lines.all()] == ["Development"]
    assert invoice.total == Decimal("200.00")


def test_editing_a_finalized_invoice_is_refused_and_changes_nothing(admin_client, subsidiary, company):
    invoice = make_invoice(subsidiary=subsidiary, company=company, finalize=True, subject="Original")
    url = reverse("billing:invoice-edit", args=[invoice.pk])
    response = admin_client.get(url, follow=True)
    assert "Only draft invoices can be edited" in response.content.decode()
    data = invoice_post_data(
        subsidiary=subsidiary,
        company=company,
        lines=[{"description": "Sneaky", "quantity": "1", "unit_price": "1"}],
        subject="Changed",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "Only draft invoices can be edited" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.subject == "Original"
    assert [line.description for line in invoice.lines.all()] == ["Design work"]


def test_finalize_assigns_a_number(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    response = admin_client.post(reverse("billing:invoice-finalize", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.FINALIZED and invoice.number == "INV-0001"
    assert "Invoice finalized as INV-0001." in response.content.decode()


def test_finalize_refuses_an_empty_total(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, lines=[LineInput("Free", Decimal("1"), Decimal("0"))])
    response = admin_client.post(reverse("billing:invoice-finalize", args=[invoice.pk]), follow=True)
    assert "The invoice total must be greater than zero." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT and invoice.number == ""


def test_finalize_is_post_only(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    assert admin_client.get(reverse("billing:invoice-finalize", args=[invoice.pk])).status_code == 405


def test_void_a_finalized_invoice(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    response = admin_client.post(reverse("billing:invoice-void", args=[invoice.pk]), follow=True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert "voided" in response.content.decode()


def test_void_a_draft_is_refused(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    response = admin_client.post(reverse("billing:invoice-void", args=[invoice.pk]), follow=True)
    assert "Only a finalized invoice can be voided." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DRAFT


def test_pdf_download(admin_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    response = admin_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"INV-0001" in response.content


def test_members_get_no_selection_checkboxes_as_they_have_no_bulk_action(member_client, subsidiary, company):
    invoice = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
    response = member_client.get(reverse("billing:invoice-list"))
    html = response.content.decode()
    assert invoice.number in html
    assert 'type="checkbox"' not in html
    assert "data-bulk-form" not in html and "data-bulk-bar" not in html


def test_admins_without_an_accounting_tool_to_copy_to_get_no_checkboxes(admin_client, subsidiary, company, settings):
    settings.XERO_CLIENT_ID = ""  # no provider configured: no "Copy to …", so nothing to select for
    make_invoice(subsidiary=subsidiary, company=company, finalize=True)
    html = admin_client.get(reverse("billing:invoice-list")).content.decode()
    assert 'type="checkbox"' not in html and "data-bulk-bar" not in html
