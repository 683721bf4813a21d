"""Seeding the demo's history, once per organization: invoices (drafts, unpaid, partially paid, paid, void) with
their payments, expenses with theirs, purchase orders. Written through billing.services; random choices come from
a generator seeded per organization.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from ..choices import ApprovalStatus, PurchaseOrderStatus
from ..models import Company, Expense, Invoice, PurchaseOrder, Subsidiary, TaxRate
from ..money import to_cents
from ..services import (
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
from .data import (
    DRAFT,
    EXPENSE_DESCRIPTIONS,
    HOURLY_RATES,
    LINE_TEMPLATES,
    PAID,
    PARTIAL,
    RANDOM_SEED,
    UNPAID,
    VOID,
    OrganizationSpec,
)
from .master_data import SeedResult, Tenant


def seed_history(spec: OrganizationSpec, tenant: Tenant, today: datetime.date, result: SeedResult) -> None:
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


def _lines(tenant: Tenant, rng: random.Random, tax_rate: TaxRate, count: int) -> list[LineInput]:
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


def _seed_invoices(spec: OrganizationSpec, tenant: Tenant, today: datetime.date, rng: random.Random) -> int:
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


def _home_subsidiary(tenant: Tenant, company: Company) -> Subsidiary:
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


def _seed_expenses(spec: OrganizationSpec, tenant: Tenant, today: datetime.date, rng: random.Random) -> int:
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


def _seed_purchase_orders(spec: OrganizationSpec, tenant: Tenant, today: datetime.date, rng: random.Random) -> int:
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
