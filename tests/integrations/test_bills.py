"""Expenses sent to Xero as bills: the ACCPAY payload (contact, account from the service type's purchase link or
the default, purchase tax type, dates, our number), the receipt attached, the rules that refuse before anything is
sent (approval, vendor, due date, plan, the export switched off), update / create new, and a double submit."""

import json
import re
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection as db_connection

from billing.choices import ApprovalStatus, Plan
from billing.services import expense_update
from integrations.document_kinds import BILL
from integrations.exceptions import AmbiguousWriteError
from integrations.models import (
    ContactLink,
    ContactRole,
    CopyStatus,
    MappingPurpose,
    RemoteDocument,
    ServiceTypeMapping,
    SyncLogEntry,
)
from integrations.services.invoice_copy import MODE_NEW, document_export, document_send
from tests.factories import ServiceTypeFactory

from .purchases import PDF, bills_connection, make_expense

API = "https://api.xero.com/api.xro/2.0"
INVOICES = re.compile(rf"{re.escape(API)}/Invoices(\?.*)?$")


@pytest.fixture
def connection(organization, subsidiary):
    return bills_connection(organization, subsidiary)


@pytest.fixture
def expense(organization, subsidiary):
    return make_expense(organization, subsidiary)


def send(expense, connection, **options):
    return document_send(kind=BILL, pk=expense.pk, connection=connection, **options)


def bill_writes(xero):
    return [r for r in xero.requests if r.method in ("PUT", "POST") and "/Invoices" in r.url and "Attach" not in r.url]


def test_an_approved_expense_becomes_an_authorised_bill_for_its_vendor(xero, connection, expense):
    copy = send(expense, connection)

    assert copy.status == CopyStatus.SUCCEEDED and copy.kind == BILL and copy.expense_id == expense.pk
    (put,) = bill_writes(xero)
    body = json.loads(put.body)["Invoices"][0]
    assert body["Type"] == "ACCPAY" and body["Status"] == "AUTHORISED"
    assert body["InvoiceNumber"] == f"EXP-{expense.pk}"  # Xero shows it as the bill's Reference
    assert (body["Date"], body["DueDate"], body["CurrencyCode"]) == ("2026-11-03", "2026-12-03", "EUR")
    assert body["LineItems"] == [
        {
            "Description": "Printing of brochures",
            "Quantity": 1,
            "UnitAmount": 100,
            "AccountCode": "400",
            "TaxType": "INPUT2",
        }
    ]
    assert put.headers["Idempotency-Key"] == copy.idempotency_key
    contact = xero.contacts[body["Contact"]["ContactID"]]
    assert contact["Name"] == "Paper Supplies Ltd"
    link = ContactLink.objects.get(connection=connection, company=expense.vendor)
    assert link.role == ContactRole.SUPPLIER and link.remote_id == contact["ContactID"]
    assert copy.remote_status == "AUTHORISED" and "AccountsPayable" in copy.remote_url
    assert SyncLogEntry.objects.filter(expense=expense, action="bill.created").exists()


def test_the_remembered_supplier_is_used_and_no_contact_is_created(xero, connection, expense):
    send(expense, connection)
    second = make_expense(expense.organization, connection.subsidiary, vendor=expense.vendor, budget=expense.budget)
    puts_before = sum(1 for r in xero.requests if "/Contacts" in r.url)

    send(second, connection)

    assert sum(1 for r in xero.requests if "/Contacts" in r.url) == puts_before
    assert len(xero.contacts) == 1


def test_the_account_comes_from_the_service_type_purchase_link_else_the_default(
    xero, connection, organization, subsidiary
):
    linked, other = (
        ServiceTypeFactory(organization=organization, name="Admin work"),
        ServiceTypeFactory(organization=organization, name="Travel"),
    )
    ServiceTypeMapping.objects.create(
        connection=connection, service_type=linked, remote_code="420", purpose=MappingPurpose.PURCHASE
    )
    # A sales link of the same service type is for invoices: bills never use it.
    ServiceTypeMapping.objects.create(connection=connection, service_type=other, remote_code="200")

    send(make_expense(organization, subsidiary, service_type=linked), connection)
    send(make_expense(organization, subsidiary, service_type=other), connection)

    accounts = [json.loads(r.body)["Invoices"][0]["LineItems"][0]["AccountCode"] for r in bill_writes(xero)]
    assert accounts == ["420", "400"]


def test_without_a_default_expense_account_an_unlinked_expense_says_what_to_set(mock, connection, expense):
    connection.settings = {**connection.settings, "default_expense_account": ""}
    connection.save()

    with pytest.raises(ValidationError, match="choose a default expense account"):
        send(expense, connection)

    assert not RemoteDocument.objects.filter(expense=expense).exists() and not mock.calls


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (
            {"approval_status": ApprovalStatus.PENDING},
            "Only approved expenses can be sent; this one is Pending approval.",
        ),
        ({"approval_status": ApprovalStatus.REJECTED}, "this one is Rejected"),
        ({"vendor": None}, "The expense has no vendor"),
        ({"due_date": None}, "The expense has no due date: Xero approves a bill only with one."),
    ],
)
def test_what_may_not_be_sent_says_why_and_nothing_is_sent(mock, connection, expense, changes, words):
    expense = expense_update(expense=expense, **changes)

    with pytest.raises(ValidationError) as refused:
        send(expense, connection)

    assert words in " ".join(refused.value.messages)
    assert not RemoteDocument.objects.filter(expense=expense).exists() and not mock.calls


