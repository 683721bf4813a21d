"""In a real browser: only admins see Settings and the App marketplace; a member gets 403 there."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pass-word-123"  # tests.factories.UserFactory


def test_member_sees_neither_settings_nor_the_marketplace(browser_page, live_url, login, member_user):
    page = browser_page
    login(page, member_user.email, PASSWORD)
    expect(page.get_by_role("link", name="Invoices")).to_be_visible()
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("link", name="App marketplace")).to_have_count(0)

    response = page.goto(live_url + reverse("integrations:marketplace"))
    assert response.status == 403
    expect(page.get_by_role("link", name="App marketplace")).to_have_count(0)

    response = page.goto(live_url + reverse("billing:settings-organization"))
    assert response.status == 403


def test_admin_reaches_the_marketplace_through_settings(browser_page, live_url, login, admin_user):
    """The control for the member test: the same links exist, for admins."""
    page = browser_page
    login(page, admin_user.email, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    expect(page).to_have_url(live_url + reverse("integrations:marketplace"))
    expect(page.get_by_role("heading").first).to_be_visible()
