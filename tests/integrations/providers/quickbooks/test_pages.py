"""Pages: "Download PDF" from QuickBooks when its setup makes the PDF, the connect callback's realm check, and
the security rules (members 403 on setup, another organization 404, no token in any page)."""

from __future__ import annotations

import re

import pytest
import responses
from django.urls import reverse

from integrations.models import Connection, CopyStatus, RemoteDocument
from integrations.services.connections import authorization_callback, authorization_start
from tests.factories import OrganizationFactory, SubsidiaryFactory, make_invoice

from .fake_qbo import FakeQuickBooks, fault
from .helpers import API, READY_SETTINGS, TOKEN_URL, qbo_connection, realm_url

pytestmark = pytest.mark.django_db


def _copied(organization, subsidiary, *, pdf="provider"):
    connection = qbo_connection(
        organization=organization, subsidiary=subsidiary, settings={**READY_SETTINGS, "pdf": pdf}
    )
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    RemoteDocument.objects.create(
        organization=organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=f"k-{invoice.pk}",
        status=CopyStatus.SUCCEEDED,
        remote_id="130",
        is_latest=True,
    )
    return connection, invoice


def test_download_pdf_serves_quickbooks_pdf(member_client, organization, subsidiary):
    connection, invoice = _copied(organization, subsidiary)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, re.compile(re.escape(realm_url(connection, "invoice/130/pdf"))), body=b"%PDF-1.4 qbo")
        response = member_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]))
        assert len(mock.calls) == 1
    assert response.status_code == 200 and response.content == b"%PDF-1.4 qbo"


def test_download_pdf_is_ours_when_the_setup_says_so(member_client, organization, subsidiary):
    _connection, invoice = _copied(organization, subsidiary, pdf="ours")
    with responses.RequestsMock() as mock:  # no call to QuickBooks at all
        response = member_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]))
        assert not mock.calls
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_a_quickbooks_failure_is_a_clear_message_not_our_pdf(member_client, organization, subsidiary):
    connection, invoice = _copied(organization, subsidiary)
    with responses.RequestsMock() as mock:
        mock.add(
            responses.GET,
            re.compile(re.escape(realm_url(connection, "invoice/130/pdf"))),
            status=400,
            json=fault(
                "610", "Object Not Found", "Object Not Found : Something you're trying to use has been made inactive"
            ),
        )
        response = member_client.get(reverse("billing:invoice-pdf", args=[invoice.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("billing:invoice-detail", args=[invoice.pk])
    assert "QuickBooks Online makes this invoice&#x27;s PDF" in response.content.decode()


def test_another_organizations_invoice_pdf_is_404(member_client, organization, subsidiary):
    other = OrganizationFactory()
    _connection, invoice = _copied(other, SubsidiaryFactory(organization=other))
    assert member_client.get(reverse("billing:invoice-pdf", args=[invoice.pk])).status_code == 404


def test_setup_is_admin_only_and_scoped(admin_client, member_client, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=dict(READY_SETTINGS))
    url = reverse("integrations:connection-setup", args=[connection.pk])
    assert member_client.get(url).status_code == 403
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Refresh the lists to read whether QuickBooks can number invoices" in text
    assert connection.grant.access_token not in text and connection.grant.refresh_token not in text
    other = qbo_connection()
    assert admin_client.get(reverse("integrations:connection-setup", args=[other.pk])).status_code == 404


def test_provider_numbering_is_refused_while_custom_numbers_are_on(admin_client, organization, subsidiary):
    connection = qbo_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "tenant": {"custom_txn_numbers": True}},
    )
    url = reverse("integrations:connection-setup", args=[connection.pk])
    response = admin_client.post(url, {"numbering": "provider", "pdf": "ours", "memo": "subject", "default_item": "1"})
    assert "custom transaction numbers" in response.content.decode()
    connection.refresh_from_db()
    assert connection.settings["numbering"] == "app"


def _start(admin_user, organization, subsidiary):
    state, url = authorization_start(
        provider=__import__("integrations.registry", fromlist=["get"]).get("quickbooks"),
        organization=organization,
        user=admin_user,
        session_key="s",
        subsidiary=subsidiary,
        name="QBO",
    )
    assert url.startswith("https://appcenter.intuit.com/connect/oauth2?") and "com.intuit.quickbooks.accounting" in url
    return state


def _callback(state, admin_user, organization, realm):
    from integrations import registry

    return authorization_callback(
        provider=registry.get("quickbooks"),
        params={"state": state.state, "code": "c", "realmId": realm},
        user=admin_user,
        session_key="s",
        organization=organization,
    )


def test_connect_reads_the_named_realm_and_names_the_company(admin_user, organization, subsidiary):
    state = _start(admin_user, organization, subsidiary)
    realm = "4620816365171234"
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "a1", "refresh_token": "r1", "expires_in": 3600})
        mock.add(
            responses.GET,
            re.compile(rf"{API}/company/{realm}/companyinfo/{realm}"),
            json={"CompanyInfo": {"Id": realm, "CompanyName": "Craig's Design and Landscaping Services"}},
        )
        mock.add(responses.GET, re.compile(rf"{API}/company/{realm}/.*"), json={"QueryResponse": {}})
        result = _callback(state, admin_user, organization, realm)
        assert mock.calls[1].request.headers["Authorization"] == "Bearer a1"
    connection = result.connection
    assert connection.remote_tenant_id == realm
    assert connection.remote_tenant_name == "Craig's Design and Landscaping Services"


