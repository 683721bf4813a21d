"""Copy pages: the invoice panel, the prompt, errors on the page, bulk copy, "Sync now"; admins only, org-scoped."""

import datetime

import pytest
import responses

from integrations.models import ConnectionStatus, ContactLink, CopyStatus, RemoteDocument, SyncRun
from tests.factories import make_invoice

from .factories import ConnectionFactory, ready_xero_connection

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture
def xero_connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


@pytest.fixture
def invoice(organization, subsidiary):
    return make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)


def prompt_url(invoice, connection):
    return f"/integrations/invoices/{invoice.pk}/copy/{connection.pk}/"


def test_panel_offers_copy_and_after_a_copy_links_to_xero(admin_client, xero, xero_connection, invoice):
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Copy to Acme Xero" in page and prompt_url(invoice, xero_connection) in page

    response = admin_client.post(prompt_url(invoice, xero_connection), {"mode": "update", "contact": ""})
    assert response.status_code == 302 and response["Location"] == invoice.get_absolute_url()

    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    copy = RemoteDocument.objects.get(invoice=invoice)
    assert "Invoice copied" in page and "View in Xero" in page and copy.remote_url in page
    assert "Update existing" in page and "Create new" in page
    assert f"Invoice copied to Acme Xero as {invoice.number}." in page  # the flash message
    assert xero_connection.grant.access_token not in page and xero_connection.grant.refresh_token not in page


def test_prompt_shows_remembered_contact_and_preview(admin_client, xero_connection, invoice):
    ContactLink.objects.create(
        connection=xero_connection, company=invoice.company, remote_id="c-9", remote_name="Globex"
    )

    page = admin_client.get(prompt_url(invoice, xero_connection)).content.decode()

    assert 'value="c-9::Globex" checked' in page
    assert "Design work" in page and "200" in page and "NONE" in page
    assert f"numbered {invoice.number}" in page


def test_prompt_lists_what_to_set_when_the_mapping_is_incomplete(admin_client, xero_connection, invoice):
    xero_connection.settings = {**xero_connection.settings, "default_account": ""}
    xero_connection.save()

    page = admin_client.get(prompt_url(invoice, xero_connection)).content.decode()

    assert "be copied yet" in page and "Finish the setup of Acme Xero" in page
    assert f"/settings/connections/{xero_connection.pk}/setup/" in page


def test_contact_search_returns_choices(admin_client, xero, xero_connection, invoice):
    xero.contacts["c-1"] = {"ContactID": "c-1", "Name": "Globex Holdings", "EmailAddress": "ap@globex.test"}

    page = admin_client.get(prompt_url(invoice, xero_connection) + "contacts/?q=globex", HTTP_HX_REQUEST="true")

    assert page.status_code == 200
    assert 'value="c-1::Globex Holdings"' in page.content.decode()


def test_chosen_contact_is_used_and_remembered(admin_client, xero, xero_connection, invoice):
    contact = "5f0c7a8e-2b1d-4c3e-9a6f-1e2d3c4b5a69"
    admin_client.post(
        prompt_url(invoice, xero_connection), {"mode": "update", "contact": f"{contact}::Globex Holdings"}
    )

    link = ContactLink.objects.get(connection=xero_connection, company=invoice.company)
    assert (link.remote_id, link.remote_name) == (contact, "Globex Holdings")


def test_xero_refusal_is_shown_verbatim(admin_client, xero, xero_connection, invoice):
    xero.refuse_with = ["The TaxType code OUTPUT2 cannot be used with account code 200."]

    response = admin_client.post(prompt_url(invoice, xero_connection), {"mode": "update", "contact": ""})

    assert response.status_code == 400
    assert "The TaxType code OUTPUT2 cannot be used with account code 200." in response.content.decode()
    assert RemoteDocument.objects.get().status == CopyStatus.FAILED


def test_revoked_connection_shows_reconnect(admin_client, mock, xero_connection, invoice):
    ContactLink.objects.create(
        connection=xero_connection, company=invoice.company, remote_id="5f0c7a8e-2b1d-4c3e-9a6f-1e2d3c4b5a69"
    )
    mock.add(responses.PUT, f"{API}/Invoices", status=401, json={"Title": "Unauthorized"})
    mock.add(responses.POST, "https://identity.xero.com/connect/token", status=400, json={"error": "invalid_grant"})

    response = admin_client.post(prompt_url(invoice, xero_connection), {"mode": "update", "contact": ""})

    assert response.status_code == 409
    assert f'action="/settings/connections/{xero_connection.pk}/reconnect/"' in response.content.decode()
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Needs reconnect" in page or "needs reconnect" in page


