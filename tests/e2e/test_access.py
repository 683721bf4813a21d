"""Access in the browser: a member never reaches the App marketplace; another organization's invoice is a 404."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_invoice
from tests.integrations.factories import ConnectionFactory

from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_never_reaches_the_marketplace(browser_page, live_url, login, member_user, e2e_site):
    page = browser_page
    login(page, member_user.email, PASSWORD)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Invoices")).to_be_visible()
    expect(page.get_by_role("link", name="App marketplace")).to_have_count(0)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)

    for name, args in [("integrations:marketplace", []), ("integrations:connect", ["xero"])]:
        response = page.goto(live_url + reverse(name, args=args))
        assert response.status == 403, name
        expect(page.get_by_role("link", name="App marketplace")).to_have_count(0)


def test_another_organizations_invoice_is_a_404(browser_page, live_url, login, demo, other_organization, e2e_site):
    page = browser_page
    foreign = make_invoice(organization=other_organization, finalize=True)
    login(page, demo.admin.email, PASSWORD)

    own = page.goto(live_url + demo.invoice.get_absolute_url())
    assert own.status == 200
    response = page.goto(live_url + foreign.get_absolute_url())
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text(foreign.number)
    # Its copy page too, although the connection in the URL exists (in that organization).
    theirs = ConnectionFactory(organization=other_organization, subsidiary=foreign.subsidiary)
    copy_url = live_url + reverse("integrations:invoice-copy", args=[foreign.pk, theirs.pk])
    assert page.goto(copy_url).status == 404
