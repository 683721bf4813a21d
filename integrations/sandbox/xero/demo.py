"""The two demo organisations, created on first use (idempotent; safe under concurrent first calls)."""

from decimal import Decimal

from django.db import IntegrityError, transaction

from ..kit.models import RateCounter
from ..models import XeroAccount, XeroContact, XeroItem, XeroOrg, XeroTaxRate
from .formats import now_ms

# Fixed tenant ids so a demo database, the README and the tests can name them.
TRADING_TENANT_ID = "4f6a1b7e-2c3d-4e5f-8a9b-0c1d2e3f4a51"
DESIGN_TENANT_ID = "9b8c7d6e-5f4a-4b3c-9d2e-1f0a9b8c7d62"

ORGS = [
    {
        "tenant_id": TRADING_TENANT_ID,
        "name": "Sandbox Trading Ltd",
        "legal_name": "Sandbox Trading Limited",
        "base_currency": "GBP",
        "country_code": "GB",
        "version": "UK",
        "timezone": "GMTSTANDARDTIME",
        "short_code": "!sbxGB",
        "tax_number": "GB123456789",
        "currencies": ["GBP", "EUR", "USD"],
        "accounts": [
            ("090", "Business Bank Account", "BANK", "NONE"),
            ("200", "Sales", "REVENUE", "OUTPUT2"),
            ("260", "Other Revenue", "REVENUE", "OUTPUT2"),
            ("270", "Interest Income", "REVENUE", "NONE"),
            ("400", "Advertising", "EXPENSE", "INPUT2"),
            ("429", "General Expenses", "EXPENSE", "INPUT2"),
            ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2"),
            ("404", "Bank Fees", "OVERHEADS", "NONE"),
            ("461", "Printing & Stationery", "OVERHEADS", "INPUT2"),
            ("493", "Travel - National", "OVERHEADS", "INPUT2"),
            ("610", "Accounts Receivable", "CURRENT", "NONE"),
            ("800", "Accounts Payable", "CURRLIAB", "NONE"),
        ],
        "archived_accounts": [("210", "Old Sales (archived)", "REVENUE", "OUTPUT2")],
        "tax_rates": [
            ("OUTPUT2", "20% (VAT on Income)", "20", "OUTPUT", True, False),
            ("INPUT2", "20% (VAT on Expenses)", "20", "INPUT", False, True),
            ("RRINPUT", "5% (VAT on Expenses)", "5", "INPUT", False, True),
            ("ZERORATEDINPUT", "Zero Rated Expenses", "0", "INPUT", False, True),
            ("RROUTPUT", "5% (VAT on Income)", "5", "OUTPUT", True, False),
            ("ZERORATEDOUTPUT", "Zero Rated Income", "0", "OUTPUT", True, False),
            ("NONE", "No VAT", "0", "NONE", True, True),
        ],
        "items": [
            ("CONSULT", "Consulting hour", "Consulting, per hour", "95.00", "200", "OUTPUT2"),
            ("DESIGN", "Design day", "Design work, per day", "650.00", "200", "OUTPUT2"),
            ("HOSTING", "Hosting month", "Managed hosting, per month", "40.00", "260", "OUTPUT2"),
        ],
        "contacts": [
            ("Acme Widgets Ltd", "accounts@acme-widgets.example", True, False),
            ("Blue Harbour Media", "finance@blueharbour.example", True, False),
            ("Printing Partners", "billing@printing-partners.example", False, True),
        ],
    },
    {
        "tenant_id": DESIGN_TENANT_ID,
        "name": "Sandbox Design B.V.",
        "legal_name": "Sandbox Design B.V.",
        "base_currency": "EUR",
        "country_code": "NL",
        "version": "GLOBAL",
        "timezone": "WEUROPESTANDARDTIME",
        "short_code": "!sbxNL",
        "tax_number": "NL123456789B01",
        "currencies": ["EUR", "GBP", "USD"],
        "accounts": [
            ("090", "Zakelijke rekening", "BANK", "NONE"),
            ("200", "Omzet", "REVENUE", "OUTPUT"),
            ("260", "Overige opbrengsten", "REVENUE", "OUTPUT"),
            ("400", "Reclamekosten", "EXPENSE", "INPUT"),
            ("429", "Algemene kosten", "EXPENSE", "INPUT"),
            ("310", "Inkoopwaarde omzet", "DIRECTCOSTS", "INPUT"),
            ("404", "Bankkosten", "OVERHEADS", "NONE"),
            ("461", "Kantoorbenodigdheden", "OVERHEADS", "INPUT"),
        ],
        "archived_accounts": [],
        "tax_rates": [
            ("OUTPUT", "Hoog tarief (21%)", "21", "OUTPUT", True, False),
            ("OUTPUT3", "Laag tarief (9%)", "9", "OUTPUT", True, False),
            ("INPUT", "Voorbelasting hoog (21%)", "21", "INPUT", False, True),
            ("INPUT3", "Voorbelasting laag (9%)", "9", "INPUT", False, True),
            ("EXEMPTOUTPUT", "Vrijgesteld", "0", "EXEMPTOUTPUT", True, False),
            ("NONE", "Geen btw", "0", "NONE", True, True),
        ],
        "items": [
            ("UX", "UX-onderzoek", "UX research, per day", "720.00", "200", "OUTPUT"),
            ("LOGO", "Logo design", "Logo design, fixed price", "1500.00", "200", "OUTPUT"),
        ],
        "contacts": [
            ("Grachten Koffie B.V.", "administratie@grachtenkoffie.example", True, False),
            ("Noordzee Logistiek", "facturen@noordzee.example", True, False),
            ("Drukkerij Amstel B.V.", "facturen@drukkerij-amstel.example", False, True),
        ],
    },
]


