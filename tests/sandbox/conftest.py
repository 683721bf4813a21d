import base64
import hashlib
import json
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.sandbox.xero import oauth
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID, TRADING_TENANT_ID

from .openapi import optional_schemas

BASE = "/sandbox/xero"
API = f"{BASE}/api/api.xro/2.0"
REDIRECT_URI = "http://testserver/integrations/xero/callback/"
SCOPE = (
    "openid profile email offline_access accounting.settings.read accounting.contacts "
    "accounting.invoices accounting.payments.read"
)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class XeroSandbox:
    """Drives the sandbox over HTTP (Django test client) the way a Xero client would."""

    def __init__(self, client: Client):
        self.client = client
        self.client_id, self.client_secret = oauth.registered_client()
        self.access_token = ""
        self.refresh_token = ""

    # --- identity ---
    def basic(self, client_id=None, secret=None) -> str:
        raw = f"{client_id or self.client_id}:{secret or self.client_secret}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def authorize_query(self, **overrides) -> str:
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": SCOPE,
            "state": "st-123",
        }
        params.update(overrides)
        return f"{BASE}/identity/connect/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})

    def consent(self, tenants=(TRADING_TENANT_ID,), challenge=None, **overrides) -> dict:
        """Allow access; returns the callback's query parameters."""
        extra = {"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}
        url = self.authorize_query(**extra, **overrides)
        response = self.client.post(url, {"tenant": list(tenants), "allow": "1"})
        assert response.status_code == 302, response.content
        return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}

    def token(self, data: dict, auth: str | None = None):
        return self.client.post(
            f"{BASE}/identity/connect/token", data, HTTP_AUTHORIZATION=auth if auth is not None else self.basic()
        )

    def exchange(self, code: str, verifier: str = "", redirect_uri: str = REDIRECT_URI):
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if verifier:
            data["code_verifier"] = verifier
        return self.token(data)

    def connect(self, tenants=(TRADING_TENANT_ID,)) -> dict:
        verifier, challenge = pkce_pair()
        callback = self.consent(tenants, challenge=challenge)
        response = self.exchange(callback["code"], verifier)
        assert response.status_code == 200, response.content
        body = response.json()
        self.access_token, self.refresh_token = body["access_token"], body.get("refresh_token", "")
        return body

    def refresh(self, refresh_token: str):
        return self.token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    # --- API ---
    def headers(self, tenant=TRADING_TENANT_ID, token=None, accept="application/json", **extra) -> dict:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or self.access_token}", "HTTP_ACCEPT": accept}
        if tenant:
            headers["HTTP_XERO_TENANT_ID"] = tenant
        for name, value in extra.items():
            headers["HTTP_" + name.upper().replace("-", "_")] = value
        return headers

    def get(self, path: str, params=None, **headers):
        return self.client.get(f"{API}/{path}", params or {}, **self.headers(**headers))

    def send(self, method: str, path: str, body, params=None, **headers):
        url = f"{API}/{path}" + ("?" + urlencode(params) if params else "")
        call = getattr(self.client, method.lower())
        return call(url, json.dumps(body), content_type="application/json", **self.headers(**headers))

    def put(self, path, body, params=None, **headers):
        return self.send("PUT", path, body, params, **headers)

    def post(self, path, body, params=None, **headers):
        return self.send("POST", path, body, params, **headers)

    def contact_id(self, tenant=TRADING_TENANT_ID, name="Acme Widgets Ltd") -> str:
        response = self.get("Contacts", {"where": f'Name=="{name}"'}, tenant=tenant)
        return response.json()["Contacts"][0]["ContactID"]

    def create_invoice(self, tenant=TRADING_TENANT_ID, **fields) -> dict:
        invoice = {
            "Type": "ACCREC",
            "Contact": {"ContactID": self.contact_id(tenant)},
            "Date": "2026-11-01",
            "DueDate": "2026-11-15",
            "Status": "AUTHORISED",
            "LineAmountTypes": "Exclusive",
            "LineItems": [
                {
                    "Description": "Design work",
                    "Quantity": 2,
                    "UnitAmount": 50,
                    "AccountCode": "200",
                    "TaxType": "OUTPUT2",
                }
            ],
        }
        invoice.update(fields)
        response = self.put("Invoices", {"Invoices": [invoice]}, {"summarizeErrors": "false"}, tenant=tenant)
        assert response.status_code == 200, response.content
        created = response.json()["Invoices"][0]
        assert not created["HasErrors"], created
        return created


@pytest.fixture
def xero(db) -> XeroSandbox:
    return XeroSandbox(Client())


@pytest.fixture
def connected(xero) -> XeroSandbox:
    xero.connect(tenants=(TRADING_TENANT_ID, DESIGN_TENANT_ID))
    return xero


@pytest.fixture
def schemas():
    """The Xero spec checker for shape checks inside behaviour tests (a no-op when the spec is absent)."""
    return optional_schemas()
