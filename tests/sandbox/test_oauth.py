"""Xero identity in the sandbox: consent, code exchange with PKCE, refresh rotation and grace, revocation."""

import datetime as dt

import time_machine

from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID

from .conftest import BASE, REDIRECT_URI, pkce_pair
from .openapi import optional_schemas

START = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def test_consent_page_lists_both_demo_organisations(xero):
    response = xero.client.get(xero.authorize_query())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Xero sandbox" in page
    assert "Sandbox Trading Ltd" in page and "Sandbox Design B.V." in page
    assert "Allow access" in page and "Cancel" in page


def test_unknown_client_or_unregistered_redirect_uri_is_an_error_page_not_a_redirect(xero):
    assert xero.client.get(xero.authorize_query(client_id="someone-else")).status_code == 400
    response = xero.client.get(xero.authorize_query(redirect_uri="http://evil.example/steal"))
    assert response.status_code == 400
    assert "redirect_uri" in response.content.decode()


def test_bad_response_type_scope_or_challenge_method_redirect_with_an_error_and_the_state(xero):
    for overrides, error in (
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "accounting.everything"}, "invalid_scope"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "invalid_request"),
    ):
        response = xero.client.get(xero.authorize_query(**overrides))
        assert response.status_code == 302
        assert response["Location"].startswith(REDIRECT_URI)
        assert f"error={error}" in response["Location"] and "state=st-123" in response["Location"]


