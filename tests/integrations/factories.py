"""factory_boy factories for integrations rows (shared by the integrations tests)."""

from datetime import timedelta

import factory
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, TaxRateMapping

from ..factories import OrganizationFactory, SubsidiaryFactory, TaxRateFactory


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    organization = factory.SubFactory(OrganizationFactory)
    subsidiary = factory.SubFactory(SubsidiaryFactory, organization=factory.SelfAttribute("..organization"))
    provider = "xero"
    name = factory.Sequence(lambda n: f"Xero {n}")
    remote_tenant_id = factory.Sequence(lambda n: f"tenant-{n:04d}-0000-0000-0000-000000000000")
    remote_tenant_name = factory.Sequence(lambda n: f"Demo Company {n}")
    remote_connection_id = factory.Sequence(lambda n: f"conn-{n:04d}-0000-0000-0000-000000000000")
    status = ConnectionStatus.ACTIVE
    access_token = factory.Sequence(lambda n: f"access-token-{n}-SECRET")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}-SECRET")
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))
    settings = factory.LazyFunction(dict)


def ready_xero_connection(organization, subsidiary, **fields) -> Connection:
    """A connection whose setup is complete: a 21 % tax rate of the organization mapped to Xero's OUTPUT2.
    `fields` (settings, name, payment_sync_enabled_at, …) go to ConnectionFactory as they are."""
    from billing.models import TaxRate

    rate = TaxRateFactory(organization=organization, percentage=TaxRate._meta.get_field("percentage").to_python("21"))
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, **fields)
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    return connection