def _create_org(spec: dict) -> XeroOrg:
    now = now_ms()
    org = XeroOrg.objects.create(
        tenant_id=spec["tenant_id"],
        **{key: spec[key] for key in ("name", "legal_name", "base_currency", "country_code", "version")},
        **{key: spec[key] for key in ("timezone", "short_code", "tax_number", "currencies")},
        created_at=now,
    )
    RateCounter.objects.create(provider="xero", tenant_key=str(org.tenant_id))
    for code, name, kind, tax_type in spec["accounts"]:
        XeroAccount.objects.create(
            org=org,
            code=code,
            name=name,
            type=kind,
            tax_type=tax_type,
            bank_account_number="20-00-00 12345678" if kind == "BANK" else "",
            updated_at=now,
        )
    for code, name, kind, tax_type in spec["archived_accounts"]:
        XeroAccount.objects.create(
            org=org, code=code, name=name, type=kind, tax_type=tax_type, status="ARCHIVED", updated_at=now
        )
    for tax_type, name, rate, report, revenue, expenses in spec["tax_rates"]:
        XeroTaxRate.objects.create(
            org=org,
            tax_type=tax_type,
            name=name,
            rate=Decimal(rate),
            report_tax_type=report,
            can_apply_to_revenue=revenue,
            can_apply_to_expenses=expenses,
        )
    for code, name, description, price, account, tax_type in spec["items"]:
        XeroItem.objects.create(
            org=org,
            code=code,
            name=name,
            description=description,
            unit_price=Decimal(price),
            account_code=account,
            tax_type=tax_type,
            updated_at=now,
        )
    for name, email, customer, supplier in spec["contacts"]:
        XeroContact.objects.create(
            org=org, name=name, email=email, is_customer=customer, is_supplier=supplier, updated_at=now
        )
    return org


def demo_orgs_ensure() -> list[XeroOrg]:
    """The demo organisations, creating any that are missing."""
    existing = set(XeroOrg.objects.values_list("tenant_id", flat=True))
    for spec in ORGS:
        if any(str(tenant_id) == spec["tenant_id"] for tenant_id in existing):
            continue
        try:
            with transaction.atomic():
                _create_org(spec)
        except IntegrityError:
            pass  # another process created it first
    return list(XeroOrg.objects.filter(tenant_id__in=[spec["tenant_id"] for spec in ORGS]).order_by("name"))
