"""Seeding the demo's master data (organizations, subsidiaries, companies, service types, tax rates, budgets),
its logins and the admin's API token: found or created by natural key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from ..api_tokens import token_issue
from ..models import Budget, Company, Membership, Organization, ServiceType, Subsidiary, TaxRate
from .data import DEMO_LOGINS, DemoLogin, OrganizationSpec


@dataclass
class SeedResult:
    created: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)


@dataclass
class Tenant:
    organization: Organization
    subsidiaries: dict[str, Subsidiary]
    companies: dict[str, Company]
    company_tax: dict[str, str]
    service_types: dict[str, ServiceType]
    tax_rates: dict[str, TaxRate]
    standard_tax: dict[str, str]
    budgets: list[Budget]


def _get_or_create(result: SeedResult, model, defaults=None, **lookup):
    obj, created = model.objects.get_or_create(defaults=defaults or {}, **lookup)
    if created:
        result.created[model._meta.verbose_name_plural] += 1
    return obj


def seed_master_data(spec: OrganizationSpec, result: SeedResult) -> Tenant:
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
    return Tenant(
        organization=organization,
        subsidiaries=subsidiaries,
        companies=companies,
        company_tax={c.name: c.tax for c in spec.companies},
        service_types=service_types,
        tax_rates=tax_rates,
        standard_tax=spec.standard_tax,
        budgets=budgets,
    )


def seed_login(login: DemoLogin, result: SeedResult) -> None:
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


def seed_api_token(result: SeedResult) -> None:
    """One API token in the admin's list (to view or revoke). Its key is thrown away: issue your own to try it."""
    user = get_user_model().objects.get(username=DEMO_LOGINS[0].email)
    if not user.api_tokens.exists():
        token_issue(user=user, name="Demo reporting script")
        result.created["API tokens"] += 1
