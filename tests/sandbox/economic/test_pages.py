"""The agreement page (kit pages + e-conomic's panel): drafts to book, booked invoices with their remainders,
customer payments registered (full or partial) or reversed, fault switches and the call log; CSRF on every form."""

import re

import pytest
from django.test import Client

from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.models import EcoPayment

from .conftest import BASE

PAGE = f"{BASE}/agreements/{DANISH_AGREEMENT}/"


@pytest.fixture
def person(db):
    """A browser: CSRF enforced, so every form post must carry the page's token."""
    return Client(enforce_csrf_checks=True)


def csrf_of(person) -> str:
    page = person.get(PAGE)
    assert page.status_code == 200
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)


def post(person, path, data):
    return person.post(path, {"csrfmiddlewaretoken": csrf_of(person), **data}, follow=True)


def test_the_index_lists_both_agreements_and_the_page_shows_drafts_and_booked(eco, person):
    index = person.get(f"{BASE}/").content.decode()
    assert "Sandbox Studio ApS" in index and "Sandbox Konsult AB" in index
    draft = eco.draft()["draftInvoiceNumber"]
    booked = eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"]
    page = person.get(PAGE).content.decode()
    assert f'data-draft="{draft}"' in page and f'data-invoice="{booked}"' in page and "INV-2026-0042" in page
    assert "1 active app connection" in page
    assert f'action="{PAGE}invoices/{booked}/payments/"' in page and f'action="{PAGE}drafts/{draft}/book/"' in page
    assert "POST /sandbox/economic/api/invoices/booked" in page  # the call log
    assert person.get(f"{BASE}/agreements/123/").status_code == 404


def test_forms_need_the_csrf_token(eco, person):
    booked = eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"]
    assert person.post(f"{PAGE}invoices/{booked}/payments/", {"amount": "1"}).status_code == 403
    assert person.post(f"{PAGE}drafts/1/book/", {}).status_code == 403
    assert person.post(f"{PAGE}faults/", {"kind": "server_error"}).status_code == 403
    assert not EcoPayment.objects.exists()


def test_a_person_books_a_draft_with_or_without_a_number(eco, person):
    first, second, third = (eco.draft()["draftInvoiceNumber"] for _ in range(3))
    page = post(person, f"{PAGE}drafts/{first}/book/", {"book_with_number": ""}).content.decode()
    assert f"Draft {first} booked as invoice 1." in page
    page = post(person, f"{PAGE}drafts/{second}/book/", {"book_with_number": "77"}).content.decode()
    assert f"Draft {second} booked as invoice 77." in page
    page = post(person, f"{PAGE}drafts/{third}/book/", {"book_with_number": "77"}).content.decode()
    assert "already been booked with number 77" in page
    assert eco.get("invoices/booked/77").json()["bookedInvoiceNumber"] == 77
    assert eco.get(f"invoices/drafts/{third}").status_code == 200


def test_partial_and_full_payments_and_a_reversal_move_the_remainder(eco, person):
    number = eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"]
    record = f"{PAGE}invoices/{number}/payments/"
    page = post(person, record, {"amount": "375.00", "date": "2026-11-20"}).content.decode()
    assert "Payment of 375.00 registered on invoice 1; remainder 2000.00." in page
    assert eco.get(f"invoices/booked/{number}").json()["remainder"] == 2000.0
    assert "more than the remainder" in post(person, record, {"amount": "2000.01"}).content.decode()
    assert "more than zero" in post(person, record, {"amount": "-5"}).content.decode()
    post(person, record, {"amount": ""})  # the whole remainder
    assert eco.get(f"invoices/booked/{number}").json()["remainder"] == 0.0
    first = EcoPayment.objects.order_by("id").first()
    page = post(person, f"{PAGE}payments/{first.pk}/delete/", {}).content.decode()
    assert "Payment of 375.00 on invoice 1 reversed; remainder 375.00." in page and "Reversed" in page
    assert f'action="{PAGE}payments/{first.pk}/delete/"' not in page  # a reversed payment has no button
    second = EcoPayment.objects.order_by("id").last()
    assert f'action="{PAGE}payments/{second.pk}/delete/"' in page
    assert eco.get(f"invoices/booked/{number}").json()["remainder"] == 375.0
    assert "already reversed" in post(person, f"{PAGE}payments/{first.pk}/delete/", {}).content.decode()
    assert [i["bookedInvoiceNumber"] for i in eco.get("invoices/unpaid").json()["collection"]] == [number]


def test_fault_switches_on_the_page(eco, person):
    page = post(person, f"{PAGE}faults/", {"kind": "server_error"}).content.decode()
    assert "Armed: next call returns 500." in page
    failed = eco.get("self")
    assert failed.status_code == 500 and failed.json()["httpStatusCode"] == 500
    assert eco.get("self").status_code == 200
