"""Accounting years and booked entries: each booked invoice a customerInvoice entry, each registered payment a
customerPayment entry with its date, each reversal a counter-entry; filterable by entryType, customer, date, …
(not by invoiceNumber, as at e-conomic), numbered in booking order."""

import datetime as dt

import time_machine

from integrations.sandbox.economic import payments
from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.models import EcoAgreement

from .spec import doc_properties, fixture, require_specs, shape_problems

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_entries_follow_invoices_payments_and_reversals(eco):
    agreement = EcoAgreement.objects.get(agreement_number=DANISH_AGREEMENT)
    with time_machine.travel(START, tick=False):
        number = eco.book(eco.draft()["draftInvoiceNumber"])["bookedInvoiceNumber"]
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        part = payments.payment_register(agreement, str(number), "375.00", "2026-11-01")
    with time_machine.travel(START + dt.timedelta(days=3), tick=False):
        payments.payment_reverse(agreement, str(part.pk))
        years = eco.get("accounting-years").json()
        entries = eco.get("accounting-years/2026/entries").json()
    assert [y["year"] for y in years["collection"]] == ["2026"]
    assert years["collection"][0]["entries"].endswith("/accounting-years/2026/entries")
    got = [
        (e["entryNumber"], e["entryType"], e["amount"], e["date"], e["invoiceNumber"]) for e in entries["collection"]
    ]
    assert got == [
        (1, "customerInvoice", 2375.0, "2026-11-02", str(number)),
        (2, "customerPayment", -375.0, "2026-11-01", str(number)),  # the payment's own date
        (3, "customerPayment", 375.0, "2026-11-05", str(number)),  # the reversal, the day it was booked
    ]
    assert entries["collection"][0]["remainder"] == 2375.0
    payments_only = eco.get("accounting-years/2026/entries", {"filter": "entryType$eq:customerPayment"}).json()
    assert [e["entryNumber"] for e in payments_only["collection"]] == [2, 3]
    by_customer = eco.get("accounting-years/2026/entries", {"filter": "customer.customerNumber$eq:1$and:amount$lt:0"})
    assert [e["entryNumber"] for e in by_customer.json()["collection"]] == [2]
    assert eco.get("accounting-years/2026/entries", {"filter": "invoiceNumber$eq:1"}).status_code == 400
    assert eco.get("accounting-years/1999/entries").status_code == 404
    assert eco.post("accounting-years", {}).status_code == 405


def test_years_and_entries_have_e_conomics_shapes(eco):
    require_specs()
    booked = eco.book(eco.draft()["draftInvoiceNumber"])
    agreement = EcoAgreement.objects.get(agreement_number=DANISH_AGREEMENT)
    payments.payment_register(agreement, str(booked["bookedInvoiceNumber"]), "100", "")
    year = eco.get("accounting-years").json()["collection"][0]
    recorded = fixture("accounting_years")["collection"][0]
    assert shape_problems(year, doc_properties("_accounting-years.md", "GET", "/accounting-years"), [recorded]) == []
    assert set(year) == set(recorded)
    documented = doc_properties("_accounting-years.md", "GET", "/accounting-years/:accountingYear/entries")
    for entry in eco.get(f"accounting-years/{year['year']}/entries").json()["collection"]:
        assert shape_problems(entry, documented, []) == []
