"""The company pages: a person records a payment (full, partial, one over two invoices), edits, voids and deletes
it; invoice Balance follows; each action sends Intuit's signed CloudEvents webhook (checked with the note's test
vector). Pages need CSRF; the deep link shows the invoice."""

import base64
import hashlib
import hmac
import json

import pytest
import responses
from django.test import Client, override_settings

from integrations.sandbox.kit.webhooks import sign
from integrations.sandbox.models import QboEntity
from integrations.sandbox.quickbooks.demo import US_REALM_ID

from .xsd import assert_response

VERIFIER = "sandbox-verifier-for-tests"
RECEIVER = "http://testserver/integrations/quickbooks/webhooks/"
PAGE = f"/sandbox/quickbooks/companies/{US_REALM_ID}/"

webhooks_on = override_settings(
    QUICKBOOKS_WEBHOOK_VERIFIER=VERIFIER,
    SITE_URL="http://testserver",
    SANDBOX_WEBHOOK_RETRY_SECONDS=0,
    SANDBOX_WEBHOOK_URL="",
)


def test_signature_scheme_matches_intuits_published_test_vector():
    body = (
        b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor","id":"40",'
        b'"operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer","id":"43",'
        b'"operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}'
    )
    assert sign(body, "00faeec4-08d0-4996-bb37-698ae19f0149") == "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


@pytest.fixture
def receiver():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, RECEIVER, status=200)
        yield mock


def deliveries(mock) -> list[list[dict]]:
    for call in mock.calls:
        expected = base64.b64encode(hmac.new(VERIFIER.encode(), call.request.body, hashlib.sha256).digest()).decode()
        assert hmac.compare_digest(call.request.headers["intuit-signature"], expected)
    return [json.loads(call.request.body) for call in mock.calls]


def _events(batch: list[dict]) -> list[tuple[str, str]]:
    assert all(e["specversion"] == "1.0" and e["intuitaccountid"] == US_REALM_ID for e in batch)
    return [(e["type"], e["intuitentityid"]) for e in batch]


def _balance(qbo, invoice_id: str):
    return qbo.get(f"invoice/{invoice_id}").json()["Invoice"]["Balance"]


@webhooks_on
def test_full_and_partial_payments_move_the_balance_and_send_signed_events(
    qbo, client, receiver, django_capture_on_commit_callbacks
):
    invoice = qbo.invoice(amount="100.00", tax="NON")
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"{PAGE}invoices/{invoice['Id']}/payments/", {"amount": "30.00", "date": "2026-11-02"})
    assert answer.status_code == 302
    assert _balance(qbo, invoice["Id"]) == 70
    payment = QboEntity.objects.get(entity="Payment")
    [batch] = deliveries(receiver)
    assert _events(batch) == [("qbo.payment.created.v1", payment.entity_id), ("qbo.invoice.updated.v1", invoice["Id"])]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}invoices/{invoice['Id']}/payments/", {"amount": "70"})
    assert _balance(qbo, invoice["Id"]) == 0
    read = qbo.get(f"payment/{payment.entity_id}").json()
    assert_response(read)
    assert read["Payment"]["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    linked = qbo.get(f"invoice/{invoice['Id']}").json()["Invoice"]["LinkedTxn"]
    assert [t["TxnType"] for t in linked] == ["Payment", "Payment"]
    over = client.post(f"{PAGE}invoices/{invoice['Id']}/payments/", {"amount": "1"}, follow=True)
    assert "more than the open balance" in over.content.decode()
    assert QboEntity.objects.filter(entity="Payment").count() == 2


@webhooks_on
def test_one_payment_over_two_invoices_then_edit_void_delete(qbo, client, receiver, django_capture_on_commit_callbacks):
    first, second = qbo.invoice(amount="100.00", tax="NON"), qbo.invoice(amount="50.00", tax="NON")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}payments/split/", {f"amount_{first['Id']}": "100", f"amount_{second['Id']}": "20"})
    payment = QboEntity.objects.get(entity="Payment")
    body = qbo.get(f"payment/{payment.entity_id}").json()["Payment"]
    assert body["TotalAmt"] == 120 and [line["Amount"] for line in body["Line"]] == [100, 20]
    assert (_balance(qbo, first["Id"]), _balance(qbo, second["Id"])) == (0, 30)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"{PAGE}payments/{payment.entity_id}/edit/", {f"amount_{first['Id']}": "60", f"amount_{second['Id']}": "50"}
        )
    edited = qbo.get(f"payment/{payment.entity_id}").json()["Payment"]
    assert edited["TotalAmt"] == 110 and edited["SyncToken"] == "1"
    assert (_balance(qbo, first["Id"]), _balance(qbo, second["Id"])) == (40, 0)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}payments/{payment.entity_id}/void/")
    voided = qbo.get(f"payment/{payment.entity_id}").json()["Payment"]
    assert voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"
    assert (_balance(qbo, first["Id"]), _balance(qbo, second["Id"])) == (100, 50)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}payments/{payment.entity_id}/delete/")
    assert qbo.get(f"payment/{payment.entity_id}").status_code == 400
    types = [[t for t, _ in _events(batch)] for batch in deliveries(receiver)]
    assert [batch[0] for batch in types] == [
        "qbo.payment.created.v1",
        "qbo.payment.updated.v1",
        "qbo.payment.voided.v1",
        "qbo.payment.deleted.v1",
    ]
    assert types[0][1:] == ["qbo.invoice.updated.v1", "qbo.invoice.updated.v1"]


