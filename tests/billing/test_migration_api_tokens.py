"""Tokens issued before keys were hashed keep working: the migration stores their hash and drops the plain key."""

import hashlib
import secrets

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from billing.choices import Role
from billing.models import ApiToken
from tests.factories import MembershipFactory, OrganizationFactory

BEFORE = [("billing", "0001_initial"), ("authtoken", "0004_alter_tokenproxy_options")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.django_db(transaction=True)
def test_a_plain_text_token_from_before_is_hashed_and_still_authenticates():
    executor = _migrate(BEFORE)
    try:
        old = executor.loader.project_state(BEFORE).apps
        user = old.get_model("auth", "User").objects.create(username="api@acme.test", email="api@acme.test")
        key = secrets.token_hex(20)  # DRF's format: 40 hex characters
        old.get_model("authtoken", "Token").objects.create(key=key, user=user)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    token = ApiToken.objects.get()
    assert token.user_id == user.pk
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8] and token.expires_at is not None and token.revoked_at is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone()[0] == 0, "the plain-text key is still stored"

    MembershipFactory(user_id=user.pk, organization=OrganizationFactory(), role=Role.ADMIN)
    response = Client().get(reverse("api:invoice-list"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200, response.content
