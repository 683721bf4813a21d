"""Credentials are never stored in plaintext, and keys rotate without losing a single one."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection as db
from django.test import override_settings

from integrations.models import Connection, Grant

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw(grant_id: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_grant WHERE id = %s", [grant_id])
        return cursor.fetchone()


def test_the_database_never_holds_a_plaintext_credential():
    connection = ConnectionFactory(access_token="plain-access-SENTINEL", refresh_token="plain-refresh-SENTINEL")
    stored = raw(connection.grant_id)
    assert "SENTINEL" not in stored[0] and "SENTINEL" not in stored[1]
    assert Connection.objects.get(pk=connection.pk).grant.access_token == "plain-access-SENTINEL"


def test_rotating_keys_re_encrypts_everything_under_the_new_key():
    with override_settings(INTEGRATIONS_ENCRYPTION_KEYS=[OLD]):
        connection = ConnectionFactory(access_token="a-1", refresh_token="r-1")
        ConnectionFactory(access_token="", refresh_token="", token_expires_at=None)  # nothing to re-encrypt
        before = raw(connection.grant_id)
    with override_settings(INTEGRATIONS_ENCRYPTION_KEYS=[NEW, OLD]):
        out = StringIO()
        call_command("rotate_encryption_keys", stdout=out)
        assert "integrations.Grant: 1 row(s) re-encrypted" in out.getvalue()
    assert raw(connection.grant_id) != before
    with override_settings(INTEGRATIONS_ENCRYPTION_KEYS=[NEW]):  # the old key is gone: everything still reads
        stored = Grant.objects.get(pk=connection.grant_id)
        assert (stored.access_token, stored.refresh_token) == ("a-1", "r-1")
        assert stored.token_expires_at == connection.grant.token_expires_at
    with override_settings(INTEGRATIONS_ENCRYPTION_KEYS=[OLD]), pytest.raises(ImproperlyConfigured):
        Grant.objects.get(pk=connection.grant_id)
