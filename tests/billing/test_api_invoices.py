"""/api/v1/invoices/: list with filters, retrieve, create and edit drafts, finalize, void."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Invoice, InvoiceLine
from billing.services import LineInput, invoice_void, payment_record
from tests.factories import BudgetFactory, CompanyFactory, ServiceTypeFactory, TaxRateFactory, make_invoice

pytestmark = pytest.mark.django_db

JSON = "application/json"
LIST = reverse("api:invoice-list")


def detail(invoice, action=None):
    return reverse(f"api:invoice-{action or 'detail'}", args=[invoice.pk])


@pytest.fixture
def company(organization):
    return CompanyFactory(organization=organization, name="Globex", default_currency="EUR")


@pytest.fixture
def tax(organization):
    return TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))


@pytest.fixture
def draft_payload(subsidiary, company, tax):
    return {
        "subsidiary": subsidiary.pk,
        "company": company.pk,
        "issue_date": "2026-11-01",
        "due_date": "2026-12-01",
        "subject": "November retainer",
        "custom_fields": {"project": "Apollo"},
        "lines": [
            {"description": "Design", "quantity": "3", "unit_price": "33.335", "tax_rate": tax.pk},
            {"description": "Hosting", "quantity": "1", "unit_price": "10"},
        ],
    }


# --- list and retrieve ------------------------------------------------------------------------------------


def test_list_shows_only_this_organizations_invoices_with_money_as_strings(member_client, subsidiary, company):
    mine = make_invoice(subsidiary=subsidiary, company=company, finalize=True)
    make_invoice()  # another organization's
    response = member_client.get(LIST)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    row = rows[0]
    assert row["total"] == "1000.00"
    assert row["amount_due"] == "1000.00"
    assert row["currency"] == "EUR"
    assert row["number"] == "INV-0001"
    assert row["company_name"] == "Globex"
    assert row["payment_status"] == "unpaid"
    assert "lines" not in row


def test_retrieve_has_lines_and_payments(member_client, subsidiary, company, tax):
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Design", Decimal("3"), Decimal("33.335"), tax_rate=tax)],
        finalize=True,
    )
    payment_record(invoice=invoice, amount=Decimal("50.00"), date=datetime.date(2026, 11, 5), reference="Wire")
    body = member_client.get(detail(invoice)).json()
    assert (body["subtotal"], body["tax_total"], body["total"]) == ("100.01", "21.00", "121.01")
    assert body["amount_paid"] == "50.00"
    assert body["payment_status"] == "partially_paid"
    [line] = body["lines"]
    assert line["description"] == "Design"
    assert (line["quantity"], line["unit_price"], line["amount"], line["tax_amount"]) == (
        "3.000",
        "33.3350",
        "100.01",
        "21.00",
    )
    assert line["tax_rate"] == tax.pk
    [payment] = body["payments"]
    assert (payment["amount"], payment["currency"], payment["reference"], payment["source"]) == (
        "50.00",
        "EUR",
        "Wire",
        "manual",
    )


@pytest.fixture
def assorted(subsidiary, company, organization):
    """Invoices in several states, companies, subsidiaries and dates."""
    other_company = CompanyFactory(organization=organization, name="Initech")
    other_subsidiary = type(subsidiary).objects.create(
        organization=organization, name="Acme UK", legal_name="Acme UK Ltd", default_currency="GBP"
    )
    draft = make_invoice(subsidiary=subsidiary, company=company, subject="Logo redesign")
    paid = make_invoice(subsidiary=subsidiary, company=company, finalize=True, issue_date=datetime.date(2026, 10, 1))
    payment_record(invoice=paid, amount=paid.total, date=datetime.date(2026, 10, 2))
    void = invoice_void(invoice=make_invoice(subsidiary=subsidiary, company=other_company, finalize=True))
    uk = make_invoice(subsidiary=other_subsidiary, company=other_company, issue_date=datetime.date(2026, 9, 1))
    return {"draft": draft, "paid": paid, "void": void, "uk": uk}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "draft"}, {"draft", "uk"}),
        ({"status": "void"}, {"void"}),
        ({"payment_status": "paid"}, {"paid"}),
        ({"issue_date_from": "2026-10-01"}, {"draft", "paid", "void"}),
        ({"issue_date_from": "2026-09-15", "issue_date_to": "2026-10-15"}, {"paid"}),
        ({"search": "logo"}, {"draft"}),
        ({"search": "initech"}, {"void", "uk"}),
        ({"search": "INV-0001"}, {"paid"}),
    ],
)
def test_filters_and_search_narrow_the_list(member_client, assorted, query, expected):
    rows = member_client.get(LIST, query).json()["results"]
    names = {name for name, invoice in assorted.items() if invoice.pk in {row["id"] for row in rows}}
    assert names == expected
    assert len(rows) == len(expected)


def test_filter_by_subsidiary_and_company(member_client, assorted):
    uk = assorted["uk"]
    rows = member_client.get(LIST, {"subsidiary": uk.subsidiary_id}).json()["results"]
    assert [row["id"] for row in rows] == [uk.pk]
    rows = member_client.get(LIST, {"company": uk.company_id, "status": "draft"}).json()["results"]
    assert [row["id"] for row in rows] == [uk.pk]


def test_filter_by_another_organizations_subsidiary_finds_nothing(member_client, assorted):
    theirs = make_invoice()
    assert member_client.get(LIST, {"subsidiary": theirs.subsidiary_id}).json()["results"] == []


def test_an_unknown_status_filter_is_a_400(member_client, assorted):
    response = member_client.get(LIST, {"status": "paid-ish"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_runs_the_same_number_of_queries_for_3_and_30_invoices(
    member_client, subsidiary, tax, django_assert_num_queries
):
    lines = [LineInput("Design", Decimal("2"), Decimal("50"), tax_rate=tax)]

    def add(count):
        """Each its own company; every other one finalized with a payment."""
        for index in range(count):
            company = CompanyFactory(organization=subsidiary.organization)
            invoice = make_invoice(subsidiary=subsidiary, company=company, lines=lines, finalize=index % 2 == 0)
            if invoice.is_finalized:
                payment_record(invoice=invoice, amount=Decimal("1"), date=invoice.issue_date)

    add(3)
    with CaptureQueriesContext(connection) as three:
        assert len(member_client.get(LIST).json()["results"]) == 3
    add(27)
    with django_assert_num_queries(len(three.captured_queries)):
        assert len(member_client.get(LIST).json()["results"]) == 30
    assert len(three.captured_queries) <= 6  # session, user, membership, count, page


def test_retrieve_runs_a_constant_number_of_queries(member_client, subsidiary, tax, django_assert_num_queries):
    small = make_invoice(subsidiary=subsidiary, lines=[LineInput("A", 1, 1, tax_rate=tax)], finalize=True)
    payment_record(invoice=small, amount=1, date=small.issue_date)
    big = make_invoice(
        subsidiary=subsidiary, lines=[LineInput(f"L{i}", 1, 1, tax_rate=tax) for i in range(20)], finalize=True
    )
    for _ in range(5):
        payment_record(invoice=big, amount=1, date=big.issue_date)
    with CaptureQueriesContext(connection) as one:
        member_client.get(detail(small))
    with django_assert_num_queries(len(one.captured_queries)):
        body = member_client.get(detail(big)).json()
    assert (len(body["lines"]), len(body["payments"])) == (20, 5)


def test_another_organizations_invoice_is_404_everywhere(admin_client, organization):
    theirs = make_invoice(finalize=True)
    assert admin_client.get(detail(theirs)).status_code == 404
    assert admin_client.patch(detail(theirs), {"subject": "x"}, content_type=JSON).status_code == 404
    assert admin_client.post(detail(theirs, "finalize")).status_code == 404
    assert admin_client.post(detail(theirs, "void")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "finalized"


# --- create -----------------------------------------------------------------------------------------------


def test_member_creates_a_draft_with_lines(member_client, organization, draft_payload, tax):
    payload = {
        **draft_payload,
        # derived and state fields are read-only: ignored if sent
        "number": "HACK-1",
        "status": "finalized",
        "total": "1.00",
        "amount_paid": "999.00",
        "payment_status": "paid",
    }
    response = member_client.post(LIST, payload, content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    invoice = Invoice.objects.get(pk=body["id"])
    assert invoice.organization == organization
    assert (invoice.status, invoice.number, invoice.payment_status) == ("draft", "", "unpaid")
    assert invoice.currency == "EUR"  # the company's default
    assert invoice.custom_fields == {"project": "Apollo"}
    assert (body["subtotal"], body["tax_total"], body["total"], body["amount_paid"]) == (
        "110.01",
        "21.00",
        "131.01",
        "0.00",
    )
    assert [line["description"] for line in body["lines"]] == ["Design", "Hosting"]
    assert invoice.lines.get(description="Design").tax_rate == tax


def test_a_draft_can_start_without_lines(member_client, draft_payload):
    response = member_client.post(LIST, {**draft_payload, "lines": []}, content_type=JSON)
    assert response.status_code == 201
    assert response.json()["total"] == "0.00"


def _without(payload, key):
    return {name: value for name, value in payload.items() if name != key}


def _line(payload, **changes):
    return {**payload, "lines": [{**payload["lines"][0], **changes}]}


BAD_DRAFTS = [
    ("zero quantity", lambda p: _line(p, quantity="0"), "lines", "Line 1: the quantity must be greater than zero."),
    ("negative quantity", lambda p: _line(p, quantity="-2"), "lines", None),
    ("negative price", lambda p: _line(p, unit_price="-1"), "lines", "Line 1: the unit price cannot be negative."),
    ("blank description", lambda p: _line(p, description=" "), "lines", None),
    ("quantity not a number", lambda p: _line(p, quantity="lots"), "lines", None),
    ("no company", lambda p: _without(p, "company"), "company", None),
    ("due before issue", lambda p: {**p, "due_date": "2026-10-01"}, "due_date", None),
    ("unknown currency", lambda p: {**p, "currency": "XYZ"}, "currency", None),
    ("bad date", lambda p: {**p, "issue_date": "01/11/2026"}, "issue_date", None),
    ("custom field not text", lambda p: {**p, "custom_fields": {"n": 1}}, "custom_fields", None),
    ("lines not a list", lambda p: {**p, "lines": "Design"}, "lines", None),
]


@pytest.mark.parametrize(("case", "mutate", "field", "message"), BAD_DRAFTS, ids=[c[0] for c in BAD_DRAFTS])
def test_bad_drafts_are_field_errors_and_save_nothing(member_client, draft_payload, case, mutate, field, message):
    response = member_client.post(LIST, mutate(draft_payload), content_type=JSON)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert not Invoice.objects.exists()
    assert not InvoiceLine.objects.exists()


def test_budget_in_another_currency_is_a_currency_error(member_client, organization, draft_payload, subsidiary):
    budget = BudgetFactory(
        organization=organization,
        company_id=draft_payload["company"],
        subsidiary=subsidiary,
        currency="GBP",
    )
    response = member_client.post(LIST, {**draft_payload, "budget": budget.pk}, content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"currency": ["The budget is in GBP; the invoice must be too."]}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("field", ["subsidiary", "company", "budget"])
def test_another_organizations_header_object_is_a_field_error(member_client, other_organization, draft_payload, field):
    theirs = BudgetFactory(organization=other_organization)
    other_ids = {"subsidiary": theirs.subsidiary_id, "company": theirs.company_id, "budget": theirs.pk}
    response = member_client.post(LIST, {**draft_payload, field: other_ids[field]}, content_type=JSON)
    assert response.status_code == 400
    assert "does not exist" in response.json()[field][0]
    assert Invoice.objects.count() == 0


@pytest.mark.parametrize("field", ["tax_rate", "service_type"])
def test_another_organizations_line_object_is_a_line_field_error(
    member_client, other_organization, draft_payload, field
):
    factories = {"tax_rate": TaxRateFactory, "service_type": ServiceTypeFactory}
    theirs = factories[field](organization=other_organization)
    response = member_client.post(LIST, _line(draft_payload, **{field: theirs.pk}), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {field: [f'Invalid pk "{theirs.pk}" - object does not exist.']}}}
    assert Invoice.objects.count() == 0


# --- update -----------------------------------------------------------------------------------------------


def test_patch_changes_a_drafts_header_and_replaces_its_lines(member_client, subsidiary, company):
    invoice = make_invoice(subsidiary=subsidiary, company=company)
    response = member_client.patch(
        detail(invoice),
        {"subject": "Phase 2", "lines": [{"description": "Research", "quantity": "2", "unit_price": "80"}]},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "Phase 2"
    assert [line["description"] for line in body["lines"]] == ["Research"]
    assert body["total"] == "160.00"
    invoice.refresh_from_db()
    assert (invoice.subject, invoice.total) == ("Phase 2", Decimal("160.00"))


def test_patch_without_lines_keeps_them(member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    response = member_client.patch(detail(invoice), {"note": "Thanks!"}, content_type=JSON)
    assert response.status_code == 200
    assert [line["description"] for line in response.json()["lines"]] == ["Design work"]


def test_put_replaces_a_draft(member_client, subsidiary, company, draft_payload):
    invoice = make_invoice(subsidiary=subsidiary, company=company)
    response = member_client.put(detail(invoice), {**draft_payload, "subject": "Replaced"}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert response.json()["subject"] == "Replaced"
    assert response.json()["total"] == "131.01"


def test_bad_patch_changes_nothing(member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    response = member_client.patch(
        detail(invoice),
        {"subject": "New", "lines": [{"description": "X", "quantity": "0", "unit_price": "5"}]},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json() == {"lines": ["Line 1: the quantity must be greater than zero."]}
    invoice.refresh_from_db()
    assert (invoice.subject, invoice.total) == ("", Decimal("1000.00"))
    assert list(invoice.lines.values_list("description", flat=True)) == ["Design work"]


@pytest.mark.parametrize("method", ["put", "patch"])
def test_editing_a_finalized_invoice_is_a_clear_400(member_client, subsidiary, draft_payload, method):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    response = getattr(member_client, method)(
        detail(invoice), {**draft_payload, "subject": "Sneaky"}, content_type=JSON
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only draft invoices can be edited; this one is Finalized."]}
    invoice.refresh_from_db()
    assert invoice.subject == ""
    assert invoice.total == Decimal("1000.00")


def test_another_organizations_company_cannot_be_patched_in(member_client, subsidiary, other_organization):
    invoice = make_invoice(subsidiary=subsidiary)
    theirs = CompanyFactory(organization=other_organization)
    response = member_client.patch(detail(invoice), {"company": theirs.pk}, content_type=JSON)
    assert response.status_code == 400
    assert "company" in response.json()
    invoice.refresh_from_db()
    assert invoice.company_id != theirs.pk


# --- finalize and void ------------------------------------------------------------------------------------


def test_finalize_numbers_the_draft(member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    response = member_client.post(detail(invoice, "finalize"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["number"]) == ("finalized", "INV-0001")
    assert body["lines"]
    again = member_client.post(detail(invoice, "finalize"))
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["Only a draft can be finalized; this invoice is Finalized."]}
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 2


def test_finalize_without_lines_is_a_lines_error(member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, lines=[])
    response = member_client.post(detail(invoice, "finalize"))
    assert response.status_code == 400
    assert response.json() == {"lines": ["Add at least one line before finalizing."]}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == ("draft", "")


def test_void_a_finalized_invoice(member_client, subsidiary):
    invoice = make_invoice(subsidiary=subsidiary, finalize=True)
    response = member_client.post(detail(invoice, "void"))
    assert response.status_code == 200
    assert response.json()["status"] == "void"


def test_void_refuses_drafts_and_paid_invoices(member_client, subsidiary):
    draft = make_invoice(subsidiary=subsidiary)
    response = member_client.post(detail(draft, "void"))
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Only a finalized invoice can be voided."]}
    paid = make_invoice(subsidiary=subsidiary, finalize=True)
    payment_record(invoice=paid, amount=Decimal("10"), date=paid.issue_date)
    response = member_client.post(detail(paid, "void"))
    assert response.status_code == 400
    paid.refresh_from_db()
    assert paid.status == "finalized"


def test_browsable_api_form_offers_only_this_organizations_companies(member_client, company, other_organization):
    CompanyFactory(organization=other_organization, name="Rival Client")
    response = member_client.get(LIST, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Globex" in html
    assert "Rival Client" not in html
