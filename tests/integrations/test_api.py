"""Integrations API: copies of an invoice, connections (no credentials), sync runs, "sync now". Admins only."""

import datetime

import pytest
import responses
from rest_framework.test import APIClient

from integrations.models import CopyStatus, RemoteDocument, SyncKind, SyncRun
from tests.factories import make_invoice

from .factories import ConnectionFactory, ready_xero_connection
from .fake_xero import FakeXero

pytestmark = pytest.mark.django_db

API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture
def xero():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeXero(mock, API).install()


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def member_api(member_user):
    client = APIClient()
    client.force_authenticate(member_user)
    return client


@pytest.fixture
def xero_connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        settings={"numbering": "app", "default_account": "200", "sync_payments": True},
        payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
    )


@pytest.fixture
def invoice(organization, subsidiary):
    return make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)


def copies_url(invoice):
    return f"/api/v1/invoices/{invoice.pk}/copies/"


def test_copy_and_list_copies(api, xero, xero_connection, invoice):
    response = api.post(copies_url(invoice), {"connection": xero_connection.pk}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["is_latest"] and body["remote_number"] == invoice.number
    assert body["connection"] == xero_connection.pk and body["provider"] == "xero"

    # "Create new" is a second Xero invoice for the same sale: Xero keeps the first one's number, so a copy suffix.
    again = api.post(copies_url(invoice), {"connection": xero_connection.pk, "mode": "new"}, format="json")
    assert again.status_code == 201, again.content
    assert again.json()["remote_number"] == f"{invoice.number}-2"

    listed = api.get(copies_url(invoice)).json()
    assert [(c["status"], c["is_latest"], bool(c["superseded_at"])) for c in listed] == [
        ("succeeded", True, False),
        ("succeeded", False, True),
    ]


def test_a_refusal_with_nothing_to_correct_says_what_to_do(api, xero, xero_connection, invoice):
    xero.refuse_with = ["Invoice # must be unique."]  # someone made an invoice with our number in Xero
    response = api.post(copies_url(invoice), {"connection": xero_connection.pk}, format="json")
    body = response.json()
    assert response.status_code == 400 and body["provider_errors"] == ["Invoice # must be unique."]
    assert "Correct it" not in body["action"] and "Open it in Xero" in body["action"]
    (listed,) = api.get(copies_url(invoice)).json()
    assert listed["status"] == "failed" and listed["error_kind"] == "refused"  # the data needs correcting


def test_a_copy_that_never_reached_xero_is_listed_as_nothing_to_correct(api, xero_connection, invoice):
    with responses.RequestsMock() as mock:
        mock.add(responses.PUT, f"{API}/Contacts", status=503, body="Service Unavailable")
        api.post(copies_url(invoice), {"connection": xero_connection.pk}, format="json")
    (listed,) = api.get(copies_url(invoice)).json()
    # A 5xx to a write leaves its outcome unknown: pending (the next try looks it up first), nothing to correct.
    assert listed["status"] == "pending" and listed["error_kind"] == "transient", listed
    assert "outcome is unknown" in listed["error"]


def test_copy_field_errors(api, xero_connection, invoice, organization, subsidiary, other_organization):
    foreign = ConnectionFactory(organization=other_organization)
    response = api.post(copies_url(invoice), {"connection": foreign.pk, "mode": "sideways"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"connection", "mode"}

    draft = make_invoice(organization=organization, subsidiary=subsidiary)
    response = api.post(copies_url(draft), {"connection": xero_connection.pk}, format="json")
    assert response.status_code == 400 and "finalized" in str(response.json())
    assert not RemoteDocument.objects.exists()


def test_throttled_copy_answers_429_with_retry_after(api, xero_connection, invoice):
    with responses.RequestsMock() as mock:
        mock.add(responses.PUT, f"{API}/Contacts", status=429, headers={"Retry-After": "42"}, json={})
        response = api.post(copies_url(invoice), {"connection": xero_connection.pk}, format="json")
    assert response.status_code == 429 and response["Retry-After"] == "42"
    copy = RemoteDocument.objects.get()
    assert copy.status == CopyStatus.WAITING and copy.error == ""  # throttled is waiting, not failed
    listed = api.get(copies_url(invoice)).json()
    assert listed[0]["status"] == "waiting" and listed[0]["waiting_until"]


def test_connections_never_show_credentials(api, xero_connection):
    response = api.get("/api/v1/connections/")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == xero_connection.pk and row["status"] == "active"
    text = response.content.decode()
    assert xero_connection.grant.access_token not in text and xero_connection.grant.refresh_token not in text
    assert "token" not in text
    assert api.get(f"/api/v1/connections/{xero_connection.pk}/").status_code == 200


def test_sync_runs_filter_and_sync_now(api, xero, xero_connection, organization, django_capture_on_commit_callbacks):
    other = ConnectionFactory(organization=organization)
    SyncRun.objects.create(connection=other, kind=SyncKind.PAYMENTS, outcome="succeeded")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/connections/{xero_connection.pk}/sync/")
    assert response.status_code == 202

    runs = api.get(f"/api/v1/sync-runs/?connection={xero_connection.pk}").json()["results"]
    assert [(r["connection"], r["outcome"], r["api_calls"]) for r in runs] == [(xero_connection.pk, "succeeded", 1)]
    assert len(api.get("/api/v1/sync-runs/").json()["results"]) == 2


def test_sync_now_refused_when_sync_is_off(api, organization):
    connection = ConnectionFactory(organization=organization)
    response = api.post(f"/api/v1/connections/{connection.pk}/sync/")
    assert response.status_code == 409 and "payment sync is off" in response.json()["detail"]


def test_members_get_403(member_api, xero_connection, invoice):
    assert member_api.get(copies_url(invoice)).status_code == 403
    assert member_api.post(copies_url(invoice), {"connection": xero_connection.pk}).status_code == 403
    assert member_api.get("/api/v1/connections/").status_code == 403
    assert member_api.get("/api/v1/sync-runs/").status_code == 403
    assert member_api.post(f"/api/v1/connections/{xero_connection.pk}/sync/").status_code == 403
    assert not RemoteDocument.objects.exists()


def test_other_organizations_objects_are_404(api, other_organization):
    foreign_invoice = make_invoice(organization=other_organization, finalize=True)
    foreign_connection = ConnectionFactory(organization=other_organization)
    SyncRun.objects.create(connection=foreign_connection, kind=SyncKind.PAYMENTS)

    assert api.get(copies_url(foreign_invoice)).status_code == 404
    assert api.post(copies_url(foreign_invoice), {"connection": foreign_connection.pk}).status_code == 404
    assert api.get(f"/api/v1/connections/{foreign_connection.pk}/").status_code == 404
    assert api.post(f"/api/v1/connections/{foreign_connection.pk}/sync/").status_code == 404
    assert api.get(f"/api/v1/sync-runs/?connection={foreign_connection.pk}").json()["results"] == []


def test_anonymous_gets_401():
    assert APIClient().get("/api/v1/connections/").status_code == 401
