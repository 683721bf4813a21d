"""Invoices as QuickBooks keeps them: lines on items, sales tax (US: TAX/NON + the transaction's tax code; UK:
a VAT code per line), DocNumber rules, sparse updates under SyncToken, void and delete, Balance from payments."""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from .demo import currency_ref
from .faults import EntityInvalid, invalid_reference, not_found, required, stale
from .models import QboCompany, QboEntity
from .store import entity_create, entity_delete, entity_save, find, live, money

DOC_NUMBER_MAX = 21
WRITABLE = (
    "CustomerRef",
    "DocNumber",
    "TxnDate",
    "DueDate",
    "SalesTermRef",
    "CurrencyRef",
    "ExchangeRate",
    "CustomerMemo",
    "PrivateNote",
    "BillEmail",
    "BillAddr",
    "GlobalTaxCalculation",
    "Line",
    "TxnTaxDetail",
    "EmailStatus",
)


def _decimal(value, element: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise EntityInvalid(
            "2010", "Request has invalid or unsupported property", f"{element} is not a number", element
        ) from exc


def _date(value, element: str) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise EntityInvalid(
            "2010", "Request has invalid or unsupported property", f"{element} must be a date (yyyy-MM-dd)", element
        ) from exc


def _ref_value(body: dict, name: str) -> str:
    ref = body.get(name)
    return str(ref.get("value", "")) if isinstance(ref, dict) else ""


def _tax_rate(company: QboCompany, code_id: str) -> Decimal:
    code = find(company, "TaxCode", code_id)
    if code is None:
        raise invalid_reference("TaxCodeRef", code_id)
    rate = Decimal(0)
    for detail in code.body.get("SalesTaxRateList", {}).get("TaxRateDetail", []):
        row = find(company, "TaxRate", detail["TaxRateRef"]["value"])
        rate += Decimal(row.body["RateValue"]) if row else 0
    return rate


def _lines(company: QboCompany, given: list) -> tuple[list[dict], Decimal, list[dict]]:
    """Checked lines (numbered, with a SubTotal line), their total, and the tax lines."""
    if not isinstance(given, list) or not given:
        raise required("Line")
    lines, subtotal, taxable_by_code = [], Decimal(0), {}
    for number, line in enumerate((x for x in given if x.get("DetailType") != "SubTotalLineDetail"), start=1):
        kind = line.get("DetailType")
        if kind == "DescriptionOnly":
            lines.append({**line, "Id": str(number), "LineNum": number})
            continue
        if kind != "SalesItemLineDetail":
            raise EntityInvalid(
                "2010",
                "Request has invalid or unsupported property",
                f"Property Name:DetailType {kind} is not supported on an invoice line",
                "DetailType",
            )
        detail = dict(line.get("SalesItemLineDetail") or {})
        item_id = _ref_value(detail, "ItemRef")
        if not item_id:
            raise required("ItemRef")
        if find(company, "Item", item_id) is None:
            raise invalid_reference("ItemRef", item_id)
        if "Amount" not in line:
            raise required("Amount")
        amount = _decimal(line["Amount"], "Amount")
        if "Qty" in detail and "UnitPrice" in detail:
            product = _decimal(detail["Qty"], "Qty") * _decimal(detail["UnitPrice"], "UnitPrice")
            if product.quantize(Decimal("0.01")) != amount.quantize(Decimal("0.01")):
                raise EntityInvalid(
                    "6070",
                    "Amount is not equal to UnitPrice * Qty",
                    f"Amount is not equal to UnitPrice * Qty. Supplied value:{line['Amount']}",
                    "Amount",
                )
        code = _ref_value(detail, "TaxCodeRef")
        if company.country == "US":
            code = code or "NON"
            if code not in ("TAX", "NON"):
                raise invalid_reference("TaxCodeRef", code)
        elif not code:
            raise EntityInvalid(
                "6000",
                "A business validation error has occurred while processing your request",
                "Business Validation Error: Make sure all your transactions have a VAT rate before you save.",
            )
        elif find(company, "TaxCode", code) is None:
            raise invalid_reference("TaxCodeRef", code)
        detail["TaxCodeRef"] = {"value": code}
        if "ServiceDate" in detail:
            detail["ServiceDate"] = _date(detail["ServiceDate"], "ServiceDate")
        taxable_by_code[code] = taxable_by_code.get(code, Decimal(0)) + amount
        subtotal += amount
        lines.append(
            {**line, "Id": str(number), "LineNum": number, "Amount": money(amount), "SalesItemLineDetail": detail}
        )
    lines.append({"Amount": money(subtotal), "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    return lines, subtotal, taxable_by_code


def _tax(company: QboCompany, body: dict, taxable_by_code: dict) -> dict:
    """TxnTaxDetail: US on the transaction's tax code over TAX lines; UK per line's VAT code, rounded per code."""
    tax_lines, total = [], Decimal(0)
    if company.country == "US":
        code_id = _ref_value(body.get("TxnTaxDetail") or {}, "TxnTaxCodeRef") or "2"
        groups = [(code_id, taxable_by_code.get("TAX", Decimal(0)))]
    else:
        code_id, groups = "", list(taxable_by_code.items())
    for code, base in groups:
        rate = _tax_rate(company, code)
        amount = (base * rate / 100).quantize(Decimal("0.01"))
        total += amount
        tax_lines.append(
            {
                "Amount": money(amount),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {
                    "TaxRateRef": {"value": code},
                    "PercentBased": True,
                    "TaxPercent": money(rate),
                    "NetAmountTaxable": money(base),
                },
            }
        )
    detail = {"TotalTax": money(total), "TaxLine": tax_lines}
    if code_id:
        detail = {"TxnTaxCodeRef": {"value": code_id}, **detail}
    return detail


def _due_date(company: QboCompany, body: dict, txn_date: str) -> str:
    if body.get("DueDate"):
        return _date(body["DueDate"], "DueDate")
    term_id = _ref_value(body, "SalesTermRef")
    term = find(company, "Term", term_id) if term_id else None
    if term_id and term is None:
        raise invalid_reference("SalesTermRef", term_id)
    days = term.body.get("DueDays", 0) if term else 0
    return (dt.date.fromisoformat(txn_date) + dt.timedelta(days=days)).isoformat()


def _doc_number(company: QboCompany, given, own_id: str = "") -> str | None:
    if given in (None, "", "AUTO_GENERATE"):
        if company.custom_txn_numbers and given != "AUTO_GENERATE":
            return None  # custom numbers on and none sent: the invoice stays unnumbered
        number = company.next_doc_number
        company.next_doc_number += 1
        company.save(update_fields=["next_doc_number"])
        return str(number)
    number = str(given)
    if len(number) > DOC_NUMBER_MAX:
        raise EntityInvalid(
            "2050",
            "String length is either shorter or longer than supported by specification",
            f"String length specified does not match the supported length. Min:0 Max:{DOC_NUMBER_MAX} "
            f"supported. Supplied length:{len(number)}",
            "DocNumber",
        )
    clash = live(company, "Invoice").filter(body__DocNumber=number).exclude(entity_id=own_id).first()
    if clash is not None:
        raise EntityInvalid(
            "6140",
            "Duplicate Document Number Error",
            f"Duplicate Document Number Error : You must specify a different number. This number has "
            f"already been used. DocNumber={number} is assigned to TxnType=Invoice with "
            f"TxnId={clash.entity_id}",
        )
    if number.isdigit() and int(number) >= company.next_doc_number:
        company.next_doc_number = int(number) + 1  # QBO's own sequence continues after the app's number
        company.save(update_fields=["next_doc_number"])
    return number


def _compose(company: QboCompany, body: dict, own_id: str = "", paid: Decimal = Decimal(0)) -> dict:
    customer_id = _ref_value(body, "CustomerRef")
    if not customer_id:
        raise required("CustomerRef")
    if find(company, "Customer", customer_id) is None:
        raise invalid_reference("CustomerRef", customer_id)
    currency = _ref_value(body, "CurrencyRef") or company.currency
    if currency != company.currency:
        raise EntityInvalid(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: Multicurrency is off for this company; "
            f"the transaction currency must be {company.currency}.",
            "CurrencyRef",
        )
    lines, subtotal, taxable = _lines(company, body.get("Line"))
    tax = _tax(company, body, taxable)
    txn_date = _date(body["TxnDate"], "TxnDate") if body.get("TxnDate") else timezone.localdate().isoformat()
    composed = {key: body[key] for key in WRITABLE if key in body}
    total = subtotal + Decimal(str(tax["TotalTax"]))
    composed.update(
        {
            "TxnDate": txn_date,
            "DueDate": _due_date(company, body, txn_date),
            "CurrencyRef": currency_ref(company),
            "Line": lines,
            "TxnTaxDetail": tax,
            "TotalAmt": money(total),
            "Balance": money(total - paid),
            "GlobalTaxCalculation": body.get("GlobalTaxCalculation")
            or ("NotApplicable" if company.country == "US" else "TaxExcluded"),
            "EmailStatus": body.get("EmailStatus", "NotSet"),
            "PrintStatus": "NotSet",
        }
    )
    composed.setdefault("LinkedTxn", [])
    number = _doc_number(company, body.get("DocNumber"), own_id)
    if number is None:
        composed.pop("DocNumber", None)
    else:
        composed["DocNumber"] = number
    return composed


def invoice_create(company: QboCompany, body: dict) -> QboEntity:
    if body.get("Id"):
        return invoice_update(company, body)
    return entity_create(company, "Invoice", _compose(company, body))


def _current(company: QboCompany, body: dict) -> QboEntity:
    if not body.get("Id"):
        raise required("Id")
    row = find(company, "Invoice", body["Id"])
    if row is None:
        raise not_found("Invoice", body["Id"])
    if str(body.get("SyncToken", "")) != str(row.sync_token):
        raise stale("Invoice")
    return row


def invoice_update(company: QboCompany, body: dict) -> QboEntity:
    """Full update replaces the writable fields; `sparse: true` changes only the fields sent."""
    row = _current(company, body)
    if row.body.get("PrivateNote") == "Voided" and row.body.get("TotalAmt") == 0:
        raise EntityInvalid(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: A voided transaction cannot be changed.",
        )
    given = {key: body[key] for key in WRITABLE if key in body}
    merged = {**row.body, **given} if body.get("sparse") else given
    if "DocNumber" not in given and "DocNumber" in row.body:
        merged["DocNumber"] = row.body["DocNumber"]  # keep its number (no new one from the sequence)
    paid = Decimal(str(row.body.get("TotalAmt", 0))) - Decimal(str(row.body.get("Balance", 0)))
    composed = _compose(company, merged, own_id=row.entity_id, paid=paid)
    composed["LinkedTxn"] = row.body.get("LinkedTxn", [])
    return entity_save(row, composed)


def invoice_void(company: QboCompany, body: dict) -> QboEntity:
    """Voided: amounts zero, lines kept at zero, PrivateNote 'Voided' (as QuickBooks shows it)."""
    row = _current(company, body)
    voided = dict(row.body)
    voided["Line"] = [{**line, "Amount": 0} for line in row.body.get("Line", [])]
    voided["TxnTaxDetail"] = {**row.body.get("TxnTaxDetail", {}), "TotalTax": 0, "TaxLine": []}
    voided.update({"TotalAmt": 0, "Balance": 0, "PrivateNote": "Voided"})
    return entity_save(row, voided)


def invoice_delete(company: QboCompany, body: dict) -> QboEntity:
    row = _current(company, body)
    if row.body.get("LinkedTxn"):
        raise EntityInvalid(
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: This transaction is linked to a payment; delete or unlink the payment first.",
        )
    return entity_delete(row)


def balance_refresh(company: QboCompany, invoice_ids: set[str]) -> list[QboEntity]:
    """Balance and LinkedTxn follow the live payments applied to each invoice (a change bumps its SyncToken)."""
    payments = list(live(company, "Payment"))
    changed = []
    for invoice_id in sorted(invoice_ids):
        row = find(company, "Invoice", invoice_id)
        if row is None:
            continue
        applied, linked = Decimal(0), []
        for payment in payments:
            for line in payment.body.get("Line", []):
                if any(t.get("TxnId") == invoice_id and t.get("TxnType") == "Invoice" for t in line["LinkedTxn"]):
                    applied += Decimal(str(line["Amount"]))
                    linked.append({"TxnId": payment.entity_id, "TxnType": "Payment"})
        body = {**row.body, "LinkedTxn": linked, "Balance": money(Decimal(str(row.body["TotalAmt"])) - applied)}
        if body != row.body:
            changed.append(entity_save(row, body))
    return changed
