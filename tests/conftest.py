import os

import pytest
from django.test import Client

from billing.choices import Role

from .factories import MembershipFactory, OrganizationFactory, SubsidiaryFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; the ORM calls tests make are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def organization(db):
    return OrganizationFactory(name="Acme Agency")


@pytest.fixture
def other_organization(db):
    return OrganizationFactory(name="Rival Agency")


@pytest.fixture
def subsidiary(organization):
    return SubsidiaryFactory(organization=organization, name="Acme NL", default_currency="EUR")


@pytest.fixture
def admin_user(organization):
    user = UserFactory(email="admin@acme.test")
    MembershipFactory(user=user, organization=organization, role=Role.ADMIN)
    return user


@pytest.fixture
def member_user(organization):
    user = UserFactory(email="member@acme.test")
    MembershipFactory(user=user, organization=organization, role=Role.MEMBER)
    return user


@pytest.fixture
def other_admin(other_organization):
    user = UserFactory(email="admin@rival.test")
    MembershipFactory(user=user, organization=other_organization, role=Role.ADMIN)
    return user


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture
def member_client(member_user):
    client = Client()
    client.force_login(member_user)
    return client
