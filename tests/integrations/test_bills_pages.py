"""The expense and purchase order pages, the send prompt, the expense list's bulk send and the API, with their
security: admins only (a member gets 403), another organization's documents are 404, an Essential plan is refused
on every bills route, and no credential is ever shown."""

import datetime
import re

import pytest
import responses
from django.urls import reverse
from rest_framework.test import APIClient

from billing.choices import ApprovalStatus, PaymentSource, Plan
from billing.services import expense_payment_record, expense_update
from integrations.document_kinds import BILL, PURCHASE_ORDER
from integrations.models import ConnectionStatus, CopyErrorKind, CopyStatus, RemoteDocument
from integrations.services.invoice_copy import document_send
from integrations.services.payments_sync import payments_sync
from tests.factories import SubsidiaryFactory

from .purchases import bills_connection, make_expense, make_purchase_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(organization, subsidiary):
    return bills_connection(organization, subsidiary, sync_payments=True)


@pytest.fixture
def expense(organization, subsidiary):
    return make_expense(organization, subsidiary)


@pytest.fixture
def order(organization, subsidiary):
    return make_purchase_order(organization, subsidiary)


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def send_url(expense, connection):
    return reverse("integrations:expense-send", args=[expense.pk, connection.pk])


def page(client, document):
    return client.get(document.get_absolute_url()).content.decode()


