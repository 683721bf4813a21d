"""The two demo agreements, created on first use (idempotent; safe under concurrent first calls).

A Danish agreement (DKK) and a Swedish one (SEK), both 25 % VAT on VAT-liable products for the Domestic VAT
zone, each with layouts, payment terms of several types, e-conomic's four VAT zones, customer groups, products in
VAT-liable and VAT-free product groups, and two customers.
"""

from django.db import IntegrityError, transaction

from ..kit.clock import now_ms
from .models import EcoAgreement, EcoDocument

DANISH_AGREEMENT, SWEDISH_AGREEMENT = 9100001, 9100002
VAT_LIABLE_GROUPS = {1, 3}  # "Varer m/moms", "Ydelser m/moms"
PRODUCT_GROUPS = {1: "Varer m/moms", 2: "Varer u/moms", 3: "Ydelser m/moms", 4: "Ydelser u/moms"}
VAT_ZONES = [(1, "Domestic", True), (2, "EU", True), (3, "Abroad", True), (4, "Domestic exempt VAT", False)]

AGREEMENTS = [
    {
        "agreement_number": DANISH_AGREEMENT,
        "name": "Sandbox Studio ApS",
        "country": "denmark",
        "currency": "DKK",
        "company": {"addressLine1": "Langebrogade 1", "zip": "1411", "city": "København K", "vat": "29403473"},
        "layouts": [(19, "DK. std. m. bankoplys. 1.5"), (21, "Eng. std. m. bankoplys. 1.5")],
        "terms": [
            (1, "Netto 8 dage", "net", 8),
            (2, "Netto 14 dage", "net", 14),
            (4, "Løbende måned 30 dage", "invoiceMonth", 30),
            (5, "Netto 30 dage", "net", 30),
            (7, "Forfaldsdato", "dueDate", None),
            (8, "Forudbetaling", "prepaid", None),
        ],
        "groups": [(1, "Danske kunder"), (2, "Udenlandske kunder")],
        "products": [
            ("1", "Designarbejde (time)", "950.00", "400.00", 3),
            ("2", "Hosting (måned)", "400.00", "120.00", 3),
            ("3", "Udlæg uden moms", "0.00", "0.00", 4),
        ],
        "customers": [
            (1, "Nordlys Media A/S", "faktura@nordlys.example", 1),
            (2, "Fjord Consulting ApS", "bogholderi@fjord.example", 1),
        ],
    },
    {
        "agreement_number": SWEDISH_AGREEMENT,
        "name": "Sandbox Konsult AB",
        "country": "sweden",
        "currency": "SEK",
        "company": {"addressLine1": "Drottninggatan 10", "zip": "111 51", "city": "Stockholm", "vat": "5567890123"},
        "layouts": [(1, "SE standard"), (2, "Eng. standard")],
        "terms": [
            (1, "Netto 10 dagar", "net", 10),
            (2, "Netto 30 dagar", "net", 30),
            (3, "Löpande månad 30 dagar", "invoiceMonth", 30),
            (4, "Förfallodatum", "dueDate", None),
        ],
        "groups": [(1, "Svenska kunder"), (2, "Utländska kunder")],
        "products": [
            ("100", "Konsulttimme", "1100.00", "500.00", 3),
            ("200", "Licens (månad)", "300.00", "50.00", 3),
            ("300", "Utlägg utan moms", "0.00", "0.00", 4),
        ],
        "customers": [
            (1, "Skärgård Design AB", "faktura@skargard.example", 1),
            (2, "Lindqvist & Co", "ekonomi@lindqvist.example", 1),
        ],
    },
]


def spec_of(agreement: EcoAgreement) -> dict:
    return next(spec for spec in AGREEMENTS if spec["agreement_number"] == agreement.agreement_number)


def demo_agreements_ensure() -> list[EcoAgreement]:
    agreements = []
    for spec in AGREEMENTS:
        agreement = EcoAgreement.objects.filter(agreement_number=spec["agreement_number"]).first()
        if agreement is None:
            try:
                with transaction.atomic():
                    agreement = _agreement_create(spec)
            except IntegrityError:  # another process created it first
                agreement = EcoAgreement.objects.get(agreement_number=spec["agreement_number"])
        agreements.append(agreement)
    return agreements


def vat_zone_body(number: int) -> dict:
    name, supplier = next((n, s) for z, n, s in VAT_ZONES if z == number)
    return {"name": name, "vatZoneNumber": number, "enabledForCustomer": True, "enabledForSupplier": supplier}


def _agreement_create(spec: dict) -> EcoAgreement:
    now = now_ms()
    agreement = EcoAgreement.objects.create(
        agreement_number=spec["agreement_number"],
        name=spec["name"],
        country=spec["country"],
        currency=spec["currency"],
        vat_rate="25.00",
        created_at=now,
    )

    def add(kind: str, number, body: dict) -> None:
        EcoDocument.objects.create(
            agreement=agreement, kind=kind, number=str(number), body=body, created_at=now, updated_at=now
        )

    for number, name in spec["layouts"]:
        add("layouts", number, {"layoutNumber": number, "name": name})
    for number, name, kind, days in spec["terms"]:
        body = {"paymentTermsNumber": number, "name": name, "paymentTermsType": kind}
        if days is not None:
            body = {"paymentTermsNumber": number, "daysOfCredit": days, "name": name, "paymentTermsType": kind}
        add("payment-terms", number, body)
    for number, _, _ in VAT_ZONES:
        add("vat-zones", number, vat_zone_body(number))
    for number, name in spec["groups"]:
        account = {
            "accountNumber": 5600,
            "accountType": "status",
            "balance": "0.00",
            "blockDirectEntries": False,
            "debitCredit": "debit",
            "name": "Debitorer",
        }
        add("customer-groups", number, {"customerGroupNumber": number, "name": name, "account": account})
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for number, name, price, cost, group in spec["products"]:
        body = {
            "productNumber": number,
            "name": name,
            "costPrice": cost,
            "recommendedPrice": price,
            "salesPrice": price,
            "lastUpdated": stamp,
            "productGroup": {"productGroupNumber": group, "name": PRODUCT_GROUPS[group]},
            "unit": {"unitNumber": 1, "name": "stk."},
        }
        add("products", number, body)
    for number, name, email, group in spec["customers"]:
        body = {
            "customerNumber": number,
            "currency": spec["currency"],
            "paymentTerms": {"paymentTermsNumber": spec["terms"][0][0]},
            "customerGroup": {"customerGroupNumber": group},
            "email": email,
            "balance": "0.00",
            "dueAmount": "0.00",
            "name": name,
            "vatZone": {"vatZoneNumber": 1},
            "lastUpdated": stamp,
        }
        add("customers", number, body)
    return agreement