def test_bulk_copy_queues_and_reports(
    admin_client, xero, xero_connection, invoice, organization, subsidiary, django_capture_on_commit_callbacks
):
    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    assert "Copy to Xero" in admin_client.get("/invoices/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/integrations/invoices/copy-bulk/", {"invoice_ids": [invoice.pk, draft.pk]}, follow=True
        )

    page = response.content.decode()
    assert "1 invoice queued for copying." in page and "Not queued" in page
    assert RemoteDocument.objects.get(invoice=invoice).status == CopyStatus.SUCCEEDED


def test_sync_now(admin_client, xero, xero_connection, invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/settings/connections/{xero_connection.pk}/sync/")

    assert response.status_code == 302 and response["Location"] == "/settings/marketplace/"
    assert SyncRun.objects.get(connection=xero_connection).outcome == "succeeded"

    # From the invoice panel (after a copy) it comes back to the invoice; a foreign `next` is ignored.
    admin_client.post(f"/integrations/invoices/{invoice.pk}/copy/{xero_connection.pk}/", {"mode": "update"})
    page = admin_client.get(invoice.get_absolute_url()).content.decode()
    assert "Sync payments now" in page
    back = admin_client.post(f"/settings/connections/{xero_connection.pk}/sync/", {"next": invoice.get_absolute_url()})
    assert back["Location"] == invoice.get_absolute_url()
    away = admin_client.post(f"/settings/connections/{xero_connection.pk}/sync/", {"next": "https://evil.example/"})
    assert away["Location"] == "/settings/marketplace/"


def test_members_get_403_and_see_no_copy_buttons(member_client, xero_connection, invoice):
    assert member_client.get(prompt_url(invoice, xero_connection)).status_code == 403
    assert member_client.post(prompt_url(invoice, xero_connection), {"mode": "update"}).status_code == 403
    assert member_client.get(prompt_url(invoice, xero_connection) + "contacts/?q=a").status_code == 403
    assert member_client.post("/integrations/invoices/copy-bulk/", {"invoice_ids": [invoice.pk]}).status_code == 403
    assert member_client.post(f"/settings/connections/{xero_connection.pk}/sync/").status_code == 403
    page = member_client.get(invoice.get_absolute_url()).content.decode()
    assert "Copy to Acme Xero" not in page and not RemoteDocument.objects.exists()
    assert "Copy to Xero" not in member_client.get("/invoices/").content.decode()


def test_other_organizations_objects_are_404(admin_client, other_organization, xero_connection, invoice):
    foreign_invoice = make_invoice(organization=other_organization, finalize=True)
    foreign_connection = ConnectionFactory(organization=other_organization)

    assert admin_client.get(prompt_url(foreign_invoice, xero_connection)).status_code == 404
    assert admin_client.get(prompt_url(invoice, foreign_connection)).status_code == 404
    assert admin_client.post(f"/settings/connections/{foreign_connection.pk}/sync/").status_code == 404


def test_panel_warns_about_a_connection_needing_reconnect(admin_client, xero_connection, invoice):
    xero_connection.status = ConnectionStatus.NEEDS_RECONNECT
    xero_connection.last_error = "Xero no longer accepts this connection's authorisation"
    xero_connection.save()

    page = admin_client.get(invoice.get_absolute_url()).content.decode()

    assert "needs reconnect" in page and "Copy to Acme Xero" not in page
    assert f'action="/settings/connections/{xero_connection.pk}/reconnect/"' in page


def test_update_of_an_invoice_deleted_in_xero_suggests_create_new(admin_client, xero, xero_connection, invoice):
    admin_client.post(prompt_url(invoice, xero_connection), {"mode": "update"})
    xero.invoices.clear()  # deleted in Xero meanwhile

    response = admin_client.post(prompt_url(invoice, xero_connection), {"mode": "update"})

    assert response.status_code == 409 and "Create new" in response.content.decode()
    assert admin_client.post(prompt_url(invoice, xero_connection), {"mode": "new"}).status_code == 302
    assert len(xero.invoices) == 1
