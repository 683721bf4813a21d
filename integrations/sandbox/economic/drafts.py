"""Draft invoices: the POST / PUT payload checked as e-conomic checks it, and the amounts it computes.

Required: currency, customer, date, layout, paymentTerms, recipient, recipient.name, recipient.vatZone (and
dueDate for payment terms of type dueDate). A line's VAT is the agreement's rate when the recipient's VAT zone is
Domestic and the line's product is in a VAT-liable product group (a line without a product counts as liable);
other zones and VAT-free groups give 0. Amounts are rounded to cents per line.
"""

import calendar
import datetime as dt
from decimal import Decimal

from .demo import VAT_LIABLE_GROUPS
from .errors import MISSING, MISSING_REFERENCE, NO_PRODUCT_ID, NOT_VALID, QUANTITY_REQUIRED, Invalid
from .models import EcoAgreement
from .refs import RATES_IN_DKK, amount_value, date_value, exchange_rate, identifier, referenced, text_value
from .store import cents, find, timestamp

DOMESTIC = 1


def _due_date(terms: dict, date: dt.date, given: dt.date | None) -> dt.date:
    days = terms.get("daysOfCredit", 0)
    kind = terms["paymentTermsType"]
    if kind == "dueDate":
        return given
    if kind == "invoiceMonth":
        month_end = date.replace(day=calendar.monthrange(date.year, date.month)[1])
        return month_end + dt.timedelta(days=days)
    if kind in ("prepaid", "paidInCash"):
        return date
    return date + dt.timedelta(days=days)


def _given_rate(errors: Invalid, raw) -> Decimal | None:
    """exchangeRate, units of base currency per 100 of the invoice currency; e-conomic's own rate when absent."""
    if raw is None:
        return None
    try:
        rate = Decimal(str(raw))
    except ArithmeticError:
        rate = None
    if rate is None or not rate.is_finite() or rate <= 0:
        errors.add("exchangeRate", NOT_VALID, "exchangeRate must be a positive number.", value=raw)
        return None
    return rate.quantize(Decimal("0.000001"))


def _line(agreement: EcoAgreement, errors: Invalid, index: int, line, zone: int) -> dict | None:
    if not isinstance(line, dict):
        errors.add("line", NOT_VALID, "A line must be an object.", line=index)
        return None
    product_row = None
    if "product" in line:
        number = identifier(line["product"], "productNumber")
        if number is None:
            errors.add(
                "product",
                NO_PRODUCT_ID,
                "No identifiers present on product. Please include either a self link or a productNumber.",
                hint="Find a list of resources at /products.",
                line=index,
            )
        else:
            product_row = find(agreement, "products", number)
            if product_row is None:
                errors.add("product", MISSING_REFERENCE, "product does not exist.", value=number, line=index)
        if line.get("quantity") is None:
            errors.add(
                "quantity", QUANTITY_REQUIRED, "Property quantity must have a value when product is set.", line=index
            )
    if "unit" in line and identifier(line["unit"], "unitNumber") not in (1, "1"):
        errors.add(
            "unit", MISSING_REFERENCE, "unit does not exist.", value=identifier(line["unit"], "unitNumber"), line=index
        )
    product = product_row.body if product_row else {}
    quantity = amount_value(errors, line.get("quantity"), "quantity", line=index, default=Decimal(0))
    price = amount_value(errors, line.get("unitNetPrice"), "unitNetPrice", line=index, default=None)
    discount = amount_value(
        errors, line.get("discountPercentage"), "discountPercentage", line=index, default=Decimal(0)
    )
    description = text_value(errors, line, "description", 2500, line=index) or product.get("name", "")
    if quantity is None or discount is None or (price is None and "unitNetPrice" in line):
        return None
    price = price if price is not None else Decimal(product.get("salesPrice", "0"))
    cost = Decimal(product.get("costPrice", "0"))
    total = cents(quantity * price * (100 - discount) / 100)
    liable = not product or product["productGroup"]["productGroupNumber"] in VAT_LIABLE_GROUPS
    rate = agreement.vat_rate if zone == DOMESTIC and liable else Decimal(0)
    body = {"lineNumber": index + 1, "sortKey": line.get("sortKey", index + 1), "description": description}
    if product_row:
        body["product"] = {"productNumber": product["productNumber"]}
        body["unit"] = {"unitNumber": 1, "name": product.get("unit", {}).get("name", "stk.")}
    body.update(
        {
            "quantity": str(quantity),
            "unitNetPrice": str(cents(price)),
            "discountPercentage": str(cents(discount)),
            "unitCostPrice": str(cents(cost)),
            "vatRate": str(cents(rate)),
            "vatAmount": str(cents(total * rate / 100)),
            "totalNetAmount": str(total),
            "marginInBaseCurrency": str(cents(total - quantity * cost)),
            "marginPercentage": str(cents((total - quantity * cost) * 100 / total) if total else Decimal("0.00")),
        }
    )
    return body


