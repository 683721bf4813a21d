"""Exact's OAuth 2 on the sandbox, per country site: consent offers that site's divisions, codes live 3 minutes
and work once, access tokens live 10 minutes (expires_in the string "600"), a refresh is refused until 9.5
minutes have passed, every refresh rotates the refresh token and the old one is dead at once, and a code or
token works only on the site that issued it."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import time_machine

from productive.settings.sandbox import SANDBOX_DEFAULTS, sandbox_provider_settings

from .conftest import NL_DIVISION, REDIRECT_URI, Exact, authorize_url, callback

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_consent_offers_the_sites_own_two_divisions(client):
    nl = client.get(authorize_url("nl")).content.decode()
    assert "Sandbox Studio B.V." in nl and "Sandbox Holding B.V." in nl and "GmbH" not in nl
    de = client.get(authorize_url("de")).content.decode()
    assert "Sandbox Studio GmbH" in de and "Sandbox Agentur GmbH" in de and "B.V." not in de
    assert callback(client.post(authorize_url("nl"), {"cancel": "1"}))["error"] == "access_denied"
    # a German division is not offered on the Dutch site
    assert client.post(authorize_url("nl"), {"tenant": ["4001101"], "allow": "1"}).status_code == 400


def test_token_answer_is_exacts_shape(client):
    body = Exact(client).connect()
    assert body["token_type"] == "Bearer" and body["expires_in"] == "600"
    assert body["access_token"] and body["refresh_token"]


def test_code_lives_three_minutes_and_works_once(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        got = exact.consent()
    with time_machine.travel(START + dt.timedelta(minutes=3, seconds=1), tick=False):
        late = exact.token({"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT_URI})
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"
    got = exact.consent()
    data = {"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT_URI}
    assert exact.token(data).status_code == 200
    assert exact.token(data).json()["error"] == "invalid_grant"


def test_a_code_or_token_of_one_site_is_refused_on_another(client):
    nl = Exact(client)
    got = nl.consent()
    be = Exact(client, locale="be")
    refused = be.token({"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT_URI})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    nl.connect()
    be.access_token = nl.access_token
    answer = be.get("current/Me", {"$select": "CurrentDivision"})
    assert answer.status_code == 401 and answer.json()["error"]["message"]["value"] == "Unauthorized"
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10), tick=False):
        early = be.token({"grant_type": "refresh_token", "refresh_token": nl.refresh_token})
    assert early.status_code == 400 and early.json()["error"] == "invalid_grant"


def test_refresh_is_refused_while_young_then_rotates_and_the_old_one_is_dead(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect()
    first = exact.refresh_token
    with time_machine.travel(START + dt.timedelta(minutes=9, seconds=29), tick=False):
        early = exact.token({"grant_type": "refresh_token", "refresh_token": first})
    assert early.status_code == 400
    assert early.json() == {
        "error": "access_denied",
        "error_description": "Rate limit exceeded: access_token not expired",
    }
    with time_machine.travel(START + dt.timedelta(minutes=9, seconds=31), tick=False):
        rotated = exact.token({"grant_type": "refresh_token", "refresh_token": first})
        assert rotated.status_code == 200 and rotated.json()["refresh_token"] != first
        reused = exact.token({"grant_type": "refresh_token", "refresh_token": first})
    assert reused.status_code == 401
    assert reused.json() == {"error": "unauthorized_client", "error_description": "Old refresh token used."}
    with time_machine.travel(START + dt.timedelta(minutes=19, seconds=2), tick=False):
        again = exact.token({"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]})
    assert again.status_code == 200


def test_access_token_lives_ten_minutes(client):
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        exact.connect()
        assert exact.get("current/Me", {"$select": "CurrentDivision"}).status_code == 200
    with time_machine.travel(START + dt.timedelta(minutes=10, seconds=1), tick=False):
        expired = exact.get("current/Me", {"$select": "CurrentDivision"})
    assert expired.status_code == 401
    assert expired.json() == {"error": {"code": "", "message": {"lang": "", "value": "Unauthorized"}}}


def test_client_secret_is_checked(client):
    answer = client.post(
        "/sandbox/exact/nl/api/oauth2/token",
        {"grant_type": "refresh_token", "refresh_token": "x", "client_id": "nope", "client_secret": "nope"},
    )
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_client"}


@pytest.fixture
def urls(live_server, transactional_db):
    return sandbox_provider_settings(live_server.url)


def test_the_whole_flow_over_real_http_at_the_settings_urls(urls, live_server):
    host = urls["EXACT_BASE_URLS"]["nl"]
    session = requests.Session()
    query = {
        "client_id": urls["EXACT_CLIENT_ID"],
        "redirect_uri": f"{live_server.url}/integrations/exact/callback/",
        "response_type": "code",
        "state": "abc",
        "force_login": "0",
    }
    url = f"{host}/api/oauth2/auth?{urlencode(query)}"
    page = session.get(url, timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        url, {"csrfmiddlewaretoken": csrf, "tenant": str(NL_DIVISION), "allow": "1"}, allow_redirects=False, timeout=10
    )
    got = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}
    assert got["state"] == "abc"
    form = {
        "grant_type": "authorization_code",
        "code": got["code"],
        "redirect_uri": query["redirect_uri"],
        "client_id": urls["EXACT_CLIENT_ID"],
        "client_secret": urls["EXACT_CLIENT_SECRET"],
    }
    tokens = requests.post(f"{host}/api/oauth2/token", data=form, timeout=10).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json"}
    me = requests.get(f"{host}/api/v1/current/Me?$select=CurrentDivision", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["d"]["results"][0]["CurrentDivision"] == NL_DIVISION
    assert me.headers["X-RateLimit-Minutely-Remaining"] == "59"
    divisions = requests.get(
        f"{host}/api/v1/{NL_DIVISION}/system/Divisions?$select=Code,Description,Current", headers=headers, timeout=10
    )
    assert [d["Code"] for d in divisions.json()["d"]["results"]] == [NL_DIVISION]
    early = requests.post(
        f"{host}/api/oauth2/token",
        data={**form, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        timeout=10,
    )
    assert early.status_code == 400 and early.json()["error"] == "access_denied"


def test_the_token_endpoint_caps_calls_a_day(client, settings):
    assert SANDBOX_DEFAULTS["SANDBOX_EXACT_DAILY_TOKEN_CALLS"] == 200  # Exact: 200 a day per app and user
    settings.SANDBOX_EXACT_DAILY_TOKEN_CALLS = 3
    exact = Exact(client)
    with time_machine.travel(START, tick=False):
        bogus = {"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT_URI}
        assert {exact.token(bogus).status_code for _ in range(3)} == {400}  # refused calls count too
        capped = exact.token(bogus)
    assert capped.status_code == 429 and capped.json()["error"] == "invalid_request"
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        assert exact.connect()["expires_in"] == "600"
