import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.sandbox.quickbooks.demo import UK_REALM_ID, US_REALM_ID
from integrations.sandbox.quickbooks.provider import CLIENT_ID, CLIENT_SECRET

BASE = "/sandbox/quickbooks"
REDIRECT_URI = "http://testserver/integrations/quickbooks/callback/"
SCOPE = "com.intuit.quickbooks.accounting openid"
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(**overrides) -> str:
    params = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT_URI,
        "state": "st-1",
    }
    params.update(overrides)
    return f"{BASE}/connect/oauth2?" + urlencode(params)


def callback(response) -> dict:
    assert response.status_code == 302, response.content
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


class Qbo:
    """Drives the sandbox over HTTP (Django test client) as Intuit's client libraries would."""

    def __init__(self, client: Client, realm: str = US_REALM_ID):
        self.client, self.realm = client, realm
        self.access_token = self.refresh_token = ""

    def connect(self, realm: str | None = None) -> dict:
        self.realm = realm or self.realm
        verifier, challenge = pkce_pair()
        url = authorize_url(code_challenge=challenge, code_challenge_method="S256")
        got = callback(self.client.post(url, {"tenant": [self.realm], "allow": "1"}))
        assert got["realmId"] == self.realm
        body = self.token(
            {
                "grant_type": "authorization_code",
                "code": got["code"],
                "redirect_uri": REDIRECT_URI,
                "code_verifier": verifier,
            }
        )
        assert body.status_code == 200, body.content
        self.access_token, self.refresh_token = body.json()["access_token"], body.json()["refresh_token"]
        return body.json()

    def token(self, data):
        return self.client.post(
            f"{BASE}/oauth2/v1/tokens/bearer", data, HTTP_AUTHORIZATION=BASIC, HTTP_ACCEPT="application/json"
        )

    def url(self, path: str, **params) -> str:
        params.setdefault("minorversion", "75")
        return f"{BASE}/v3/company/{self.realm}/{path}?" + urlencode(params)

    def headers(self, accept="application/json") -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_token}", "HTTP_ACCEPT": accept}

    def get(self, path: str, accept="application/json", **params):
        return self.client.get(self.url(path, **params), **self.headers(accept))

    def post(self, path: str, body, **params):
        return self.client.post(
            self.url(path, **params), json.dumps(body), content_type="application/json", **self.headers()
        )

    def query(self, text: str):
        return self.get("query", query=text)

    def invoice(self, amount="150.00", tax="TAX", **extra) -> dict:
        """A created invoice for the first customer, on the first item."""
        item = self.query("select * from Item").json()["QueryResponse"]["Item"][0]["Id"]
        customer = self.query("select * from Customer").json()["QueryResponse"]["Customer"][0]["Id"]
        body = {
            "CustomerRef": {"value": customer},
            "Line": [
                {
                    "DetailType": "SalesItemLineDetail",
                    "Amount": amount,
                    "Description": "Design",
                    "SalesItemLineDetail": {"ItemRef": {"value": item}, "TaxCodeRef": {"value": tax}},
                }
            ],
            **extra,
        }
        response = self.post("invoice", body)
        assert response.status_code == 200, response.content
        return response.json()["Invoice"]


@pytest.fixture
def client(db):
    return Client()


@pytest.fixture
def qbo(client) -> Qbo:
    sandbox = Qbo(client)
    sandbox.connect()
    return sandbox


@pytest.fixture
def qbo_uk(client) -> Qbo:
    sandbox = Qbo(client, UK_REALM_ID)
    sandbox.connect()
    return sandbox