def test_connect_refuses_a_realm_the_token_cannot_read(admin_user, organization, subsidiary):
    state = _start(admin_user, organization, subsidiary)
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, TOKEN_URL, json={"access_token": "a1", "refresh_token": "r1", "expires_in": 3600})
        mock.add(
            responses.GET,
            re.compile(rf"{API}/company/123/companyinfo/123"),
            status=403,
            json=fault("120", "Authorization Failure", "", "AuthorizationFault"),
        )
        mock.add(responses.POST, re.compile("https://developer.api.intuit.com/.*"), body="")
        with pytest.raises(Exception, match="QuickBooks"):
            _callback(state, admin_user, organization, "123")
        revoke = mock.calls[-1].request
        assert revoke.url.startswith("https://developer.api.intuit.com/") and b'"token": "r1"' in revoke.body
    assert not Connection.objects.filter(provider="quickbooks").exists()


def test_connect_without_realm_is_refused(admin_user, organization, subsidiary):
    state = _start(admin_user, organization, subsidiary)
    with pytest.raises(Exception, match="realmId"):
        _callback(state, admin_user, organization, "")
    assert not Connection.objects.filter(provider="quickbooks").exists()


def test_the_copy_prompt_and_its_search_speak_of_customers(admin_client, organization, subsidiary):
    connection = qbo_connection(organization=organization, subsidiary=subsidiary, settings=READY_SETTINGS)
    invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = FakeQuickBooks(mock, API, connection.remote_tenant_id).install()
        server.customers["58"] = {"Id": "58", "DisplayName": "Globex Holdings", "Active": True}
        page = admin_client.get(reverse("integrations:invoice-copy", args=[invoice.pk, connection.pk])).content
        search = reverse("integrations:invoice-copy-contacts", args=[invoice.pk, connection.pk])
        found = admin_client.get(search, {"q": "glo"}).content.decode()
    page = page.decode()
    assert '<h2 class="card-title">Customer</h2>' in page and "Search QuickBooks Online customers" in page
    assert f"Create a customer from {invoice.company.name}" in page and "contact from" not in page
    assert "1 customer matches “glo”" in found and "Globex Holdings" in found
    # What will be sent: QuickBooks' item and tax code for each line, by name, not Xero's account and tax type.
    assert "<th>QuickBooks item</th><th>QuickBooks tax code</th>" in page and "<th>Account</th>" not in page
    assert '<td>Services <span class="muted small">(default item)</span></td>' in page
    assert "<td>No tax (QuickBooks computes tax from a tax code; ours is not copied)</td>" in page
