"""Demo data for `manage.py seed_demo`: two agencies, their users, master data and billing history.

Idempotent and deterministic. Master data (users, organizations, subsidiaries, companies, service types,
tax rates, budgets) is found or created by natural key; the history (invoices, payments, expenses,
purchase orders) is written once per organization, through billing.services, and skipped when the
organization already has some. Dates are relative to the day of the first run, so the demo looks
current; random choices come from a fixed seed.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from .api_tokens import token_issue
from .choices import ApprovalStatus, Plan, PurchaseOrderStatus, Role
from .models import (
    Budget,
    Company,
    Expense,
    Invoice,
    Membership,
    Organization,
    PurchaseOrder,
    ServiceType,
    Subsidiary,
    TaxRate,
)
from .money import to_cents
from .services import (
    LineInput,
    expense_create,
    expense_payment_record,
    invoice_create,
    invoice_finalize,
    invoice_void,
    payment_delete,
    payment_record,
    purchase_order_create,
)

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


# --- Seeding ----------------------------------------------------------------------------------------------


@dataclass
class SeedResult:
    created: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Tenant:
    organization: Organization
    subsidiaries: dict[str, Subsidiary]
    companies: dict[str, Company]
    company_tax: dict[str, str]
    service_types: dict[str, ServiceType]
    tax_rates: dict[str, TaxRate]
    standard_tax: dict[str, str]
    budgets: list[Budget]


def demo_seed(*, today: datetime.date | None = None) -> SeedResult:
    """Create the demo data that is missing; running it again changes nothing."""
    today = today or timezone.localdate()
    result = SeedResult()
    with transaction.atomic():
        for spec in (DEMO, OTHER):
            tenant = _seed_master_data(spec, result)
            _seed_history(spec, tenant, today, result)
        for login in DEMO_LOGINS:
            _seed_login(login, result)
        _seed_api_token(result)
    return result


def _get_or_create(result: SeedResult, model, defaults=None, **lookup):
    obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
    if created:
        result.created[model._meta.verbose_name_plural] += 1
    return obj


def _seed_master_data(spec: OrganizationSpec, result: SeedResult) -> _Tenant:
    organization = Organization.objects.filter(name=spec.name).order_by("pk").first()
    if organization is None:
        organization = Organization.objects.create(name=spec.name, plan=spec.plan)
        result.created["organizations"] += 1
    org = {"organization": organization}
    subsidiaries = {
        s.name: _get_or_create(
            result,
            Subsidiary,
            name=s.name,
            **org,
            defaults={
                "legal_name": s.name,
                "country": s.country,
                "default_currency": s.currency,
                "invoice_number_prefix": s.prefix,
                "vat_number": s.vat_number,
                "address": s.address,
            },
        )
        for s in spec.subsidiaries
    }
    companies = {
        c.name: _get_or_create(
            result,
            Company,
            name=c.name,
            **org,
            defaults={
                "country": c.country,
                "default_currency": c.currency,
                "billing_email": c.email,
                "vat_number": c.vat_number,
                "is_client": not c.supplier,
                "is_supplier": c.supplier,
            },
        )
        for c in spec.companies
    }
    service_types = {name: _get_or_create(result, ServiceType, name=name, **org) for name in spec.service_types}
    tax_rates = {
        name: _get_or_create(result, TaxRate, name=name, **org, defaults={"percentage": Decimal(percentage)})
        for name, percentage in spec.tax_rates
    }
    budgets = [
        _get_or_create(
            result,
            Budget,
            name=b.name,
            **org,
            defaults={
                "company": companies[b.company],
                "subsidiary": subsidiaries[b.subsidiary],
                "currency": subsidiaries[b.subsidiary].default_currency,
            },
        )
        for b in spec.budgets
    ]
    return _Tenant(
        organization=organization,
        subsidiaries=subsidiaries,
        companies=companies,
        company_tax={c.name: c.tax for c in spec.companies},
        service_types=service_types,
        tax_rates=tax_rates,
        standard_tax=spec.standard_tax,
        budgets=budgets,
    )


def _seed_login(login: DemoLogin, result: SeedResult) -> None:
    user = _get_or_create(
        result,
        get_user_model(),
        username=login.email,
        defaults={"email": login.email, "is_staff": login.is_superuser, "is_superuser": login.is_superuser},
    )
    if not user.check_password(login.password):
        user.set_password(login.password)
        user.save(update_fields=["password"])
    _get_or_create(result, EmailAddress, user=user, email=login.email, defaults={"verified": True, "primary": True})
    organization = Organization.objects.filter(name=login.organization).order_by("pk").first()
    _get_or_create(result, Membership, user=user, organization=organization, defaults={"role": login.role})


def _seed_api_token(result: SeedResult) -> None:
    """One API token in the admin's list (to view or revoke). Its key is thrown away: issue your own to try it."""
    user = get_user_model().objects.get(username=DEMO_LOGINS[0].email)
    if not user.api_tokens.exists():
        token_issue(user=user, name="Demo reporting script")
        result.created["API tokens"] += 1


