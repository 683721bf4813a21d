"""The allauth sign-in page uses the app's layout."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_extends_the_app_layout(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "css/app.css" in html and "auth-page" in html
    assert 'name="login"' in html and 'name="password"' in html
    assert "Forgot your password?" in html


def test_wrong_password_shows_the_error_on_the_page(client, admin_user):
    response = client.post(reverse("account_login"), {"login": "admin@acme.test", "password": "nope"})
    assert response.status_code == 200
    assert "alert-error" in response.content.decode()


def test_password_reset_page_uses_the_app_layout(client):
    html = client.get(reverse("account_reset_password")).content.decode()
    assert "css/app.css" in html and "auth-page" in html