def test_the_expense_page_offers_send_and_shows_the_bill_and_its_payments(xero, admin_client, connection, expense):
    text = page(admin_client, expense)
    assert "Accounting" in text and send_url(expense, connection) in text and "Send to Xero" in text

    copy = document_send(kind=BILL, pk=expense.pk, connection=connection)
    expense_payment_record(expense=expense, amount="50.00", date=datetime.date(2026, 11, 10), source=PaymentSource.XERO)
    text = page(admin_client, expense)
    assert (
        f"Sent as {copy.remote_number}" in text and 'Xero status: <span class="badge remote-status">AUTHORISED' in text
    )
    assert "Update existing" in text and "Create new" in text
    assert "Partially paid" in text and "from Xero" in text
    sync = reverse("integrations:connection-sync", args=[connection.pk])
    assert sync in text and "Sync payments now" in text
    response = admin_client.post(sync, {"next": expense.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == expense.get_absolute_url()


def test_turning_the_export_off_hides_the_section_and_keeps_the_history(xero, admin_client, connection, expense):
    document_send(kind=BILL, pk=expense.pk, connection=connection)
    connection.settings = {**connection.settings, "export_expenses": False}
    connection.save()

    text = page(admin_client, expense)

    assert 'id="integrations"' not in text and "Send to Xero" not in text
    assert RemoteDocument.objects.filter(expense=expense, status=CopyStatus.SUCCEEDED).exists()


def test_an_expense_that_cannot_be_sent_says_why(admin_client, connection, expense):
    expense = expense_update(expense=expense, approval_status=ApprovalStatus.PENDING)
    text = page(admin_client, expense)
    assert "Cannot be sent: Only approved expenses can be sent" in text
    assert send_url(expense, connection) not in text


def test_the_prompt_shows_what_is_sent_and_posting_sends_once(xero, admin_client, connection, expense):
    prompt = admin_client.get(send_url(expense, connection)).content.decode()
    assert "Printing of brochures" in prompt and "400" in prompt and "INPUT2" in prompt
    assert "A Xero contact made from Paper Supplies Ltd" in prompt

    form = {"mode": "update", "attempt": "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"}
    first = admin_client.post(send_url(expense, connection), form)
    again = admin_client.post(send_url(expense, connection), form)  # a double submit

    assert first.status_code == again.status_code == 302
    assert RemoteDocument.objects.filter(expense=expense).count() == 1
    assert len([i for i in xero.invoices.values() if i["Type"] == "ACCPAY"]) == 1


def test_a_missing_due_date_is_said_on_the_prompt(admin_client, connection, expense):
    expense = expense_update(expense=expense, due_date=None)
    text = admin_client.get(send_url(expense, connection)).content.decode()
    assert "The expense has no due date" in text and "Send to Xero</button>" not in text


def test_a_refusal_is_shown_verbatim(xero, admin_client, connection, expense):
    xero.refuse_with = ["Contact is archived."]
    response = admin_client.post(send_url(expense, connection), {"mode": "update"})
    assert response.status_code == 400 and "Contact is archived." in response.content.decode()


def test_the_purchase_order_page_shows_xeros_status_and_refreshes_it(xero, admin_client, connection, order):
    copy = document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection)
    xero.set_purchase_order_status(copy.remote_id, "BILLED")

    response = admin_client.post(reverse("integrations:purchase-order-status", args=[order.pk, connection.pk]))

    assert response.status_code == 302
    text = page(admin_client, order)
    assert "BILLED" in text and "Refresh status" in text and "Update existing" in text


def test_the_expense_list_bulk_sends_in_batches(
    xero, admin_client, connection, organization, subsidiary, django_capture_on_commit_callbacks
):
    expenses = [make_expense(organization, subsidiary) for _ in range(3)]
    pending = expense_update(expense=make_expense(organization, subsidiary), approval_status=ApprovalStatus.PENDING)
    assert "Send selected to" in admin_client.get(reverse("billing:expense-list")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("integrations:expense-send-bulk"), {"ids": [e.pk for e in expenses] + [pending.pk]}
        )

    assert response.status_code == 302
    assert RemoteDocument.objects.filter(kind=BILL, status=CopyStatus.SUCCEEDED).count() == 3
    assert not RemoteDocument.objects.filter(expense=pending).exists()
    puts = [r for r in xero.requests if r.method == "PUT" and r.url.split("?")[0].endswith("/Invoices")]
    assert len(puts) == 1  # one batched PUT /Invoices for the three


# --- security --------------------------------------------------------------------------------------------------


def routes(expense, order, connection):
    return [
        ("get", send_url(expense, connection)),
        ("post", send_url(expense, connection)),
        ("post", reverse("integrations:expense-send-bulk")),
        ("get", reverse("integrations:purchase-order-send", args=[order.pk, connection.pk])),
        ("post", reverse("integrations:purchase-order-status", args=[order.pk, connection.pk])),
    ]


def test_members_get_403_everywhere(member_client, member_user, connection, expense, order):
    for method, url in routes(expense, order, connection):
        assert getattr(member_client, method)(url).status_code == 403, url
    member_api = APIClient()
    member_api.force_authenticate(member_user)
    assert member_api.get(reverse("integrations_api:expense-copies", args=[expense.pk])).status_code == 403
    assert member_api.post(reverse("integrations_api:expense-send-bulk"), {"ids": [expense.pk]}).status_code == 403
    assert "Send to Xero" not in page(member_client, expense)


def test_another_organizations_documents_are_404(admin_client, api, connection, other_organization):
    other_subsidiary = SubsidiaryFactory(organization=other_organization)
    theirs = make_expense(other_organization, other_subsidiary)
    their_order = make_purchase_order(other_organization, other_subsidiary)
    assert admin_client.get(send_url(theirs, connection)).status_code == 404
    assert (
        admin_client.get(reverse("integrations:purchase-order-send", args=[their_order.pk, connection.pk])).status_code
        == 404
    )
    assert api.get(reverse("integrations_api:expense-copies", args=[theirs.pk])).status_code == 404
    assert api.get(reverse("integrations_api:purchase-order-copies", args=[their_order.pk])).status_code == 404
    assert admin_client.get(reverse("billing:expense-receipt", args=[theirs.pk])).status_code == 404


def test_essential_is_refused_on_every_bills_route(admin_client, api, connection, expense, organization):
    organization.plan = Plan.ESSENTIAL
    organization.save()
    assert admin_client.get(send_url(expense, connection)).status_code == 403
    assert admin_client.post(send_url(expense, connection)).status_code == 403
    assert admin_client.post(reverse("integrations:expense-send-bulk"), {"ids": [expense.pk]}).status_code == 403
    assert api.get(reverse("integrations_api:expense-copies", args=[expense.pk])).status_code == 403
    assert (
        api.post(
            reverse("integrations_api:expense-copies", args=[expense.pk]), {"connection": connection.pk}
        ).status_code
        == 403
    )
    assert (
        api.post(reverse("integrations_api:expense-send-bulk"), {"ids": [expense.pk]}, format="json").status_code == 403
    )
    assert "Send to Xero" not in page(admin_client, expense)
    marketplace = admin_client.get(reverse("integrations:marketplace")).content.decode()
    assert "Upgrade to the Professional plan to export expenses as bills" in marketplace


def test_no_credential_is_shown(xero, admin_client, api, connection, expense, order):
    document_send(kind=BILL, pk=expense.pk, connection=connection)
    document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection)
    texts = [
        page(admin_client, expense),
        page(admin_client, order),
        admin_client.get(send_url(expense, connection)).content.decode(),
        api.get(reverse("integrations_api:expense-copies", args=[expense.pk])).content.decode(),
        api.get(reverse("integrations_api:purchase-order-copies", args=[order.pk])).content.decode(),
    ]
    grant = connection.grant
    for text in texts:
        assert grant.access_token not in text and grant.refresh_token not in text


# --- API -------------------------------------------------------------------------------------------------------


def test_the_api_sends_updates_and_lists_an_expenses_copies(xero, api, connection, expense):
    url = reverse("integrations_api:expense-copies", args=[expense.pk])

    created = api.post(url, {"connection": connection.pk}, format="json")
    updated = api.post(url, {"connection": connection.pk, "mode": "update"}, format="json")
    listed = api.get(url).json()

    assert created.status_code == updated.status_code == 201
    assert created.json()["kind"] == "bill" and created.json()["document"] == expense.pk
    assert created.json()["remote_status"] == "AUTHORISED"
    assert len(listed) == 2 and {row["remote_id"] for row in listed} == {created.json()["remote_id"]}


