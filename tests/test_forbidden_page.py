"""The 403 page: inside the app frame, says why, and leads back where the user came from (on this site only).

Every refused route of the URL configuration is checked by tests/test_route_security.py (assert_refusal_page).
"""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SETTINGS_PAGE = "billing:settings-organization"


def test_a_member_refused_a_settings_page_sees_why_and_can_go_back(member_client):
    came_from = "http://testserver" + reverse("billing:expense-list")
    response = member_client.get(reverse(SETTINGS_PAGE), HTTP_REFERER=came_from)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Only organization admins can change settings." in page
    assert "Ask an organization admin" in page
    assert f'href="{came_from}">Go back</a>' in page
    assert 'aria-label="Main"' in page  # the app's navigation is there


@pytest.mark.parametrize("referer", ["", "https://evil.test/phish", "http://testserver/settings/"])
def test_without_a_page_of_this_site_to_return_to_the_way_back_is_home(member_client, referer):
    response = member_client.get(reverse(SETTINGS_PAGE), HTTP_REFERER=referer)
    assert response.context["back_url"] == reverse("home")


def test_a_user_of_no_organization_gets_the_page_too(client):
    client.force_login(UserFactory())
    response = client.get(reverse("billing:invoice-list"))
    assert response.status_code == 403
    assert "You are not a member of any organization." in response.content.decode()
    assert response.templates[0].name == "403.html"


def test_the_api_still_answers_json(member_client):
    response = member_client.post(reverse("api:servicetype-list"), {"name": "X"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json() == {"detail": response.json()["detail"]}
