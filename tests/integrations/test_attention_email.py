"""The daily Needs attention e-mail: off by default, per admin, only when something needs attention, once a day."""

import datetime
import uuid

import pytest
from django.core import mail
from django.urls import reverse

from billing.choices import Role
from billing.models import Membership
from integrations.models import AttentionDigest, ConnectionStatus, CopyStatus, PendingPaymentChange, RemoteDocument
from integrations.schedules import SCHEDULES
from integrations.services.attention_digest import attention_digest_set, attention_digests_send
from tests.factories import make_invoice

from .factories import ConnectionFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 3, 7, tzinfo=datetime.UTC)


@pytest.fixture
def connection(organization, subsidiary):
    return ConnectionFactory(organization=organization, subsidiary=subsidiary, name="Xero NL")


def failed_copy(connection):
    invoice = make_invoice(organization=connection.organization, subsidiary=connection.subsidiary, finalize=True)
    return RemoteDocument.objects.create(
        organization=connection.organization,
        invoice=invoice,
        connection=connection,
        idempotency_key=str(uuid.uuid4()),
        status=CopyStatus.FAILED,
        error="Refused.",
    )


def test_nothing_is_sent_unless_an_admin_switched_it_on(connection, admin_user):
    failed_copy(connection)

    assert attention_digests_send(now=NOW) == 0 and not mail.outbox


def test_the_email_names_each_connection_what_waits_and_the_page(connection, organization, admin_user, settings):
    settings.SITE_URL = "https://app.example.test"
    failed_copy(connection)
    failed_copy(connection)
    PendingPaymentChange.objects.create(connection=connection, remote_id="pay-1", record={"id": "pay-1"}, error="No.")
    broken = ConnectionFactory(
        organization=organization, subsidiary=connection.subsidiary, name="Xero BE", status=ConnectionStatus.ERROR
    )
    ConnectionFactory(organization=organization, subsidiary=connection.subsidiary, name="Xero clean")
    attention_digest_set(organization=organization, user=admin_user, enabled=True)

    assert attention_digests_send(now=NOW) == 1

    [email] = mail.outbox
    assert email.to == ["admin@acme.test"] and email.subject == "4 items need attention in Acme Agency"
    body = email.body
    assert "Xero NL (Xero)\n  - 2 copies failed\n  - 1 payment could not be applied" in body
    assert "Xero BE (Xero)\n  - the connection needs reconnecting" in body
    assert "Xero clean" not in body
    attention = reverse("integrations:connection-attention", args=[connection.pk])
    assert f"Open: https://app.example.test{attention}" in body
    assert f"connections/{broken.pk}/attention/" in body
    assert connection.grant.access_token not in body


def test_once_a_day_and_not_when_nothing_waits(connection, organization, admin_user):
    attention_digest_set(organization=organization, user=admin_user, enabled=True)
    assert attention_digests_send(now=NOW) == 0, "nothing needs attention: no e-mail"
    failed_copy(connection)

    assert attention_digests_send(now=NOW) == 1
    assert attention_digests_send(now=NOW + datetime.timedelta(hours=2)) == 0
    assert attention_digests_send(now=NOW + datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2


def test_a_user_no_longer_admin_gets_nothing(connection, organization, admin_user):
    failed_copy(connection)
    attention_digest_set(organization=organization, user=admin_user, enabled=True)
    Membership.objects.filter(user=admin_user).update(role=Role.MEMBER)

    assert attention_digests_send(now=NOW) == 0


def test_the_admin_switches_it_on_and_off_on_the_page(connection, organization, admin_client, admin_user):
    url = reverse("integrations:attention-digest", args=[connection.pk])
    page = admin_client.get(reverse("integrations:connection-attention", args=[connection.pk])).content.decode()
    assert 'name="enabled">' in page, "off by default"

    admin_client.post(url, {"enabled": "on"})
    assert AttentionDigest.objects.get(user=admin_user, organization=organization).enabled
    page = admin_client.get(reverse("integrations:connection-attention", args=[connection.pk])).content.decode()
    assert 'name="enabled" checked>' in page

    admin_client.post(url, {})
    assert not AttentionDigest.objects.get(user=admin_user).enabled


def test_it_runs_daily_on_the_schedule():
    [task] = [task for task in SCHEDULES if task.func.endswith("attention_digests_send")]
    assert task.minutes() == 24 * 60
