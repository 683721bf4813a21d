"""e-conomic documents in the sandbox: lookups, numbers, money on the wire, and the links added when answered."""

import copy
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from ..kit.clock import now_ms
from .models import EcoAgreement, EcoDocument, EcoPayment

# Properties that hold amounts (kept as decimal strings in bodies, answered as JSON numbers).
NUMBERS = {
    "amount",
    "amountInBaseCurrency",
    "netAmount",
    "netAmountInBaseCurrency",
    "grossAmount",
    "grossAmountInBaseCurrency",
    "vatAmount",
    "roundingAmount",
    "marginInBaseCurrency",
    "marginPercentage",
    "costPriceInBaseCurrency",
    "remainder",
    "remainderInBaseCurrency",
    "exchangeRate",
    "quantity",
    "unitNetPrice",
    "discountPercentage",
    "unitCostPrice",
    "vatRate",
    "totalNetAmount",
    "balance",
    "dueAmount",
    "costPrice",
    "recommendedPrice",
    "salesPrice",
}
CENT = Decimal("0.01")
DRAFT_HIDDEN = ("vatRate", "vatAmount", "totalNetAmount")


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def wire(value):
    """A stored body as JSON: decimal strings of NUMBERS become numbers, everything else is kept."""
    if isinstance(value, dict):
        return {k: (float(Decimal(v)) if k in NUMBERS and isinstance(v, str) else wire(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(item) for item in value]
    return value


def timestamp() -> str:
    return timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def agreement_of(agreement_number) -> EcoAgreement | None:
    if not str(agreement_number).isdigit():
        return None
    return EcoAgreement.objects.filter(agreement_number=int(agreement_number)).first()


def documents(agreement: EcoAgreement, kind: str):
    return EcoDocument.objects.filter(agreement=agreement, kind=kind)


def find(agreement: EcoAgreement, kind: str, number) -> EcoDocument | None:
    return documents(agreement, kind).filter(number=str(number)).first()


def create(agreement: EcoAgreement, kind: str, number, body: dict) -> EcoDocument:
    now = now_ms()
    return EcoDocument.objects.create(
        agreement=agreement, kind=kind, number=str(number), body=body, created_at=now, updated_at=now
    )


def save(row: EcoDocument, body: dict) -> EcoDocument:
    row.body, row.updated_at = body, now_ms()
    row.save(update_fields=["body", "updated_at"])
    return row


def paid_total(agreement: EcoAgreement, booked_number: int) -> Decimal:
    paid = EcoPayment.objects.filter(
        agreement=agreement, booked_invoice_number=booked_number, reversed_at__isnull=True
    ).aggregate(total=Sum("amount"))["total"]
    return cents(paid or 0)


def remainder(agreement: EcoAgreement, booked: EcoDocument) -> Decimal:
    return cents(booked.body["grossAmount"]) - paid_total(agreement, int(booked.number))


def _ref(base: str, target: dict | None, key: str, path: str) -> None:
    if isinstance(target, dict) and key in target:
        target["self"] = f"{base}/{path}/{target[key]}"


def paid_totals(agreement: EcoAgreement) -> dict[int, Decimal]:
    """Payments not reversed, per booked invoice number (one query for a whole collection)."""
    rows = (
        EcoPayment.objects.filter(agreement=agreement, reversed_at__isnull=True)
        .values("booked_invoice_number")
        .annotate(total=Sum("amount"))
    )
    return {row["booked_invoice_number"]: cents(row["total"]) for row in rows}


def render(row: EcoDocument, base: str, *, in_collection: bool = False, paid: dict | None = None) -> dict:
    """The document as e-conomic answers it: the stored body as JSON plus its links (and a booked invoice's
    remainder: its gross amount less the payments not reversed, `paid` by invoice number)."""
    stored = copy.deepcopy(row.body)
    if row.kind == "invoices/booked":
        paid = paid if paid is not None else paid_totals(row.agreement)
        left = cents(stored["grossAmount"]) - paid.get(int(row.number), Decimal(0))
        stored["remainder"] = str(left)
        stored["remainderInBaseCurrency"] = str(cents(left * Decimal(stored["exchangeRate"]) / 100))
    body = wire(stored)
    kind, number = row.kind, row.number
    link = f"{base}/{kind}/{number}"
    if kind == "customers":
        for key, path, field in (
            ("paymentTerms", "payment-terms", "paymentTermsNumber"),
            ("customerGroup", "customer-groups", "customerGroupNumber"),
            ("vatZone", "vat-zones", "vatZoneNumber"),
            ("layout", "layouts", "layoutNumber"),
        ):
            _ref(base, body.get(key), field, path)
        body["contacts"] = f"{link}/contacts"
        body["templates"] = {
            "invoice": f"{link}/templates/invoice",
            "invoiceLine": f"{link}/templates/invoiceline",
            "self": f"{link}/templates",
        }
        body["totals"] = {
            "drafts": f"{base}/invoices/totals/drafts/customers/{number}",
            "booked": f"{base}/invoices/totals/booked/customers/{number}",
            "self": f"{link}/totals",
        }
        body["deliveryLocations"] = f"{link}/delivery-locations"
        body["invoices"] = {
            "drafts": f"{link}/invoices/drafts",
            "booked": f"{link}/invoices/booked",
            "self": f"{link}/invoices",
        }
    elif kind == "products":
        group = body.get("productGroup", {})
        group_link = f"{base}/product-groups/{group.get('productGroupNumber')}"
        group.update({"salesAccounts": f"{group_link}/sales-accounts", "products": f"{group_link}/products"})
        group["self"] = group_link
        if "unit" in body:
            unit_link = f"{base}/units/{body['unit']['unitNumber']}"
            body["unit"].update({"products": f"{unit_link}/products", "self": unit_link})
        body["invoices"] = {
            "drafts": f"{link}/invoices/drafts",
            "booked": f"{link}/invoices/booked",
            "self": f"{link}/invoices",
        }
        body["pricing"] = {"currencySpecificSalesPrices": f"{link}/pricing/currency-specific-sales-prices"}
    elif kind == "customer-groups":
        account = body.get("account")
        if account:
            account_link = f"{base}/accounts/{account['accountNumber']}"
            account.update({"accountingYears": f"{account_link}/accounting-years", "self": account_link})
        body["customers"] = f"{link}/customers"
    elif kind.startswith("invoices/"):
        _invoice_links(body, base, link, draft=kind == "invoices/drafts")
        if in_collection:
            body.pop("lines", None)
    body["self"] = link
    return body


def _invoice_links(body: dict, base: str, link: str, *, draft: bool) -> None:
    _ref(base, body.get("paymentTerms"), "paymentTermsNumber", "payment-terms")
    _ref(base, body.get("customer"), "customerNumber", "customers")
    _ref(base, body.get("recipient", {}).get("vatZone"), "vatZoneNumber", "vat-zones")
    _ref(base, body.get("layout"), "layoutNumber", "layouts")
    for line in body.get("lines", []):
        if draft:  # a draft's lines show no VAT or line total (kept for booking); a booked invoice's do
            for key in DRAFT_HIDDEN:
                line.pop(key, None)
        _ref(base, line.get("product"), "productNumber", "products")
        if "unit" in line:
            unit_link = f"{base}/units/{line['unit']['unitNumber']}"
            line["unit"].update({"products": f"{unit_link}/products", "self": unit_link})
    body["pdf"] = {"download": f"{link}/pdf"}
    if draft:
        body["templates"] = {
            "bookingInstructions": f"{link}/templates/booking-instructions",
            "self": f"{link}/templates",
        }
        body["attachment"] = f"{link}/attachment"
    else:
        body["sent"] = f"{link}/sent"
