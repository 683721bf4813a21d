"""Bills (ACCPAY invoices) in the Xero sandbox over HTTP: Xero's rules for them, their filters, payments a person
records and deletes on the organisation page, read back from the one GET /Payments page beside invoice payments,
INVOICE webhooks for them, and the expense-type accounts and suppliers an app's expense setup picks from."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from integrations.sandbox.models import XeroInvoice, XeroOrg, XeroPayment
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID
from integrations.sandbox.xero.services.invoices import due_date_by_terms

from .test_webhooks import deliveries, receiver, webhooks_on  # noqa: F401 (the receiver fixture)

PAGE = f"/sandbox/xero/orgs/{TRADING_TENANT_ID}/"
DUE_DATE_MISSING = "The document DueDate field must be specified."


def messages(element: dict) -> list[str]:
    return [error["Message"] for error in element.get("ValidationErrors", [])]


def bill(xero, **fields) -> dict:
    body = {
        "Type": "ACCPAY",
        "Contact": {"ContactID": xero.contact_id(name="Printing Partners")},
        "Date": "2026-11-02",
        "DueDate": "2026-11-30",
        "InvoiceNumber": "EXP-41",
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Flyers", "Quantity": 1, "UnitAmount": 250, "AccountCode": "461", "TaxType": "INPUT2"}
        ],
    }
    body.update(fields)
    return body


def put_bills(xero, *bills, **params):
    return xero.put("Invoices", {"Invoices": list(bills)}, params or None)


def test_an_authorised_bill_is_created_and_matches_the_spec(connected, schemas):
    response = put_bills(connected, bill(connected, Url="https://app.example/expenses/41"))
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "Invoices")
    (created,) = body["Invoices"]
    assert (created["Type"], created["Status"], created["InvoiceNumber"]) == ("ACCPAY", "AUTHORISED", "EXP-41")
    assert (created["SubTotal"], created["TotalTax"], created["Total"], created["AmountDue"]) == (250, 50, 300, 300)
    assert created["DueDateString"] == "2026-11-30T00:00:00" and created["Url"] == "https://app.example/expenses/41"
    assert created["Contact"]["Name"] == "Printing Partners" and created["HasAttachments"] is False
    one = connected.get(f"Invoices/{created['InvoiceID']}").json()
    schemas.assert_valid(one, "Invoices")
    assert one["Invoices"][0]["LineItems"][0]["AccountCode"] == "461"


def test_a_single_bill_without_the_array_and_its_contact_becomes_a_supplier(connected):
    customer = connected.contact_id(name="Acme Widgets Ltd")
    response = connected.put("Invoices", bill(connected, Contact={"ContactID": customer}))
    assert response.status_code == 200 and response.json()["Invoices"][0]["Type"] == "ACCPAY"
    contact = connected.get(f"Contacts/{customer}").json()["Contacts"][0]
    assert (contact["IsCustomer"], contact["IsSupplier"]) == (True, True)
    by_name = put_bills(connected, bill(connected, Contact={"Name": "New Supplier Ltd"})).json()["Invoices"][0]
    created = connected.get(f"Contacts/{by_name['Contact']['ContactID']}").json()["Contacts"][0]
    assert (created["IsCustomer"], created["IsSupplier"]) == (False, True)


def test_an_approved_bill_needs_a_due_date_because_the_demo_organisations_have_no_bill_terms(connected):
    refused = put_bills(connected, bill(connected, DueDate=None))
    assert refused.status_code == 400
    assert messages(refused.json()["Elements"][0]) == [DUE_DATE_MISSING]
    submitted = put_bills(connected, bill(connected, DueDate=None, Status="SUBMITTED"), summarizeErrors="false")
    assert messages(submitted.json()["Invoices"][0]) == [DUE_DATE_MISSING]
    assert not XeroInvoice.objects.exists()

    draft = put_bills(connected, bill(connected, DueDate=None, Status="DRAFT")).json()["Invoices"][0]
    assert draft["Status"] == "DRAFT" and "DueDate" not in draft
    approve = connected.post(f"Invoices/{draft['InvoiceID']}", {"Invoices": [{"Status": "AUTHORISED"}]})
    assert messages(approve.json()["Elements"][0]) == [DUE_DATE_MISSING]
    dated = {"Status": "AUTHORISED", "DueDate": "2026-12-01"}
    approved = connected.post(f"Invoices/{draft['InvoiceID']}", {"Invoices": [dated]}).json()["Invoices"][0]
    assert (approved["Status"], approved["DueDateString"]) == ("AUTHORISED", "2026-12-01T00:00:00")


def test_sales_invoices_still_default_their_due_date_from_the_sales_terms(connected, schemas):
    organisation = connected.get("Organisation").json()
    schemas.assert_valid(organisation, "Organisations")
    assert organisation["Organisations"][0]["PaymentTerms"] == {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}}
    invoice = connected.create_invoice(DueDate=None)
    assert invoice["DueDateString"] == "2026-12-01T00:00:00"  # 2026-11-01 + 30 days


@pytest.mark.parametrize(
    "terms, expected",
    [
        ({"Day": 14, "Type": "DAYSAFTERBILLDATE"}, dt.date(2026, 2, 11)),
        ({"Day": 10, "Type": "DAYSAFTERBILLMONTH"}, dt.date(2026, 2, 10)),
        ({"Day": 31, "Type": "OFCURRENTMONTH"}, dt.date(2026, 1, 31)),
        ({"Day": 31, "Type": "OFFOLLOWINGMONTH"}, dt.date(2026, 2, 28)),
    ],
)
def test_bill_terms_give_the_default_due_date_when_an_organisation_sets_them(db, terms, expected):
    org = XeroOrg(payment_terms={"Bills": terms})
    assert due_date_by_terms(org, "ACCPAY", dt.date(2026, 1, 28)) == expected
    assert due_date_by_terms(org, "ACCREC", dt.date(2026, 1, 28)) is None


def test_a_bill_number_is_the_suppliers_reference_not_unique_never_generated_and_reference_is_dropped(connected):
    first, second = put_bills(connected, bill(connected), bill(connected, Reference="ignored")).json()["Invoices"]
    assert first["InvoiceNumber"] == second["InvoiceNumber"] == "EXP-41"
    assert second["Reference"] == ""  # "ACCREC only": Xero silently ignores a bill's Reference
    unnumbered = put_bills(connected, bill(connected, InvoiceNumber=None)).json()["Invoices"][0]
    assert unnumbered["InvoiceNumber"] == ""
    invoice = connected.create_invoice()
    assert invoice["InvoiceNumber"] == "INV-0001"  # bills took no number from the sales sequence


def test_bill_validation_messages(connected):
    response = put_bills(
        connected,
        bill(connected, LineItems=[{"Description": "x", "UnitAmount": 10, "AccountCode": "200", "TaxType": "OUTPUT2"}]),
        bill(connected, LineItems=[{"Description": "x", "UnitAmount": 10, "DiscountRate": 5, "AccountCode": "429"}]),
        bill(connected, Contact=None),
        summarizeErrors="false",
    )
    assert response.status_code == 200
    wrong_tax, discount, no_contact = response.json()["Invoices"]
    assert messages(wrong_tax) == [
        "The TaxType code 'OUTPUT2' does not exist or cannot be used for this type of transaction."
    ]
    assert messages(discount) == ["Discounts are only available on sales invoices."]
    assert messages(no_contact) == ["A Contact must be specified for this type of transaction"]
    assert all(element["HasErrors"] for element in (wrong_tax, discount, no_contact))


def test_a_batch_of_bills_with_summarize_errors_false_reports_each_and_keeps_the_good_ones(connected, schemas):
    good = [bill(connected, InvoiceNumber=f"EXP-{n}") for n in range(3)]
    response = put_bills(connected, *good, bill(connected, DueDate=None), summarizeErrors="false")
    assert response.status_code == 200
    body = response.json()
    schemas.assert_valid(body, "Invoices")
    assert [e["StatusAttributeString"] for e in body["Invoices"]] == ["OK", "OK", "OK", "ERROR"]
    assert XeroInvoice.objects.filter(type="ACCPAY").count() == 3


def test_idempotency_key_replays_a_bill(connected):
    key = {"Idempotency-Key": "expense-41-v1"}
    first = connected.put("Invoices", {"Invoices": [bill(connected)]}, **key)
    again = connected.put("Invoices", {"Invoices": [bill(connected)]}, **key)
    assert (first.status_code, first.content) == (again.status_code, again.content)
    assert XeroInvoice.objects.filter(type="ACCPAY").count() == 1


def test_bills_are_filtered_by_type_statuses_ids_numbers_and_search_term(connected):
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        invoice = connected.create_invoice()
        approved, draft = put_bills(
            connected, bill(connected), bill(connected, Status="DRAFT", InvoiceNumber="EXP-42")
        ).json()["Invoices"]
        bills = connected.get("Invoices", {"where": 'Type=="ACCPAY"'}).json()["Invoices"]
        assert [b["InvoiceID"] for b in bills] == [approved["InvoiceID"], draft["InvoiceID"]]
        drafts = connected.get("Invoices", {"where": 'Type=="ACCPAY"', "Statuses": "DRAFT"}).json()["Invoices"]
        assert [b["InvoiceNumber"] for b in drafts] == ["EXP-42"]
        ids = f"{approved['InvoiceID']},{invoice['InvoiceID']}"
        by_ids = connected.get("Invoices", {"IDs": ids}).json()["Invoices"]
        assert {b["Type"] for b in by_ids} == {"ACCPAY", "ACCREC"}
        by_number = connected.get("Invoices", {"InvoiceNumbers": "EXP-41"}).json()["Invoices"]
        assert [b["InvoiceID"] for b in by_number] == [approved["InvoiceID"]]
        searched = connected.get("Invoices", {"searchTerm": "exp-4"}).json()["Invoices"]
        assert len(searched) == 2


def pay_on_page(client: Client, invoice_id: str, amount: str, date: str = "2026-11-20"):
    return client.post(f"{PAGE}invoices/{invoice_id}/payments/", {"amount": amount, "date": date}, follow=True)


def test_a_person_pays_a_bill_partly_then_fully_and_deletes_a_payment_on_the_page(connected):
    created = put_bills(connected, bill(connected)).json()["Invoices"][0]  # total 300
    page = connected.client.get(PAGE).content.decode()
    assert 'id="bills"' in page and "EXP-41" in page and "Printing Partners" in page

    partly = pay_on_page(connected.client, created["InvoiceID"], "100")
    assert "Payment of 100.00 recorded on EXP-41" in partly.content.decode()
    read = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (read["Status"], read["AmountPaid"], read["AmountDue"]) == ("AUTHORISED", 100, 200)

    pay_on_page(connected.client, created["InvoiceID"], "200")
    paid = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (paid["Status"], paid["AmountDue"], len(paid["Payments"])) == ("PAID", 0, 2)
    assert paid["FullyPaidOnDate"] == "/Date(1795132800000+0000)/"  # 2026-11-20

    last = XeroPayment.objects.order_by("created_at", "id").last()
    deleted = connected.client.post(f"{PAGE}payments/{last.payment_id}/delete/", follow=True)
    assert "deleted" in deleted.content.decode()
    again = connected.get(f"Invoices/{created['InvoiceID']}").json()["Invoices"][0]
    assert (again["Status"], again["AmountDue"]) == ("AUTHORISED", 200)


def test_a_payment_over_the_amount_due_of_a_bill_is_refused_on_the_page(connected):
    created = put_bills(connected, bill(connected)).json()["Invoices"][0]
    response = pay_on_page(connected.client, created["InvoiceID"], "300.01")
    assert "exceeds the amount outstanding" in response.content.decode()
    assert not XeroPayment.objects.exists()


def test_page_payment_forms_need_csrf(connected):
    created = put_bills(connected, bill(connected)).json()["Invoices"][0]
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"{PAGE}invoices/{created['InvoiceID']}/payments/", {"amount": "1"})
    assert response.status_code == 403
    assert not XeroPayment.objects.exists()


def test_invoice_and_bill_payments_come_from_one_payments_page(connected, schemas):
    invoice = connected.create_invoice()  # 120
    created = put_bills(connected, bill(connected)).json()["Invoices"][0]  # 300
    pay_on_page(connected.client, invoice["InvoiceID"], "20")
    pay_on_page(connected.client, created["InvoiceID"], "300")
    bill_payment = XeroPayment.objects.get(invoice__type="ACCPAY")
    connected.client.post(f"{PAGE}payments/{bill_payment.payment_id}/delete/")

    page = connected.get("Payments", {"page": 1, "pageSize": 100}).json()
    schemas.assert_valid(page, "Payments")
    assert page["pagination"]["itemCount"] == 2
    kinds = {(p["PaymentType"], p["Invoice"]["Type"], p["Status"], p["Amount"]) for p in page["Payments"]}
    assert kinds == {("ACCRECPAYMENT", "ACCREC", "AUTHORISED", 20), ("ACCPAYPAYMENT", "ACCPAY", "DELETED", 300)}
    on_bill = next(p for p in page["Payments"] if p["PaymentType"] == "ACCPAYPAYMENT")
    assert (on_bill["Invoice"]["InvoiceID"], on_bill["Invoice"]["InvoiceNumber"]) == (created["InvoiceID"], "EXP-41")
    only_bills = connected.get("Payments", {"where": 'PaymentType=="ACCPAYPAYMENT"'}).json()["Payments"]
    assert [p["PaymentID"] for p in only_bills] == [str(bill_payment.payment_id)]


def test_a_bill_payment_over_the_api_is_an_accpaypayment(xero, schemas):
    from .conftest import SCOPE

    code = xero.consent(scope=SCOPE + " accounting.payments")["code"]
    xero.access_token = xero.exchange(code).json()["access_token"]
    created = put_bills(xero, bill(xero)).json()["Invoices"][0]
    body = {"Payments": [{"Invoice": {"InvoiceID": created["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 50}]}
    response = xero.put("Payments", body)
    assert response.status_code == 200
    schemas.assert_valid(response.json(), "Payments")
    assert response.json()["Payments"][0]["PaymentType"] == "ACCPAYPAYMENT"
    assert XeroInvoice.objects.get(invoice_id=created["InvoiceID"]).amount_due == Decimal("250.00")


@webhooks_on
def test_bills_send_invoice_webhooks_when_created_and_when_a_person_pays_them(
    connected,
    receiver,  # noqa: F811 (the fixture imported above)
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        created = put_bills(connected, bill(connected)).json()["Invoices"][0]
    with django_capture_on_commit_callbacks(execute=True):
        pay_on_page(connected.client, created["InvoiceID"], "10")
    events = [event for payload in deliveries(receiver) for event in payload["events"]]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in events] == [
        ("INVOICE", "CREATE", created["InvoiceID"]),
        ("INVOICE", "UPDATE", created["InvoiceID"]),
    ]


@pytest.mark.parametrize("tenant", [TRADING_TENANT_ID, DESIGN_TENANT_ID])
def test_each_demo_organisation_has_expense_type_accounts_purchase_taxes_and_a_supplier(connected, schemas, tenant):
    accounts = connected.get("Accounts", {"where": 'Status=="ACTIVE" AND Class=="EXPENSE"'}, tenant=tenant).json()
    schemas.assert_valid(accounts, "Accounts")
    types = {a["Type"] for a in accounts["Accounts"]}
    assert types == {"EXPENSE", "DIRECTCOSTS", "OVERHEADS"}
    assert all(a["Class"] == "EXPENSE" and a["ShowInExpenseClaims"] for a in accounts["Accounts"])
    taxes = connected.get("TaxRates", {"where": "CanApplyToExpenses==true"}, tenant=tenant).json()["TaxRates"]
    assert len([t for t in taxes if t["EffectiveRate"] > 0]) >= 2
    suppliers = connected.get("Contacts", {"where": "IsSupplier==true"}, tenant=tenant).json()["Contacts"]
    assert len(suppliers) == 1
