"""Recording and removing invoice payments through the pages (plain and HTMX)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.choices import PaymentSource, PaymentStatus
from billing.models import Payment
from billing.services import payment_delete, payment_record
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(subsidiary):
    return make_invoice(subsidiary=subsidiary, finalize=True)  # 1000.00 EUR


def pay(client, invoice, amount, **extra):
    url = reverse("billing:invoice-payment-create", args=[invoice.pk])
    return client.post(url, {"amount": amount, "date": "2026-11-10", "reference": "Bank 42"}, **extra)


def test_payment_form_proposes_the_amount_due(member_client, invoice):
    response = member_client.get(reverse("billing:invoice-payment-create", args=[invoice.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="amount"' in html and 'name="date"' in html and 'name="reference"' in html
    assert 'value="1000.00"' in html
    assert "<html" in html  # a full page without HTMX


def test_payment_form_is_a_partial_for_htmx(member_client, invoice):
    url = reverse("billing:invoice-payment-create", args=[invoice.pk])
    response = member_client.get(url, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and 'name="amount"' in html


def test_partial_then_full_payment(member_client, invoice):
    response = pay(member_client, invoice, "400.00")
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()
    page = member_client.get(invoice.get_absolute_url()).content.decode()
    assert "Partially paid" in page and "Bank 42" in page and "400.00 EUR" in page and "Manual" in page
    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.PARTIALLY_PAID
    pay(member_client, invoice, "600")
    invoice.refresh_from_db()
    assert invoice.payment_status == PaymentStatus.PAID
    assert "Paid" in member_client.get(invoice.get_absolute_url()).content.decode()


def test_htmx_payment_redirects_the_whole_page(member_client, invoice):
    response = pay(member_client, invoice, "10", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == invoice.get_absolute_url()
    assert Payment.objects.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "1.005"])
def test_bad_amount_is_refused(member_client, invoice, amount):
    response = pay(member_client, invoice, amount)
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Payment.objects.exists()


def test_payment_on_a_draft_is_refused(member_client, subsidiary):
    draft = make_invoice(subsidiary=subsidiary)
    response = pay(member_client, draft, "10")
    assert response.status_code == 200
    assert "Payments can only be recorded on finalized invoices" in response.content.decode()
    assert not Payment.objects.exists()


def test_remove_a_manual_payment_keeps_it_struck_through(member_client, invoice):
    payment = payment_record(invoice=invoice, amount=Decimal("100"), date=invoice.issue_date)
    url = reverse("billing:invoice-payment-delete", args=[invoice.pk, payment.pk])
    response = member_client.post(url, follow=True)
    payment.refresh_from_db()
    invoice.refresh_from_db()
    assert payment.is_deleted and invoice.amount_paid == Decimal("0.00")
    assert "<s>100.00 EUR</s>" in response.content.decode()


def test_payment_from_an_accounting_tool_is_not_removed_here(member_client, invoice):
    payment = payment_record(invoice=invoice, amount=Decimal("100"), date=invoice.issue_date, source=PaymentSource.XERO)
    url = reverse("billing:invoice-payment-delete", args=[invoice.pk, payment.pk])
    response = member_client.post(url, follow=True)
    assert "remove it in Xero" in response.content.decode()
    payment.refresh_from_db()
    assert not payment.is_deleted


def test_payment_deleted_in_the_tool_is_labelled(member_client, invoice):
    payment = payment_record(invoice=invoice, amount=Decimal("100"), date=invoice.issue_date, source=PaymentSource.XERO)
    payment_delete(payment=payment)
    html = member_client.get(invoice.get_absolute_url()).content.decode()
    assert "deleted in Xero" in html


def test_payment_of_another_invoice_is_404(member_client, invoice, subsidiary):
    other = make_invoice(subsidiary=subsidiary, finalize=True)
    payment = payment_record(invoice=other, amount=Decimal("5"), date=other.issue_date)
    url = reverse("billing:invoice-payment-delete", args=[invoice.pk, payment.pk])
    assert member_client.post(url).status_code == 404
    payment.refresh_from_db()
    assert not payment.is_deleted
