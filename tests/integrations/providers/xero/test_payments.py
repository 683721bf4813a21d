"""Xero Payment JSON → RemotePaymentRecord, with the spec's own example page when the spec is available."""

import datetime
import json
from decimal import Decimal

import pytest
import yaml

from integrations.exceptions import TransientError
from integrations.providers.base import FEED_CURSOR, PaymentAllocation
from integrations.providers.xero.payments import (
    XERO_PAYMENT_FEED,
    parse_date,
    parse_datetime,
    payment_from_json,
    payments_from_json,
)
from tests.provider_specs import PROVIDER_SPECS_DIR

SPEC = PROVIDER_SPECS_DIR / "xero" / "xero_accounting.yaml"
UTC = datetime.UTC


def payment_json(**overrides):
    data = {
        "PaymentID": "99ea7f6b-c513-4066-bc27-b7c65dcd76c2",
        "Date": "/Date(1552262400000+0000)/",
        "Amount": 46.10,
        "Reference": "Bank transfer",
        "Status": "AUTHORISED",
        "PaymentType": "ACCRECPAYMENT",
        "UpdatedDateUTC": "/Date(1541176592690+0000)/",
        "Invoice": {"InvoiceID": "046d8a6d-1ae1-4b4d-9340-5601bdf41b87", "CurrencyCode": "NZD"},
    }
    data.update(overrides)
    return data


def test_payment_record_from_xero_json():
    record = payment_from_json(payment_json())

    assert record.id == "99ea7f6b-c513-4066-bc27-b7c65dcd76c2"
    assert record.allocations == (
        PaymentAllocation(amount=Decimal("46.1"), document_id="046d8a6d-1ae1-4b4d-9340-5601bdf41b87"),
    )
    assert record.amount == Decimal("46.1") and isinstance(record.amount, Decimal)
    assert record.currency == "NZD"
    assert record.date == datetime.date(2019, 3, 11)
    assert record.reference == "Bank transfer"
    assert record.deleted is False
    assert record.updated_at == datetime.datetime(2018, 11, 2, 16, 36, 32, 690000, tzinfo=UTC)


def test_amounts_parsed_from_json_text_stay_exact():
    body = json.loads(
        '{"Payments": [{"PaymentID": "p", "Amount": 0.1, "Status": "AUTHORISED", "Invoice": {"InvoiceID": "i"}}]}'
    )
    assert payments_from_json(body)[0].amount == Decimal("0.1")
    decimal_body = json.loads('{"Amount": 1234567.89}', parse_float=Decimal)
    record = payment_from_json({"PaymentID": "p", "Invoice": {"InvoiceID": "i"}, **decimal_body})
    assert record.amount == Decimal("1234567.89")


def test_deleted_status_marks_the_record_deleted():
    record = payment_from_json(payment_json(Status="DELETED"))
    assert record.deleted is True and len(record.allocations) == 1  # Xero's deleted payments keep their invoice


def test_xero_declares_a_cursor_feed_without_edits_or_splits():
    from integrations import registry

    feed = registry.get("xero").payment_feed
    assert feed is XERO_PAYMENT_FEED
    assert (feed.kind, feed.edits, feed.splits) == (FEED_CURSOR, False, False) and "deletes" in feed.note


def test_iso_dates_and_missing_invoice():
    record = payment_from_json(
        payment_json(Date="2019-03-11T00:00:00", UpdatedDateUTC="2019-03-05T18:59:06", Invoice=None)
    )
    assert record.date == datetime.date(2019, 3, 11)
    assert record.updated_at == datetime.datetime(2019, 3, 5, 18, 59, 6, tzinfo=UTC)
    assert record.allocations == ()  # nothing of ours to pay: a payment on no invoice is ignored


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1552262400000+0000)/", datetime.datetime(2019, 3, 11, tzinfo=UTC)),
        ("/Date(1552262400000+1300)/", datetime.datetime(2019, 3, 11, tzinfo=UTC)),
        ("/Date(1552262400000)/", datetime.datetime(2019, 3, 11, tzinfo=UTC)),
        ("2019-03-11T12:00:00Z", datetime.datetime(2019, 3, 11, 12, tzinfo=UTC)),
        ("2019-03-11T13:00:00+01:00", datetime.datetime(2019, 3, 11, 12, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_parse_datetime(text, expected):
    assert parse_datetime(text) == expected


def test_unreadable_values_are_transient_errors_not_crashes():
    with pytest.raises(TransientError):
        parse_date("next tuesday")
    with pytest.raises(TransientError):
        payment_from_json(payment_json(Amount="lots"))


def test_spec_example_page():
    if not SPEC.exists():
        pytest.skip(f"Xero OpenAPI spec not available at {SPEC}")
    spec = yaml.safe_load(SPEC.read_text())
    example = spec["paths"]["/Payments"]["get"]["responses"]["200"]["content"]["application/json"]["example"]

    records = payments_from_json(example)

    assert [r.id for r in records] == [
        "99ea7f6b-c513-4066-bc27-b7c65dcd76c2",
        "6b037c9b-2e5d-4905-84d3-eabfb3438242",
    ]
    assert records[0].amount == Decimal("46.00") and records[0].allocations[0].document_id.startswith("046d8a6d")
    assert records[0].date == datetime.date(2018, 11, 29)
    assert records[1].reference == "Too much" and records[1].currency == "NZD"
