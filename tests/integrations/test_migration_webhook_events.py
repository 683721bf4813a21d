"""Migration 0009 (webhook events): existing connections come through untouched, not due, and it reverses."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.factories import OrganizationFactory, SubsidiaryFactory

BEFORE = [("integrations", "0008_sync_log_http_call_flag")]
AFTER = [("integrations", "0009_webhook_events")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_existing_connections_are_kept_and_the_migration_reverses():
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        # billing is not migrated back: its rows are made with today's models, the connection with 0008's.
        subsidiary = SubsidiaryFactory(organization=OrganizationFactory(name="Before Webhooks"))
        before = old.get_model("integrations", "Connection").objects.create(
            organization_id=subsidiary.organization_id,
            subsidiary_id=subsidiary.pk,
            provider="xero",
            name="Xero NL",
            remote_tenant_id="tenant-before",
            settings={"sync_payments": True},
            sync_cursors={"payments": {"modified_since": "2026-11-01T00:00:00+00:00"}},
        )
        executor = _migrate(AFTER)
        after = executor.loader.project_state(AFTER).apps  # later migrations change these models again
        migrated = after.get_model("integrations", "Connection").objects.get(pk=before.pk)
        assert (migrated.name, migrated.remote_tenant_id) == ("Xero NL", "tenant-before")
        assert migrated.sync_cursors == {"payments": {"modified_since": "2026-11-01T00:00:00+00:00"}}
        assert migrated.sync_requested_at is None and migrated.sync_queued_at is None
        assert not after.get_model("integrations", "WebhookEvent").objects.exists()

        executor = _migrate(BEFORE)
        reverted = executor.loader.project_state(BEFORE).apps.get_model("integrations", "Connection")
        assert reverted.objects.filter(pk=before.pk, name="Xero NL").exists()
        assert "integrations_webhookevent" not in connection.introspection.table_names()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
