"""Booking under real concurrency (PostgreSQL): racing bookings get distinct numbers of the series, one number
asked for twice is booked once, and an Idempotency-Key raced by several requests books once."""

import pytest
from django.test import Client

from integrations.sandbox.economic.models import EcoDocument

from ..test_concurrency import needs_postgres, race
from .conftest import Eco

THREADS = 6


@pytest.fixture
def racing(transactional_db):
    needs_postgres()
    eco = Eco(Client())
    eco.install()
    return eco, [eco.draft()["draftInvoiceNumber"] for _ in range(THREADS)]


def book(eco, draft, **extra):
    client = Client()
    body = {"draftInvoice": {"draftInvoiceNumber": draft}, **extra.pop("body", {})}
    return Eco(client).post("invoices/booked", body, grant=eco.grant_token, **extra)


@pytest.mark.postgres
def test_racing_bookings_take_distinct_numbers_of_the_series(racing):
    eco, drafts = racing
    answers = race(lambda index: book(eco, drafts[index]), THREADS)
    assert [a.status_code for a in answers] == [201] * THREADS
    assert sorted(a.json()["bookedInvoiceNumber"] for a in answers) == list(range(1, THREADS + 1))


@pytest.mark.postgres
def test_one_number_asked_for_by_racing_bookings_is_booked_once(racing):
    eco, drafts = racing
    answers = race(lambda index: book(eco, drafts[index], body={"bookWithNumber": 42}), THREADS)
    assert sorted(a.status_code for a in answers) == [201] + [400] * (THREADS - 1)
    assert EcoDocument.objects.filter(kind="invoices/booked").count() == 1


@pytest.mark.postgres
def test_a_raced_idempotency_key_books_once(racing):
    eco, drafts = racing
    answers = race(lambda index: book(eco, drafts[0], **{"Idempotency-Key": "book-once"}), THREADS)
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["bookedInvoiceNumber"] for a in answers}) == 1
    assert EcoDocument.objects.filter(kind="invoices/booked").count() == 1
