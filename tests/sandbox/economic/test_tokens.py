"""The two-token check: X-AppSecretToken must be the app's secret and X-AgreementGrantToken a live grant; else
401 with e-conomic's error document, also once the agreement removed the app (no 403 as OAuth providers send)."""

from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.models import ApiCall

from .conftest import BASE, Eco

ERROR_KEYS = {"message", "developerHint", "logId", "httpStatusCode", "logTime"}


def assert_unauthorized(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS and body["httpStatusCode"] == 401 and body["message"] == "Unauthorized."
    assert "X-AgreementGrantToken" in body["developerHint"] and body["logId"].endswith("-SBX")


def test_both_tokens_are_needed(eco, client):
    assert eco.get("self").status_code == 200
    assert_unauthorized(eco.get("self", secret="guess"))
    assert_unauthorized(eco.get("self", grant="not-a-grant-token"))
    assert_unauthorized(client.get(f"{BASE}/api/self"))
    assert_unauthorized(client.get(f"{BASE}/api/self", HTTP_AUTHORIZATION=f"Bearer {eco.grant_token}"))
    # the public token is not the secret one
    assert_unauthorized(eco.get("self", secret="sandbox-economic-public-token"))


def test_the_demo_tokens_are_not_this_apps_tokens(eco):
    assert_unauthorized(eco.get("customers", secret="demo", grant="demo"))


def test_removing_the_app_from_the_agreement_makes_the_grant_token_401(eco, client):
    page = f"{BASE}/agreements/{DANISH_AGREEMENT}/"
    client.post(f"{page}faults/", {"kind": "revoke"})
    assert_unauthorized(eco.get("self"))
    assert_unauthorized(eco.post("customers", {"name": "x"}))
    again = Eco(client)
    again.install()  # re-adding the app hands out a new grant token that works
    assert again.get("self").status_code == 200 and again.grant_token != eco.grant_token


def test_the_401_fault_is_e_conomics_401_and_changes_nothing(eco, client):
    client.post(f"{BASE}/agreements/{DANISH_AGREEMENT}/faults/", {"kind": "unauthorized"})
    assert_unauthorized(eco.post("customers", {"name": "x"}))
    assert eco.get("self").status_code == 200
    notes = list(ApiCall.objects.filter(provider="economic").values_list("note", flat=True))
    assert "fault: 401" in notes
