"""Xero's `where` filter as the sandbox understands it."""

import pytest

from integrations.sandbox.xero.where import WhereError, compile_where

INVOICE = {
    "Type": "ACCREC",
    "Status": "AUTHORISED",
    "Reference": 'Job "7" \\ north',
    "AmountDue": 70.0,
    "Date": "/Date(1793491200000+0000)/",
    "Contact": {"ContactID": "4f6a1b7e-2c3d-4e5f-8a9b-0c1d2e3f4a51", "Name": "Acme Widgets Ltd"},
    "HasErrors": False,
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('Type=="ACCREC" AND Status=="AUTHORISED"', True),
        ('Type == "accrec"', True),
        ('Status=="DRAFT" OR Status=="AUTHORISED"', True),
        ('Status=="DRAFT" || AmountDue>100', False),
        ("AmountDue>=70 && AmountDue<70.01", True),
        ('Reference=="Job \\"7\\" \\\\ north"', True),
        ('Contact.ContactID==guid("4F6A1B7E-2C3D-4E5F-8A9B-0C1D2E3F4A51")', True),
        ('Contact.Name.Contains("widget")', True),
        ('Contact.Name.StartsWith("Blue")', False),
        ("Date>=DateTime(2026, 11, 01)", True),
        ("Date<DateTime(2026,11,1)", False),
        ("HasErrors==false", True),
        ('Status!="VOIDED"', True),
        ('Missing=="x"', False),
    ],
)
def test_expressions(expression, expected):
    assert compile_where(expression)(INVOICE) is expected


def test_empty_is_no_filter_and_garbage_is_an_error():
    assert compile_where("  ") is None
    for bad in ("Status=AUTHORISED", "Status==", "Status==AUTHORISED"):
        with pytest.raises(WhereError):
            compile_where(bad)
