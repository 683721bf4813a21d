"""The grants migration carries every connection's credentials over without loss: its own grant, one grant for
connections that held the very same token set, none for a disconnected connection; and back again."""

from datetime import UTC, datetime

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from integrations.models import Connection, Grant
from tests.factories import OrganizationFactory, SubsidiaryFactory, UserFactory

BEFORE = [("integrations", "0010_payment_feed")]
AFTER = [("integrations", "0011_grants")]
EXPIRY = datetime(2026, 12, 2, 21, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


def _old_connection(model, subsidiary, tenant, *, access, refresh, status="active", **extra):
    return model.objects.create(
        organization_id=subsidiary.organization_id,
        subsidiary_id=subsidiary.pk,
        provider="xero",
        name=f"Xero {tenant}",
        remote_tenant_id=tenant,
        status=status,
        access_token=access,
        refresh_token=refresh,
        token_expires_at=EXPIRY if access else None,
        **extra,
    )


@pytest.mark.django_db(transaction=True)
def test_credentials_move_to_grants_without_loss_and_back():
    organization = OrganizationFactory()
    subsidiary, sister = SubsidiaryFactory(organization=organization), SubsidiaryFactory(organization=organization)
    admin = UserFactory()
    executor = _migrate(BEFORE)
    try:
        OldConnection = executor.loader.project_state(BEFORE).apps.get_model("integrations", "Connection")
        alone = _old_connection(OldConnection, subsidiary, "t-1", access="a-1", refresh="r-1", created_by_id=admin.pk)
        shared = [
            _old_connection(OldConnection, subsidiary, "t-2", access="a-2", refresh="r-2"),
            _old_connection(OldConnection, sister, "t-3", access="a-2", refresh="r-2"),
        ]
        gone = _old_connection(OldConnection, sister, "t-4", access="", refresh="", status="disconnected")
    finally:
        _migrate(AFTER)

    grants = {c.pk: c.grant for c in Connection.objects.select_related("grant")}
    assert Grant.objects.count() == 2
    first = grants[alone.pk]
    assert (first.access_token, first.refresh_token, first.token_expires_at) == ("a-1", "r-1", EXPIRY)
    assert (first.provider, first.organization_id, first.granted_by_id) == ("xero", organization.pk, admin.pk)
    assert grants[shared[0].pk] == grants[shared[1].pk]
    assert (grants[shared[0].pk].access_token, grants[shared[0].pk].refresh_token) == ("a-2", "r-2")
    assert grants[gone.pk] is None
    with db.cursor() as cursor:  # still encrypted at rest
        cursor.execute("SELECT access_token FROM integrations_grant WHERE id = %s", [first.pk])
        assert "a-1" not in cursor.fetchone()[0]

    executor = _migrate(BEFORE)
    try:
        OldConnection = executor.loader.project_state(BEFORE).apps.get_model("integrations", "Connection")
        restored = {c.pk: (c.access_token, c.refresh_token, c.token_expires_at) for c in OldConnection.objects.all()}
    finally:
        _migrate(MigrationExecutor(db).loader.graph.leaf_nodes())
    assert restored[alone.pk] == ("a-1", "r-1", EXPIRY)
    assert restored[shared[0].pk] == restored[shared[1].pk] == ("a-2", "r-2", EXPIRY)
    assert restored[gone.pk] == ("", "", None)
