import datetime
import json
from decimal import Decimal
from io import StringIO

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.choices import InvoiceStatus, PaymentStatus
from billing.demo import DEMO_ORGANIZATION, OTHER_ORGANIZATION, demo_seed
from billing.models import (
    Company,
    Expense,
    ExpensePayment,
    Invoice,
    Organization,
    Payment,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)
from billing.services import (
    LineInput,
    expense_create,
    invoice_create,
    invoice_finalize,
    payment_record,
    purchase_order_create,
)
from tests.factories import BudgetFactory, CompanyFactory, UserFactory, make_invoice

pytestmark = pytest.mark.django_db
DERIVED = {"subtotal", "tax_total", "total", "amount_paid", "payment_status", "tax_amount"}


@pytest.fixture
def superuser():
    return UserFactory(email="support@staff.test", is_staff=True, is_superuser=True)


@pytest.fixture
def support(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def seeded():
    demo_seed()
    return Organization.objects.get(name=DEMO_ORGANIZATION)


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _assert_saved(response):
    """A successful admin save redirects; otherwise show what the form refused."""
    if response.status_code != 302:
        context = response.context
        errors = [context["adminform"].form.errors] + [
            (inline.formset.errors, inline.formset.non_form_errors()) for inline in context["inline_admin_formsets"]
        ]
        pytest.fail(f"not saved ({response.status_code}): {errors}")


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _form_data(response) -> dict:
    """The POST a browser would send for the rendered change form, unchanged (main form and inlines)."""
    data = {}

    def add(form):
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(form.fields[name], forms.FileField):
                continue  # a browser sends no file unless one is chosen
            if isinstance(value, (dict, list)):
                value = json.dumps(value)
            data[form.add_prefix(name)] = "on" if value is True else value
            if form.fields[name].show_hidden_initial:
                data[form.add_initial_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            add(form)
    return data


# --- Every registered model -------------------------------------------------------------------------------


def test_every_registered_model_loads(seeded, support, superuser):
    """Changelist, search, add page and a seeded object's change page of everything in admin.site."""
    out = StringIO()
    call_command("seed_demo", stdout=out)  # a second run on top of the fixture's: changes nothing
    assert "nothing changed" in out.getvalue()
    request = RequestFactory().get("/admin/")
    request.user = superuser
    failures = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        checks = [("changelist", _url(model, "changelist"), 200)]
        if model_admin.search_fields:
            checks.append(("search", _url(model, "changelist") + "?q=demo", 200))
        checks.append(("add", _url(model, "add"), 200 if model_admin.has_add_permission(request) else 403))
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is not None:
            checks.append(("change", _url(model, "change", obj.pk), 200))
        elif model._meta.app_label == "billing":
            failures.append(f"{label}: the demo data has no row to open")
        for what, url, expected in checks:
            status = support.get(url).status_code
            if status != expected:
                failures.append(f"{label} {what} {url}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_every_billing_model_is_in_the_admin():
    inlined = {inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines}
    missing = [
        model._meta.label
        for model in apps.get_app_config("billing").get_models()
        if model not in admin.site._registry and model not in inlined
    ]
    assert not missing


def test_change_pages_of_every_invoice_state_load(seeded, support):
    for invoice in Invoice.objects.filter(organization=seeded).order_by("status", "payment_status", "pk"):
        assert support.get(_url(Invoice, "change", invoice.pk)).status_code == 200


def test_staff_without_superuser_rights_and_members_are_kept_out(seeded):
    client = Client()
    client.force_login(UserFactory(email="admin-member@demo.test"))
    response = client.get(_url(Invoice, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# --- Derived data is read-only ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [Invoice, Expense, PurchaseOrder, Payment])
def test_derived_fields_are_read_only_in_the_change_form(seeded, support, model):
    obj = model.objects.filter(organization=seeded).order_by("pk").first()
    response = support.get(_url(model, "change", obj.pk))
    adminform = response.context["adminform"]
    shown_read_only = set(adminform.readonly_fields)
    # The models mark what services derive as editable=False; the admin must show all of it, read-only.
    derived = {f.name for f in model._meta.fields if not f.editable and not f.primary_key}
    assert DERIVED & {f.name for f in model._meta.fields} <= derived
    assert not derived & set(adminform.form.fields)
    assert derived <= shown_read_only
    for inline in response.context["inline_admin_formsets"]:
        inline_derived = {f.name for f in inline.formset.model._meta.fields if not f.editable}
        assert not inline_derived & set(inline.formset.form.base_fields)


def test_a_finalized_invoice_cannot_be_changed_by_post(seeded, support):
    invoice = Invoice.objects.filter(organization=seeded, status=InvoiceStatus.FINALIZED).first()
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    lines_before = list(invoice.lines.values())
    url = _url(Invoice, "change", invoice.pk)
    response = support.get(url)
    assert response.context["adminform"].form.fields == {}  # everything is read-only once finalized
    data = _form_data(response)
    data.update(
        number="HACKED-1",
        status=InvoiceStatus.DRAFT,
        subject="Changed",
        total="1.00",
        amount_paid="0",
        **{"lines-0-quantity": "99", "lines-0-description": "Changed"},
    )
    assert support.post(url, data).status_code == 403  # the page is view-only
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before
    assert list(invoice.lines.values()) == lines_before


def test_a_finalized_invoice_cannot_be_deleted_and_the_bulk_delete_is_gone(seeded, support):
    invoice = Invoice.objects.filter(organization=seeded, status=InvoiceStatus.FINALIZED).first()
    assert support.post(_url(Invoice, "delete", invoice.pk), {"post": "yes"}).status_code == 403
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    response = support.get(_url(Invoice, "changelist"))
    assert "delete_selected" not in dict(response.context["action_form"].fields["action"].choices)


# --- Saving goes through the services ---------------------------------------------------------------------


def _draft(organization):
    return Invoice.objects.filter(organization=organization, status=InvoiceStatus.DRAFT).order_by("pk").first()


def test_adding_an_invoice_with_lines_computes_its_totals(seeded, support):
    subsidiary = Subsidiary.objects.get(organization=seeded, name="Demo Agency Ltd")
    company = Company.objects.get(organization=seeded, name="Thames Publishing Ltd")
    vat = TaxRate.objects.get(organization=seeded, name="UK VAT")
    design = ServiceType.objects.get(organization=seeded, name="Design")
    response = support.get(_url(Invoice, "add"))
    data = _form_data(response)
    data.update(
        {
            "organization": seeded.pk,
            "subsidiary": subsidiary.pk,
            "company": company.pk,
            "issue_date": "2026-11-02",
            "due_date": "2026-12-02",
            "currency": "GBP",
            "subject": "Added by support",
            "custom_fields": "{}",
            "lines-TOTAL_FORMS": "2",
            "lines-0-description": "Illustrations",
            "lines-0-quantity": "3",
            "lines-0-unit_price": "33.335",
            "lines-0-tax_rate": vat.pk,
            "lines-0-service_type": design.pk,
            "lines-1-description": "Licence",
            "lines-1-quantity": "1",
            "lines-1-unit_price": "50",
        }
    )
    response = support.post(_url(Invoice, "add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    invoice = Invoice.objects.get(subject="Added by support")
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("150.01"),
        Decimal("20.00"),
        Decimal("170.01"),
    )
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number == ""
    assert [line.description for line in invoice.lines.all()] == ["Illustrations", "Licence"]


def test_editing_a_draft_recomputes_totals_and_keeps_the_rest(seeded, support):
    invoice = _draft(seeded)
    url = _url(Invoice, "change", invoice.pk)
    data = _form_data(support.get(url))
    data["lines-0-quantity"] = "2"
    data["lines-0-unit_price"] = "100"
    data["lines-0-tax_rate"] = ""
    data["lines-TOTAL_FORMS"] = data["lines-INITIAL_FORMS"]
    for index in range(1, int(data["lines-INITIAL_FORMS"])):
        data[f"lines-{index}-DELETE"] = "on"
    data["subject"] = "Edited in the admin"
    response = support.post(url, data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.subject == "Edited in the admin"
    assert (invoice.lines.count(), invoice.subtotal, invoice.tax_total, invoice.total) == (
        1,
        Decimal("200.00"),
        Decimal("0.00"),
        Decimal("200.00"),
    )


def test_a_refused_edit_shows_the_reason_and_saves_nothing(seeded, support):
    invoice = _draft(seeded)
    before = Invoice.objects.filter(pk=invoice.pk).values().get()
    lines_before = list(invoice.lines.values())
    url = _url(Invoice, "change", invoice.pk)
    data = _form_data(support.get(url))
    data["lines-0-quantity"] = "-1"
    data["subject"] = "Should not stick"
    response = support.post(url, data, follow=True)
    assert "Nothing was saved: Line 1: the quantity must be greater than zero." in _messages(response)
    assert Invoice.objects.filter(pk=invoice.pk).values().get() == before
    assert list(invoice.lines.values()) == lines_before


def test_another_organizations_rows_are_refused_in_the_form(seeded, support):
    other = Organization.objects.get(name=OTHER_ORGANIZATION)
    invoice = _draft(seeded)
    foreign_company = Company.objects.filter(organization=other).first()
    foreign_tax = TaxRate.objects.filter(organization=other).first()
    url = _url(Invoice, "change", invoice.pk)
    data = _form_data(support.get(url))
    data["company"] = foreign_company.pk
    data["lines-0-tax_rate"] = foreign_tax.pk
    response = support.post(url, data)
    assert response.status_code == 200
    assert "belongs to another organization" in str(response.context["adminform"].form.errors["company"])
    line_errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert "belongs to another organization" in str(line_errors["tax_rate"])
    invoice.refresh_from_db()
    assert invoice.company.organization == seeded


def test_organization_is_fixed_once_created(seeded, support):
    company = Company.objects.filter(organization=seeded).first()
    response = support.get(_url(Company, "change", company.pk))
    assert "organization" not in response.context["adminform"].form.fields


def test_the_finalize_action_numbers_drafts_through_the_service(seeded, support):
    draft = _draft(seeded)
    finalized = Invoice.objects.filter(organization=seeded, status=InvoiceStatus.FINALIZED).first()
    response = support.post(
        _url(Invoice, "changelist"),
        {"action": "finalize_selected", helpers.ACTION_CHECKBOX_NAME: [draft.pk, finalized.pk]},
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.FINALIZED
    assert draft.number.startswith(draft.subsidiary.invoice_number_prefix)
    messages = _messages(response)
    assert "1 invoice(s) finalized." in messages
    assert any(m.startswith(f"{finalized.number}: Only a draft can be finalized") for m in messages)


def test_payments_are_recorded_and_deleted_through_the_services(seeded, support):
    invoice = Invoice.objects.filter(
        organization=seeded, status=InvoiceStatus.FINALIZED, payment_status=PaymentStatus.UNPAID
    ).first()
    data = _form_data(support.get(_url(Payment, "add")))
    data.update(invoice=invoice.pk, amount="10.00", date="2026-11-20", source="manual", reference="Admin")
    response = support.post(_url(Payment, "add"), data)
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("10.00"), PaymentStatus.PARTIALLY_PAID)
    payment = Payment.objects.get(invoice=invoice, reference="Admin", is_deleted=False)
    assert payment.currency == invoice.currency and payment.organization_id == invoice.organization_id

    support.post(
        _url(Payment, "changelist"),
        {"action": "soft_delete_selected", helpers.ACTION_CHECKBOX_NAME: [payment.pk]},
    )
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert payment.is_deleted and (invoice.amount_paid, invoice.payment_status) == (Decimal("0"), "unpaid")
    assert support.post(_url(Payment, "delete", payment.pk), {"post": "yes"}).status_code == 403


def test_expense_payments_are_recorded_and_deleted_through_the_services(seeded, support):
    expense = Expense.objects.filter(organization=seeded, approval_status="approved", amount_paid=0).first()
    data = _form_data(support.get(_url(ExpensePayment, "add")))
    data.update(expense=expense.pk, amount="5.00", date="2026-11-20", source="manual", reference="Admin")
    _assert_saved(support.post(_url(ExpensePayment, "add"), data))
    expense.refresh_from_db()
    assert (expense.amount_paid, expense.payment_status) == (Decimal("5.00"), PaymentStatus.PARTIALLY_PAID)
    payment = ExpensePayment.objects.get(expense=expense, reference="Admin")
    support.post(
        _url(ExpensePayment, "changelist"),
        {"action": "soft_delete_selected", helpers.ACTION_CHECKBOX_NAME: [payment.pk]},
    )
    expense.refresh_from_db()
    assert (expense.amount_paid, expense.payment_status) == (Decimal("0"), PaymentStatus.UNPAID)


def test_organizations_cannot_be_deleted_from_the_admin(seeded, support):
    assert support.post(_url(Organization, "delete", seeded.pk), {"post": "yes"}).status_code == 403
    assert Organization.objects.filter(pk=seeded.pk).exists()


def test_a_payments_amount_cannot_be_edited(seeded, support):
    payment = Payment.objects.filter(organization=seeded, is_deleted=False).first()
    url = _url(Payment, "change", payment.pk)
    response = support.get(url)
    assert set(response.context["adminform"].form.fields) == {"reference"}
    support.post(url, {"reference": "Corrected reference", "amount": "1.00"})
    payment.refresh_from_db()
    assert payment.reference == "Corrected reference"
    assert payment.amount != Decimal("1.00")


def test_a_payment_on_a_draft_is_refused_with_a_message(seeded, support):
    draft = _draft(seeded)
    data = _form_data(support.get(_url(Payment, "add")))
    data.update(invoice=draft.pk, amount="10.00", date="2026-11-20", source="manual")
    response = support.post(_url(Payment, "add"), data, follow=True)
    assert any("Payments can only be recorded on finalized invoices" in m for m in _messages(response))
    assert not Payment.objects.filter(invoice=draft).exists()


def test_editing_an_expense_recomputes_its_tax(seeded, support):
    expense = Expense.objects.filter(organization=seeded, amount_paid=0, tax_rate__percentage=21).first()
    url = _url(Expense, "change", expense.pk)
    data = _form_data(support.get(url))
    data["amount"] = "100.00"
    _assert_saved(support.post(url, data))
    expense.refresh_from_db()
    assert (expense.amount, expense.tax_amount) == (Decimal("100.00"), Decimal("21.00"))


def test_purchase_order_lines_are_saved_through_the_service(seeded, support):
    order = PurchaseOrder.objects.filter(organization=seeded).first()
    url = _url(PurchaseOrder, "change", order.pk)
    data = _form_data(support.get(url))
    data["lines-0-quantity"] = "1"
    data["lines-0-unit_price"] = "10"
    data["lines-0-tax_rate"] = ""
    for index in range(1, int(data["lines-INITIAL_FORMS"])):
        data[f"lines-{index}-DELETE"] = "on"
    data["status"] = "received"
    _assert_saved(support.post(url, data))
    order.refresh_from_db()
    assert (order.total, order.status) == (Decimal("10.00"), "received")


def test_a_subsidiarys_next_number_cannot_go_back(seeded, support):
    subsidiary = Subsidiary.objects.get(organization=seeded, name="Demo Agency B.V.")
    url = _url(Subsidiary, "change", subsidiary.pk)
    data = _form_data(support.get(url))
    data["next_invoice_number"] = "1"
    response = support.post(url, data)
    assert response.status_code == 200
    assert "cannot go back" in str(response.context["adminform"].form.errors)
    data["next_invoice_number"] = str(subsidiary.next_invoice_number + 100)
    _assert_saved(support.post(url, data))
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number >= 100


def test_saving_a_subsidiary_does_not_rewind_a_number_taken_meanwhile(seeded, support):
    subsidiary = Subsidiary.objects.get(organization=seeded, name="Demo Agency Ltd")
    url = _url(Subsidiary, "change", subsidiary.pk)
    data = _form_data(support.get(url))
    # An invoice is finalized between loading and saving the form.
    invoice = invoice_create(
        organization=seeded,
        subsidiary=subsidiary,
        company=Company.objects.get(organization=seeded, name="Thames Publishing Ltd"),
        issue_date=datetime.date(2026, 11, 2),
        due_date=datetime.date(2026, 11, 30),
        currency="GBP",
        lines=[LineInput("Work", Decimal("1"), Decimal("10"))],
    )
    invoice_finalize(invoice=invoice)
    data["vat_number"] = "GB000000000"
    _assert_saved(support.post(url, data))
    subsidiary.refresh_from_db()
    assert subsidiary.vat_number == "GB000000000"
    assert subsidiary.next_invoice_number == int(data["next_invoice_number"]) + 1


@pytest.mark.parametrize("model", [Invoice, Payment, Expense, PurchaseOrder])
def test_changelist_queries_do_not_grow_with_rows(seeded, support, model):
    url = _url(model, "changelist")
    support.get(url)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as before:
        assert support.get(url).status_code == 200
    other = Organization.objects.get(name=OTHER_ORGANIZATION)
    subsidiary = Subsidiary.objects.get(organization=other)
    for day in range(1, 6):
        invoice = make_invoice(subsidiary=subsidiary, issue_date=datetime.date(2026, 10, day), finalize=True)
        payment_record(invoice=invoice, amount=Decimal("1.00"), date=invoice.issue_date)
        expense_create(
            organization=other,
            budget=BudgetFactory(organization=other, subsidiary=subsidiary),
            vendor=CompanyFactory(organization=other, is_supplier=True),
            description=f"Extra {day}",
            amount=Decimal("10"),
            currency="EUR",
            date=invoice.issue_date,
        )
        purchase_order_create(
            organization=other, subsidiary=subsidiary, vendor=invoice.company, issue_date=invoice.issue_date
        )
    with CaptureQueriesContext(connection) as after:
        assert support.get(url).status_code == 200
    assert len(after) == len(before), [q["sql"] for q in after.captured_queries]
