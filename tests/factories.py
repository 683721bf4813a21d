"""factory_boy factories for the billing domain. Related objects always share one organization."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from billing import models
from billing.choices import Plan, Role
from billing.services import LineInput, invoice_create, invoice_finalize


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Organization

    name = factory.Sequence(lambda n: f"Agency {n}")
    plan = Plan.ULTIMATE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    username = factory.LazyAttribute(lambda o: o.email)
    password = factory.django.Password("pass-word-123")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.MEMBER


class SubsidiaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Subsidiary

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Subsidiary {n}")
    legal_name = factory.LazyAttribute(lambda o: f"{o.name} Ltd")
    default_currency = "EUR"
    invoice_number_prefix = "INV-"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Company

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    billing_email = factory.Sequence(lambda n: f"billing{n}@client.test")
    default_currency = "EUR"


class ServiceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ServiceType

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TaxRate

    organization = factory.SubFactory(OrganizationFactory)
    name = "Standard"
    percentage = Decimal("21")


class BudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Budget

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Budget {n}")
    company = factory.SubFactory(CompanyFactory, organization=factory.SelfAttribute("..organization"))
    subsidiary = factory.SubFactory(SubsidiaryFactory, organization=factory.SelfAttribute("..organization"))
    currency = "EUR"


def make_invoice(
    *,
    organization=None,
    subsidiary=None,
    company=None,
    lines=None,
    finalize=False,
    issue_date=None,
    currency=None,
    **extra,
):
    """A draft (or finalized) invoice built through the real services."""
    organization = organization or (subsidiary.organization if subsidiary else OrganizationFactory())
    subsidiary = subsidiary or SubsidiaryFactory(organization=organization)
    company = company or CompanyFactory(organization=organization)
    issue_date = issue_date or datetime.date(2026, 11, 1)
    if lines is None:
        lines = [LineInput("Design work", Decimal("10"), Decimal("100.00"))]
    invoice = invoice_create(
        organization=organization,
        subsidiary=subsidiary,
        company=company,
        issue_date=issue_date,
        due_date=issue_date + datetime.timedelta(days=30),
        currency=currency or subsidiary.default_currency,
        lines=lines,
        **extra,
    )
    if finalize:
        invoice = invoice_finalize(invoice=invoice)
    return invoice


def invoices_for_new_clients(organization, subsidiary, count: int) -> list:
    """`count` finalized invoices, each for a company of its own that no accounting tool knows yet (so each copy
    also makes a contact)."""
    return [
        make_invoice(
            organization=organization,
            subsidiary=subsidiary,
            company=CompanyFactory(organization=organization),
            finalize=True,
        )
        for _ in range(count)
    ]