def _seed_history(spec: OrganizationSpec, tenant: _Tenant, today: datetime.date, result: SeedResult) -> None:
    organization = tenant.organization
    # One generator per organization, so adding data to one never reshuffles the other.
    rng = random.Random(f"{RANDOM_SEED}:{spec.name}")
    if Invoice.objects.filter(organization=organization).exists():
        result.skipped.append(f"{spec.name}: invoices")
    else:
        result.created["invoices"] += _seed_invoices(spec, tenant, today, rng)
    if spec.expenses:
        if Expense.objects.filter(organization=organization).exists():
            result.skipped.append(f"{spec.name}: expenses")
        else:
            result.created["expenses"] += _seed_expenses(spec, tenant, today, rng)
    if spec.purchase_orders:
        if PurchaseOrder.objects.filter(organization=organization).exists():
            result.skipped.append(f"{spec.name}: purchase orders")
        else:
            result.created["purchase orders"] += _seed_purchase_orders(spec, tenant, today, rng)


def _lines(tenant: _Tenant, rng: random.Random, tax_rate: TaxRate, count: int) -> list[LineInput]:
    lines = []
    for _ in range(count):
        service_name = rng.choice(list(tenant.service_types))
        lines.append(
            LineInput(
                description=rng.choice(LINE_TEMPLATES[service_name]),
                quantity=Decimal(rng.choice((2, 4, 6, 8, 12, 16, 24, 32, 40))),
                unit_price=rng.choice(HOURLY_RATES),
                service_type=tenant.service_types[service_name],
                tax_rate=tax_rate,
            )
        )
    return lines


def _seed_invoices(spec: OrganizationSpec, tenant: _Tenant, today: datetime.date, rng: random.Random) -> int:
    kinds = [kind for kind, count in spec.invoice_mix.items() for _ in range(count)]
    rng.shuffle(kinds)
    # Drafts are recent; the rest spread over the last five months. Oldest first, so numbers follow dates.
    plans = []
    for kind in kinds:
        age = rng.randint(0, 20) if kind == DRAFT else rng.randint(5, 150)
        plans.append((today - datetime.timedelta(days=age), kind))
    plans.sort(key=lambda plan: (plan[0], plan[1] == DRAFT))
    clients = [c for c in tenant.companies.values() if c.is_client]
    for index, (issue_date, kind) in enumerate(plans):
        company = clients[index % len(clients)]
        budgets = [b for b in tenant.budgets if b.company_id == company.pk]
        budget = rng.choice(budgets) if budgets and rng.random() < 0.7 else None
        subsidiary = budget.subsidiary if budget else _home_subsidiary(tenant, company)
        tax_name = tenant.company_tax[company.name] or tenant.standard_tax[subsidiary.name]
        invoice = invoice_create(
            organization=tenant.organization,
            subsidiary=subsidiary,
            company=company,
            budget=budget,
            issue_date=issue_date,
            due_date=issue_date + datetime.timedelta(days=rng.choice((14, 30, 30, 45))),
            currency=subsidiary.default_currency,
            subject=budget.name.split(": ", 1)[1].capitalize() if budget else "Consultancy services",
            po_number=f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.3 else "",
            lines=_lines(tenant, rng, tenant.tax_rates[tax_name], rng.randint(1, 4)),
        )
        if kind != DRAFT:
            invoice = invoice_finalize(invoice=invoice)
        _settle_invoice(invoice, kind, today, rng)
    return len(plans)


def _home_subsidiary(tenant: _Tenant, company: Company) -> Subsidiary:
    same_currency = [s for s in tenant.subsidiaries.values() if s.default_currency == company.default_currency]
    return (same_currency or list(tenant.subsidiaries.values()))[0]