def test_a_split_over_two_customers_is_refused(qbo, client):
    first = qbo.invoice(amount="10.00", tax="NON")
    other = qbo.query("select * from Customer").json()["QueryResponse"]["Customer"][1]["Id"]
    second = qbo.post(
        "invoice",
        {
            "CustomerRef": {"value": other},
            "Line": [{**next(line for line in first["Line"] if line["DetailType"] == "SalesItemLineDetail")}],
        },
    ).json()["Invoice"]
    page = client.post(
        f"{PAGE}payments/split/", {f"amount_{first['Id']}": "5", f"amount_{second['Id']}": "5"}, follow=True
    )
    assert "only pay invoices of one customer" in page.content.decode()
    assert not QboEntity.objects.filter(entity="Payment").exists()


def test_without_a_verifier_nothing_is_sent(qbo, client, django_capture_on_commit_callbacks):
    invoice = qbo.invoice(amount="10.00", tax="NON")
    with responses.RequestsMock() as mock, django_capture_on_commit_callbacks(execute=True):
        client.post(f"{PAGE}invoices/{invoice['Id']}/payments/", {"amount": "10"})
    assert len(mock.calls) == 0


def test_company_page_lists_invoices_and_payments_and_the_deep_link_shows_one(qbo, client):
    invoice = qbo.invoice(amount="10.00", tax="NON")
    client.post(f"{PAGE}invoices/{invoice['Id']}/payments/", {"amount": "4"})
    page = client.get(PAGE).content.decode()
    assert invoice["DocNumber"] in page and "Record one payment over these amounts" in page and "Void" in page
    link = client.get(f"/sandbox/quickbooks/app/invoice?txnId={invoice['Id']}")
    assert link.status_code == 200 and f"Invoice {invoice['DocNumber']}" in link.content.decode()
    assert client.get("/sandbox/quickbooks/app/invoice?txnId=99999").status_code == 404


def test_pages_need_csrf(qbo):
    invoice = qbo.invoice(amount="10.00", tax="NON")
    strict = Client(enforce_csrf_checks=True)
    for url in (
        f"{PAGE}invoices/{invoice['Id']}/payments/",
        f"{PAGE}payments/split/",
        f"{PAGE}preferences/custom-numbers/",
        f"{PAGE}faults/",
    ):
        assert strict.post(url, {"amount": "1"}).status_code == 403, url
    assert not QboEntity.objects.filter(entity="Payment").exists()