def test_bills_need_the_professional_plan(mock, connection, expense, organization):
    organization.plan = Plan.ESSENTIAL
    organization.save()

    with pytest.raises(ValidationError, match="needs a higher plan"):
        send(expense, connection)
    assert not mock.calls


def test_with_the_export_switched_off_nothing_is_sent(mock, connection, expense):
    connection.settings = {**connection.settings, "export_expenses": False}
    connection.save()

    with pytest.raises(ValidationError, match="Sending bills to Xero is off"):
        send(expense, connection)
    assert not mock.calls


def test_the_receipt_is_attached_to_the_bill(xero, connection, expense):
    expense = expense_update(expense=expense, receipt=ContentFile(PDF, name="scan.pdf"))

    copy = send(expense, connection)

    (attachment,) = xero.attachments[copy.remote_id]
    assert attachment["FileName"] == f"receipt-EXP-{expense.pk}.pdf"
    assert attachment["content"] == PDF and attachment["MimeType"] == "application/pdf"
    put = next(r for r in xero.requests if "/Attachments/" in r.url)
    assert put.method == "PUT" and put.url.startswith(f"{API}/Invoices/{copy.remote_id}/Attachments/")
    assert SyncLogEntry.objects.filter(expense=expense, action="bill.attached").exists()


def test_a_refused_attachment_keeps_the_bill_and_says_so(xero, mock, connection, expense):
    expense = expense_update(expense=expense, receipt=ContentFile(PDF, name="scan.pdf"))
    mock.replace(
        "PUT",
        re.compile(rf"{re.escape(API)}/(Invoices|PurchaseOrders)/[^/?]+/Attachments/[^/?]+(\?.*)?$"),
        status=400,
        json={"ErrorNumber": 10, "Type": "ValidationException", "Message": "File type not allowed", "Elements": []},
    )

    copy = send(expense, connection)

    assert copy.status == CopyStatus.SUCCEEDED
    entry = SyncLogEntry.objects.get(expense=expense, action="bill.attach_failed")
    assert "File type not allowed" in entry.message


def test_update_existing_and_create_new(xero, connection, expense):
    first = send(expense, connection)
    expense = expense_update(expense=expense, amount=Decimal("120.00"))

    updated = send(expense, connection)
    new = send(expense, connection, mode=MODE_NEW)

    writes = bill_writes(xero)
    assert [w.method for w in writes] == ["PUT", "POST", "PUT"]
    assert writes[1].url.split("?")[0].endswith(f"/Invoices/{first.remote_id}")
    assert json.loads(writes[1].body)["Invoices"][0]["LineItems"][0]["UnitAmount"] == 120
    assert updated.remote_id == first.remote_id
    assert new.remote_number == f"EXP-{expense.pk}-2" and new.remote_id != first.remote_id
    assert RemoteDocument.objects.get(expense=expense, is_latest=True) == new


def test_a_double_submit_makes_one_bill(xero, connection, expense):
    key = "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"

    first = send(expense, connection, attempt_key=key)
    again = send(expense, connection, attempt_key=key)

    assert first.pk == again.pk and len(bill_writes(xero)) == 1
    assert len([i for i in xero.invoices.values() if i["Type"] == "ACCPAY"]) == 1


def test_a_lost_answer_is_looked_up_by_our_number_before_sending_again(xero, connection, expense):
    xero.drop_answers = 3  # the first try and both retries (each replayed under its key) lose their answers
    with pytest.raises(AmbiguousWriteError):
        send(expense, connection)
    pending = RemoteDocument.objects.get(expense=expense)
    assert pending.status == CopyStatus.PENDING and pending.outcome_unknown

    copy = send(expense, connection)

    assert copy.pk == pending.pk and copy.status == CopyStatus.SUCCEEDED
    assert len([i for i in xero.invoices.values() if i["Type"] == "ACCPAY"]) == 1
    lookup = next(r for r in xero.requests if r.method == "GET" and "/Invoices" in r.url)
    assert f"InvoiceNumbers=EXP-{expense.pk}" in lookup.url


def test_document_export_takes_the_expense_itself(xero, connection, expense):
    copy = document_export(document=expense, connection=connection)
    assert copy.status == CopyStatus.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_make_one_bill(xero, organization, subsidiary):
    if db_connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises writers but not this interleaving)")
    connection = bills_connection(organization, subsidiary)
    expense = make_expense(organization, subsidiary)
    results, errors = [], []
    barrier = threading.Barrier(4)

    def send_it():
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            results.append(send(expense, connection))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=send_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert len([i for i in xero.invoices.values() if i["Type"] == "ACCPAY"]) == 1
    assert len({copy.remote_id for copy in results}) == 1
    assert RemoteDocument.objects.filter(expense=expense, is_latest=True).count() == 1
