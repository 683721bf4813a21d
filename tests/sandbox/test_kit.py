"""The kit gives a second provider consent, tokens under its own policy, limits, faults, replay by query
parameter, the call log and the shared pages, with nothing but a declaration (tests/sandbox/tiny_provider.py)."""

import base64
import datetime as dt
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.test import Client

from integrations.sandbox.kit import limits
from integrations.sandbox.models import ApiCall, Fault, Grant, Token

from .tiny_provider import ACME, GLOBEX, TINY

pytestmark = pytest.mark.urls("tests.sandbox.kit_urls")

BASE = "/sandbox/tiny"
REDIRECT_URI = "http://testserver/integrations/tiny/callback/"
START = dt.datetime(2026, 11, 2, 9, 0, 10, tzinfo=dt.UTC)
BASIC = "Basic " + base64.b64encode(b"tiny-client:tiny-secret").decode()


def authorize_url(**overrides) -> str:
    params = {"response_type": "code", "client_id": "tiny-client", "redirect_uri": REDIRECT_URI, "state": "s-1"}
    params.update(overrides)
    return f"{BASE}/oauth/authorize?" + urlencode(params)


def callback(response) -> dict:
    assert response.status_code == 302, response.content
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def token(client, data):
    return client.post(f"{BASE}/oauth/token", data, HTTP_AUTHORIZATION=BASIC)


def connect(client, tenants=(ACME,)) -> dict:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    url = authorize_url(code_challenge=challenge, code_challenge_method="S256")
    code = callback(client.post(url, {"tenant": list(tenants), "allow": "1"}))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    response = token(client, data)
    assert response.status_code == 200, response.content
    return response.json()


def api(client, access_token, method="get", tenant=ACME, query=""):
    call = getattr(client, method)
    return call(f"{BASE}/api/v3/company/{tenant}/counter{query}", HTTP_AUTHORIZATION=f"Bearer {access_token}")


@pytest.fixture
def client(db):
    return Client()


def test_consent_lists_the_companies_and_sends_realm_id_and_state_back(client):
    page = client.get(authorize_url()).content.decode()
    assert "Tiny Books sandbox: allow access?" in page
    assert "Companies to connect" in page and "Acme Books Inc" in page and "Globex Ledger" in page
    assert page.count('type="checkbox" name="tenant"') == 2  # several tenants per consent unless declared otherwise
    both = callback(client.post(authorize_url(), {"tenant": [ACME, GLOBEX], "allow": "1"}))
    assert both["realmId"] == ACME
    got = callback(client.post(authorize_url(), {"tenant": [GLOBEX], "allow": "1"}))
    assert got["state"] == "s-1" and got["realmId"] == GLOBEX and got["code"]
    assert callback(client.post(authorize_url(), {"cancel": "1"})) == {"error": "access_denied", "state": "s-1"}
    refused = client.post(authorize_url(), {"allow": "1"})
    assert refused.status_code == 400 and "Select at least one company to connect." in refused.content.decode()


def test_consent_checks_client_redirect_and_pkce(client):
    assert client.get(authorize_url(client_id="someone-else")).status_code == 400
    assert client.get(authorize_url(redirect_uri="http://testserver/elsewhere/")).status_code == 400
    got = callback(client.get(authorize_url(code_challenge="x", code_challenge_method="plain")))
    assert got["error"] == "invalid_request"
    verifier, challenge = "v" * 43, base64.urlsafe_b64encode(hashlib.sha256(b"w" * 43).digest()).rstrip(b"=")
    url = authorize_url(code_challenge=challenge.decode(), code_challenge_method="S256")
    code = callback(client.post(url, {"tenant": [ACME], "allow": "1"}))["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    assert token(client, data).json() == {"error": "invalid_grant"}
    assert token(client, data).json() == {"error": "invalid_grant"}  # the code was burnt by the failed exchange


def test_refresh_is_refused_before_nine_and_a_half_minutes_and_the_old_token_dies_at_once(client):
    with time_machine.travel(START, tick=False) as traveller:
        first = connect(client)
        assert first["expires_in"] == 3600 and "id_token" not in first
        early = token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
        assert early.status_code == 401
        assert early.json() == {"error": "invalid_request", "error_description": "Access token not expired"}
        traveller.shift(dt.timedelta(minutes=9, seconds=31))
        second = token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
        assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
        again = token(client, {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]})
        assert again.json() == {"error": "invalid_grant"}  # no grace: the rotated token is dead at once
    assert Token.objects.filter(grant__provider="tiny").count() == 4
    stored = set(Token.objects.values_list("token_hash", flat=True))
    assert first["access_token"] not in stored and len(stored) == 4  # hashes only


def test_token_calls_are_capped_per_client_per_day(client):
    with time_machine.travel(START, tick=False) as traveller:
        body = connect(client)  # call 1
        for _ in range(3):  # calls 2–4: refused as too early, but they count
            token(client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
        capped = token(client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
        assert capped.status_code == 429 and capped.json()["error"] == "invalid_request"
        traveller.shift(dt.timedelta(days=1))
        fresh = token(client, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]})
        assert fresh.status_code == 200  # a new UTC day


