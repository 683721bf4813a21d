import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from integrations.sandbox.exact.provider import CLIENT_ID, CLIENT_SECRET

NL_DIVISION, NL_EMPTY_DIVISION = 3001101, 3001102
REDIRECT_URI = "http://testserver/integrations/exact/callback/"


def authorize_url(locale="nl", **overrides) -> str:
    params = {"client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI, "response_type": "code", "state": "st-1"}
    params.update(overrides)
    return f"/sandbox/exact/{locale}/api/oauth2/auth?" + urlencode(params)


def callback(response) -> dict:
    assert response.status_code == 302, response.content
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


class Exact:
    """Drives the sandbox over HTTP (Django test client) as an Exact client would."""

    def __init__(self, client: Client, locale: str = "nl", division: int = NL_DIVISION):
        self.client, self.locale, self.division = client, locale, division
        self.access_token = self.refresh_token = ""

    @property
    def base(self) -> str:
        return f"/sandbox/exact/{self.locale}"

    def consent(self, divisions=None) -> dict:
        chosen = [str(d) for d in (divisions or [self.division])]
        return callback(self.client.post(authorize_url(self.locale), {"tenant": chosen, "allow": "1"}))

    def token(self, data: dict):
        form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **data}
        return self.client.post(f"{self.base}/api/oauth2/token", form)

    def connect(self, divisions=None) -> dict:
        got = self.consent(divisions)
        answer = self.token({"grant_type": "authorization_code", "code": got["code"], "redirect_uri": REDIRECT_URI})
        assert answer.status_code == 200, answer.content
        self.access_token, self.refresh_token = answer.json()["access_token"], answer.json()["refresh_token"]
        return answer.json()

    def headers(self, **extra) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.access_token}", "HTTP_ACCEPT": "application/json", **extra}

    def url(self, resource: str, division=None) -> str:
        if resource.startswith("current/"):
            return f"{self.base}/api/v1/{resource}"
        return f"{self.base}/api/v1/{division or self.division}/{resource}"

    def get(self, resource: str, params=None, division=None, **headers):
        return self.client.get(self.url(resource, division), params or {}, **self.headers(**headers))

    def post(self, resource: str, body, division=None, **headers):
        return self.client.post(
            self.url(resource, division), json.dumps(body), content_type="application/json", **self.headers(**headers)
        )

    def results(self, resource: str, division=None, **params) -> list[dict]:
        response = self.get(resource, params, division)
        assert response.status_code == 200, response.content
        return response.json()["d"]["results"]

    def one(self, resource: str, select: str, filter: str) -> dict:
        rows = self.results(resource, **{"$select": select, "$filter": filter})
        assert len(rows) == 1, rows
        return rows[0]

    def customer(self, name="Acme") -> str:
        return self.one("crm/Accounts", "ID,Name", f"substringof('{name}', Name) eq true")["ID"]

    def gl(self, code="8000") -> str:
        return self.one("financial/GLAccounts", "ID,Code", f"Code eq '{code}'")["ID"]

    def sales_entry(self, amount="100.00", vat="2", your_ref="INV-2026-001", **extra) -> dict:
        body = {
            "Journal": "70",
            "Customer": self.customer(),
            "EntryDate": "2026-11-01T00:00:00",
            "YourRef": your_ref,
            "Description": "Design work",
            "SalesEntryLines": [
                {"GLAccount": self.gl(), "AmountFC": amount, "VATCode": vat, "Description": "Design work"}
            ],
            **extra,
        }
        response = self.post("salesentry/SalesEntries", body, HTTP_PREFER="return=representation")
        assert response.status_code == 201, response.content
        return response.json()["d"]


@pytest.fixture
def client(db):
    return Client()


@pytest.fixture
def exact(client) -> Exact:
    sandbox = Exact(client)
    sandbox.connect([NL_DIVISION, NL_EMPTY_DIVISION])
    return sandbox
