"""The batched bulk copy against the built-in Xero sandbox over real HTTP: one PUT /Contacts and one PUT /Invoices
for the batch, per-element results as Xero gives them, and create_contact's name-clash rule per element (the
clashes looked up in one GET /Contacts?where=Name=="a" OR Name=="b")."""

import pytest
from django.test import override_settings
from django.utils import timezone

from integrations import tasks
from integrations.models import ContactLink, CopyStatus, RemoteDocument, SyncLogEntry
from integrations.providers.xero.mapping import contact_number
from integrations.sandbox.models import XeroContact, XeroInvoice, XeroOrg
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from productive.settings.sandbox import sandbox_provider_settings
from tests.factories import CompanyFactory, make_invoice

from .test_copy_modes_sandbox import connect


@pytest.mark.django_db(transaction=True)
def test_a_batched_bulk_copy_against_the_sandbox(live_server, admin_client, subsidiary):
    organization = subsidiary.organization
    with override_settings(**sandbox_provider_settings(live_server.url), SITE_URL=live_server.url):
        connection = connect(admin_client, subsidiary, live_server)
        org = XeroOrg.objects.get(tenant_id=TRADING_TENANT_ID)
        same_client = CompanyFactory(organization=organization, name="Batch Same Client")
        namesake = CompanyFactory(organization=organization, name="Batch Namesake")
        fresh = CompanyFactory(organization=organization, name="Batch Fresh Client")
        # In Xero already: the same client (made by hand, no ContactNumber) and someone else of the same name.
        XeroContact.objects.create(org=org, name=same_client.name, updated_at=timezone.now())
        XeroContact.objects.create(org=org, name=namesake.name, contact_number="THEIRS-1", updated_at=timezone.now())
        invoices = [
            make_invoice(organization=organization, subsidiary=subsidiary, company=company, finalize=True)
            for company in (same_client, namesake, fresh, fresh)
        ]
        started = timezone.now()

        result = tasks.invoice_copy_batch_task(connection.pk, [i.pk for i in invoices], "update", None)

        assert result.startswith("4 done, 0 failed, 0 waiting")
        writes = SyncLogEntry.objects.filter(is_http_call=True, created_at__gte=started).order_by("id")
        assert [entry.action for entry in writes] == [
            "contact.create_batch",
            "contact.create_batch",
            "invoice.create_batch",
        ]
        copies = RemoteDocument.objects.filter(invoice__in=invoices)
        assert set(copies.values_list("status", flat=True)) == {CopyStatus.SUCCEEDED}
        numbers = set(XeroInvoice.objects.filter(org=org, type="ACCREC").values_list("number", flat=True))
        assert {invoice.number for invoice in invoices} <= numbers
        # The same client is adopted, the namesake gets "Name (2)", the fresh client is made once for two invoices.
        links = {link.company_id: link for link in ContactLink.objects.filter(connection=connection)}
        adopted = XeroContact.objects.get(contact_id=links[same_client.pk].remote_id)
        assert adopted.name == same_client.name and adopted.contact_number == ""
        second = XeroContact.objects.get(contact_id=links[namesake.pk].remote_id)
        assert second.name == f"{namesake.name} (2)" and second.contact_number == contact_number(namesake)
        assert XeroContact.objects.filter(org=org, name=fresh.name).count() == 1