def test_cancel_redirects_with_access_denied_and_the_state(xero):
    response = xero.client.post(xero.authorize_query(), {"cancel": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{REDIRECT_URI}?error=access_denied&state=st-123"


def test_allow_without_an_organisation_asks_again(xero):
    response = xero.client.post(xero.authorize_query(), {"allow": "1"})
    assert response.status_code == 400
    assert "Select at least one organisation" in response.content.decode()


def test_code_exchange_gives_xero_lifetimes_and_connections_for_the_chosen_organisations(xero):
    body = xero.connect(tenants=(TRADING_TENANT_ID, DESIGN_TENANT_ID))
    assert body["expires_in"] == 1800
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] and body["id_token"].count(".") == 2
    response = xero.client.get(f"{BASE}/api/connections", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert response.status_code == 200
    rows = response.json()
    assert {row["tenantName"] for row in rows} == {"Sandbox Trading Ltd", "Sandbox Design B.V."}
    identity = optional_schemas("xero-identity.yaml")
    for row in rows:
        assert set(row) >= {"id", "tenantId", "tenantType", "tenantName", "createdDateUtc", "updatedDateUtc"}
        assert row["tenantType"] == "ORGANISATION"
        identity.assert_valid(row, "Connection")


def test_callback_carries_code_scope_and_state(xero):
    callback = xero.consent()
    assert callback["state"] == "st-123" and callback["code"] and "offline_access" in callback["scope"]


def test_a_code_is_single_use(xero):
    verifier, challenge = pkce_pair()
    code = xero.consent(challenge=challenge)["code"]
    assert xero.exchange(code, verifier).status_code == 200
    second = xero.exchange(code, verifier)
    assert second.status_code == 400
    assert second.json() == {"error": "invalid_grant"}


def test_a_code_expires_after_five_minutes(xero):
    with time_machine.travel(START, tick=False) as traveller:
        code = xero.consent()["code"]
        traveller.shift(dt.timedelta(minutes=5, seconds=1))
        assert xero.exchange(code).json() == {"error": "invalid_grant"}


def test_pkce_verifier_mismatch_or_absence_is_invalid_grant_and_burns_the_code(xero):
    verifier, challenge = pkce_pair()
    code = xero.consent(challenge=challenge)["code"]
    assert xero.exchange(code, "not-the-verifier").json() == {"error": "invalid_grant"}
    assert xero.exchange(code, verifier).json() == {"error": "invalid_grant"}  # single use even after a failure
    code = xero.consent(challenge=challenge)["code"]
    assert xero.exchange(code).json() == {"error": "invalid_grant"}


def test_redirect_uri_must_match_the_one_consented(xero):
    code = xero.consent()["code"]
    response = xero.exchange(code, redirect_uri="http://testserver/other/")
    assert response.json() == {"error": "invalid_grant"}


def test_wrong_client_credentials_are_invalid_client(xero):
    code = xero.consent()["code"]
    response = xero.token(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI},
        auth=xero.basic(secret="wrong"),
    )
    assert response.status_code == 400 and response.json() == {"error": "invalid_client"}
    assert xero.token({"grant_type": "password"}).json() == {"error": "unsupported_grant_type"}


def test_without_offline_access_there_is_no_refresh_token(xero):
    code = xero.consent(scope="accounting.settings.read")["code"]
    body = xero.exchange(code).json()
    assert "refresh_token" not in body and "id_token" not in body


def test_access_token_expires_after_thirty_minutes_with_xeros_401(xero):
    with time_machine.travel(START, tick=False) as traveller:
        xero.connect()
        traveller.shift(dt.timedelta(minutes=29))
        assert xero.get("Organisation").status_code == 200
        traveller.shift(dt.timedelta(minutes=1, seconds=1))
        response = xero.get("Organisation")
    assert response.status_code == 401
    assert response.json()["Detail"].startswith("TokenExpired")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_refresh_rotates_and_the_previous_token_has_a_thirty_minute_grace(xero):
    with time_machine.travel(START, tick=False) as traveller:
        first = xero.connect()["refresh_token"]
        rotated = xero.refresh(first).json()
        assert rotated["refresh_token"] != first and rotated["expires_in"] == 1800
        assert xero.get("Organisation", token=rotated["access_token"]).status_code == 200

        traveller.shift(dt.timedelta(minutes=29))
        retry = xero.refresh(first)  # e.g. the first response was lost: still allowed
        assert retry.status_code == 200

        traveller.shift(dt.timedelta(minutes=1, seconds=1))
        late = xero.refresh(first)
        assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
        assert xero.refresh(rotated["refresh_token"]).status_code == 200  # the newest one still works


def test_revocation_kills_the_token_set_and_its_connections(xero):
    body = xero.connect()
    response = xero.client.post(
        f"{BASE}/identity/connect/revocation", {"token": body["refresh_token"]}, HTTP_AUTHORIZATION=xero.basic()
    )
    assert response.status_code == 200
    assert xero.refresh(body["refresh_token"]).json() == {"error": "invalid_grant"}
    # The access token itself lives on (a JWT at Xero) but its connections are gone: 403 as Xero answers.
    denied = xero.get("Organisation")
    assert (denied.status_code, denied.json()["Detail"]) == (403, "AuthenticationUnsuccessful")
    listing = xero.client.get(f"{BASE}/api/connections", HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert listing.json() == []
    assert xero.client.post(f"{BASE}/identity/connect/revocation", {"token": "x"}).status_code == 400


def test_a_revoked_grant_stays_locked_out_after_a_new_consent_for_the_same_organisation(xero):
    old = xero.connect()
    xero.client.post(
        f"{BASE}/identity/connect/revocation", {"token": old["refresh_token"]}, HTTP_AUTHORIZATION=xero.basic()
    )
    new = xero.connect()
    assert xero.get("Organisation", token=new["access_token"]).status_code == 200
    assert xero.get("Organisation", token=old["access_token"]).status_code == 403


def test_deleting_a_connection_removes_access_to_that_tenant_only(connected):
    listing = connected.client.get(
        f"{BASE}/api/connections", HTTP_AUTHORIZATION=f"Bearer {connected.access_token}"
    ).json()
    trading = next(row for row in listing if row["tenantId"] == TRADING_TENANT_ID)
    response = connected.client.delete(
        f"{BASE}/api/connections/{trading['id']}", HTTP_AUTHORIZATION=f"Bearer {connected.access_token}"
    )
    assert response.status_code == 204
    assert connected.get("Organisation", tenant=TRADING_TENANT_ID).status_code == 403
    assert connected.get("Organisation", tenant=DESIGN_TENANT_ID).status_code == 200
    again = connected.client.delete(
        f"{BASE}/api/connections/{trading['id']}", HTTP_AUTHORIZATION=f"Bearer {connected.access_token}"
    )
    assert again.status_code == 404


def test_reconsent_keeps_the_connection_id_and_moves_updated_date(xero):
    with time_machine.travel(START, tick=False) as traveller:
        first = xero.connect()
        before = xero.client.get(f"{BASE}/api/connections", HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
        traveller.shift(dt.timedelta(hours=1))
        second = xero.connect()
        after = xero.client.get(f"{BASE}/api/connections", HTTP_AUTHORIZATION=f"Bearer {second['access_token']}")
    (old,), (new,) = before.json(), after.json()
    assert old["id"] == new["id"] and old["createdDateUtc"] == new["createdDateUtc"]
    assert new["updatedDateUtc"] > old["updatedDateUtc"]


def test_connections_without_a_token_is_401(xero):
    assert xero.client.get(f"{BASE}/api/connections").status_code == 401
    assert xero.client.get(f"{BASE}/api/Connections", HTTP_AUTHORIZATION="Bearer nope").status_code == 401
