"""The one setup page and the copy prompt render what a provider declares: a QuickBooks/Exact-shaped test provider
(items per service type, a sales journal, tax codes, its own words for a tenant) is set up, refused and saved
through the core's page with no template of its own; a provider's copy-prompt options are asked and checked
before anything is sent; no template of the core names Xero."""

import json
import re
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from billing.services import LineInput
from integrations import registry
from integrations.models import Connection, RemoteDocument, ServiceTypeMapping, TaxRateMapping
from integrations.services.invoice_copy import invoice_copy
from tests.factories import ServiceTypeFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory, ready_xero_connection
from .setup_fakes import LEDGERLY, XERO_WITH_OPTIONS, LedgerlyApi

pytestmark = pytest.mark.django_db

LISTS = {
    "items": [{"code": "1", "name": "Consulting", "extra": {}}, {"code": "2", "name": "Design hours", "extra": {}}],
    "journals": [
        {"code": "70", "name": "Sales journal", "extra": {"type": 20}},
        {"code": "60", "name": "Purchase journal", "extra": {"type": 22}},
    ],
    "tax_codes": [{"code": "TAX", "name": "Standard 21%", "extra": {"rate": "21"}}],
    "refreshed_at": "2026-12-01T10:00:00+00:00",
}


@pytest.fixture
def ledgerly(organization, subsidiary):
    design = ServiceTypeFactory(organization=organization, name="Design")
    vat = TaxRateFactory(organization=organization, name="VAT", percentage=Decimal("21"))
    connection = ConnectionFactory(
        organization=organization,
        subsidiary=subsidiary,
        provider="ledgerly",
        name="Northwind books",
        remote_tenant_name="Northwind Ltd",
        settings={"lists": LISTS},
    )
    make_invoice(
        organization=organization,
        subsidiary=subsidiary,
        lines=[LineInput("Design", Decimal("1"), Decimal("100.00"), tax_rate=vat, service_type=design)],
    )
    return connection, design, vat


def setup_url(connection):
    return reverse("integrations:connection-setup", args=[connection.pk])