def test_api_calls_need_the_token_and_a_granted_company(client):
    body = connect(client, tenants=(ACME,))
    assert api(client, "not-a-token").status_code == 401
    assert api(client, body["access_token"], tenant=GLOBEX).status_code == 403
    assert api(client, body["access_token"], method="post").status_code == 201
    assert api(client, body["access_token"]).json() == {"value": 1}
    assert (
        client.get(
            f"{BASE}/api/v3/company/{ACME}/other", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}"
        ).status_code
        == 404
    )
    revoke = client.post(f"{BASE}/oauth/revoke", {"token": body["refresh_token"]}, HTTP_AUTHORIZATION=BASIC)
    assert revoke.status_code == 200 and Grant.objects.get().revoked_at is not None
    assert api(client, body["access_token"]).status_code == 403  # revocation took the connection away


def test_minute_and_concurrency_limits_use_the_declared_numbers(client):
    body = connect(client)
    with time_machine.travel(START, tick=False) as traveller:
        assert [api(client, body["access_token"], method="post").status_code for _ in range(5)] == [201] * 5
        refused = api(client, body["access_token"])
        assert refused.status_code == 429 and refused["Retry-After"] == "60"
        assert refused.json()["detail"] == "Rate limit exceeded: minute"
        traveller.shift(dt.timedelta(seconds=60))
        held = limits.admit(TINY, ACME)  # one call in flight: the declared concurrency is 1
        assert api(client, body["access_token"]).json()["detail"] == "Rate limit exceeded: concurrent"
        limits.release(held)
        assert api(client, body["access_token"]).status_code == 200


def test_requestid_query_parameter_replays_the_first_answer(client):
    body = connect(client)
    first = api(client, body["access_token"], method="post", query="?requestid=r-1")
    repeat = api(client, body["access_token"], method="post", query="?requestid=r-1")
    other = api(client, body["access_token"], method="post", query="?requestid=r-2")
    assert (first.status_code, first.json(), repeat.status_code, repeat.json()) == (
        201,
        {"value": 1},
        201,
        {"value": 1},
    )
    assert other.json() == {"value": 2}
    assert api(client, body["access_token"], method="post", query="?requestid=" + "x" * 51).status_code == 400
    assert ApiCall.objects.filter(provider="tiny", note="requestid replay").count() == 1


def test_fault_switches_and_the_call_log_on_the_shared_tenant_page(client):
    body = connect(client)
    page_url = f"{BASE}/tenants/{ACME}/"
    client.post(f"{page_url}faults/", {"kind": "server_error"})
    assert Fault.objects.filter(provider="tiny", tenant_key=ACME, consumed_at__isnull=True).count() == 1
    assert api(client, body["access_token"], method="post").status_code == 500  # not processed
    assert api(client, body["access_token"], method="post").json() == {"value": 1}
    page = client.get(page_url).content.decode()
    assert "Acme Books Inc" in page and "Tiny Books sandbox company" in page and "1 active app connection" in page
    assert f"POST /sandbox/tiny/api/v3/company/{ACME}/counter" in page and "fault: 500" in page
    assert client.get(f"{BASE}/tenants/unknown/").status_code == 404
    index = client.get(f"{BASE}/").content.decode()
    assert "Tiny Books sandbox companies" in index and "Globex Ledger" in index
    client.post(f"{page_url}faults/", {"kind": "revoke"})
    assert api(client, body["access_token"]).status_code == 403


def test_a_provider_without_payments_has_no_payment_page(client):
    assert client.post(f"{BASE}/tenants/{ACME}/documents/1/payments/", {"amount": "1"}).status_code == 404


def test_a_provider_without_oauth_hands_out_a_grant_token_for_its_two_header_tokens(client):
    install = "/sandbox/tinystatic/requestaccess.aspx?" + urlencode(
        {"appPublicToken": "tiny-public-token", "redirectUrl": "http://testserver/integrations/tinystatic/installed/"}
    )
    assert "Agreements to connect" in client.get(install).content.decode()
    assert client.get(install.replace("tiny-public-token", "other")).status_code == 400
    assert "token" not in callback(client.post(install, {"cancel": "1"}))
    grant_token = callback(client.post(install, {"tenant": ["agreement-1"], "allow": "1"}))["token"]
    url = "/sandbox/tinystatic/api/v3/counter"
    headers = {"HTTP_X_APPSECRETTOKEN": "tiny-app-secret-token", "HTTP_X_AGREEMENTGRANTTOKEN": grant_token}
    assert client.post(url, **headers).json() == {"value": 1}
    wrong_app = {**headers, "HTTP_X_APPSECRETTOKEN": "guess"}
    assert client.get(url, **wrong_app).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {grant_token}").status_code == 401  # no Bearer here
    assert client.post("/sandbox/tinystatic/oauth/token", {}).status_code == 404  # no OAuth endpoints
    assert ApiCall.objects.filter(provider="tinystatic", tenant_key="agreement-1").count() == 1
    second = callback(client.post(install, {"tenant": ["agreement-2"], "allow": "1"}))["token"]
    assert client.post(url, **{**headers, "HTTP_X_AGREEMENTGRANTTOKEN": second}).json() == {"value": 1}  # its own
    assert ApiCall.objects.filter(provider="tinystatic", tenant_key="agreement-2").count() == 1
