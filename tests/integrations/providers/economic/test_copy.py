"""Copying to e-conomic through the export engine and the pages: a draft updated in place, a booked invoice refused
with "Create new" offered, booking with our number, e-conomic numbering, the copy prompt's options (a new
customer's group), the setup's cross-field rule and its payment-dates text, e-conomic's PDF for "Download PDF"."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing.services import LineInput
from integrations import registry
from integrations.exceptions import ProviderValidationError
from integrations.models import CopyStatus, RemoteDocument
from integrations.providers.economic.mapping import EconomicMappings, invoice_preview
from integrations.services.invoice_copy import document_export
from tests.factories import CompanyFactory, ServiceTypeFactory, make_invoice

from .fake_economic import API, FakeEconomic
from .helpers import LISTS, READY_SETTINGS, economic_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def economic(mock):
    server = FakeEconomic(mock).install()
    server.add_customer("Globex", 1)
    return server


def setup(organization, subsidiary, **settings):
    connection = economic_connection(
        organization=organization, subsidiary=subsidiary, settings={**READY_SETTINGS, **settings}
    )
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        lines=[LineInput("Design", Decimal("2"), Decimal("150.00"), None, None)],
        finalize=True,
    )
    return connection, invoice


def sent(economic, method, path):
    return [json.loads(r.body) for r in economic.requests if r.method == method and r.url.split("?")[0] == API + path]


def test_a_draft_is_updated_in_place(economic, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary)
    first = document_export(document=invoice, connection=connection)
    assert first.remote_state == "draft" and first.remote_id.startswith("draft-")
    draft = sent(economic, "POST", "/invoices/drafts")[0]
    assert draft["references"] == {"other": invoice.number} and draft["customer"] == {"customerNumber": 1}
    assert draft["lines"][0]["unitNetPrice"] == 150 and draft["lines"][0]["product"] == {"productNumber": "1"}
    assert draft["layout"] == {"layoutNumber": 19} and draft["recipient"]["vatZone"] == {"vatZoneNumber": 1}

    again = document_export(document=invoice, connection=connection, mode="update")
    assert again.remote_id == first.remote_id and again.status == CopyStatus.SUCCEEDED
    assert len(economic.drafts) == 1 and len(sent(economic, "PUT", f"/invoices/drafts/{first.remote_id[6:]}")) == 1


def test_a_booked_invoice_is_refused_an_update_and_offered_create_new(economic, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary, booking="book")
    booked = document_export(document=invoice, connection=connection)
    assert booked.remote_state == "booked" and booked.remote_id == "1"  # INV-0001 booked as 1
    assert sent(economic, "POST", "/invoices/booked")[0]["bookWithNumber"] == 1
    calls = len(economic.requests)

    with pytest.raises(ProviderValidationError) as refused:
        document_export(document=invoice, connection=connection, mode="update")
    assert len(economic.requests) == calls, "nothing is sent for a booked invoice"
    action = registry.get("economic").refusal_action(refused.value.messages, "update")
    assert "Create new" in action
    failed = RemoteDocument.objects.get(invoice=invoice, status=CopyStatus.FAILED)
    assert "booked in e-conomic" in failed.error

    second = document_export(document=invoice, connection=connection, mode="new")
    assert second.remote_state == "booked" and second.remote_number == f"{invoice.number}-2"
    assert "bookWithNumber" not in sent(economic, "POST", "/invoices/booked")[1]  # e-conomic numbers the replacement
    assert len(economic.booked) == 2


def test_the_pages_offer_only_create_new_for_a_booked_copy(economic, admin_client, organization, subsidiary):
    update_button = 'name="mode" value="update"'
    connection, invoice = setup(organization, subsidiary)
    prompt = reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk])
    panel = reverse("integrations:invoice-panel", args=[invoice.pk])
    draft = document_export(document=invoice, connection=connection)
    assert update_button in admin_client.get(prompt).content.decode()  # a draft changes in place
    panel_html = admin_client.get(panel).content.decode()
    assert "?mode=update" in panel_html
    # A draft has no page of its own there: no "View in e-conomic", and no separator left dangling.
    assert f"<p>Invoice copied as {draft.remote_number}</p>" in panel_html or "<p>Invoice copied</p>" in panel_html

    RemoteDocument.objects.filter(pk=draft.pk).update(remote_state="booked")  # booked there by a bookkeeper
    page = admin_client.get(prompt).content.decode()
    assert update_button not in page and 'name="void_previous"' not in page
    assert "is booked there: it can no longer change" in page and 'value="new"' in page
    assert "?mode=update" not in admin_client.get(panel).content.decode()


def test_e_conomic_numbers_invoices_when_they_are_booked(economic, organization, subsidiary):
    from integrations.services.numbering import subsidiary_numbering_refresh

    connection, _ = setup(organization, subsidiary, numbering="provider", booking="book")
    subsidiary_numbering_refresh(subsidiary_id=subsidiary.pk)
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        company=CompanyFactory(organization=organization, name="Globex"),
        finalize=True,
    )
    assert not invoice.number
    copy = document_export(document=invoice, connection=connection)
    invoice.refresh_from_db()
    assert copy.remote_state == "booked" and invoice.number == copy.remote_id == str(economic.next_booked)
    assert sent(economic, "POST", "/invoices/booked")[-1] == {
        "draftInvoice": {"draftInvoiceNumber": economic.next_draft}
    }


def test_e_conomic_numbering_needs_booking(admin_client, organization, subsidiary):
    connection, _ = setup(organization, subsidiary)
    url = reverse("integrations:connection-setup", args=[connection.pk])
    form = {k: v for k, v in READY_SETTINGS.items() if k != "lists"} | {"numbering": "provider", "booking": "draft"}
    response = admin_client.post(url, form)
    assert "copies are booked at once" in response.content.decode()
    connection.refresh_from_db()
    assert connection.settings["numbering"] == "app"


def test_the_setup_page_says_how_payment_dates_are_derived(admin_client, member_client, organization, subsidiary):
    connection, _ = setup(organization, subsidiary)
    url = reverse("integrations:connection-setup", args=[connection.pk])
    page = admin_client.get(url).content.decode()
    assert "customer-payment entries" in page and "dated the day the change was seen" in page
    assert "Leave them as drafts" in page
    assert member_client.get(url).status_code == 403


def test_the_prompts_options_reach_the_draft_and_the_new_customer(economic, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary)
    economic.customers.clear()
    options = {"layout": "21", "payment_terms": "5", "vat_zone": "2", "customer_group": "3", "booking": "draft"}
    document_export(document=invoice, connection=connection, options=options)
    customer = sent(economic, "POST", "/customers")[0]
    assert customer["customerGroup"] == {"customerGroupNumber": 3} and customer["vatZone"] == {"vatZoneNumber": 2}
    assert customer["currency"] == invoice.company.default_currency
    draft = sent(economic, "POST", "/invoices/drafts")[0]
    assert draft["layout"] == {"layoutNumber": 21} and draft["paymentTerms"] == {"paymentTermsNumber": 5}


def test_the_copy_prompt_is_prefilled_from_the_setup(economic, admin_client, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary)
    page = admin_client.get(reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk])).content.decode()
    assert re.search(r'<option value="19" selected', page) and "Customer group (if the customer is created)" in page


def test_prices_with_more_than_two_decimals_are_refused_before_sending(economic, organization, subsidiary):
    connection, _ = setup(organization, subsidiary)
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        lines=[LineInput("Hours", Decimal("3"), Decimal("33.3333"), None, None)],
        finalize=True,
    )
    with pytest.raises(ValidationError, match="at most two"):
        document_export(document=invoice, connection=connection)
    assert not economic.requests


def test_download_pdf_serves_e_conomics_pdf(economic, member_client, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary, booking="book", pdf="provider")
    document_export(document=invoice, connection=connection)
    response = member_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]))
    assert response.status_code == 200 and response.content == b"%PDF-1.4 e-conomic booked invoice"


def test_setup_is_complete_only_with_layout_terms_zone_and_product(organization, subsidiary):
    provider = registry.get("economic")
    connection = economic_connection(organization=organization, subsidiary=subsidiary, settings={"lists": LISTS})
    assert provider.setup_missing(connection) == [
        "a default layout",
        "default payment terms",
        "a default VAT zone",
        "a default product",
    ]
    connection.settings = dict(READY_SETTINGS)
    assert provider.setup_is_complete(connection)


def test_the_prompts_customer_search_asks_e_conomic(economic, admin_client, organization, subsidiary):
    connection, invoice = setup(organization, subsidiary)
    economic.add_customer("Globex Nordic", 1042)
    url = reverse("integrations:invoice-copy-contacts", args=[invoice.pk, connection.pk])
    page = admin_client.get(url, {"q": "globex"}).content.decode()
    assert "Globex Nordic" in page and "1042" in page
    searched = [r for r in economic.requests if r.url.split("?")[0].endswith("/customers")]
    assert len(searched) == 1 and "name%24like%3Aglobex" in searched[0].url


def test_a_line_without_a_product_is_refused_with_what_to_map(organization, subsidiary):
    """The wording QuickBooks' and Xero's previews share (providers/line_codes.py): per line, its service type's
    mapping or the default to choose."""
    design = ServiceTypeFactory(organization=organization, name="Design")
    invoice = make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        lines=[
            LineInput("Wireframes", Decimal("2"), Decimal("150.00"), design, None),
            LineInput("Hosting", Decimal("1"), Decimal("20.00"), None, None),
        ],
        finalize=True,
    )
    mappings = EconomicMappings(layout="19", payment_terms="1", vat_zone="1")
    with pytest.raises(ValidationError) as refused:
        invoice_preview(invoice, list(invoice.lines.all()), mappings)
    assert refused.value.messages == [
        "Line 1 (“Wireframes”): no e-conomic product — map service type “Design” to a product or choose a default "
        "product in the e-conomic setup.",
        "Line 2 (“Hosting”): no e-conomic product — map lines without a service type to a product or choose a "
        "default product in the e-conomic setup.",
    ]
