from datetime import UTC, datetime

import pytest
from django.db import connection as db

from integrations.models import Connection
from tests.integrations.factories import ConnectionFactory


@pytest.mark.django_db
def test_token_expiry_round_trips_and_is_not_stored_in_clear(organization, subsidiary):
    expiry = datetime(2026, 11, 21, 15, 30, 45, tzinfo=UTC)
    connection = ConnectionFactory(organization=organization, subsidiary=subsidiary, token_expires_at=expiry)
    assert Connection.objects.get(pk=connection.pk).grant.token_expires_at == expiry
    with db.cursor() as cursor:
        cursor.execute("SELECT token_expires_at FROM integrations_grant WHERE id = %s", [connection.grant_id])
        stored = cursor.fetchone()[0]
    assert "2026" not in stored and "15:30" not in stored


@pytest.mark.django_db
def test_naive_expiry_is_refused(organization, subsidiary):
    with pytest.raises(ValueError, match="aware"):
        ConnectionFactory(organization=organization, subsidiary=subsidiary, token_expires_at=datetime(2026, 1, 1))
