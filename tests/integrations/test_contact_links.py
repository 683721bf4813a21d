"""Which Xero contact bills a company: a named id must have the provider's form, a link is remembered only after
the provider accepted a document sent to that contact, and an admin can forget a wrong one.

Against the built-in sandbox (in process): it refuses an id that is not a GUID and one it never issued the way Xero
does, so a wrong id fails the copy with Xero's words instead of a 500 that leaves it pending."""

import json
import uuid
from decimal import Decimal

import pytest
import responses
from django.core.exceptions import ValidationError
from django.test import override_settings

from integrations import registry
from integrations.exceptions import ProviderValidationError
from integrations.models import ContactLink, CopyStatus, RemoteDocument, SyncLogEntry, TaxRateMapping
from integrations.providers.base import Provider
from integrations.sandbox.models import XeroContact, XeroInvoice
from integrations.services.invoice_copy import invoice_copy
from integrations.tasks import invoice_copy_task
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

from .factories import ConnectionFactory
from .sandbox_bridge import SANDBOX_API, SandboxBridge, sandbox_connection

NEVER_ISSUED = "0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d"
NOT_A_GUID = "not-a-guid"

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    with (
        override_settings(XERO_API_URL=SANDBOX_API),
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        SandboxBridge(mock)
        yield mock


@pytest.fixture
def vat(organization):
    return TaxRateFactory(organization=organization, percentage=Decimal("20"))


@pytest.fixture
def connection(sandbox, organization, subsidiary, vat):
    connection = sandbox_connection(
        organization=organization,
        subsidiary=subsidiary,
        name="Sandbox books",
        settings={"numbering": "app", "default_account": "200"},
    )
    TaxRateMapping.objects.create(connection=connection, tax_rate=vat, remote_code="OUTPUT2")
    return connection


@pytest.fixture
def company(organization):
    return CompanyFactory(organization=organization, name="Initech", default_currency="EUR")


def finalized(organization, subsidiary, company):
    return make_invoice(
        organization=organization, subsidiary=subsidiary, company=company, currency="EUR", finalize=True
    )


@pytest.fixture
def invoice(organization, subsidiary, company):
    return finalized(organization, subsidiary, company)


def prompt_url(invoice, connection):
    return f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/"


def forget_url(invoice, connection):
    return prompt_url(invoice, connection) + "forget-contact/"


def calls(mock) -> int:
    return len(mock.calls)


# --- the provider decides what its ids look like ---------------------------------------------------------------


def test_each_provider_decides_the_form_of_its_contact_ids():
    xero = registry.get("xero")
    assert xero.clean_contact_id(" 0B5A3C5E-51C1-4B5C-9D3E-7F4C1A2B3C4D ") == NEVER_ISSUED
    assert xero.clean_contact_id("{0b5a3c5e-51c1-4b5c-9d3e-7f4c1a2b3c4d}") == NEVER_ISSUED
    assert xero.clean_contact_id("") == ""
    for wrong in (NOT_A_GUID, "12345", NEVER_ISSUED[:-1], "x" * 300):
        with pytest.raises(ValidationError):
            xero.clean_contact_id(wrong)
    # The core knows no form: any provider without its own rule only bounds the length (ContactLink.remote_id).
    assert Provider().clean_contact_id(" C-1 ") == "C-1"
    with pytest.raises(ValidationError):
        Provider().clean_contact_id("x" * 101)


# --- a wrong id from the copy form or the API: a field error, nothing saved or sent -----------------------------


def test_a_tampered_copy_form_gets_a_field_error_and_nothing_is_saved_or_sent(
    sandbox, connection, invoice, admin_client
):
    before = calls(sandbox)
    response = admin_client.post(prompt_url(invoice, connection), {"mode": "update", "contact": f"{NOT_A_GUID}::Evil"})

    assert response.status_code == 400
    assert "not a Xero contact id" in response.content.decode()
    assert 'id="contact-errors"' in response.content.decode()
    assert calls(sandbox) == before
    assert not RemoteDocument.objects.exists() and not ContactLink.objects.exists()


def test_the_apis_contact_id_gets_a_field_error_and_nothing_is_saved_or_sent(sandbox, connection, invoice, admin_user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(admin_user)
    before = calls(sandbox)
    response = api.post(
        f"/api/v1/invoices/{invoice.pk}/copies/",
        {"connection": connection.pk, "contact_id": NOT_A_GUID},
        format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"contact_id"}
    assert calls(sandbox) == before
    assert not RemoteDocument.objects.exists() and not ContactLink.objects.exists()


# --- an id Xero never issued: Xero's words, a failed copy, no link ---------------------------------------------


@pytest.mark.parametrize(
    ("contact_id", "xero_says"),
    [(NEVER_ISSUED, "The contact specified could not be found."), (NOT_A_GUID, "Unrecognized Guid format.")],
)
def test_a_contact_xero_refuses_fails_the_copy_and_is_not_remembered(
    sandbox, connection, invoice, organization, subsidiary, company, contact_id, xero_says
):
    with pytest.raises(ProviderValidationError) as refused:
        invoice_copy(invoice=invoice, connection=connection, contact_id=contact_id, contact_name="Typo Ltd")

    assert refused.value.messages == [xero_says]
    copy = RemoteDocument.objects.get()
    assert copy.status == CopyStatus.FAILED and copy.error == xero_says  # not pending behind a 503
    assert not ContactLink.objects.exists()

    # Later copies of the company's invoices (one page copy, one bulk copy) are not poisoned by it.
    later = finalized(organization, subsidiary, company)
    bulk = finalized(organization, subsidiary, company)
    assert invoice_copy(invoice=later, connection=connection).status == CopyStatus.SUCCEEDED
    assert invoice_copy_task(bulk.pk, connection.pk, "update", None).startswith("succeeded")
    link = ContactLink.objects.get()
    assert XeroContact.objects.filter(contact_id=link.remote_id, name="Initech").exists()
    assert XeroInvoice.objects.filter(contact__contact_id=link.remote_id).count() == 2


def test_the_contact_actually_sent_is_remembered_once_the_invoice_is_accepted(
    sandbox, connection, invoice, admin_client
):
    acme = XeroContact.objects.get(org__tenant_id=connection.remote_tenant_id, name="Acme Widgets Ltd")
    acme = str(acme.contact_id)
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=NEVER_ISSUED, remote_name="X")

    answer = admin_client.post(prompt_url(invoice, connection), {"mode": "update", "contact": f"{acme.upper()}::Acme"})

    assert answer.status_code == 302
    copy = RemoteDocument.objects.get()
    assert copy.status == CopyStatus.SUCCEEDED
    link = ContactLink.objects.get()
    assert (link.remote_id, link.remote_name) == (acme, "Acme")
    assert XeroInvoice.objects.get(invoice_id=copy.remote_id).contact.name == "Acme Widgets Ltd"
    assert SyncLogEntry.objects.filter(action="contact.linked", remote_id=acme).count() == 1


def test_a_remembered_id_that_is_not_the_providers_form_is_ignored_not_sent(sandbox, connection, invoice):
    """A link saved before ids were checked (a tampered form): the next copy, bulk included, makes a contact."""
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=NOT_A_GUID)

    assert invoice_copy_task(invoice.pk, connection.pk, "update", None).startswith("succeeded")

    sent = [
        json.loads(call.request.body)["Invoices"][0]["Contact"]["ContactID"]
        for call in sandbox.calls
        if call.request.method == "PUT" and "/Invoices" in call.request.url
    ]
    link = ContactLink.objects.get()
    assert sent == [link.remote_id] and uuid.UUID(link.remote_id)
    assert SyncLogEntry.objects.filter(action="contact.link_ignored").exists()


