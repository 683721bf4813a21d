"""Fixtures shared by the integration tests: provider HTTP mocked with `responses`, Xero served by FakeXero."""

import pytest
import responses

from .fake_xero import FakeXero

XERO_API = "https://api.xero.com/api.xro/2.0"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """Retries happen at once: the tests count calls, never wait for them."""
    monkeypatch.setattr("integrations.http.backoff_delay", lambda attempt: 0)


@pytest.fixture
def mock():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def xero(mock):
    return FakeXero(mock, XERO_API).install()
