"""The demo's data: the logins, and per organization its subsidiaries, companies, budgets, tax rates and how many
invoices (of each kind), expenses and purchase orders it gets; the words the generated lines are made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..choices import Plan, Role

DEMO_ORGANIZATION = "Demo Agency"
OTHER_ORGANIZATION = "Other Agency"
RANDOM_SEED = 2026


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    organization: str
    role: str
    is_superuser: bool = False


DEMO_LOGINS = (
    DemoLogin("admin@demo.test", "demo-admin-pass", DEMO_ORGANIZATION, Role.ADMIN),
    DemoLogin("member@demo.test", "demo-member-pass", DEMO_ORGANIZATION, Role.MEMBER),
    DemoLogin("support@demo.test", "demo-support-pass", DEMO_ORGANIZATION, Role.ADMIN, is_superuser=True),
    DemoLogin("other@demo.test", "demo-other-pass", OTHER_ORGANIZATION, Role.ADMIN),
)


# --- The data ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubsidiarySpec:
    name: str
    country: str
    currency: str
    prefix: str
    vat_number: str
    address: str


@dataclass(frozen=True)
class CompanySpec:
    name: str
    country: str
    currency: str
    email: str
    vat_number: str = ""
    supplier: bool = False
    tax: str = ""  # the tax rate its lines carry; "" = the subsidiary's standard rate


@dataclass(frozen=True)
class BudgetSpec:
    name: str
    company: str
    subsidiary: str


@dataclass(frozen=True)
class OrganizationSpec:
    name: str
    plan: str
    subsidiaries: tuple[SubsidiarySpec, ...]
    companies: tuple[CompanySpec, ...]
    service_types: tuple[str, ...]
    tax_rates: tuple[tuple[str, str], ...]  # (name, percentage)
    standard_tax: dict[str, str]  # subsidiary name -> tax rate name
    budgets: tuple[BudgetSpec, ...]
    # How many invoices of each kind: draft, unpaid, partially paid, paid, void.
    invoice_mix: dict[str, int]
    expenses: int
    purchase_orders: int


NL, UK = "Demo Agency B.V.", "Demo Agency Ltd"
DRAFT, UNPAID, PARTIAL, PAID, VOID = "draft", "unpaid", "partially_paid", "paid", "void"

DEMO = OrganizationSpec(
    name=DEMO_ORGANIZATION,
    plan=Plan.ULTIMATE,
    subsidiaries=(
        SubsidiarySpec(NL, "NL", "EUR", "NL-", "NL859123456B01", "Keizersgracht 123\n1015 CJ Amsterdam"),
        SubsidiarySpec(UK, "GB", "GBP", "UK-", "GB123456789", "10 Clerkenwell Green\nLondon EC1R 0DP"),
    ),
    companies=(
        CompanySpec("Tulip Logistics B.V.", "NL", "EUR", "finance@tulip-logistics.test", "NL812345678B01"),
        CompanySpec("Noordzee Energie N.V.", "NL", "EUR", "ap@noordzee-energie.test", "NL823456789B01"),
        CompanySpec("Grachten Hotels B.V.", "NL", "EUR", "boekhouding@grachtenhotels.test", "NL834567890B01"),
        CompanySpec(
            "Rhein Feinkost GmbH", "DE", "EUR", "rechnungen@rhein-feinkost.test", "DE298765432", tax="Zero rated"
        ),
        CompanySpec("Thames Publishing Ltd", "GB", "GBP", "accounts@thamespublishing.test", "GB987654321"),
        CompanySpec("Highland Outdoor Co.", "GB", "GBP", "invoices@highland-outdoor.test", "GB876543210"),
        CompanySpec("Brightside Health Ltd", "GB", "GBP", "payables@brightside-health.test", "GB765432109"),
        CompanySpec("Pixel Stock Media B.V.", "NL", "EUR", "billing@pixelstock.test", "NL845678901B01", True),
        CompanySpec("CloudNine Hosting Ltd", "GB", "GBP", "billing@cloudnine-hosting.test", "GB654321098", True),
        CompanySpec("Studio Vondel Freelance", "NL", "EUR", "hallo@studiovondel.test", "NL856789012B01", True),
    ),
    service_types=("Design", "Development", "Strategy", "Admin work"),
    tax_rates=(("NL VAT", "21"), ("NL VAT reduced", "9"), ("UK VAT", "20"), ("Zero rated", "0")),
    standard_tax={NL: "NL VAT", UK: "UK VAT"},
    budgets=(
        BudgetSpec("Tulip Logistics: website relaunch", "Tulip Logistics B.V.", NL),
        BudgetSpec("Tulip Logistics: driver app", "Tulip Logistics B.V.", NL),
        BudgetSpec("Noordzee Energie: brand refresh 2026", "Noordzee Energie N.V.", NL),
        BudgetSpec("Grachten Hotels: booking flow", "Grachten Hotels B.V.", NL),
        BudgetSpec("Rhein Feinkost: web shop", "Rhein Feinkost GmbH", NL),
        BudgetSpec("Thames Publishing: reader platform", "Thames Publishing Ltd", UK),
        BudgetSpec("Highland Outdoor: spring campaign", "Highland Outdoor Co.", UK),
        BudgetSpec("Brightside Health: patient portal", "Brightside Health Ltd", UK),
        BudgetSpec("Brightside Health: retainer", "Brightside Health Ltd", UK),
    ),
    invoice_mix={DRAFT: 8, UNPAID: 14, PARTIAL: 10, PAID: 22, VOID: 6},
    expenses=20,
    purchase_orders=5,
)

OTHER = OrganizationSpec(
    name=OTHER_ORGANIZATION,
    plan=Plan.ESSENTIAL,
    subsidiaries=(SubsidiarySpec("Other Agency GmbH", "DE", "EUR", "OA-", "DE312345678", "Torstraße 1\n10119 Berlin"),),
    companies=(
        CompanySpec("Kaiser Maschinenbau AG", "DE", "EUR", "buchhaltung@kaiser-maschinenbau.test", "DE301234567"),
        CompanySpec("Alpen Reisen GmbH", "DE", "EUR", "rechnung@alpen-reisen.test", "DE302345678"),
    ),
    service_types=("Consulting", "Development"),
    tax_rates=(("DE VAT", "19"),),
    standard_tax={"Other Agency GmbH": "DE VAT"},
    budgets=(BudgetSpec("Kaiser Maschinenbau: intranet", "Kaiser Maschinenbau AG", "Other Agency GmbH"),),
    invoice_mix={DRAFT: 1, UNPAID: 2, PARTIAL: 0, PAID: 1, VOID: 0},
    expenses=0,
    purchase_orders=0,
)

# Realistic line descriptions per service type, and an hourly rate range (in the invoice's currency).
LINE_TEMPLATES = {
    "Design": (
        "UX research and stakeholder interviews",
        "Wireframes for the key user journeys",
        "Visual design: homepage and templates",
        "Design system components",
        "Campaign key visuals and social assets",
    ),
    "Development": (
        "Front-end development sprint",
        "Back-end API integration",
        "CMS implementation and content migration",
        "Performance and accessibility fixes",
        "Mobile app release and QA",
    ),
    "Strategy": (
        "Discovery workshop",
        "Content strategy and information architecture",
        "Analytics review and recommendations",
        "Brand positioning sessions",
    ),
    "Admin work": ("Project management", "Hosting and maintenance (monthly)", "Licence renewals"),
    "Consulting": ("Process consulting", "Architecture review"),
}
HOURLY_RATES = (Decimal("85"), Decimal("95"), Decimal("110"), Decimal("125"), Decimal("140"))

EXPENSE_DESCRIPTIONS = (
    "Stock photography licences",
    "Freelance illustrator",
    "Cloud hosting (monthly)",
    "User testing participants",
    "Font licences",
    "Freelance copywriter",
    "Print proofs",
    "Video editing",
)