def _texts(errors: Invalid, given, prefix: str, limits: tuple) -> dict:
    """The optional text properties of an object (recipient, notes) that are set."""
    found = {}
    for key, limit in limits:
        value = text_value(errors, given, key, limit, path=f"{prefix}.{key}")
        if value:
            found[key] = value
    return found


def _recipient(agreement: EcoAgreement, errors: Invalid, payload: dict) -> tuple[dict, object]:
    given = payload.get("recipient")
    if not isinstance(given, dict):
        errors.add("recipient", MISSING, "Property recipient is required.")
        return {}, None
    name = text_value(errors, given, "name", 250, required=True, path="recipient.name")
    zone = referenced(agreement, errors, payload, "recipient.vatZone", "vat-zones", "vatZoneNumber")
    limits = (("address", 250), ("zip", 50), ("city", 250), ("country", 50), ("ean", 13))
    recipient = {"name": name, **_texts(errors, given, "recipient", limits)}
    if zone is not None:
        recipient["vatZone"] = dict(zone.body)
    return recipient, zone


def draft_body(agreement: EcoAgreement, payload, draft_number: int) -> dict:
    """The stored draft for a POST / PUT payload, or Invalid with e-conomic's annotated errors."""
    errors = Invalid()
    if not isinstance(payload, dict):
        raise errors.add("invoice", NOT_VALID, "The request body must be a JSON object.")
    currency = payload.get("currency")
    if currency in (None, ""):
        errors.add("currency", MISSING, "Property currency is required.")
    elif currency not in RATES_IN_DKK:
        errors.add("currency", MISSING_REFERENCE, "currency does not exist.", value=currency, hint="See /currencies.")
    customer = referenced(agreement, errors, payload, "customer", "customers", "customerNumber")
    date = date_value(errors, payload, "date", required=True)
    layout = referenced(agreement, errors, payload, "layout", "layouts", "layoutNumber")
    terms = referenced(agreement, errors, payload, "paymentTerms", "payment-terms", "paymentTermsNumber")
    recipient, zone = _recipient(agreement, errors, payload)
    given_due = date_value(
        errors, payload, "dueDate", required=bool(terms and terms.body["paymentTermsType"] == "dueDate")
    )
    lines_in = payload.get("lines", [])
    if not isinstance(lines_in, list):
        errors.add("lines", NOT_VALID, "lines must be an array.")
        lines_in = []
    zone_number = zone.body["vatZoneNumber"] if zone else DOMESTIC
    lines = [_line(agreement, errors, index, line, zone_number) for index, line in enumerate(lines_in)]
    other = text_value(errors, payload.get("references") or {}, "other", 250, path="references.other")
    notes = _texts(
        errors, payload.get("notes") or {}, "notes", (("heading", 250), ("textLine1", 1000), ("textLine2", 1000))
    )
    given_rate = _given_rate(errors, payload.get("exchangeRate"))
    if errors:
        raise errors
    rate = given_rate or exchange_rate(currency, agreement.currency)
    if currency == agreement.currency:
        rate = Decimal(100)
    net = sum((Decimal(line["totalNetAmount"]) for line in lines), Decimal(0))
    vat = sum((Decimal(line["vatAmount"]) for line in lines), Decimal(0))
    cost = sum((Decimal(line["quantity"]) * Decimal(line["unitCostPrice"]) for line in lines), Decimal(0))
    net_base = cents(net * rate / 100)
    margin = net_base - cents(cost)
    body = {
        "draftInvoiceNumber": draft_number,
        "soap": {"currentInvoiceHandle": {"id": draft_number}},
        "date": date.isoformat(),
        "currency": currency,
        "exchangeRate": str(rate),
        "netAmount": str(cents(net)),
        "netAmountInBaseCurrency": str(net_base),
        "grossAmount": str(cents(net + vat)),
        "grossAmountInBaseCurrency": str(cents((net + vat) * rate / 100)),
        "marginInBaseCurrency": str(margin),
        "marginPercentage": str(cents(margin * 100 / net_base) if net_base else Decimal("0.00")),
        "vatAmount": str(cents(vat)),
        "roundingAmount": "0.00",
        "costPriceInBaseCurrency": str(cents(cost)),
        "dueDate": _due_date(terms.body, date, given_due).isoformat(),
        "paymentTerms": dict(terms.body),
        "customer": {"customerNumber": customer.body["customerNumber"]},
        "recipient": recipient,
    }
    if notes:
        body["notes"] = notes
    if other:
        body["references"] = {"other": other}
    body["layout"] = {"layoutNumber": layout.body["layoutNumber"]}
    if lines:
        body["lines"] = lines
    body["lastUpdated"] = timestamp()
    return body
