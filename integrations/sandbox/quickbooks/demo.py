"""The two demo companies, created on first use (idempotent; safe under concurrent first calls).

A US company on Automated Sales Tax (lines say TAX / NON, the rate comes from the transaction's tax code) and a
UK company with VAT codes per line (20.0% S, 0.0% Z, Exempt), each with customers, a vendor and an employee
(DisplayName is unique across the three), service items with income accounts, and terms.
"""

from django.db import IntegrityError, transaction

from ..kit.clock import now_ms
from .models import QboCompany, QboEntity
from .store import money

US_REALM_ID = "9341456000000101"
UK_REALM_ID = "9341456000000202"

_INCOME = {"value": "79", "name": "Services"}

COMPANIES = [
    {
        "realm_id": US_REALM_ID,
        "name": "Sandbox Craft Studio Inc",
        "country": "US",
        "currency": "USD",
        "currency_name": "United States Dollar",
        "timezone": "America/Los_Angeles",
        "address": {
            "Line1": "123 Sierra Way",
            "City": "San Pablo",
            "CountrySubDivisionCode": "CA",
            "PostalCode": "87999",
            "Country": "US",
        },
        "tax_rates": [("1", "CA State Sales Tax", "8.25")],
        "tax_codes": [
            # (Id, Name, Description, Taxable, sales rate ids)
            ("TAX", "TAX", "TAX", True, []),
            ("NON", "NON", "NON", False, []),
            ("2", "California", "California sales tax (AST)", True, ["1"]),
        ],
        "items": [("Design", "Design work, per hour", "150"), ("Hosting", "Managed hosting, per month", "40")],
        "customers": [("Acme Widgets Inc", "ap@acme-widgets.example"), ("Blue Harbor Media", "pay@blueharbor.example")],
        "vendor": "Printing Partners",
        "employee": ("Emily", "Platt"),
    },
    {
        "realm_id": UK_REALM_ID,
        "name": "Sandbox Studio Ltd",
        "country": "GB",
        "currency": "GBP",
        "currency_name": "British Pound Sterling",
        "timezone": "Europe/London",
        "address": {"Line1": "1 Shoreditch High St", "City": "London", "PostalCode": "E1 6JE", "Country": "GB"},
        "tax_rates": [("3", "20.0% S", "20"), ("4", "0.0% Z", "0")],
        "tax_codes": [
            ("5", "20.0% S", "Standard rated sales", True, ["3"]),
            ("6", "0.0% Z", "Zero rated sales", True, ["4"]),
            ("7", "Exempt", "Exempt sales", False, []),
        ],
        "items": [("Consulting", "Consulting, per hour", "95"), ("Design day", "Design work, per day", "650")],
        "customers": [("Thames Digital Ltd", "accounts@thames.example"), ("Kestrel Print", "bills@kestrel.example")],
        "vendor": "Office Supplies Co",
        "employee": ("Oliver", "Hughes"),
    },
]

TERMS = [("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30)]


def demo_companies_ensure() -> list[QboCompany]:
    companies = []
    for spec in COMPANIES:
        company = QboCompany.objects.filter(realm_id=spec["realm_id"]).first()
        if company is None:
            try:
                with transaction.atomic():
                    company = _company_create(spec)
            except IntegrityError:  # another process created it first
                company = QboCompany.objects.get(realm_id=spec["realm_id"])
        companies.append(company)
    return companies


def company_address(company: QboCompany) -> dict:
    return next(spec["address"] for spec in COMPANIES if spec["realm_id"] == company.realm_id)


def currency_ref(company: QboCompany) -> dict:
    name = next((spec["currency_name"] for spec in COMPANIES if spec["realm_id"] == company.realm_id), "")
    return {"value": company.currency, "name": name}


def _company_create(spec: dict) -> QboCompany:
    now = now_ms()
    company = QboCompany.objects.create(
        realm_id=spec["realm_id"],
        name=spec["name"],
        country=spec["country"],
        currency=spec["currency"],
        timezone=spec["timezone"],
        created_at=now,
    )
    counter = iter(range(1, 10_000))

    def add(entity: str, body: dict, entity_id: str = "") -> None:
        QboEntity.objects.create(
            company=company,
            entity=entity,
            entity_id=entity_id or str(next(counter) + 100),
            body=body,
            created_at=now,
            updated_at=now,
        )

    for rate_id, name, value in spec["tax_rates"]:
        add(
            "TaxRate",
            {
                "Name": name,
                "Description": name,
                "Active": True,
                "RateValue": money(value),
                "AgencyRef": {"value": "1"},
                "SpecialTaxType": "NONE",
                "DisplayType": "ReadOnly",
            },
            rate_id,
        )
    for code_id, name, description, taxable, rate_ids in spec["tax_codes"]:
        details = [{"TaxRateRef": {"value": r}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0} for r in rate_ids]
        add(
            "TaxCode",
            {
                "Name": name,
                "Description": description,
                "Active": True,
                "Hidden": False,
                "Taxable": taxable,
                "TaxGroup": len(rate_ids) > 1,
                "SalesTaxRateList": {"TaxRateDetail": details},
                "PurchaseTaxRateList": {"TaxRateDetail": []},
            },
            code_id,
        )
    for name, days in TERMS:
        add("Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days})
    for name, description, price in spec["items"]:
        add(
            "Item",
            {
                "Name": name,
                "Description": description,
                "Active": True,
                "FullyQualifiedName": name,
                "Taxable": spec["country"] == "US",
                "UnitPrice": money(price),
                "Type": "Service",
                "IncomeAccountRef": _INCOME,
                "TrackQtyOnHand": False,
            },
        )
    for name, email in spec["customers"]:
        add(
            "Customer",
            {
                "DisplayName": name,
                "CompanyName": name,
                "PrintOnCheckName": name,
                "Active": True,
                "PrimaryEmailAddr": {"Address": email},
                "Balance": 0,
                "Taxable": spec["country"] == "US",
                "CurrencyRef": {"value": spec["currency"], "name": spec["currency_name"]},
            },
        )
    add("Vendor", {"DisplayName": spec["vendor"], "CompanyName": spec["vendor"], "Active": True, "Balance": 0})
    given, family = spec["employee"]
    add("Employee", {"DisplayName": f"{given} {family}", "GivenName": given, "FamilyName": family, "Active": True})
    company.next_entity_id = next(counter) + 100
    company.save(update_fields=["next_entity_id"])
    return company
