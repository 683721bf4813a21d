from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.services import LineInput, invoice_finalize, payment_record
from tests.factories import TaxRateFactory, make_invoice


@pytest.mark.django_db
def test_partial_payment_marks_invoice_partially_paid(subsidiary):
    tax = TaxRateFactory(organization=subsidiary.organization, percentage=Decimal("21"))
    invoice = make_invoice(
        subsidiary=subsidiary, lines=[LineInput("Work", Decimal("3"), Decimal("33.335"), tax_rate=tax)]
    )
    assert invoice.subtotal == Decimal("100.01")
    assert invoice.tax_total == Decimal("21.00")
    with pytest.raises(ValidationError):
        payment_record(invoice=invoice, amount=Decimal("10"), date=invoice.issue_date)
    invoice = invoice_finalize(invoice=invoice)
    assert invoice.number == "INV-0001"
    payment_record(invoice=invoice, amount=Decimal("50"), date=invoice.issue_date)
    invoice.refresh_from_db()
    assert invoice.payment_status == "partially_paid"
