"""Each TokenPolicy rule as a provider declares it (Xero's values are today's behaviour; an Exact-like and a
QuickBooks-like provider on the same OAuth 2 base declare theirs), and one grant shared by several connections
refreshing once for all of them."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.test import override_settings
from django.utils import timezone

from integrations import registry
from integrations.exceptions import TerminalError, ThrottledError, TransientError
from integrations.models import Connection, ConnectionStatus, Grant
from integrations.providers.base import TokenPolicy
from integrations.providers.oauth2 import POST
from integrations.providers.xero.provider import XeroProvider
from integrations.tokens import connection_access_token, connection_reauthorize

from .factories import ConnectionFactory, GrantFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "https://identity.xero.com/connect/token"


class ExactLike(XeroProvider):
    """Exact Online's rules on Xero's endpoints: no refresh before 9.5 minutes, 200 token calls a day, the old
    refresh token dies at once, a 401 is not a dead token, client id and secret in the body."""

    key = "exactlike"
    name = "Exact-like"
    token_policy = TokenPolicy(
        refresh_margin=timedelta(seconds=30),
        minimum_age=timedelta(minutes=9, seconds=30),
        rotates=True,
        rotation_grace=timedelta(0),
        daily_token_calls=200,
        refresh_after_401=False,
    )
    client_auth = POST


class QuickBooksLike(XeroProvider):
    key = "qbolike"
    name = "QuickBooks-like"
    token_policy = TokenPolicy(refresh_margin=timedelta(minutes=5), rotation_grace=timedelta(0))


PROVIDERS = [
    "integrations.providers.xero.provider.XeroProvider",
    "tests.integrations.test_token_policy.ExactLike",
    "tests.integrations.test_token_policy.QuickBooksLike",
]


@pytest.fixture(autouse=True)
def _providers():
    with override_settings(INTEGRATION_PROVIDERS=PROVIDERS):
        yield


def token_body(n=1, expires_in=600):
    return {"access_token": f"new-access-{n}", "refresh_token": f"new-refresh-{n}", "expires_in": expires_in}


def connection_on(provider="xero", *, expires_in: timedelta, obtained_ago: timedelta | None = None, **extra):
    obtained = timezone.now() - obtained_ago if obtained_ago is not None else None
    return ConnectionFactory(
        provider=provider,
        access_token="old-access",
        refresh_token="old-refresh",
        token_expires_at=timezone.now() + expires_in,
        access_token_obtained_at=obtained,
        **extra,
    )


# --- Xero: today's behaviour ---------------------------------------------------------------------------------


def test_xero_declares_todays_rules():
    policy = registry.get("xero").token_policy
    assert policy.refresh_margin == timedelta(seconds=60)
    assert policy.minimum_age == timedelta(0) and policy.daily_token_calls is None
    assert policy.rotates and policy.rotation_grace == timedelta(minutes=30) and policy.refresh_is_retryable
    assert policy.refresh_after_401


@responses.activate
@pytest.mark.parametrize(("left", "refreshed"), [(timedelta(seconds=61), False), (timedelta(seconds=59), True)])
def test_the_margin_decides_when_a_token_is_refreshed(left, refreshed):
    connection = connection_on(expires_in=left)
    responses.add(responses.POST, TOKEN_URL, json=token_body())
    token = connection_access_token(connection)
    assert token == ("new-access-1" if refreshed else "old-access")
    assert len(responses.calls) == int(refreshed)


@responses.activate
def test_a_provider_with_a_wider_margin_refreshes_earlier():
    connection = connection_on("qbolike", expires_in=timedelta(minutes=4))
    responses.add(responses.POST, TOKEN_URL, json=token_body())
    assert connection_access_token(connection) == "new-access-1"


# --- minimum age (Exact: 9.5 minutes) --------------------------------------------------------------------------


@responses.activate
def test_a_refresh_asked_too_early_uses_the_current_token_while_it_is_valid():
    # Within the margin, but obtained 5 minutes ago: Exact would refuse the refresh (and count it as an error).
    connection = connection_on("exactlike", expires_in=timedelta(seconds=20), obtained_ago=timedelta(minutes=5))
    assert connection_access_token(connection) == "old-access"
    assert len(responses.calls) == 0
    assert Grant.objects.get(pk=connection.grant_id).token_calls == 0


@responses.activate
def test_a_rejected_token_too_young_to_refresh_waits_instead_of_calling():
    connection = connection_on("exactlike", expires_in=timedelta(minutes=5), obtained_ago=timedelta(minutes=5))
    with pytest.raises(ThrottledError, match="does not allow refreshing") as caught:
        connection_access_token(connection, rejected="old-access")
    assert 4 * 60 < caught.value.retry_after <= 4 * 60 + 32
    assert len(responses.calls) == 0
    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.ACTIVE


@responses.activate
def test_a_token_old_enough_is_refreshed_and_its_age_restarts():
    connection = connection_on(
        "exactlike", expires_in=timedelta(seconds=20), obtained_ago=timedelta(minutes=9, seconds=40)
    )
    responses.add(responses.POST, TOKEN_URL, json=token_body(expires_in="600"))  # Exact sends a string
    assert connection_access_token(connection) == "new-access-1"
    grant = Grant.objects.get(pk=connection.grant_id)
    assert timezone.now() - grant.access_token_obtained_at < timedelta(seconds=5)
    assert timedelta(minutes=9) < grant.token_expires_at - timezone.now() <= timedelta(minutes=10)
    # Client id and secret travel in the body (client_secret_post), not as Basic auth.
    sent = parse_qs(responses.calls[0].request.body)
    assert sent["client_id"] == ["test-xero-client-id"] and sent["refresh_token"] == ["old-refresh"]
    assert "Authorization" not in responses.calls[0].request.headers


# --- daily cap (Exact: about 200 token calls per user and day) --------------------------------------------------


@responses.activate
def test_the_daily_cap_refuses_the_call_that_would_exceed_it():
    connection = connection_on("exactlike", expires_in=timedelta(seconds=-1))
    today = timezone.now().astimezone(UTC).date()
    Grant.objects.filter(pk=connection.grant_id).update(token_calls_day=today, token_calls=199)
    connection.refresh_from_db()
    responses.add(responses.POST, TOKEN_URL, json=token_body())

    assert connection_access_token(connection) == "new-access-1"  # the 200th
    assert Grant.objects.get(pk=connection.grant_id).token_calls == 200

    ten_minutes_later = {"access_token_obtained_at": timezone.now() - timedelta(minutes=10)}
    Grant.objects.filter(pk=connection.grant_id).update(token_expires_at=timezone.now(), **ten_minutes_later)
    connection.refresh_from_db()
    with pytest.raises(ThrottledError, match="200 token refreshes a day") as caught:
        connection_access_token(connection)
    assert len(responses.calls) == 1
    midnight = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    assert abs(caught.value.retry_after - (midnight - timezone.now()).total_seconds()) < 5


@responses.activate
def test_the_daily_count_starts_again_on_a_new_day():
    connection = connection_on("exactlike", expires_in=timedelta(seconds=-1))
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    Grant.objects.filter(pk=connection.grant_id).update(token_calls_day=yesterday, token_calls=200)
    connection.refresh_from_db()
    responses.add(responses.POST, TOKEN_URL, json=token_body())
    assert connection_access_token(connection) == "new-access-1"
    grant = Grant.objects.get(pk=connection.grant_id)
    assert (grant.token_calls_day, grant.token_calls) == (yesterday + timedelta(days=1), 1)


@responses.activate
def test_a_refresh_that_fails_on_the_way_still_counts_against_the_cap():
    # The provider counted the call even if its answer never arrived.
    connection = connection_on("exactlike", expires_in=timedelta(seconds=-1))
    responses.add(responses.POST, TOKEN_URL, status=503)
    with pytest.raises(TransientError):
        connection_access_token(connection)
    assert Grant.objects.get(pk=connection.grant_id).token_calls == 1


# --- rotation grace: only a refresh whose old token survives is retried ---------------------------------------


@responses.activate
@override_settings(INTEGRATIONS_HTTP_RETRIES=2)
@pytest.mark.parametrize(("provider", "calls"), [("xero", 3), ("qbolike", 1), ("exactlike", 1)])
def test_a_lost_refresh_answer_is_retried_only_within_a_rotation_grace(provider, calls, monkeypatch):
    monkeypatch.setattr("integrations.http.time.sleep", lambda seconds: None)
    connection = connection_on(provider, expires_in=timedelta(seconds=-1))
    responses.add(responses.POST, TOKEN_URL, body=requests.exceptions.ReadTimeout())
    with pytest.raises(TransientError):
        connection_access_token(connection)
    assert len(responses.calls) == calls
    assert Grant.objects.get(pk=connection.grant_id).refresh_token == "old-refresh"


# --- the 401 rule --------------------------------------------------------------------------------------------


@responses.activate
def test_a_401_forces_a_refresh_only_where_the_provider_says_so():
    xero = connection_on(expires_in=timedelta(minutes=20))
    exact = connection_on("exactlike", expires_in=timedelta(minutes=5), obtained_ago=timedelta(minutes=9, seconds=50))
    responses.add(responses.POST, TOKEN_URL, json=token_body())

    assert connection_reauthorize(xero, "old-access") is True
    assert Grant.objects.get(pk=xero.grant_id).access_token == "new-access-1"
    assert connection_reauthorize(exact, "old-access") is False
    assert len(responses.calls) == 1


# --- one grant, several connections ------------------------------------------------------------------------------


@responses.activate
def test_two_connections_on_one_grant_refresh_once():
    grant = GrantFactory(
        access_token="old", refresh_token="old-r", token_expires_at=timezone.now() - timedelta(seconds=5)
    )
    first = ConnectionFactory(organization=grant.organization, grant=grant)
    second = ConnectionFactory(organization=grant.organization, grant=grant)
    second = Connection.objects.get(pk=second.pk)  # its own instance, as another worker has it
    responses.add(responses.POST, TOKEN_URL, json=token_body())

    assert connection_access_token(first) == "new-access-1"
    assert connection_access_token(second) == "new-access-1"

    assert len(responses.calls) == 1
    stored = Grant.objects.get(pk=grant.pk)
    assert (stored.refresh_token, stored.token_calls) == ("new-refresh-1", 1)


@responses.activate
def test_invalid_grant_marks_every_connection_of_the_grant():
    grant = GrantFactory(token_expires_at=timezone.now() - timedelta(seconds=5))
    first = ConnectionFactory(organization=grant.organization, grant=grant)
    second = ConnectionFactory(organization=grant.organization, grant=grant)
    elsewhere = ConnectionFactory(organization=grant.organization)
    responses.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})

    with pytest.raises(TerminalError):
        connection_access_token(first)

    statuses = dict(Connection.objects.values_list("pk", "status"))
    assert statuses[first.pk] == statuses[second.pk] == ConnectionStatus.NEEDS_RECONNECT
    assert statuses[elsewhere.pk] == ConnectionStatus.ACTIVE
    assert first.status == ConnectionStatus.NEEDS_RECONNECT
