"""The Django admin's login asks for the email address, the credential every other login page uses."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def support():
    # A username that is not the email: the admin login must still take the email.
    return UserFactory(username="support-staff", email="support@demo.test", is_staff=True, is_superuser=True)


def test_the_admin_login_labels_its_field_email(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    field = response.context["form"]["username"]
    assert field.label == "Email"
    assert field.field.widget.input_type == "email"
    assert '<label for="id_username" class="required">Email:</label>' in response.content.decode()
    assert "Username" not in response.content.decode()


def test_support_staff_log_in_to_the_admin_with_their_email(client, support):
    response = client.post(
        reverse("admin:login"),
        {"username": "Support@Demo.test", "password": "pass-word-123", "next": reverse("admin:index")},
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(support.pk)


def test_a_wrong_password_says_email_and_password(client, support):
    response = client.post(reverse("admin:login"), {"username": "support@demo.test", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter the correct email and password" in response.content.decode()