# --- forgetting a wrong link: admins of the organization only ---------------------------------------------------


def test_an_admin_forgets_the_remembered_contact_and_the_next_copy_creates_one(
    sandbox, connection, invoice, admin_client
):
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=NEVER_ISSUED, remote_name="X")
    other = ConnectionFactory(organization=connection.organization, subsidiary=connection.subsidiary)
    kept = ContactLink.objects.create(connection=other, company=invoice.company, remote_id=NEVER_ISSUED)
    prompt = admin_client.get(prompt_url(invoice, connection)).content.decode()
    assert f'formaction="{forget_url(invoice, connection)}"' in prompt

    response = admin_client.post(forget_url(invoice, connection))

    assert response.status_code == 302 and response["Location"] == prompt_url(invoice, connection)
    assert list(ContactLink.objects.all()) == [kept]  # only this connection's link
    assert SyncLogEntry.objects.filter(action="contact.unlinked", connection=connection).exists()
    answer = admin_client.post(prompt_url(invoice, connection), {"mode": "update", "contact": ""})
    assert answer.status_code == 302
    assert RemoteDocument.objects.get().status == CopyStatus.SUCCEEDED
    assert ContactLink.objects.get(connection=connection).remote_id != NEVER_ISSUED


def test_members_may_not_forget_a_contact(connection, invoice, member_client):
    ContactLink.objects.create(connection=connection, company=invoice.company, remote_id=NEVER_ISSUED)
    assert member_client.post(forget_url(invoice, connection)).status_code == 403
    assert ContactLink.objects.count() == 1


def test_another_organizations_invoice_or_connection_is_404(connection, invoice, admin_client, other_organization):
    foreign_invoice = make_invoice(organization=other_organization, finalize=True)
    foreign_connection = ConnectionFactory(organization=other_organization)
    ContactLink.objects.create(connection=foreign_connection, company=foreign_invoice.company, remote_id=NEVER_ISSUED)

    assert admin_client.post(forget_url(foreign_invoice, connection)).status_code == 404
    assert admin_client.post(forget_url(invoice, foreign_connection)).status_code == 404
    assert admin_client.post(forget_url(foreign_invoice, foreign_connection)).status_code == 404
    assert ContactLink.objects.count() == 1
