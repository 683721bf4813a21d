"""Reconciliation beyond the drift cases (test_reconciliation_sandbox.py): Xero's list read for many copies (calls
per 1000, the id read for what the list lacks, the switch to ids when the list would cost more), the contract's
one-by-one default, the tab and its actions (admins only, organization-scoped), the API, the badge and the
nightly fan-out."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import responses
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from billing.choices import Role
from billing.models import Invoice
from integrations import tasks
from integrations.attention import attention_counts, attention_for
from integrations.models import (
    ConnectionStatus,
    CopyStatus,
    MismatchField,
    ReconciliationMismatch,
    RemoteDocument,
    SyncKind,
    SyncOutcome,
    SyncRun,
)
from integrations.providers.accounting_api import AccountingApi
from integrations.providers.base import RemoteDocumentState
from integrations.sandbox.models import XeroContact, XeroInvoice, XeroOrg
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from integrations.services.reconciliation import reconciliation_run
from tests.factories import MembershipFactory, SubsidiaryFactory, UserFactory, make_invoice

from .factories import ConnectionFactory
from .sandbox_bridge import SANDBOX_API, SandboxBridge, sandbox_connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def bridge():
    with override_settings(XERO_API_URL=SANDBOX_API), responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        SandboxBridge(m)
        yield m


@pytest.fixture
def connection(organization, subsidiary, bridge):
    return sandbox_connection(organization=organization, subsidiary=subsidiary, settings={"numbering": "app"})


def seed_copies(connection, count: int) -> list[RemoteDocument]:
    """`count` invoices copied earlier: ours finalized (one built through the services, the rest its clones with
    their own numbers, in bulk), Xero's authorised with the same figures."""
    org = XeroOrg.objects.get(tenant_id=TRADING_TENANT_ID)
    contact = XeroContact.objects.create(org=org, name=f"Seeded {connection.pk}", updated_at=timezone.now())
    first = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    clones = []
    for n in range(1, count):
        clone = Invoice.objects.get(pk=first.pk)
        clone.pk, clone.number = None, f"{first.number}-{connection.pk}-{n}"
        clones.append(clone)
    invoices = [first, *Invoice.objects.bulk_create(clones)]
    now = timezone.now()
    remotes = XeroInvoice.objects.bulk_create(
        XeroInvoice(
            org=org,
            contact=contact,
            type="ACCREC",
            number=invoice.number,
            currency_code=invoice.currency,
            status="AUTHORISED",
            date=date(2026, 11, 1),
            sub_total=invoice.total,
            total=invoice.total,
            amount_due=invoice.total,
            created_at=now,
            updated_at=now,
        )
        for invoice in invoices
    )
    return RemoteDocument.objects.bulk_create(
        RemoteDocument(
            organization=connection.organization,
            invoice=invoice,
            connection=connection,
            idempotency_key=f"seed-{connection.pk}-{invoice.pk}",
            status=CopyStatus.SUCCEEDED,
            remote_id=str(remote.invoice_id),
            remote_number=invoice.number,
            is_latest=True,
        )
        for invoice, remote in zip(invoices, remotes, strict=True)
    )


def invoice_reads(bridge, before: int) -> list[str]:
    return [c.request.url for c in bridge.calls[before:] if "/Invoices" in c.request.url]


# --- Xero's reads -----------------------------------------------------------------------------------------


def test_many_copies_are_read_from_the_list_of_our_invoices_and_what_it_lacks_by_id(bridge, connection):
    copies = seed_copies(connection, 60)
    XeroInvoice.objects.filter(invoice_id=copies[0].remote_id).delete()  # gone from Xero altogether
    XeroInvoice.objects.filter(invoice_id=copies[1].remote_id).update(status="DELETED")
    XeroInvoice.objects.filter(invoice_id=copies[2].remote_id).update(currency_code="USD")
    before = len(bridge.calls)

    run = reconciliation_run(connection=connection)

    reads = invoice_reads(bridge, before)
    assert len(reads) == 2 and run.api_calls == 2
    assert "createdByMyApp=true" in reads[0] and "pageSize=1000" in reads[0]
    assert f"IDs={copies[0].remote_id}" in reads[1]  # only the one the list lacked
    assert run.counts["checked"] == 60 and run.counts["mismatched"] == 3
    found = {(m.remote_document_id, m.field, m.theirs) for m in ReconciliationMismatch.objects.all()}
    assert found == {
        (copies[0].pk, MismatchField.STATUS, "deleted"),
        (copies[1].pk, MismatchField.STATUS, "deleted"),
        (copies[2].pk, MismatchField.CURRENCY, "USD"),
    }


