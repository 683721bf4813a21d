"""factory_boy factories for integrations rows (shared by the integrations tests)."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, CopyStatus, Grant, RemoteDocument, TaxRateMapping

from ..factories import OrganizationFactory, SubsidiaryFactory, TaxRateFactory

CREDENTIALS = ("access_token", "refresh_token", "token_expires_at", "access_token_obtained_at")


class GrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grant

    organization = factory.SubFactory(OrganizationFactory)
    provider = "xero"
    access_token = factory.Sequence(lambda n: f"access-token-{n}-SECRET")
    refresh_token = factory.Sequence(lambda n: f"refresh-token-{n}-SECRET")
    token_expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))


class ConnectionFactory(factory.django.DjangoModelFactory):
    """A live connection on its own grant. The credential keywords (access_token, refresh_token,
    token_expires_at, access_token_obtained_at) create that grant with them, or update the `grant=` given."""

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
    settings = factory.LazyFunction(dict)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        credentials = {name: kwargs.pop(name) for name in CREDENTIALS if name in kwargs}
        grant = kwargs.get("grant")
        if grant is None and "grant" not in kwargs:
            kwargs["grant"] = GrantFactory(
                organization=kwargs["organization"], provider=kwargs.get("provider", "xero"), **credentials
            )
        elif grant is not None and credentials:
            for name, value in credentials.items():
                setattr(grant, name, value)
            grant.save()
        return super()._create(model_class, *args, **kwargs)


def ready_xero_connection(organization, subsidiary, **fields) -> Connection:
    """A connection whose setup is complete: a 21 % tax rate of the organization mapped to Xero's OUTPUT2.
    `fields` (settings, name, payment_sync_enabled_at, …) go to ConnectionFactory as they are."""
    from billing.models import TaxRate

    rate = TaxRateFactory(organization=organization, percentage=TaxRate._meta.get_field("percentage").to_python("21"))
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, **fields)
    TaxRateMapping.objects.create(connection=connection, tax_rate=rate, remote_code="OUTPUT2")
    return connection


def remote_copy(connection, invoice, **fields) -> RemoteDocument:
    """A copy of `invoice` on `connection` that the provider accepted: the latest, under a fresh idempotency key
    (fields override: remote_id, remote_number, is_latest, superseded_at, …)."""
    values = {
        "idempotency_key": str(uuid.uuid4()),
        "status": CopyStatus.SUCCEEDED,
        "remote_id": str(uuid.uuid4()),
        "is_latest": True,
        **fields,
    }
    return RemoteDocument.objects.create(
        organization=connection.organization, invoice=invoice, connection=connection, **values
    )
