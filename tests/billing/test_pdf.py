"""The invoice PDF: a real PDF whose text (uncompressed) names the parties, the number and the totals."""

from decimal import Decimal

import pytest

from billing.pdf import invoice_pdf
from billing.services import LineInput, payment_record
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

pytestmark = pytest.mark.django_db


def test_pdf_of_a_finalized_invoice(subsidiary):
    subsidiary.legal_name = "Acme Netherlands B.V."
    subsidiary.vat_number = "NL123456789B01"
    subsidiary.save()
    company = CompanyFactory(organization=subsidiary.organization, name="Globex (EU)", vat_number="DE999")
    tax = TaxRateFactory(organization=subsidiary.organization, percentage=Decimal("21"))
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        lines=[LineInput("Brand workshop", Decimal("2"), Decimal("500"), tax_rate=tax)],
        finalize=True,
        po_number="PO-555",
    )
    payment_record(invoice=invoice, amount=Decimal("100"), date=invoice.issue_date)
    invoice.refresh_from_db()
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    for text in (
        b"INV-0001",
        b"Acme Netherlands B.V.",
        b"NL123456789B01",
        b"Globex \\(EU\\)",  # parentheses are escaped in PDF strings
        b"Brand workshop",
        b"1,210.00 EUR",
        b"PO-555",
        b"Partially paid",
        b"2026-11-01",
    ):
        assert text in pdf, text


def test_pdf_is_deterministic_and_marks_drafts(subsidiary):
    invoice = make_invoice(subsidiary=subsidiary)
    first, second = invoice_pdf(invoice), invoice_pdf(invoice)
    assert first == second
    assert b"Draft invoice" in first