def test_the_list_is_left_for_ids_when_the_organisation_holds_far_more_of_our_invoices(bridge, connection, monkeypatch):
    monkeypatch.setattr("integrations.providers.xero.states.LIST_PAGE_SIZE", 10)
    monkeypatch.setattr("integrations.providers.xero.states.IDS_PER_CALL", 5)
    elsewhere = SubsidiaryFactory(organization=connection.organization)
    other = sandbox_connection(organization=connection.organization, subsidiary=elsewhere)
    seed_copies(other, 80)  # another subsidiary's copies on the same organisation: 9 pages of 10 in all
    ours = seed_copies(connection, 12)
    before = len(bridge.calls)

    run = reconciliation_run(connection=connection)

    reads = invoice_reads(bridge, before)
    # Page 1 of the list (9 pages to go) costs more than the ids left (at most 12 → 3 calls of 5).
    assert len(reads) <= 4 and run.api_calls == len(reads)
    assert "page=1" in reads[0] and all("IDs=" in url for url in reads[1:])
    assert run.counts["checked"] == len(ours) and run.counts["matching"] == len(ours)


def test_a_provider_without_a_list_read_is_read_one_by_one_through_the_contract_default():
    class OneByOne(AccountingApi):
        search_contacts = create_contact = list_accounts = list_tax_types = list_items = None
        create_document = update_document = find_document = void_document = revoke = None
        asked: list = []

        def document_state(self, kind, remote_id):
            self.asked.append(remote_id)
            return None if remote_id == "gone" else RemoteDocumentState(id=remote_id, total=Decimal("1"))

    OneByOne.__abstractmethods__ = frozenset()
    api = OneByOne()

    states = api.documents_state("invoice", ["a", "gone", "b"])

    assert api.state_batch_size == 1 and api.asked == ["a", "gone", "b"]
    assert [state.id for state in states] == ["a", "b"]


def test_a_connection_that_needs_reconnecting_is_not_checked(connection):
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.save(update_fields=["status"])

    run = reconciliation_run(connection=connection)

    assert run.outcome == SyncOutcome.SKIPPED and "needs reconnecting" in run.error.lower()


# --- the tab, its actions, the badge --------------------------------------------------------------------------


@pytest.fixture
def drifted(bridge, connection):
    copies = seed_copies(connection, 2)
    XeroInvoice.objects.filter(invoice_id=copies[0].remote_id).update(total=Decimal("999.00"))
    reconciliation_run(connection=connection)
    return ReconciliationMismatch.objects.get()


