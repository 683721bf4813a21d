"""Drafts (create, read, full-document update, delete), annotated validation errors, booking with the series'
next number or bookWithNumber (a used number is refused), booked invoices that cannot change, PDFs, remainders
through /invoices/paid|unpaid, and Idempotency-Key replay."""

from decimal import Decimal

from integrations.sandbox.economic import payments
from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.models import EcoAgreement, EcoDocument

from .conftest import draft_payload


def test_a_draft_is_created_with_e_conomics_amounts_and_links(eco):
    response = eco.post("invoices/drafts", draft_payload())
    assert response.status_code == 201
    draft = response.json()
    assert eco.get(f"invoices/drafts/{draft['draftInvoiceNumber']}").json() == draft
    assert (
        response["Location"]
        == draft["self"]
        == f"http://testserver/sandbox/economic/api/invoices/drafts/{draft['draftInvoiceNumber']}"
    )
    assert (draft["netAmount"], draft["vatAmount"], draft["grossAmount"]) == (1900.0, 475.0, 2375.0)
    assert draft["dueDate"] == "2026-11-10"  # Netto 8 dage
    assert draft["paymentTerms"]["paymentTermsType"] == "net" and draft["recipient"]["vatZone"]["name"] == "Domestic"
    line = draft["lines"][0]
    assert (line["quantity"], line["unitNetPrice"], line["product"]["productNumber"]) == (2.0, 950.0, "1")
    assert "vatRate" not in line  # a draft's lines show no VAT; the booked invoice's do
    booked_line = eco.book(draft["draftInvoiceNumber"])["lines"][0]
    assert (booked_line["vatRate"], booked_line["vatAmount"], booked_line["totalNetAmount"]) == (25.0, 475.0, 1900.0)
    assert draft["pdf"]["download"].endswith("/pdf") and draft["references"]["other"] == "INV-2026-0042"


def test_vat_follows_the_zone_and_the_product_group(eco):
    abroad = eco.draft(recipient={"name": "Overseas Ltd", "vatZone": {"vatZoneNumber": 3}})
    assert abroad["vatAmount"] == 0.0 and abroad["grossAmount"] == 1900.0
    free = eco.draft(lines=[{"product": {"productNumber": "3"}, "quantity": 1, "unitNetPrice": 100}])
    assert free["vatAmount"] == 0.0
    euro_line = [{"description": "Design", "quantity": 1, "unitNetPrice": 100}]
    euro = eco.draft(currency="EUR", lines=euro_line)
    assert euro["grossAmount"] == 125.0 and euro["grossAmountInBaseCurrency"] == 932.5  # 746 DKK per 100 EUR
    own_rate = eco.draft(currency="EUR", exchangeRate=750, lines=euro_line)
    assert own_rate["exchangeRate"] == 750.0 and own_rate["grossAmountInBaseCurrency"] == 937.5
    assert eco.post("invoices/drafts", draft_payload(exchangeRate="x")).status_code == 400


def test_payment_term_types_set_the_due_date(eco):
    assert eco.draft(paymentTerms={"paymentTermsNumber": 4})["dueDate"] == "2026-12-30"  # month end + 30
    refused = eco.post("invoices/drafts", draft_payload(paymentTerms={"paymentTermsNumber": 7}))
    assert refused.status_code == 400 and refused.json()["errors"]["dueDate"]["errors"][0]["errorCode"] == "E90001"
    assert eco.draft(paymentTerms={"paymentTermsNumber": 7}, dueDate="2027-01-15")["dueDate"] == "2027-01-15"


def test_validation_errors_are_annotated_like_the_payload(eco):
    payload = draft_payload(
        currency="ZUL",
        customer={"customerNumber": 987987987},
        recipient={"vatZone": {"vatZoneNumber": 1}},
        lines=[
            {"product": {"productNumber": "1"}, "unitNetPrice": 10.12345, "unit": {"unitNumber": 10}},
            {"product": {}, "quantity": 1},
        ],
    )
    payload.pop("layout")
    response = eco.post("invoices/drafts", payload)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation error." and body["httpStatusCode"] == 400 and body["logId"]
    errors = body["errors"]
    assert errors["currency"]["errors"][0] == {
        "errorCode": "E06000",
        "message": "currency does not exist.",
        "value": "ZUL",
        "developerHint": "See /currencies.",
    }
    assert errors["customer"]["errors"][0]["errorCode"] == "E06000"
    assert errors["layout"]["errors"][0]["message"] == "Property layout is required."
    assert errors["recipient"]["name"]["errors"][0]["errorCode"] == "E90001"
    first, second = errors["lines"]
    assert first["arrayIndex"] == 0 and second["arrayIndex"] == 1
    assert first["unitNetPrice"]["errors"][0]["errorCode"] == "E04740"
    assert first["quantity"]["errors"][0]["errorCode"] == "E04730"
    assert first["unit"]["errors"][0]["errorCode"] == "E06000"
    assert second["product"]["errors"][0]["errorCode"] == "E04500"
    assert not EcoDocument.objects.filter(kind="invoices/drafts").exists()
    # the refused draft took no number
    assert eco.draft()["draftInvoiceNumber"] == 1


