"""The sandbox over real HTTP (live server + requests), at the URLs the e2e settings give the Xero client."""

import base64
import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.test import override_settings

from integrations.sandbox.models import InFlight
from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from productive.settings.sandbox import sandbox_provider_settings

from .conftest import SCOPE, pkce_pair


@pytest.fixture
def xero_urls(live_server, transactional_db):
    return sandbox_provider_settings(live_server.url)


def consent(session: requests.Session, urls: dict, live_server_url: str, challenge: str) -> str:
    query = {
        "response_type": "code",
        "client_id": urls["XERO_CLIENT_ID"],
        "redirect_uri": f"{live_server_url}/integrations/xero/callback/",
        "scope": SCOPE,
        "state": "abc",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = f"{urls['XERO_AUTHORIZE_URL']}?{urlencode(query)}"
    page = session.get(url, timeout=10)
    assert page.status_code == 200 and "Xero sandbox" in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        url,
        {"csrfmiddlewaretoken": token, "tenant": TRADING_TENANT_ID, "allow": "1"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    callback = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert callback["state"] == ["abc"]
    return callback["code"][0]


def test_full_loop_over_http_including_a_real_read_timeout(xero_urls, live_server):
    session = requests.Session()
    verifier, challenge = pkce_pair()
    code = consent(session, xero_urls, live_server.url, challenge)
    basic = base64.b64encode(f"{xero_urls['XERO_CLIENT_ID']}:{xero_urls['XERO_CLIENT_SECRET']}".encode()).decode()
    tokens = requests.post(
        xero_urls["XERO_TOKEN_URL"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{live_server.url}/integrations/xero/callback/",
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
        timeout=10,
    ).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    connections = requests.get(xero_urls["XERO_CONNECTIONS_URL"], headers=bearer, timeout=10).json()
    assert [c["tenantId"] for c in connections] == [TRADING_TENANT_ID]

    api = {**bearer, "xero-tenant-id": TRADING_TENANT_ID, "Accept": "application/json"}
    invoice = {
        "Type": "ACCREC",
        "Contact": {"Name": "Acme Widgets Ltd"},
        "Status": "AUTHORISED",
        "LineItems": [{"Description": "Work", "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }
    created = requests.put(
        f"{xero_urls['XERO_API_URL']}/Invoices?summarizeErrors=false",
        json={"Invoices": [invoice]},
        headers={**api, "Idempotency-Key": "over-http-1"},
        timeout=10,
    )
    assert created.status_code == 200 and created.headers["X-MinLimit-Remaining"] == "59"
    invoice_id = created.json()["Invoices"][0]["InvoiceID"]

    page_url = f"{live_server.url}/sandbox/xero/orgs/{TRADING_TENANT_ID}/"
    page = session.get(page_url, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{page_url}invoices/{invoice_id}/payments/",
        {"csrfmiddlewaretoken": token, "amount": "20.00"},
        headers={"Referer": page_url},
        timeout=10,
    )
    payments = requests.get(
        f"{xero_urls['XERO_API_URL']}/Payments?page=1",
        headers={**api, "If-Modified-Since": "2020-01-01T00:00:00"},
        timeout=10,
    ).json()["Payments"]
    assert [(p["Amount"], p["Invoice"]["InvoiceID"]) for p in payments] == [(20.0, invoice_id)]

    session.post(f"{page_url}faults/", {"csrfmiddlewaretoken": token, "kind": "timeout"}, timeout=10)
    with override_settings(INTEGRATIONS_HTTP_TIMEOUT=(2.0, 0.3)):
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.get(f"{xero_urls['XERO_API_URL']}/Organisation", headers=api, timeout=(2.0, 0.3))
        assert requests.get(f"{xero_urls['XERO_API_URL']}/Organisation", headers=api, timeout=10).status_code == 200
        wait_until(lambda: not InFlight.objects.exists())  # the held answer is released (1.3 s) before teardown


def wait_until(condition, limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
