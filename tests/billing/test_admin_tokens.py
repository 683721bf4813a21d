"""API tokens in the Django admin: support staff issue them, the key is shown exactly once and stored only as a
hash; tokens expire and can be revoked. The key appears nowhere else: not in the token's own page (title,
breadcrumb), not in a message, not in "Recent actions" (LogEntry.object_repr), not in a log record."""

import datetime
import hashlib
import logging
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import TokenProxy

from billing import api_tokens
from billing.models import ApiToken

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:billing_apitoken_add")
LIST_URL = reverse("admin:billing_apitoken_changelist")


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_superuser("root@example.test", "root@example.test", "pw-12345678")
    client = Client()
    client.force_login(user)
    return client


def _expiry_fields(when: datetime.datetime) -> dict:
    local = timezone.localtime(when)
    return {"expires_at_0": local.strftime("%Y-%m-%d"), "expires_at_1": local.strftime("%H:%M:%S")}


def _issue_in_admin(client, user, name="Zapier", expires_at=None):
    expires_at = expires_at or timezone.now() + datetime.timedelta(days=30)
    response = client.post(ADD_URL, {"user": user.pk, "name": name, **_expiry_fields(expires_at)})
    assert response.status_code == 200, response.content[:500]
    match = re.search(r'data-api-key value="([^"]+)"', response.content.decode())
    assert match, "the page shows no key"
    return response, match.group(1)


def test_issuing_a_token_shows_its_key_exactly_once_and_stores_only_its_hash(staff_client, admin_user):
    response, key = _issue_in_admin(staff_client, admin_user)
    assert response.content.decode().count(key) == 1
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.user == admin_user and token.name == "Zapier"
    assert token.digest == hashlib.sha256(key.encode()).hexdigest()
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert all(key not in str(value) for value in stored.values()), stored
    assert key.startswith(token.prefix) and len(key) >= 40


def test_the_key_is_never_shown_again(staff_client, admin_user):
    _, key = _issue_in_admin(staff_client, admin_user)
    token = ApiToken.objects.get()
    # No message carries it (Django's default "was added successfully" would, through str(token)): messages
    # live in the session or a cookie.
    assert not list(staff_client.get(LIST_URL).context["messages"])
    assert key not in str(dict(staff_client.session.items()))
    assert all(key not in cookie.value for cookie in staff_client.cookies.values())
    pages = [
        LIST_URL,
        reverse("admin:billing_apitoken_change", args=[token.pk]),  # its own page: title, breadcrumb
        reverse("admin:billing_apitoken_history", args=[token.pk]),
        reverse("admin:index"),  # "Recent actions"
    ]
    for url in pages:
        page = staff_client.get(url)
        assert page.status_code == 200, url
        assert key not in page.content.decode(), url
        assert token.prefix in page.content.decode() or url == reverse("admin:index"), url
    entry = LogEntry.objects.get()
    assert entry.object_repr == str(token) == f"Zapier ({token.prefix}…)"
    assert key not in entry.change_message


def test_the_key_is_never_logged(staff_client, admin_user, caplog):
    with caplog.at_level(logging.DEBUG):
        _, key = _issue_in_admin(staff_client, admin_user)
        Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {key}")
        Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {key}x")  # a failure is logged
    assert caplog.records
    assert all(key not in record.getMessage() for record in caplog.records)


def test_the_issued_key_authenticates(staff_client, admin_user, organization):
    _, key = _issue_in_admin(staff_client, admin_user)
    response = Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200, response.content


def test_the_expiry_defaults_to_the_setting(staff_client):
    form = staff_client.get(ADD_URL).context["adminform"].form
    expected = timezone.now() + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(form["expires_at"].value() - expected) < datetime.timedelta(minutes=1)


def test_an_expiry_in_the_past_is_a_field_error_and_issues_nothing(staff_client, admin_user):
    yesterday = timezone.now() - datetime.timedelta(days=1)
    response = staff_client.post(ADD_URL, {"user": admin_user.pk, "name": "Old", **_expiry_fields(yesterday)})
    assert response.status_code == 200
    assert "expires_at" in response.context["adminform"].form.errors
    assert not ApiToken.objects.exists()


def test_revoking_in_the_admin_turns_the_token_away(staff_client, admin_user, organization):
    issued = api_tokens.token_issue(user=admin_user, name="Zapier")
    other = api_tokens.token_issue(user=admin_user, name="Power BI")
    response = staff_client.post(
        LIST_URL, {"action": "revoke_selected", "_selected_action": [issued.token.pk]}, follow=True
    )
    assert "1 API token revoked" in response.content.decode()
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    refused = Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    kept = Client().get(reverse("api:company-list"), HTTP_AUTHORIZATION=f"Token {other.key}")
    assert kept.status_code == 200


def test_a_token_is_revoked_and_replaced_never_edited_or_deleted(staff_client, admin_user):
    issued = api_tokens.token_issue(user=admin_user, name="Zapier")
    page = staff_client.get(reverse("admin:billing_apitoken_change", args=[issued.token.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # view-only
    assert staff_client.get(reverse("admin:billing_apitoken_delete", args=[issued.token.pk])).status_code == 403


def test_drfs_plain_text_token_admin_is_gone():
    assert admin.site.is_registered(ApiToken)
    assert not admin.site.is_registered(TokenProxy)