def test_the_api_refusals_say_why(api, connection, expense):
    expense = expense_update(expense=expense, approval_status=ApprovalStatus.REJECTED)
    response = api.post(
        reverse("integrations_api:expense-copies", args=[expense.pk]), {"connection": connection.pk}, format="json"
    )
    assert response.status_code == 400 and "Only approved expenses" in str(response.json())


def test_the_api_sends_a_purchase_order(xero, api, connection, order):
    response = api.post(
        reverse("integrations_api:purchase-order-copies", args=[order.pk]), {"connection": connection.pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "purchase_order"
    assert response.json()["remote_number"] == order.number


def test_the_api_lists_expense_payments_with_their_source(api, expense):
    expense_payment_record(expense=expense, amount="21.00", date=datetime.date(2026, 11, 10), source=PaymentSource.XERO)
    rows = api.get(reverse("api:expensepayment-list"), {"expense": expense.pk}).json()["results"]
    assert [(row["amount"], row["source"]) for row in rows] == [("21.00", "xero")]


def test_the_api_bulk_sends_expenses(
    xero, api, connection, organization, subsidiary, django_capture_on_commit_callbacks
):
    expenses = [make_expense(organization, subsidiary) for _ in range(2)]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("integrations_api:expense-send-bulk"), {"ids": [e.pk for e in expenses]}, format="json"
        )
    assert response.status_code == 202 and sorted(response.json()["queued"]) == sorted(e.pk for e in expenses)
    assert RemoteDocument.objects.filter(kind=BILL, status=CopyStatus.SUCCEEDED).count() == 2


def test_the_activity_page_lists_bills_purchase_orders_and_bill_payments(
    xero, admin_client, connection, expense, order
):
    copy = document_send(kind=BILL, pk=expense.pk, connection=connection)
    document_send(kind=PURCHASE_ORDER, pk=order.pk, connection=connection)
    xero.add_payment(
        invoice_id=copy.remote_id,
        amount="30.00",
        date="2026-11-10",
        updated=datetime.datetime(2026, 11, 10, 10, tzinfo=datetime.UTC),
    )
    payments_sync(connection=connection)

    text = admin_client.get(reverse("integrations:connection-activity", args=[connection.pk])).content.decode()
    assert f"Copied as {connection.name} bill {copy.remote_number}" in text
    assert f"purchase order {order.number}" in text
    assert "Payment of 30.00 EUR on 10 Nov 2026 recorded." in text
    assert expense.get_absolute_url() in text and order.get_absolute_url() in text


def test_a_failed_send_says_what_to_do_by_whose_move_it_is(xero, admin_client, connection, expense):
    xero.refuse_with = ["Contact is archived."]
    admin_client.post(send_url(expense, connection), {"mode": "update"})
    text = page(admin_client, expense)
    assert "Send failed" in text and "Contact is archived." in text
    assert "What to do: correct what Xero named above (here or in Xero), then send again." in text


def test_a_send_that_never_got_through_has_nothing_to_correct(admin_client, connection, expense):
    RemoteDocument.objects.create(  # what a bulk send leaves when Xero kept asking it to wait
        organization=expense.organization,
        kind=BILL,
        expense=expense,
        connection=connection,
        idempotency_key="bill-attempt-1",
        status=CopyStatus.FAILED,
        error="Xero kept asking us to wait.",
        error_kind=CopyErrorKind.TRANSIENT,
    )
    text = page(admin_client, expense)
    assert "What to do: nothing to correct: the send did not get through to Xero (nothing was refused)." in text
    assert "Send again in a few minutes." in text and "correct what" not in text


def test_a_lost_grant_shows_reconnect_then_nothing_to_correct(admin_client, connection, expense):
    with responses.RequestsMock() as mock:
        mock.add(responses.PUT, re.compile(r"https://api\.xero\.com/.*"), status=401, json={"Title": "Unauthorized"})
        mock.add(
            responses.POST, re.compile(r"https://identity\.xero\.com/.*"), status=400, json={"error": "invalid_grant"}
        )
        admin_client.post(send_url(expense, connection), {"mode": "update"})
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT
    text = page(admin_client, expense)  # the row is gone until reconnected; the panel says so, with the button
    assert f"<strong>{connection.name}</strong> needs reconnect" in text
    assert reverse("integrations:connection-reconnect", args=[connection.pk]) in text

    connection.status = ConnectionStatus.ACTIVE  # reconnected: sending again is all that is left
    connection.save(update_fields=["status"])
    text = page(admin_client, expense)
    assert (
        "What to do: nothing to correct: the send did not get through to Xero" in text and "needs reconnect" not in text
    )
