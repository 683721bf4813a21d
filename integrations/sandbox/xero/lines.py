"""Line items as Xero computes them: line amounts, per-line tax rounding, totals."""

import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ..models import XeroAccount, XeroItem, XeroOrg, XeroTaxRate

CENT = Decimal("0.01")
LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value, default: Decimal | None = None) -> Decimal | None:
    if value in (None, ""):
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@dataclass
class ComputedLines:
    lines: list[dict] = field(default_factory=list)
    sub_total: Decimal = Decimal("0.00")
    total_tax: Decimal = Decimal("0.00")
    total: Decimal = Decimal("0.00")
    errors: list[str] = field(default_factory=list)


def compute_lines(
    org: XeroOrg, raw_lines, line_amount_types: str, *, revenue: bool, require_accounts: bool, allow_discount: bool
) -> ComputedLines:
    """Validate and price the submitted lines; errors carry Xero's messages."""
    result = ComputedLines()
    if line_amount_types not in LINE_AMOUNT_TYPES:
        result.errors.append(f"LineAmountTypes '{line_amount_types}' is not valid.")
        return result
    if not isinstance(raw_lines, list):
        result.errors.append("LineItems must be a list.")
        return result
    accounts = {a.code: a for a in XeroAccount.objects.filter(org=org, status="ACTIVE")}
    tax_rates = {t.tax_type: t for t in XeroTaxRate.objects.filter(org=org, status="ACTIVE")}
    items = {i.code: i for i in XeroItem.objects.filter(org=org)}
    for raw in raw_lines:
        line = _line(raw if isinstance(raw, dict) else {}, accounts, tax_rates, items, line_amount_types, result.errors)
        if line is None:
            continue
        options = (revenue, require_accounts, allow_discount)
        _check_line(line, accounts, tax_rates, options, result.errors)
        result.lines.append(line)
    if result.errors:
        return result
    line_sum = sum((Decimal(line["LineAmount"]) for line in result.lines), Decimal("0.00"))
    tax_sum = sum((Decimal(line["TaxAmount"]) for line in result.lines), Decimal("0.00"))
    result.total_tax = _money(tax_sum)
    if line_amount_types == "Inclusive":
        result.total = _money(line_sum)
        result.sub_total = result.total - result.total_tax
    else:
        result.sub_total = _money(line_sum)
        result.total = result.sub_total + result.total_tax
    return result


def _line(raw: dict, accounts, tax_rates, items, line_amount_types, errors) -> dict | None:
    item = None
    item_code = raw.get("ItemCode") or ""
    if item_code:
        item = items.get(item_code)
        if item is None:
            errors.append(f"Item code '{item_code}' is not valid.")
            return None
    quantity = _decimal(raw.get("Quantity"), Decimal("1"))
    unit_amount = _decimal(raw.get("UnitAmount"), item.unit_price if item else Decimal("0"))
    discount = _decimal(raw.get("DiscountRate"), Decimal("0"))
    if quantity is None or unit_amount is None or discount is None:
        errors.append("Quantity, UnitAmount and DiscountRate must be numbers.")
        return None
    description = raw.get("Description") or (item.description if item else "")
    if not description and not item:
        errors.append("Description must be specified.")
    account_code = raw.get("AccountCode") or (item.account_code if item else "")
    account = accounts.get(account_code)
    tax_type = raw.get("TaxType") or (item.tax_type if item else "") or (account.tax_type if account else "")
    if line_amount_types == "NoTax":
        tax_type = "NONE"
    line_amount = _money(quantity * unit_amount * (Decimal("100") - discount) / Decimal("100"))
    rate = tax_rates[tax_type].rate if tax_type in tax_rates else Decimal("0")
    if line_amount_types == "Exclusive":
        tax = _money(line_amount * rate / Decimal("100"))
    elif line_amount_types == "Inclusive":
        tax = _money(line_amount * rate / (Decimal("100") + rate))
    else:
        tax = Decimal("0.00")
    line = {
        "LineItemID": raw.get("LineItemID") or str(uuid.uuid4()),
        "Description": description,
        "Quantity": str(quantity),
        "UnitAmount": str(unit_amount),
        "ItemCode": item_code or None,
        "AccountCode": account_code or None,
        "TaxType": tax_type or None,
        "TaxAmount": str(tax),
        "LineAmount": str(line_amount),
        "DiscountRate": str(discount) if discount else None,
        "Tracking": raw.get("Tracking") if isinstance(raw.get("Tracking"), list) else [],
    }
    if account is not None:
        line["AccountID"] = str(account.account_id)
    return line


def _check_line(line: dict, accounts, tax_rates, options, errors) -> None:
    revenue, require_accounts, allow_discount = options
    code = line["AccountCode"]
    if code and code not in accounts:
        errors.append(f"Account code '{code}' is not a valid code for this document.")
    elif not code and require_accounts:
        errors.append("Account code must be specified.")
    tax_type = line["TaxType"]
    if tax_type:
        rate = tax_rates.get(tax_type)
        usable = rate is not None and (rate.can_apply_to_revenue if revenue else rate.can_apply_to_expenses)
        if not usable:
            errors.append(
                f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
            )
    if line["DiscountRate"] and not allow_discount:
        errors.append("Discounts are only available on sales invoices.")


def round_unit_amounts(data: dict, places: int) -> dict:
    """Xero keeps 2 decimals of UnitAmount unless the request says unitdp=4."""
    lines = data.get("LineItems")
    if not isinstance(lines, list):
        return data
    exponent = Decimal(1).scaleb(-places)
    rounded = []
    for line in lines:
        amount = _decimal(line.get("UnitAmount")) if isinstance(line, dict) else None
        if amount is not None:
            line = {**line, "UnitAmount": str(amount.quantize(exponent, rounding=ROUND_HALF_UP))}
        rounded.append(line)
    return {**data, "LineItems": rounded}
