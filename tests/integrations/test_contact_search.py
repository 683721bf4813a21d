"""The copy prompt's contact search: reacts to typing and to paste, says it needs two characters, keyboard-usable."""

import datetime
import re

import pytest

from tests.factories import make_invoice

from .factories import ready_xero_connection

pytestmark = pytest.mark.django_db

HINT = "Type at least two characters"


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200"},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


@pytest.fixture
def invoice(organization, subsidiary):
    return make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)


def search_url(invoice, connection, term):
    return f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/contacts/?q={term}"


def search_input(page: str) -> str:
    return re.search(r'<input id="contact-search"[^>]*>', page, re.S).group(0)


def test_search_reacts_to_input_and_paste_not_only_keyup(admin_client, connection, invoice):
    page = admin_client.get(f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/").content.decode()
    field = search_input(page)
    assert 'hx-trigger="input changed delay:300ms, paste delay:50ms, search"' in field
    assert 'hx-sync="this:replace"' in field  # a slower earlier answer never overwrites a newer one
    # The hint is there before anything is typed, tied to the field, and results are announced.
    assert HINT in page and 'aria-describedby="contact-search-hint"' in field
    assert re.search(r'<div id="contact-results"[^>]*aria-live="polite"', page)
    assert "data-search-on-enter" in field  # Enter searches instead of submitting the copy


@pytest.mark.parametrize("term", ["", "a", "%20b%20"])
def test_a_term_shorter_than_two_characters_gets_the_hint_and_no_provider_call(
    admin_client, mock, connection, invoice, term
):
    response = admin_client.get(search_url(invoice, connection, term), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and HINT in response.content.decode()
    assert len(mock.calls) == 0


def test_results_are_labelled_radios_of_the_contact_group(admin_client, xero, connection, invoice):
    xero.contacts["c-1"] = {"ContactID": "c-1", "Name": "Globex Holdings", "EmailAddress": "ap@globex.test"}
    xero.contacts["c-2"] = {"ContactID": "c-2", "Name": "Globex Europe"}
    page = admin_client.get(search_url(invoice, connection, "globex"), HTTP_HX_REQUEST="true").content.decode()
    radios = re.findall(r'<label[^>]*>\s*<input type="radio" name="contact" value="([^"]+)"[^>]*>\s*([^<]+)', page)
    assert [(value, name.strip()) for value, name in radios] == [
        ("c-1::Globex Holdings", "Globex Holdings"),
        ("c-2::Globex Europe", "Globex Europe"),
    ]
    assert HINT not in page and "2 contacts match" in page


def test_no_match_says_so(admin_client, xero, connection, invoice):
    page = admin_client.get(search_url(invoice, connection, "zzz"), HTTP_HX_REQUEST="true").content.decode()
    assert "No contact matches “zzz”" in page
