"""/api/v1/payments/: list and filter, record manual payments, soft delete manual ones."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.choices import PaymentSource
from billing.models import Payment
from billing.services import invoice_void, payment_record
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

JSON = "application/json"
LIST = reverse("api:payment-list")


@pytest.fixture
def invoice(subsidiary):
    return make_invoice(subsidiary=subsidiary, finalize=True)  # 1000.00 EUR


def payload(invoice, /, **changes):
    return {"invoice": invoice.pk, "amount": "250.00", "date": "2026-11-10", "reference": "Bank 42", **changes}


def test_member_records_a_manual_payment(member_client, member_user, invoice):
    response = member_client.post(LIST, payload(invoice), content_type=JSON)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["amount"], body["currency"], body["source"], body["is_deleted"]) == ("250.00", "EUR", "manual", False)
    payment = Payment.objects.get(pk=body["id"])
    assert payment.created_by == member_user
    assert payment.organization_id == invoice.organization_id
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("250.00"), "partially_paid")


def test_source_and_external_id_cannot_be_set_by_the_client(member_client, invoice):
    response = member_client.post(
        LIST, payload(invoice, source="xero", external_id="abc", is_deleted=True), content_type=JSON
    )
    assert response.status_code == 201
    payment = Payment.objects.get()
    assert (payment.source, payment.external_id, payment.is_deleted) == ("manual", "", False)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", None),
        ({"amount": "-5.00"}, "amount", None),
        ({"amount": "1.005"}, "amount", None),
        ({"amount": "lots"}, "amount", None),
        ({"currency": "GBP"}, "currency", "The payment must be in EUR, the invoice's currency."),
        ({"date": ""}, "date", None),
        ({"invoice": None}, "invoice", None),
    ],
)
def test_bad_payments_are_field_errors_and_save_nothing(member_client, invoice, changes, field, message):
    response = member_client.post(LIST, payload(invoice, **changes), content_type=JSON)
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not Payment.objects.exists()
    invoice.refresh_from_db()
    assert invoice.payment_status == "unpaid"


@pytest.mark.parametrize("state", ["draft", "void"])
def test_payment_on_a_draft_or_void_invoice_is_refused(member_client, subsidiary, state):
    invoice = make_invoice(subsidiary=subsidiary, finalize=state == "void")
    if state == "void":
        invoice = invoice_void(invoice=invoice)
    response = member_client.post(LIST, payload(invoice), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": [f"Payments can only be recorded on finalized invoices; this one is {state}."]
    }
    assert not Payment.objects.exists()


def test_payment_on_another_organizations_invoice_is_an_invoice_error(member_client, organization):
    theirs = make_invoice(finalize=True)
    response = member_client.post(LIST, payload(theirs), content_type=JSON)
    assert response.status_code == 400
    assert response.json() == {"invoice": [f'Invalid pk "{theirs.pk}" - object does not exist.']}
    assert not Payment.objects.exists()


def test_list_filters_by_invoice_and_hides_other_organizations(member_client, subsidiary, invoice):
    other = make_invoice(subsidiary=subsidiary, finalize=True)
    mine = payment_record(invoice=invoice, amount=Decimal("10"), date=datetime.date(2026, 11, 2))
    payment_record(invoice=other, amount=Decimal("20"), date=datetime.date(2026, 11, 3))
    theirs_invoice = make_invoice(finalize=True)
    theirs = payment_record(invoice=theirs_invoice, amount=Decimal("5"), date=datetime.date(2026, 11, 3))
    assert len(member_client.get(LIST).json()["results"]) == 2
    rows = member_client.get(LIST, {"invoice": invoice.pk}).json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert member_client.get(LIST, {"invoice": theirs_invoice.pk}).json()["results"] == []
    assert member_client.get(reverse("api:payment-detail", args=[theirs.pk])).status_code == 404


def test_list_filters_by_deleted_and_source(member_client, invoice):
    kept = payment_record(invoice=invoice, amount=Decimal("10"), date=invoice.issue_date)
    synced = payment_record(
        invoice=invoice, amount=Decimal("20"), date=invoice.issue_date, source=PaymentSource.XERO, external_id="x1"
    )
    member_client.delete(reverse("api:payment-detail", args=[kept.pk]))
    deleted_rows = member_client.get(LIST, {"is_deleted": "true"}).json()["results"]
    assert [row["id"] for row in deleted_rows] == [kept.pk]
    xero_rows = member_client.get(LIST, {"source": "xero"}).json()["results"]
    assert [(row["id"], row["external_id"]) for row in xero_rows] == [(synced.pk, "x1")]


def test_delete_soft_deletes_a_manual_payment(member_client, invoice):
    payment = payment_record(invoice=invoice, amount=Decimal("1000.00"), date=invoice.issue_date)
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid"
    url = reverse("api:payment-detail", args=[payment.pk])
    assert member_client.delete(url).status_code == 204
    payment.refresh_from_db()
    assert payment.is_deleted and payment.deleted_at is not None
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("0.00"), "unpaid")
    kept = member_client.get(url).json()  # kept for the record
    assert kept["is_deleted"] is True


def test_a_payment_synced_from_an_accounting_tool_cannot_be_deleted_here(member_client, invoice):
    payment = payment_record(
        invoice=invoice, amount=Decimal("100"), date=invoice.issue_date, source=PaymentSource.XERO, external_id="x"
    )
    response = member_client.delete(reverse("api:payment-detail", args=[payment.pk]))
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["This payment came from Xero; remove it there and it is removed here."]
    }
    payment.refresh_from_db()
    assert not payment.is_deleted


def test_another_organizations_payment_cannot_be_deleted(admin_client, organization):
    theirs_invoice = make_invoice(finalize=True)
    theirs = payment_record(invoice=theirs_invoice, amount=Decimal("5"), date=theirs_invoice.issue_date)
    assert admin_client.delete(reverse("api:payment-detail", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_deleted


def test_payments_cannot_be_edited(member_client, invoice):
    payment = payment_record(invoice=invoice, amount=Decimal("10"), date=invoice.issue_date)
    url = reverse("api:payment-detail", args=[payment.pk])
    assert member_client.patch(url, {"amount": "999.00"}, content_type=JSON).status_code == 405
    payment.refresh_from_db()
    assert payment.amount == Decimal("10.00")