def test_the_reconciliation_tab_lists_both_values_and_the_actions(admin_client, connection, drifted):
    page = admin_client.get(reverse("integrations:connection-reconciliation", args=[connection.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Differences (1)" in html and "1000.00" in html and "999.00" in html
    assert "Update existing" in html and "Mark as reconciled" in html
    assert "2 checked, 1 matching, 1 with differences" in html
    assert 'aria-current="page">Reconciliation' in html


def test_mismatches_count_in_needs_attention_and_its_badge(admin_client, organization, connection, drifted):
    assert attention_for(connection=connection).mismatches == 1
    assert attention_counts(organization=organization) == {connection.pk: 1}

    page = admin_client.get(reverse("integrations:connection-attention", args=[connection.pk])).content.decode()

    assert "Differences from Xero (1)" in page


def test_marking_as_reconciled_asks_why(admin_client, connection, drifted):
    url = reverse("integrations:reconciliation-mismatch-action", args=[connection.pk, drifted.pk])

    refused = admin_client.post(url, {"action": "mark_reconciled", "reason": ""}, follow=True)
    assert "Say why" in refused.content.decode()
    admin_client.post(url, {"action": "mark_reconciled", "reason": "Credited by hand"})

    drifted.refresh_from_db()
    assert drifted.resolution == "reconciled" and drifted.reason == "Credited by hand"
    assert connection.log_entries.filter(action="invoice.reconciled").exists()


def test_check_now_runs_a_reconciliation(admin_client, connection, bridge, django_capture_on_commit_callbacks):
    seed_copies(connection, 1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = admin_client.post(reverse("integrations:reconciliation-check", args=[connection.pk]))

    assert answer.status_code == 302
    run = SyncRun.objects.get(connection=connection, kind=SyncKind.RECONCILIATION)
    assert run.outcome == SyncOutcome.SUCCEEDED and run.counts["checked"] == 1


@pytest.fixture
def outsider(other_organization):
    """An admin of another organization."""
    user = UserFactory(email="admin@rival.test")
    MembershipFactory(user=user, organization=other_organization, role=Role.ADMIN)
    return user


def test_the_pages_are_for_admins_of_the_organization_only(
    member_client, outsider, other_organization, connection, drifted
):
    tab = reverse("integrations:connection-reconciliation", args=[connection.pk])
    act = reverse("integrations:reconciliation-mismatch-action", args=[connection.pk, drifted.pk])
    assert member_client.get(tab).status_code == 403
    assert member_client.post(act, {"action": "mark_reconciled", "reason": "x"}).status_code == 403
    foreign = ConnectionFactory(organization=other_organization)
    admin = Client()
    admin.force_login(outsider)
    assert admin.get(reverse("integrations:connection-reconciliation", args=[foreign.pk])).status_code == 200
    assert admin.get(tab).status_code == 404
    assert admin.post(act, {"action": "mark_reconciled", "reason": "x"}).status_code == 404
    # This connection's mismatch through the outsider's own connection is not found either.
    other_act = reverse("integrations:reconciliation-mismatch-action", args=[foreign.pk, drifted.pk])
    assert admin.post(other_act, {"action": "mark_reconciled", "reason": "x"}).status_code == 404
    drifted.refresh_from_db()
    assert drifted.resolved_at is None


# --- the API ------------------------------------------------------------------------------------------------


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_the_api_lists_the_latest_run_and_its_open_mismatches(api, connection, drifted):
    answer = api.get(f"/api/v1/connections/{connection.pk}/reconciliation/")

    assert answer.status_code == 200
    body = answer.json()
    assert body["run"]["kind"] == "reconciliation" and body["run"]["counts"]["mismatches"] == 1
    (mismatch,) = body["mismatches"]
    assert (mismatch["field"], mismatch["ours"], mismatch["theirs"], mismatch["currency"]) == (
        "total",
        "1000.00",
        "999.00",
        drifted.currency,
    )
    assert mismatch["actions"] == ["update_existing", "mark_reconciled"]
    assert mismatch["document"]["number"] == drifted.remote_document.invoice.number


def test_the_api_acts_on_a_mismatch_and_refuses_what_is_not_offered(api, connection, drifted):
    url = f"/api/v1/connections/{connection.pk}/reconciliation/mismatches/{drifted.pk}/"

    assert api.post(url, {"action": "resync_payments"}, format="json").status_code == 400
    assert api.post(url, {"action": "mark_reconciled"}, format="json").status_code == 400  # no reason
    done = api.post(url, {"action": "mark_reconciled", "reason": "Agreed with the client"}, format="json")

    assert done.status_code == 200 and "reconciled" in done.json()["detail"]
    assert api.post(url, {"action": "mark_reconciled", "reason": "again"}, format="json").status_code == 404
    assert api.get(f"/api/v1/connections/{connection.pk}/reconciliation/").json()["mismatches"] == []


def test_the_api_check_queues_a_run(api, connection, bridge, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = api.post(f"/api/v1/connections/{connection.pk}/reconciliation/check/")

    assert answer.status_code == 202
    assert SyncRun.objects.filter(connection=connection, kind=SyncKind.RECONCILIATION).exists()


def test_the_api_is_organization_scoped_and_admin_only(outsider, member_user, connection, drifted):
    stranger, member = APIClient(), APIClient()
    stranger.force_authenticate(outsider)
    member.force_authenticate(member_user)
    url = f"/api/v1/connections/{connection.pk}/reconciliation/"
    act = f"{url}mismatches/{drifted.pk}/"

    assert stranger.get(url).status_code == 404
    assert stranger.post(act, {"action": "mark_reconciled", "reason": "x"}, format="json").status_code == 404
    assert stranger.post(f"{url}check/").status_code == 404
    assert member.get(url).status_code == 403
    assert member.post(act, {"action": "mark_reconciled", "reason": "x"}, format="json").status_code == 403
    drifted.refresh_from_db()
    assert drifted.resolved_at is None


# --- the schedule ----------------------------------------------------------------------------------------


def test_the_nightly_fan_out_queues_live_connections_with_copies(organization, subsidiary, bridge, connection):
    seed_copies(connection, 1)
    ConnectionFactory(organization=organization, subsidiary=subsidiary)  # nothing copied: nothing to check
    elsewhere = SubsidiaryFactory(organization=organization)
    gone = sandbox_connection(organization=organization, subsidiary=elsewhere, status=ConnectionStatus.DISCONNECTED)
    seed_copies(gone, 1)

    queued = tasks.reconciliation_all()

    assert queued == [connection.pk]
    run = SyncRun.objects.get(kind=SyncKind.RECONCILIATION)  # the test cluster runs the task at once
    assert run.connection_id == connection.pk and run.outcome == SyncOutcome.SUCCEEDED
    assert run.started_at > timezone.now() - timedelta(minutes=1)


def test_the_daily_email_counts_the_differences(organization, admin_user, connection, drifted):
    from django.core import mail

    from integrations.services.attention_digest import attention_digest_set, attention_digests_send

    attention_digest_set(organization=organization, user=admin_user, enabled=True)

    assert attention_digests_send() == 1
    assert "1 difference from Xero found by reconciliation" in mail.outbox[0].body
