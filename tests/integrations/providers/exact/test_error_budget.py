"""Exact's "no more than 10 errors per user, division and endpoint an hour" (400, 401, 403, 404), kept by the
client's error budget: once an endpoint has given 8 error answers, the payment sync does not call it, pauses the
connection until the hour lets one go, and says so; a later run after that reads the feed again."""

import datetime as dt

import pytest
import time_machine

from integrations.exceptions import ProviderValidationError
from integrations.models import Connection, SyncOutcome
from integrations.providers.exact.client import ExactApi
from integrations.services.payments_sync import payments_sync

from .fake_exact import FakeExact
from .helpers import READY_SETTINGS, exact_connection

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)
FEED = "sync/Cashflow/PaymentTerms"  # the payment sync's first call


def test_the_payment_sync_pauses_a_connection_whose_feed_endpoint_has_spent_its_error_budget(
    mock, organization, subsidiary
):
    exact = FakeExact(mock).install()
    connection = exact_connection(
        organization=organization,
        subsidiary=subsidiary,
        settings={**READY_SETTINGS, "sync_payments": True},
        payment_sync_enabled_at=START - dt.timedelta(days=1),
    )
    with time_machine.travel(START, tick=False) as traveller:
        api = ExactApi(connection)
        for _ in range(8):  # Exact refuses a read without $select: 400, a counted error
            with pytest.raises(ProviderValidationError):
                api.request("GET", FEED, params={"$filter": "Timestamp gt 1"})
        sent = len(exact.requests)

        run = payments_sync(connection=connection)

        assert run.outcome == SyncOutcome.FAILED and run.api_calls == 0
        assert len(exact.requests) == sent  # nothing sent: the 9th and 10th errors stay in hand
        connection = Connection.objects.get(pk=connection.pk)
        assert connection.is_paused
        assert connection.paused_until == START + dt.timedelta(hours=1)
        assert connection.last_error == (
            "Exact Online blocks a connection after 10 error answers from one endpoint within an hour, and "
            f"{FEED} has given 8: it is not called again until 10:00 UTC (nothing was sent)."
        )

        traveller.move_to(START + dt.timedelta(hours=1, seconds=1))
        again = payments_sync(connection=connection)
    assert again.outcome == SyncOutcome.SUCCEEDED and again.api_calls >= 1
    assert not Connection.objects.get(pk=connection.pk).is_paused
