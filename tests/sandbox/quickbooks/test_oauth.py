"""Intuit's OAuth 2 on the sandbox: consent with realmId, client_secret_basic, PKCE, 60-minute access tokens,
refresh tokens that keep their value for 24 hours and then rotate with no grace, invalid_grant, revoke."""

import base64
import datetime as dt
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import time_machine

from integrations.sandbox.models import AuthCode
from integrations.sandbox.quickbooks.demo import UK_REALM_ID, US_REALM_ID
from productive.settings.sandbox import sandbox_provider_settings

from .conftest import BASE, BASIC, REDIRECT_URI, Qbo, authorize_url, callback


def test_consent_offers_both_companies_and_returns_code_state_and_realm(client):
    page = client.get(authorize_url()).content.decode()
    assert "Sandbox Craft Studio Inc" in page and "Sandbox Studio Ltd" in page
    got = callback(client.post(authorize_url(), {"tenant": [UK_REALM_ID], "allow": "1"}))
    assert got["realmId"] == UK_REALM_ID and got["state"] == "st-1" and got["code"]
    assert callback(client.post(authorize_url(), {"cancel": "1"}))["error"] == "access_denied"
    assert callback(client.get(authorize_url(scope="")))["error"] == "invalid_scope"


def test_consent_grants_one_company_chosen_with_a_radio_button(client):
    page = client.get(authorize_url()).content.decode()
    assert page.count('type="radio" name="tenant"') == 2 and 'type="checkbox"' not in page
    assert "Company to connect (one per consent)" in page
    both = client.post(authorize_url(), {"tenant": [US_REALM_ID, UK_REALM_ID], "allow": "1"})
    assert both.status_code == 400 and "Select one company to connect." in both.content.decode()
    none = client.post(authorize_url(), {"allow": "1"})
    assert none.status_code == 400 and "Select one company to connect." in none.content.decode()
    assert not AuthCode.objects.exists()
    got = callback(client.post(authorize_url(), {"tenant": [UK_REALM_ID], "allow": "1"}))
    assert got["realmId"] == UK_REALM_ID
    assert list(AuthCode.objects.values_list("tenant_keys", flat=True)) == [[UK_REALM_ID]]


def test_token_answer_is_intuits_shape_and_pkce_is_checked(client):
    qbo = Qbo(client)
    body = qbo.connect()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 100 * 86400
    got = callback(
        client.post(
            authorize_url(code_challenge="c" * 43, code_challenge_method="S256"),
            {"tenant": [US_REALM_ID], "allow": "1"},
        )
    )
    refused = qbo.token(
        {
            "grant_type": "authorization_code",
            "code": got["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": "wrong" * 10,
        }
    )
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    bad_client = client.post(
        f"{BASE}/oauth2/v1/tokens/bearer",
        {"grant_type": "refresh_token"},
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"x:y").decode(),
    )
    assert bad_client.json() == {"error": "invalid_client"}


def test_refresh_keeps_the_value_for_a_day_then_rotates_with_no_grace(client):
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    qbo = Qbo(client)
    with time_machine.travel(start, tick=False):
        qbo.connect()
    first = qbo.refresh_token
    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        same = qbo.token({"grant_type": "refresh_token", "refresh_token": first}).json()
        assert same["refresh_token"] == first and same["access_token"] != qbo.access_token
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        rotated = qbo.token({"grant_type": "refresh_token", "refresh_token": first}).json()
        assert rotated["refresh_token"] != first
        old = qbo.token({"grant_type": "refresh_token", "refresh_token": first})
        assert old.status_code == 400
        assert old.json() == {"error": "invalid_grant", "error_description": "Incorrect or invalid refresh token"}
        assert qbo.token({"grant_type": "refresh_token", "refresh_token": rotated["refresh_token"]}).status_code == 200


def test_access_token_lives_an_hour_then_401_authentication_fault(client):
    start = dt.datetime.now(dt.UTC)
    qbo = Qbo(client)
    qbo.connect()
    assert qbo.query("select * from Term").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        expired = qbo.query("select * from Term")
    assert expired.status_code == 401
    assert expired.json()["Fault"]["type"] == "AuthenticationFault"
    assert expired.json()["Fault"]["Error"][0]["code"] == "3200"
    qbo.access_token = "nonsense"
    assert qbo.query("select * from Term").status_code == 401


def test_revoke_takes_intuits_json_body_and_disconnects(client):
    qbo = Qbo(client)
    qbo.connect()
    answer = client.post(
        f"{BASE}/v2/oauth2/tokens/revoke",
        json.dumps({"token": qbo.refresh_token}),
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC,
    )
    assert answer.status_code == 200
    refreshed = qbo.token({"grant_type": "refresh_token", "refresh_token": qbo.refresh_token})
    assert refreshed.json()["error"] == "invalid_grant"
    assert qbo.query("select * from Term").status_code == 403


@pytest.fixture
def urls(live_server, transactional_db):
    return sandbox_provider_settings(live_server.url)


def test_the_whole_flow_over_real_http_at_the_settings_urls(urls, live_server):
    session = requests.Session()
    query = {
        "client_id": urls["QUICKBOOKS_CLIENT_ID"],
        "response_type": "code",
        "state": "abc",
        "scope": "com.intuit.quickbooks.accounting",
        "redirect_uri": f"{live_server.url}/integrations/quickbooks/callback/",
    }
    url = f"{urls['QUICKBOOKS_AUTHORIZE_URL']}?{urlencode(query)}"
    page = session.get(url, timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        url, {"csrfmiddlewaretoken": csrf, "tenant": US_REALM_ID, "allow": "1"}, allow_redirects=False, timeout=10
    )
    got = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    assert got["realmId"] == US_REALM_ID and got["state"] == "abc"
    auth = (urls["QUICKBOOKS_CLIENT_ID"], urls["QUICKBOOKS_CLIENT_SECRET"])
    tokens = requests.post(
        urls["QUICKBOOKS_TOKEN_URL"],
        auth=auth,
        headers={"Accept": "application/json"},
        data={"grant_type": "authorization_code", "code": got["code"], "redirect_uri": query["redirect_uri"]},
        timeout=10,
    ).json()
    api = f"{urls['QUICKBOOKS_API_URL']}/company/{got['realmId']}"
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    info = requests.get(f"{api}/companyinfo/{got['realmId']}?minorversion=75", headers=headers, timeout=10)
    assert info.status_code == 200 and info.json()["CompanyInfo"]["CompanyName"] == "Sandbox Craft Studio Inc"
    assert info.headers["intuit_tid"]
    revoked = requests.post(
        urls["QUICKBOOKS_REVOKE_URL"], auth=auth, json={"token": tokens["refresh_token"]}, timeout=10
    )
    assert revoked.status_code == 200
    again = requests.post(
        urls["QUICKBOOKS_TOKEN_URL"],
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        timeout=10,
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
