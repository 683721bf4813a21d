"""Token refresh: fresh tokens are reused, stale ones refreshed once under a lock, rotations persisted,
invalid_grant marks the connection unless it was a race."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from unittest import mock as unittest_mock
from urllib.parse import parse_qs

import pytest
import requests
import responses
from django.db import close_old_connections
from django.db import connection as db_connection
from django.utils import timezone

from integrations.exceptions import IntegrationError, TerminalError, ThrottledError, TransientError
from integrations.models import Connection, ConnectionStatus, Grant
from integrations.tokens import connection_access_token

from .factories import ConnectionFactory

TOKEN_URL = "https://identity.xero.com/connect/token"


@contextmanager
def mock_sleep():
    with unittest_mock.patch("integrations.http.time.sleep") as sleep:
        yield sleep


def _stale(**extra):
    return ConnectionFactory(
        access_token="old-access",
        refresh_token="old-refresh",
        token_expires_at=timezone.now() - timedelta(minutes=1),
        **extra,
    )


def _token_body(n=1):
    return {
        "access_token": f"new-access-{n}",
        "refresh_token": f"new-refresh-{n}",
        "expires_in": 1800,
        "token_type": "Bearer",
    }


@pytest.mark.django_db
@responses.activate
def test_a_fresh_token_is_returned_without_any_request():
    connection = ConnectionFactory(access_token="fresh", token_expires_at=timezone.now() + timedelta(minutes=20))
    assert connection_access_token(connection) == "fresh"
    assert len(responses.calls) == 0


@pytest.mark.django_db
@responses.activate
def test_a_token_about_to_expire_is_refreshed():
    connection = ConnectionFactory(access_token="old", token_expires_at=timezone.now() + timedelta(seconds=30))
    responses.add(responses.POST, TOKEN_URL, json=_token_body())
    assert connection_access_token(connection) == "new-access-1"


@pytest.mark.django_db
@responses.activate
def test_refresh_rotates_and_persists_the_refresh_token_and_expiry():
    connection = _stale()
    responses.add(responses.POST, TOKEN_URL, json=_token_body())

    assert connection_access_token(connection) == "new-access-1"

    sent = parse_qs(responses.calls[0].request.body)
    assert sent == {"grant_type": ["refresh_token"], "refresh_token": ["old-refresh"]}
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.grant.access_token == "new-access-1"
    assert stored.grant.refresh_token == "new-refresh-1"
    assert timedelta(minutes=29) < stored.grant.token_expires_at - timezone.now() <= timedelta(minutes=30)
    assert connection.grant.refresh_token == "new-refresh-1"  # the caller's instance is updated too
    # And now it is fresh: no second request.
    assert connection_access_token(stored) == "new-access-1"
    assert len(responses.calls) == 1


@pytest.mark.django_db
@responses.activate
def test_a_token_the_provider_rejected_is_refreshed_even_if_it_looks_fresh():
    connection = ConnectionFactory(access_token="looks-fresh", token_expires_at=timezone.now() + timedelta(hours=1))
    responses.add(responses.POST, TOKEN_URL, json=_token_body())
    assert connection_access_token(connection, rejected="looks-fresh") == "new-access-1"


@pytest.mark.django_db
@responses.activate
def test_invalid_grant_marks_the_connection_needs_reconnect():
    connection = _stale()
    responses.add(responses.POST, TOKEN_URL, status=400, json={"error": "invalid_grant"})

    with pytest.raises(TerminalError, match="reconnect"):
        connection_access_token(connection)

    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.NEEDS_RECONNECT
    assert "invalid_grant" in stored.last_error
    assert stored.last_error_at is not None
    assert stored.grant.refresh_token == "old-refresh"  # nothing else touched
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT


@pytest.mark.django_db
@responses.activate
def test_invalid_grant_after_a_concurrent_rotation_is_a_race_not_a_revocation():
    connection = _stale()

    def someone_else_refreshed_first(request):
        # Another worker rotated the token between our read and our refresh; ours is now the stale one.
        Connection.objects.filter(pk=connection.pk).update(status=ConnectionStatus.ACTIVE)
        other = Grant.objects.get(pk=connection.grant_id)
        other.access_token, other.refresh_token = "their-access", "their-refresh"
        other.token_expires_at = timezone.now() + timedelta(minutes=30)
        other.save()
        return 400, {}, '{"error":"invalid_grant"}'

    responses.add_callback(responses.POST, TOKEN_URL, callback=someone_else_refreshed_first)

    assert connection_access_token(connection) == "their-access"
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.ACTIVE
    assert stored.last_error == ""


@pytest.mark.django_db
@responses.activate
def test_a_server_error_while_refreshing_changes_nothing():
    connection = _stale()
    responses.add(responses.POST, TOKEN_URL, status=503)
    with pytest.raises(TransientError):
        connection_access_token(connection)
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == ConnectionStatus.ACTIVE
    assert stored.grant.refresh_token == "old-refresh"


@pytest.mark.django_db
def test_a_disconnected_connection_never_refreshes():
    connection = _stale(status=ConnectionStatus.DISCONNECTED)
    with responses.RequestsMock():  # any request would fail the test
        with pytest.raises(TerminalError):
            connection_access_token(connection)


# --- concurrency: many callers, one token request -------------------------------------------------------------


def _hammer(connection_id: int, threads: int) -> tuple[list, list, int]:
    """`threads` callers, each with its own DB connection and Connection instance, all at once."""
    results, errors = [], []
    barrier = threading.Barrier(threads)
    calls = []
    lock = threading.Lock()

    def token_endpoint(request):
        with lock:
            calls.append(request.body)
            n = len(calls)
        if n > 1:  # the rotated refresh token was already used: what Xero does for a second use after grace
            return 400, {}, '{"error":"invalid_grant"}'
        return 200, {}, '{"access_token":"shared-access","refresh_token":"shared-refresh","expires_in":1800}'

    def worker():
        try:
            instance = Connection.objects.get(pk=connection_id)
            barrier.wait(timeout=10)
            results.append(connection_access_token(instance))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            db_connection.close()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, TOKEN_URL, callback=token_endpoint)
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join(timeout=60)
    return results, errors, len(calls)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_on_postgresql_make_exactly_one_token_request():
    if db_connection.vendor != "postgresql":
        pytest.skip("Row locks (select_for_update) need PostgreSQL; SQLite is covered by the process-lock test.")
    connection = _stale()
    results, errors, calls = _hammer(connection.pk, 20)
    assert errors == []
    assert calls == 1
    assert results == ["shared-access"] * 20
    assert Connection.objects.get(pk=connection.pk).status == ConnectionStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_threads_on_sqlite_make_exactly_one_token_request():
    if db_connection.vendor != "sqlite":
        pytest.skip("The process-wide lock is the SQLite path; PostgreSQL uses row locks (test above).")
    connection = _stale()
    results, errors, calls = _hammer(connection.pk, 8)
    assert errors == []
    assert calls == 1
    assert results == ["shared-access"] * 8


# --- the refresh column of the fault matrix --------------------------------------------------------------------

REFRESH_FAULTS = {
    "timeout": (dict(body=requests.exceptions.ReadTimeout()), TransientError, ConnectionStatus.ACTIVE),
    "connection error": (
        dict(body=requests.exceptions.ConnectionError()),
        TransientError,
        ConnectionStatus.ACTIVE,
    ),
    "429": (dict(status=429, headers={"Retry-After": "60"}), ThrottledError, ConnectionStatus.ACTIVE),
    "500": (dict(status=500), TransientError, ConnectionStatus.ACTIVE),
    "invalid JSON": (dict(body="<html>", content_type="application/json"), TransientError, ConnectionStatus.ACTIVE),
    "401 (our client credentials)": (
        dict(status=401, json={"error": "invalid_client"}),
        IntegrationError,
        ConnectionStatus.ACTIVE,
    ),
    "invalid_grant": (
        dict(status=400, json={"error": "invalid_grant"}),
        TerminalError,
        ConnectionStatus.NEEDS_RECONNECT,
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("fault", list(REFRESH_FAULTS))
def test_refresh_fault_matrix(fault, settings):
    settings.INTEGRATIONS_HTTP_RETRIES = 1
    kwargs, expected, status = REFRESH_FAULTS[fault]
    connection = _stale()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, TOKEN_URL, **kwargs)
        mock.add(responses.POST, TOKEN_URL, **kwargs)
        with mock_sleep(), pytest.raises(expected) as caught:
            connection_access_token(connection)
        retried = len(mock.calls)
    assert type(caught.value) is expected
    stored = Connection.objects.get(pk=connection.pk)
    assert stored.status == status
    assert (stored.grant.access_token, stored.grant.refresh_token) == ("old-access", "old-refresh")  # nothing lost
    # Refreshing is safe to repeat (Xero's 30-minute grace): transient failures are retried, nothing else is.
    assert retried == (2 if expected is TransientError else 1)
