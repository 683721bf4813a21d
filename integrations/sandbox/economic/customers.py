"""Customers: POST /customers and PUT /customers/:customerNumber as e-conomic checks them (currency,
customerGroup, name, paymentTerms and vatZone required; on POST customerNumber is optional, at most 9 digits, else
the next free number is supplied; PUT replaces the whole document)."""

from .errors import MISSING, MISSING_REFERENCE, NOT_VALID, NUMBER_USED, Invalid
from .models import EcoAgreement, EcoDocument
from .refs import RATES_IN_DKK, referenced, text_value
from .store import create, documents, find, save, timestamp

MAX_CUSTOMER_NUMBER = 999_999_999


def customer_create(agreement: EcoAgreement, payload) -> EcoDocument:
    body = _customer_body(agreement, payload, None)
    return create(agreement, "customers", body["customerNumber"], body)


def customer_replace(agreement: EcoAgreement, row: EcoDocument, payload) -> EcoDocument:
    return save(row, _customer_body(agreement, payload, row))


def _customer_body(agreement: EcoAgreement, payload, existing: EcoDocument | None) -> dict:
    errors = Invalid()
    if not isinstance(payload, dict):
        raise errors.add("customer", NOT_VALID, "The request body must be a JSON object.")
    currency = payload.get("currency")
    if currency in (None, ""):
        errors.add("currency", MISSING, "Property currency is required.")
    elif currency not in RATES_IN_DKK:
        errors.add("currency", MISSING_REFERENCE, "currency does not exist.", value=currency)
    name = text_value(errors, payload, "name", 255, required=True)
    group = referenced(agreement, errors, payload, "customerGroup", "customer-groups", "customerGroupNumber")
    terms = referenced(agreement, errors, payload, "paymentTerms", "payment-terms", "paymentTermsNumber")
    zone = referenced(agreement, errors, payload, "vatZone", "vat-zones", "vatZoneNumber")
    optional = {
        key: text_value(errors, payload, key, limit)
        for key, limit in (
            ("email", 255),
            ("address", 510),
            ("zip", 30),
            ("city", 50),
            ("country", 50),
            ("corporateIdentificationNumber", 40),
            ("vatNumber", 20),
        )
    }
    number = int(existing.number) if existing else payload.get("customerNumber")
    if number is not None and existing is None:
        if isinstance(number, bool) or not str(number).isdigit() or not 1 <= int(number) <= MAX_CUSTOMER_NUMBER:
            errors.add(
                "customerNumber", NOT_VALID, "customerNumber must be a number of at most 9 digits.", value=number
            )
        elif find(agreement, "customers", int(number)) is not None:
            errors.add("customerNumber", NUMBER_USED, f"Customer number {number} is already in use.", value=number)
    if errors:
        raise errors
    if number is None:
        taken = [int(n) for n in documents(agreement, "customers").values_list("number", flat=True)]
        number = max(taken, default=0) + 1
    return {
        "customerNumber": int(number),
        "currency": currency,
        "paymentTerms": {"paymentTermsNumber": terms.body["paymentTermsNumber"]},
        "customerGroup": {"customerGroupNumber": group.body["customerGroupNumber"]},
        **{key: value for key, value in optional.items() if value},
        "balance": "0.00",
        "dueAmount": "0.00",
        "name": name,
        "vatZone": {"vatZoneNumber": zone.body["vatZoneNumber"]},
        "lastUpdated": timestamp(),
    }
