"""After a bulk copy: a result view that fills in as the copies finish (done, failed with reason, waiting, queued)."""

import datetime

import pytest
from django.utils import timezone

from integrations.models import CopyStatus, RemoteDocument
from tests.factories import make_invoice

from .factories import ready_xero_connection

pytestmark = pytest.mark.django_db

BULK = "/integrations/invoices/copy-bulk/"
RESULT = "/integrations/invoices/copy-bulk/result/"


@pytest.fixture
def connection(organization, subsidiary):
    return ready_xero_connection(
        organization,
        subsidiary,
        name="Acme Xero",
        settings={"numbering": "app", "default_account": "200"},
    )


def finalized(organization, subsidiary, count):
    return [make_invoice(organization=organization, subsidiary=subsidiary, finalize=True) for _ in range(count)]


def attempt(invoice, connection, status, **fields):
    return RemoteDocument.objects.create(
        organization=invoice.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=f"k-{invoice.pk}-{status}",
        status=status,
        **fields,
    )


def test_bulk_copy_lands_on_its_result_view(
    admin_client, connection, organization, subsidiary, django_capture_on_commit_callbacks
):
    invoices = finalized(organization, subsidiary, 2)
    with django_capture_on_commit_callbacks() as callbacks:  # queued; the worker has not run them
        response = admin_client.post(BULK, {"invoice_ids": [i.pk for i in invoices]})
    assert len(callbacks) == 1  # one batch task for the connection
    assert response.status_code == 302 and response["Location"].startswith(RESULT)
    page = admin_client.get(response["Location"]).content.decode()
    assert "2 invoices queued for copying." in page
    assert page.count("Queued") == 2 and 'hx-trigger="every 2s"' in page


def test_rows_say_done_failed_with_reason_waiting_and_stop_polling_when_all_finished(
    admin_client, connection, organization, subsidiary
):
    done, failed, waiting = finalized(organization, subsidiary, 3)
    since = int(timezone.now().timestamp()) - 1
    url = f"{RESULT}?ids={done.pk},{failed.pk},{waiting.pk}&since={since}"
    attempt(done, connection, CopyStatus.SUCCEEDED, remote_number="INV-77", is_latest=True)
    attempt(failed, connection, CopyStatus.FAILED, error="Xero: Account code '999' is not a valid code.")
    attempt(
        waiting,
        connection,
        CopyStatus.WAITING,
        waiting_until=datetime.datetime(2026, 12, 2, 10, 0, 5, tzinfo=datetime.UTC),
    )
    page = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in page  # the rows only, for the poll
    assert "as INV-77" in page and "Account code &#x27;999&#x27; is not a valid code." in page
    assert "10:00:05 UTC" in page and 'hx-trigger="every 2s"' in page

    RemoteDocument.objects.filter(invoice=waiting).update(status=CopyStatus.SUCCEEDED, remote_number="INV-78")
    page = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "as INV-78" in page and "every 2s" not in page and "All copies have finished." in page


def test_earlier_attempts_do_not_count_and_foreign_invoices_are_not_listed(
    admin_client, connection, organization, subsidiary, other_organization
):
    (invoice,) = finalized(organization, subsidiary, 1)
    attempt(invoice, connection, CopyStatus.FAILED, error="An old failure.")
    RemoteDocument.objects.update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    foreign = make_invoice(organization=other_organization, finalize=True)
    since = int(timezone.now().timestamp()) - 1
    page = admin_client.get(f"{RESULT}?ids={invoice.pk},{foreign.pk}&since={since}").content.decode()
    assert "An old failure." not in page and "Queued" in page and foreign.get_absolute_url() not in page
    assert page.count('<tr class="bulk-') == 1


def test_result_view_is_admin_only_and_rejects_bad_parameters(member_client, admin_client):
    assert member_client.get(f"{RESULT}?ids=1&since=0").status_code == 403
    assert admin_client.get(f"{RESULT}?ids=x&since=0").status_code == 404
    assert admin_client.get(f"{RESULT}?ids=1").status_code == 404


def test_the_progress_partial_counts_done_failed_and_waiting_and_stops_polling_when_none_is_unfinished(
    admin_client, connection, organization, subsidiary
):
    done, failed, waiting, queued = finalized(organization, subsidiary, 4)
    since = int(timezone.now().timestamp()) - 1
    url = f"{RESULT}?ids={done.pk},{failed.pk},{waiting.pk},{queued.pk}&since={since}"
    attempt(done, connection, CopyStatus.SUCCEEDED, remote_number="INV-77", is_latest=True)
    attempt(failed, connection, CopyStatus.FAILED, error="Invoice # must be unique.")
    attempt(waiting, connection, CopyStatus.WAITING, waiting_until=timezone.now())
    page = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert '<progress max="4" value="2"' in page and ">50%</progress>" in page
    assert "1 done" in page and "1 failed" in page and "1 waiting" in page and "1 queued" in page
    assert 'hx-trigger="every 2s"' in page

    RemoteDocument.objects.filter(invoice=waiting).update(status=CopyStatus.SUCCEEDED)
    attempt(queued, connection, CopyStatus.SUCCEEDED, remote_number="INV-79")
    page = admin_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert '<progress max="4" value="4"' in page and "3 done" in page and "0 waiting" in page
    assert "queued" not in page.split("</progress>")[1].split("</p>")[0]
    assert "every 2s" not in page  # nothing unfinished: the partial stops polling


API_BULK = "/api/v1/invoices/copy-bulk/"


@pytest.fixture
def api(admin_user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def test_the_api_starts_a_bulk_copy_and_reports_the_same_counts(
    api, connection, organization, subsidiary, other_organization, django_capture_on_commit_callbacks
):
    first, second = finalized(organization, subsidiary, 2)
    foreign = make_invoice(organization=other_organization, finalize=True)
    with django_capture_on_commit_callbacks() as callbacks:  # queued; the worker has not run it
        response = api.post(API_BULK, {"invoice_ids": [first.pk, second.pk, foreign.pk]}, format="json")
    assert response.status_code == 202 and len(callbacks) == 1
    body = response.json()
    assert body["counts"] == {"done": 0, "failed": 0, "waiting": 0, "queued": 2, "total": 2, "percent": 0}
    assert body["skipped"] == {str(foreign.pk): "Not found."} and body["finished"] is False

    attempt(first, connection, CopyStatus.SUCCEEDED, remote_number="INV-80", is_latest=True)
    attempt(second, connection, CopyStatus.FAILED, error="Xero: Account code '999' is not a valid code.")
    progress = api.get(f"{API_BULK}?ids={first.pk},{second.pk},{foreign.pk}&since={body['since']}").json()
    assert progress["counts"] == {"done": 1, "failed": 1, "waiting": 0, "queued": 0, "total": 2, "percent": 100}
    assert progress["finished"] is True
    assert [(row["invoice"], row["state"], row["detail"]) for row in progress["rows"]] == [
        (first.pk, "done", "INV-80"),
        (second.pk, "failed", "Xero: Account code '999' is not a valid code."),
    ]


def test_the_bulk_api_is_admin_only_and_refuses_bad_input(api, member_user):
    from rest_framework.test import APIClient

    member = APIClient()
    member.force_authenticate(member_user)
    assert member.get(f"{API_BULK}?ids=1&since=0").status_code == 403
    assert api.get(f"{API_BULK}?ids=x&since=0").status_code == 400
    response = api.post(API_BULK, {"invoice_ids": []}, format="json")
    assert response.status_code == 400