def _payment_date(invoice: Invoice, today: datetime.date, rng: random.Random) -> datetime.date:
    return min(today, invoice.issue_date + datetime.timedelta(days=rng.randint(3, 40)))


def _settle_invoice(invoice: Invoice, kind: str, today: datetime.date, rng: random.Random) -> None:
    if kind == VOID:
        invoice_void(invoice=invoice)
    elif kind == PARTIAL:
        share = Decimal(rng.choice((25, 40, 50, 60, 75))) / 100
        payment_record(
            invoice=invoice,
            amount=to_cents(invoice.total * share),
            date=_payment_date(invoice, today, rng),
            reference="Bank transfer (instalment)",
        )
    elif kind == PAID:
        first = to_cents(invoice.total / 2) if rng.random() < 0.25 else invoice.total
        for amount in (first, invoice.total - first):
            if amount > 0:
                payment_record(
                    invoice=invoice,
                    amount=amount,
                    date=_payment_date(invoice, today, rng),
                    reference=f"Bank transfer {invoice.number}",
                )
    elif kind == UNPAID and rng.random() < 0.15:
        # A payment entered by mistake and removed again: kept for the record, no longer counted.
        mistaken = payment_record(
            invoice=invoice, amount=invoice.total, date=today, reference="Entered on the wrong invoice"
        )
        payment_delete(payment=mistaken)


def _seed_expenses(spec: OrganizationSpec, tenant: _Tenant, today: datetime.date, rng: random.Random) -> int:
    suppliers = [c for c in tenant.companies.values() if c.is_supplier]
    approvals = (ApprovalStatus.APPROVED,) * 3 + (ApprovalStatus.PENDING, ApprovalStatus.REJECTED)
    for index in range(spec.expenses):
        budget = tenant.budgets[index % len(tenant.budgets)]
        vendors = [s for s in suppliers if s.default_currency == budget.currency] or suppliers
        vendor = vendors[index % len(vendors)]
        approval = approvals[index % len(approvals)]
        date = today - datetime.timedelta(days=rng.randint(3, 120))
        expense = expense_create(
            organization=tenant.organization,
            budget=budget,
            vendor=vendor,
            service_type=rng.choice(list(tenant.service_types.values())),
            description=rng.choice(EXPENSE_DESCRIPTIONS),
            amount=Decimal(rng.randint(80, 2400)) + Decimal(rng.choice((0, 50, 99))) / 100,
            currency=budget.currency,
            tax_rate=tenant.tax_rates[tenant.standard_tax[budget.subsidiary.name]],
            date=date,
            due_date=date + datetime.timedelta(days=30),
            approval_status=approval,
        )
        if approval != ApprovalStatus.APPROVED:
            continue
        paid_date = min(today, date + datetime.timedelta(days=rng.randint(5, 30)))
        if index % 3 == 0:
            expense_payment_record(expense=expense, amount=expense.total, date=paid_date, reference="Paid")
        elif index % 3 == 1:
            half = to_cents(expense.total / 2)
            expense_payment_record(expense=expense, amount=half, date=paid_date, reference="First instalment")
    return spec.expenses


def _seed_purchase_orders(spec: OrganizationSpec, tenant: _Tenant, today: datetime.date, rng: random.Random) -> int:
    suppliers = [c for c in tenant.companies.values() if c.is_supplier]
    statuses = (PurchaseOrderStatus.RECEIVED, PurchaseOrderStatus.SENT, PurchaseOrderStatus.DRAFT)
    for index in range(spec.purchase_orders):
        budget = tenant.budgets[(index * 2) % len(tenant.budgets)]
        vendors = [s for s in suppliers if s.default_currency == budget.currency] or suppliers
        issue_date = today - datetime.timedelta(days=rng.randint(5, 90))
        purchase_order_create(
            organization=tenant.organization,
            subsidiary=budget.subsidiary,
            vendor=vendors[index % len(vendors)],
            budget=budget,
            issue_date=issue_date,
            delivery_date=issue_date + datetime.timedelta(days=rng.choice((7, 14, 21))),
            currency=budget.currency,
            status=statuses[index % len(statuses)],
            note="Please quote the PO number on your invoice.",
            lines=_lines(tenant, rng, tenant.tax_rates[tenant.standard_tax[budget.subsidiary.name]], rng.randint(1, 3)),
        )
    return spec.purchase_orders
