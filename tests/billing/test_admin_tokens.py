import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token


@pytest.fixture
def staff_client(db):
    user = get_user_model().objects.create_superuser("root@example.test", "root@example.test", "pw-12345678")
    client = Client()
    client.force_login(user)
    return client


def test_token_keys_are_never_listed(staff_client, admin_user):
    token = Token.objects.create(user=admin_user)
    page = staff_client.get("/admin/authtoken/tokenproxy/")
    assert page.status_code == 200
    assert admin_user.email in page.content.decode()
    assert token.key not in page.content.decode()
    change = staff_client.get(f"/admin/authtoken/tokenproxy/{token.pk}/change/")
    assert token.key not in change.content.decode()


def test_creating_a_token_shows_its_key_once(staff_client, admin_user):
    response = staff_client.post("/admin/authtoken/tokenproxy/add/", {"user": admin_user.pk}, follow=True)
    key = Token.objects.get(user=admin_user).key
    assert key in response.content.decode()
    assert key not in staff_client.get("/admin/authtoken/tokenproxy/").content.decode()