def valid_post(design, vat, **overrides):
    return {
        f"service_item_{design.pk}": "2",
        "journal": "70",
        "numbering": "app",
        "number_prefix": "NW",
        "payment_days": "30",
        f"tax_code_{vat.pk}": "TAX",
        **overrides,
    }


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_the_core_page_renders_the_declared_sections_in_the_providers_words(admin_client, ledgerly):
    connection, design, vat = ledgerly
    response = admin_client.get(setup_url(connection))
    assert response.status_code == 200
    assert [t.name for t in response.templates if t.name.startswith("integrations/")] == ["integrations/setup.html"]
    page = response.content.decode()
    for heading in ("Items", "Journal and numbers", "Tax codes"):
        assert f'<h2 class="card-title">{heading}</h2>' in page
    assert "Ledgerly company <strong>Northwind Ltd</strong>" in page
    assert "Items, journals and tax codes from Ledgerly" in page and "2 items, 2 journals, 1 tax codes" in page
    assert "<th>Ledgerly item</th>" in page and f'name="service_item_{design.pk}"' in page
    assert '<option value="2">2 · Design hours</option>' in page
    # Only sales journals are offered for the sales journal.
    journal = re.search(r'<select name="journal".*?</select>', page, re.S).group(0)
    assert "70 · Sales journal" in journal and "Purchase journal" not in journal
    assert 'name="payment_days"' in page and 'name="number_prefix"' in page and 'value="ledgerly"' in page
    assert "Xero" not in page and "organisation" not in page
    # What the declaration marks as needed is what the page (and the card) says is missing.
    assert "an item for “Design”" in page and "a sales journal" in page and f"a tax code for “{vat}”" in page


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_it_saves_through_the_same_page_and_is_then_ready(admin_client, ledgerly):
    connection, design, vat = ledgerly
    response = admin_client.post(setup_url(connection), valid_post(design, vat))

    assert response.status_code == 302
    connection.refresh_from_db()
    assert {k: connection.settings[k] for k in ("journal", "numbering", "number_prefix", "payment_days")} == {
        "journal": "70",
        "numbering": "app",
        "number_prefix": "NW",
        "payment_days": 30,
    }
    mapping = ServiceTypeMapping.objects.get(connection=connection)
    assert (mapping.service_type, mapping.remote_code, mapping.remote_name) == (design, "2", "Design hours")
    assert TaxRateMapping.objects.get(connection=connection).remote_code == "TAX"
    assert registry.get("ledgerly").setup_missing(connection) == []
    card = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "✔ Ready" in card
    # The form shows what is saved: posting it back unchanged changes nothing.
    form = admin_client.get(setup_url(connection)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    before = dict(connection.settings)
    admin_client.post(setup_url(connection), {k: v for k, v in data.items() if v not in (None, False)})
    connection.refresh_from_db()
    assert connection.settings == before


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_a_refused_save_names_each_field_and_saves_nothing(admin_client, ledgerly):
    connection, design, vat = ledgerly
    # A purchase journal is not one the field accepts; Django refuses a code outside the offered choices.
    response = admin_client.post(setup_url(connection), valid_post(design, vat, journal="60", payment_days="400"))
    page = response.content.decode()
    assert response.status_code == 200 and "The setup was not saved" in page
    assert "Sales journal</a>: Select a valid choice" in page
    assert "Payment terms (days)</a>: Ensure this value is less than or equal to 365." in page
    connection.refresh_from_db()
    assert "journal" not in connection.settings and not ServiceTypeMapping.objects.exists()


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_a_cross_field_check_and_a_stale_code_are_refused(admin_client, ledgerly):
    connection, design, vat = ledgerly
    response = admin_client.post(setup_url(connection), valid_post(design, vat, numbering="ledgerly"))
    assert "Number prefix</a>: A prefix applies only when this app numbers the invoices." in response.content.decode()
    assert not ServiceTypeMapping.objects.exists()

    # An item saved earlier that left Ledgerly's list stays selectable, and is refused when saved again.
    ServiceTypeMapping.objects.create(connection=connection, service_type=design, remote_code="9")
    page = admin_client.get(setup_url(connection)).content.decode()
    assert '<option value="9" selected>9 (not in Ledgerly&#x27;s list any more)</option>' in page
    response = admin_client.post(setup_url(connection), valid_post(design, vat, **{f"service_item_{design.pk}": "9"}))
    assert "Design</a>: Not an active item in Ledgerly: refresh the lists." in response.content.decode()
    assert ServiceTypeMapping.objects.get(connection=connection).remote_code == "9"


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_refresh_asks_for_each_declared_list_once(admin_client, ledgerly):
    connection, _design, _vat = ledgerly
    LedgerlyApi.calls = []
    response = admin_client.post(reverse("integrations:connection-refresh-lists", args=[connection.pk]))

    assert sorted(LedgerlyApi.calls) == ["list_items", "list_journals", "list_tax_codes"]
    connection.refresh_from_db()
    lists = connection.settings["lists"]
    assert set(lists) == {"items", "journals", "tax_codes", "refreshed_at"}
    assert lists["journals"][1] == {"code": "60", "name": "Purchase journal", "extra": {"type": 22}}
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Lists refreshed: 2 items, 2 journals, 1 tax codes."]


@override_settings(INTEGRATION_PROVIDERS=LEDGERLY)
def test_the_tenant_noun_is_used_on_the_connect_choose_and_disconnect_pages(admin_client, subsidiary):
    response = admin_client.post(
        reverse("integrations:connect", args=["ledgerly"]), {"subsidiary": subsidiary.pk, "name": "Books"}
    )
    state = response["Location"].split("state=")[1]
    response = admin_client.get(reverse("integrations:callback", args=["ledgerly"]), {"code": "c", "state": state})
    choose = admin_client.get(response["Location"]).content.decode()
    assert "Which Ledgerly company?" in choose and "several Ledgerly companies" in choose
    assert ">Companies</label>" in choose  # the choice field is labelled with the noun too
    assert "organisation" not in choose.lower()

    response = admin_client.post(reverse("integrations:choose-tenant", args=["ledgerly"]), {"tenant": "c-2"})
    messages = [str(m) for m in response.wsgi_request._messages]
    assert "“Books” is connected to the Ledgerly company “Southwind Ltd”." in messages
    connection = Connection.objects.get(provider="ledgerly")
    assert response["Location"] == setup_url(connection)  # a declared setup: straight to it

    page = admin_client.get(reverse("integrations:connection-disconnect", args=[connection.pk])).content.decode()
    assert "copying invoices to Ledgerly company" in page and "organisation" not in page


@override_settings(INTEGRATION_PROVIDERS=XERO_WITH_OPTIONS)
def test_the_prompt_asks_the_providers_options_and_checks_them_before_sending(
    admin_client, xero, organization, subsidiary
):
    connection = ready_xero_connection(
        organization, subsidiary, name="Acme Xero", settings={"numbering": "app", "default_account": "200"}
    )
    connection.settings["lists"] = {"accounts": [{"code": "200", "name": "Sales", "extra": {}}]}
    connection.save()
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    url = f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/"

    page = admin_client.get(url).content.decode()
    assert '<h2 class="card-title">Options</h2>' in page and "Status in Xero" in page
    assert '<option value="200" selected>200 · Sales</option>' in page  # starts from the setup's value

    refused = admin_client.post(url, {"mode": "update", "contact": "", "status": "PAID", "default_account": "200"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert not RemoteDocument.objects.exists() and not xero.requests

    done = admin_client.post(url, {"mode": "update", "contact": "", "status": "DRAFT", "default_account": "200"})
    assert done.status_code == 302 and RemoteDocument.objects.get().remote_number == invoice.number

    # "Update existing" / "Create new" start from what the copy was sent with, not from the setup again.
    again = admin_client.get(url).content.decode()
    assert 'value="DRAFT" required id="id_status_1" checked>' in again


@override_settings(INTEGRATION_PROVIDERS=XERO_WITH_OPTIONS)
def test_the_prompts_options_reach_the_payload_and_a_retry_sends_the_same(admin_client, xero, organization, subsidiary):
    connection = ready_xero_connection(
        organization, subsidiary, name="Acme Xero", settings={"numbering": "app", "default_account": "200"}
    )
    connection.settings["lists"] = {
        "accounts": [{"code": "200", "name": "Sales", "extra": {}}, {"code": "260", "name": "Other", "extra": {}}]
    }
    connection.save()
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    url = f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/"
    form = {"mode": "update", "contact": "", "status": "DRAFT", "default_account": "260", "attempt": str(uuid.uuid4())}

    xero.drop_answers = 10  # Xero commits, every answer is lost (the retries too): the attempt stays pending
    assert admin_client.post(url, form).status_code >= 400
    copy = RemoteDocument.objects.get()
    assert copy.status == "pending" and copy.options == {"status": "DRAFT", "default_account": "260"}

    # The retry (the invoice page's "Try again" carries no options) looks the invoice up, finds none (removed in
    # Xero meanwhile), and sends again what the prompt chose.
    xero.invoices.clear()
    xero.drop_answers = 0
    invoice_copy(invoice=invoice, connection=connection)
    writes = [r for r in xero.requests if r.method in ("PUT", "POST") and "/Invoices" in r.url]
    sent = [json.loads(r.body)["Invoices"][0] for r in writes]
    assert len(sent) >= 2 and all(i["Status"] == "DRAFT" for i in sent)
    assert all(line["AccountCode"] == "260" for i in sent for line in i["LineItems"])
    assert RemoteDocument.objects.get().status == "succeeded"


def test_no_template_of_the_core_names_a_provider():
    folder = Path(settings.BASE_DIR) / "templates" / "integrations"
    named = [path.name for path in folder.rglob("*.html") if re.search(r"xero", path.read_text(), re.I)]
    assert named == []
    assert list(folder.rglob("*.html")), "the folder moved: this test would pass on nothing"
