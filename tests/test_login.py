"""Login is django-allauth with email + password; failed attempts are rate-limited; there is no public sign-up."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"  # tests.factories.UserFactory's password
BLOCKED = "Too many failed login attempts"


@pytest.fixture(autouse=True)
def empty_cache():
    """allauth counts attempts in the (locmem) cache; start and end each test with a clean slate."""
    cache.clear()
    yield
    cache.clear()


def log_in(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_login_page_asks_for_email_and_password(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields) >= {"login", "password"}
    assert form.fields["login"].widget.input_type == "email"


def test_email_and_password_log_in(client, admin_user):
    response = log_in(client, "admin@acme.test", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:invoice-list")
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_email_is_case_insensitive(client, admin_user):
    response = log_in(client, "Admin@ACME.test", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin_user.pk)


def test_wrong_password_is_refused_with_a_message(client, admin_user):
    response = log_in(client, "admin@acme.test", "wrong")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].errors


def test_sixth_wrong_password_in_a_row_is_blocked(client, admin_user):
    for attempt in range(5):
        response = log_in(client, "admin@acme.test", f"wrong-{attempt}")
        assert response.status_code == 200
        assert BLOCKED not in response.content.decode(), f"blocked too early, at attempt {attempt + 1}"
    response = log_in(client, "admin@acme.test", "wrong-6")
    assert BLOCKED in response.content.decode()
    # Even the right password is refused while the account is blocked.
    response = log_in(client, "admin@acme.test", PASSWORD)
    assert response.status_code != 302
    assert BLOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_block_is_per_account_not_only_per_address(admin_user, member_user):
    for attempt in range(5):
        log_in(Client(REMOTE_ADDR=f"10.0.0.{attempt + 1}"), "admin@acme.test", "wrong")
    # A sixth address still cannot guess the same account's password...
    response = log_in(Client(REMOTE_ADDR="10.0.0.99"), "admin@acme.test", "wrong")
    assert BLOCKED in response.content.decode()
    # ...but another account logs in normally from there.
    response = log_in(Client(REMOTE_ADDR="10.0.0.99"), "member@acme.test", PASSWORD)
    assert response.status_code == 302


def test_signup_is_closed(client):
    login_page = client.get(reverse("account_login")).content.decode()
    assert reverse("account_signup") not in login_page, "the login page must not offer a sign-up link"
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    assert "account/signup_closed.html" in [template.name for template in response.templates]
    client.post(
        reverse("account_signup"),
        {"email": "intruder@example.test", "password1": "Very-long-pass-42", "password2": "Very-long-pass-42"},
    )
    assert not get_user_model().objects.filter(email="intruder@example.test").exists()
    assert "_auth_user_id" not in client.session


def test_logout_returns_to_the_login_page(admin_client):
    response = admin_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert "_auth_user_id" not in admin_client.session
