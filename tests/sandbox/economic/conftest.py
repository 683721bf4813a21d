import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.sandbox.economic.demo import DANISH_AGREEMENT
from integrations.sandbox.economic.provider import APP_PUBLIC_TOKEN, APP_SECRET_TOKEN

BASE = "/sandbox/economic"
API = f"{BASE}/api"
INSTALL = f"{BASE}/secure/api1/requestaccess.aspx"
REDIRECT_URL = "http://testserver/integrations/economic/callback/"


def install_url(**overrides) -> str:
    params = {"appPublicToken": APP_PUBLIC_TOKEN, "redirectUrl": REDIRECT_URL, **overrides}
    return f"{INSTALL}?" + urlencode(params)


def callback(response) -> dict:
    assert response.status_code == 302, response.content
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


class Eco:
    """Drives the sandbox over HTTP (Django test client) as an e-conomic client would."""

    def __init__(self, client: Client):
        self.client = client
        self.grant_token = ""

    def install(self, agreement=DANISH_AGREEMENT) -> str:
        got = callback(self.client.post(install_url(), {"tenant": [str(agreement)], "allow": "1"}))
        self.grant_token = got["token"]
        return self.grant_token

    def headers(self, secret=APP_SECRET_TOKEN, grant=None, **extra) -> dict:
        headers = {"HTTP_X_APPSECRETTOKEN": secret, "HTTP_X_AGREEMENTGRANTTOKEN": grant or self.grant_token}
        for name, value in extra.items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, params=None, **headers):
        return self.client.get(f"{API}/{path}", params or {}, **self.headers(**headers))

    def send(self, method: str, path: str, body, **headers):
        call = getattr(self.client, method.lower())
        return call(f"{API}/{path}", json.dumps(body), content_type="application/json", **self.headers(**headers))

    def post(self, path: str, body, **headers):
        return self.send("POST", path, body, **headers)

    def put(self, path: str, body, **headers):
        return self.send("PUT", path, body, **headers)

    def draft(self, **fields) -> dict:
        response = self.post("invoices/drafts", draft_payload(**fields))
        assert response.status_code == 201, response.content
        return response.json()

    def book(self, draft_number: int, **extra) -> dict:
        response = self.post("invoices/booked", {"draftInvoice": {"draftInvoiceNumber": draft_number}, **extra})
        assert response.status_code == 201, response.content
        return response.json()


def draft_payload(**fields) -> dict:
    """A draft for customer 1 of the Danish agreement: 2 hours of design at 950.00 → 1900.00 + 25 % VAT."""
    payload = {
        "date": "2026-11-02",
        "currency": "DKK",
        "customer": {"customerNumber": 1},
        "layout": {"layoutNumber": 19},
        "paymentTerms": {"paymentTermsNumber": 1},
        "recipient": {"name": "Nordlys Media A/S", "vatZone": {"vatZoneNumber": 1}},
        "references": {"other": "INV-2026-0042"},
        "lines": [
            {"description": "Design work", "product": {"productNumber": "1"}, "quantity": 2, "unitNetPrice": 950}
        ],
    }
    payload.update(fields)
    return payload


@pytest.fixture
def client(db):
    return Client()


@pytest.fixture
def eco(client) -> Eco:
    sandbox = Eco(client)
    sandbox.install()
    return sandbox
