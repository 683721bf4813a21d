"""The kit's hosts simulated by path (Exact's country sites), the default tenant of a call naming none, the
rotated-refresh error of a policy, rate-limit details for headers, and a provider's own webhook seal
(tests/sandbox/tiny_provider.py TINY_HOSTED)."""

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import responses
import time_machine
from django.test import Client, override_settings

from integrations.sandbox.kit import limits, webhooks

from .tiny_provider import TINY_HOSTED

pytestmark = pytest.mark.urls("tests.sandbox.kit_urls")

REDIRECT_URI = "http://testserver/integrations/tinyhosted/callback/"
FORM = {"client_id": "tiny-hosted-client", "client_secret": "tiny-hosted-secret"}


def _consent(client, host: str, tenant: str):
    query = urlencode({"response_type": "code", "client_id": FORM["client_id"], "redirect_uri": REDIRECT_URI})
    return client.post(f"/sandbox/tinyhosted/{host}/oauth/authorize?{query}", {"tenant": [tenant], "allow": "1"})


def _code(response) -> str:
    assert response.status_code == 302, response.content
    return parse_qs(urlsplit(response["Location"]).query)["code"][0]


def _token(client, host: str, data: dict):
    return client.post(f"/sandbox/tinyhosted/{host}/oauth/token", {**FORM, **data})


@pytest.fixture
def client(db):
    return Client()


def test_each_host_offers_its_tenants_and_honours_only_its_own_codes_and_tokens(client):
    page = client.get(
        "/sandbox/tinyhosted/eu/oauth/authorize?"
        + urlencode({"response_type": "code", "client_id": FORM["client_id"], "redirect_uri": REDIRECT_URI})
    ).content.decode()
    assert "Eu Books" in page and "Us Books" not in page
    assert _consent(client, "eu", "201").status_code == 400  # a tenant of the other host
    code = _code(_consent(client, "eu", "101"))
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    assert _token(client, "us", exchange).json()["error"] == "invalid_grant"
    code = _code(_consent(client, "eu", "101"))
    tokens = _token(client, "eu", {**exchange, "code": code}).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    assert client.get("/sandbox/tinyhosted/eu/api/whoami", **bearer).json() == {"tenant": "101"}  # default tenant
    assert client.get("/sandbox/tinyhosted/eu/api/101/x", **bearer).json() == {"tenant": "101"}
    assert client.get("/sandbox/tinyhosted/us/api/whoami", **bearer).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert _token(client, "us", refresh).json()["error"] == "invalid_grant"
    assert _token(client, "eu", refresh).status_code == 200
    reused = _token(client, "eu", refresh)
    assert reused.status_code == 401 and reused.json()["error"] == "unauthorized_client"
    assert client.post("/sandbox/tinyhosted/eu/oauth/revoke", FORM).status_code == 404  # no revocation endpoint


def test_admission_reports_limits_and_reset_times(db):
    start = dt.datetime(2026, 11, 2, 9, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        admission = limits.admit(TINY_HOSTED, "101")
    limits.release(admission)
    remaining = admission.remaining()
    assert remaining["minute"] == 59 and remaining["minute_limit"] == 60 and remaining["day_limit"] == 5000
    assert remaining["minute_resets_at"] == start + dt.timedelta(seconds=60)
    assert remaining["day_resets_at"] == dt.datetime(2026, 11, 3, tzinfo=dt.UTC)


@override_settings(TINY_HOSTED_WEBHOOK_KEY="k", SITE_URL="http://testserver", SANDBOX_WEBHOOK_URL="")
def test_a_providers_seal_builds_the_body_and_a_raw_post_goes_as_given(db, django_capture_on_commit_callbacks):
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, "http://testserver/hooks/tiny/", status=200)
        mock.add(responses.POST, "https://elsewhere.example/ping", status=200)
        with django_capture_on_commit_callbacks(execute=True):
            assert webhooks.send(TINY_HOSTED, "101", {"a": 1})
            webhooks.send_raw(TINY_HOSTED, "101", url="https://elsewhere.example/ping")
        sealed, ping = mock.calls
    assert sealed.request.body.startswith(b'{"Content":{"a": 1},"Sig":"')
    assert ping.request.body in (None, b"") and "Sig" not in ping.request.headers