def test_put_replaces_the_whole_draft(eco):
    draft = eco.draft()
    number = draft["draftInvoiceNumber"]
    changed = draft_payload(lines=[{"description": "Hosting", "product": {"productNumber": "2"}, "quantity": 3}])
    response = eco.put(f"invoices/drafts/{number}", changed)
    assert response.status_code == 200
    body = response.json()
    assert body["draftInvoiceNumber"] == number and len(body["lines"]) == 1
    assert body["netAmount"] == 1200.0  # product 2's sales price, 400.00
    partial = eco.put(f"invoices/drafts/{number}", {"lines": []})  # no PATCH semantics: the full document is needed
    assert partial.status_code == 400 and "currency" in partial.json()["errors"]
    assert eco.put("invoices/drafts/999", draft_payload()).status_code == 404


def test_booking_takes_the_series_next_number_or_book_with_number(eco):
    first = eco.book(eco.draft()["draftInvoiceNumber"])
    assert first["bookedInvoiceNumber"] == 1 and first["remainder"] == first["grossAmount"] == 2375.0
    assert first["self"].endswith("/invoices/booked/1") and first["pdf"]["download"].endswith("/invoices/booked/1/pdf")
    chosen = eco.book(eco.draft()["draftInvoiceNumber"], bookWithNumber=2026042)
    assert chosen["bookedInvoiceNumber"] == 2026042
    assert eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"] == 2  # the series goes on
    eco.book(eco.draft()["draftInvoiceNumber"], bookWithNumber=3)
    assert eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"] == 4  # a used number is skipped
    draft = eco.draft()["draftInvoiceNumber"]
    refused = eco.post("invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft}, "bookWithNumber": 2026042})
    assert refused.status_code == 400
    assert refused.json()["errors"]["bookWithNumber"]["errors"][0]["errorCode"] == "E90002"
    assert eco.get(f"invoices/drafts/{draft}").status_code == 200  # still a draft


def test_put_books_with_the_number_in_the_url(eco):
    draft = eco.draft()
    link = draft["self"]
    response = eco.put("invoices/booked/500", {"draftInvoice": {"self": link}})
    assert response.status_code == 201 and response.json()["bookedInvoiceNumber"] == 500
    other = eco.draft()["draftInvoiceNumber"]
    mismatch = eco.put("invoices/booked/501", {"draftInvoice": {"draftInvoiceNumber": other}, "bookWithNumber": 7})
    assert mismatch.status_code == 400


def test_a_booked_invoice_is_no_longer_a_draft_and_cannot_change(eco):
    draft = eco.draft()
    number = draft["draftInvoiceNumber"]
    booked = eco.book(number)
    assert eco.get(f"invoices/drafts/{number}").status_code == 404
    assert eco.put(f"invoices/drafts/{number}", draft_payload()).status_code == 404
    assert eco.put(f"invoices/booked/{booked['bookedInvoiceNumber']}", draft_payload()).status_code == 400
    again = eco.post("invoices/booked", {"draftInvoice": {"draftInvoiceNumber": number}})
    assert again.json()["errors"]["draftInvoice"]["errors"][0]["message"] == "draftInvoice does not exist."
    empty = eco.draft(lines=[])["draftInvoiceNumber"]
    assert eco.post("invoices/booked", {"draftInvoice": {"draftInvoiceNumber": empty}}).status_code == 400


def test_drafts_can_be_deleted(eco):
    number = eco.draft()["draftInvoiceNumber"]
    response = eco.client.delete(f"/sandbox/economic/api/invoices/drafts/{number}", **eco.headers())
    assert response.json()["deletedCount"] == 1 and response.json()["deletedItems"][0]["draftInvoiceNumber"] == number
    assert eco.get(f"invoices/drafts/{number}").status_code == 404


def test_pdfs_of_drafts_and_booked_invoices(eco):
    draft = eco.draft()
    assert eco.get(f"invoices/drafts/{draft['draftInvoiceNumber']}/pdf").content.startswith(b"%PDF")
    booked = eco.book(draft["draftInvoiceNumber"])
    pdf = eco.get(f"invoices/booked/{booked['bookedInvoiceNumber']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert eco.get("invoices/booked/99/pdf").status_code == 404


def test_remainder_moves_with_payments_and_reversals(eco):
    number = eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"]
    agreement = EcoAgreement.objects.get(agreement_number=DANISH_AGREEMENT)

    def state():
        unpaid = {i["bookedInvoiceNumber"]: i["remainder"] for i in eco.get("invoices/unpaid").json()["collection"]}
        paid = [i["bookedInvoiceNumber"] for i in eco.get("invoices/paid").json()["collection"]]
        return eco.get(f"invoices/booked/{number}").json()["remainder"], unpaid.get(number), number in paid

    assert state() == (2375.0, 2375.0, False)
    part = payments.payment_register(agreement, str(number), "1000.00", "2026-11-05")
    assert state() == (1375.0, 1375.0, False)
    payments.payment_register(agreement, str(number), "", "")  # the rest
    assert state() == (0.0, None, True)
    payments.payment_reverse(agreement, str(part.pk))
    assert state() == (1000.0, 1000.0, False)
    assert payments.remainder_of(agreement, number) == Decimal("1000.00")


def test_idempotency_key_replays_the_first_answer(eco):
    first = eco.post("invoices/drafts", draft_payload(), **{"Idempotency-Key": "copy-42"})
    again = eco.post("invoices/drafts", draft_payload(), **{"Idempotency-Key": "copy-42"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert EcoDocument.objects.filter(kind="invoices/drafts").count() == 1
    number = first.json()["draftInvoiceNumber"]
    book = {"draftInvoice": {"draftInvoiceNumber": number}}
    booked = eco.post("invoices/booked", book, **{"Idempotency-Key": "book-42"})
    replay = eco.post("invoices/booked", book, **{"Idempotency-Key": "book-42"})
    assert replay.status_code == 201 and replay.json()["bookedInvoiceNumber"] == booked.json()["bookedInvoiceNumber"]
    assert EcoDocument.objects.filter(kind="invoices/booked").count() == 1
    refused = eco.post("invoices/drafts", {}, **{"Idempotency-Key": "bad-1"})
    assert eco.post("invoices/drafts", draft_payload(), **{"Idempotency-Key": "bad-1"}).json() == refused.json()
    assert eco.post("invoices/drafts", draft_payload(), **{"Idempotency-Key": "k" * 129}).status_code == 400


def test_customers_are_created_and_searched(eco):
    body = {
        "name": "Acme Nordic ApS",
        "currency": "DKK",
        "customerGroup": {"customerGroupNumber": 1},
        "paymentTerms": {"paymentTermsNumber": 5},
        "vatZone": {"vatZoneNumber": 1},
        "email": "ap@acme.example",
    }
    created = eco.post("customers", body)
    assert created.status_code == 201 and created.json()["customerNumber"] == 3
    assert created["Location"].endswith("/customers/3")
    found = eco.get("customers", {"filter": "name$like:acme"}).json()["collection"]
    assert [c["customerNumber"] for c in found] == [3]
    chosen = eco.post("customers", {**body, "customerNumber": 4711}).json()
    assert chosen["customerNumber"] == 4711
    taken = eco.post("customers", {**body, "customerNumber": 4711})
    assert taken.status_code == 400 and taken.json()["errors"]["customerNumber"]["errors"][0]["errorCode"] == "E90002"
    missing = eco.post("customers", {"name": "x"}).json()["errors"]
    assert {"currency", "customerGroup", "paymentTerms", "vatZone"} <= set(missing)


def test_a_customer_put_replaces_the_whole_document(eco):
    customer = eco.get("customers/2").json()
    body = {key: customer[key] for key in ("currency", "customerGroup", "paymentTerms", "vatZone")}
    changed = eco.put("customers/2", {**body, "name": "Fjord Consulting Group ApS", "customerNumber": 99})
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["customerNumber"]) == ("Fjord Consulting Group ApS", 2)
    assert "email" not in changed.json()  # not sent, so gone (PUT is the full document)
    assert eco.put("customers/2", {"name": "x"}).status_code == 400
    assert eco.put("customers/404", {**body, "name": "x"}).status_code == 404
