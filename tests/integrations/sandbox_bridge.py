"""Our provider client's HTTP answered by the built-in Xero sandbox, in process: `responses` hands every request
for the sandbox's API URL to the Django test client, so the real client and the real sandbox meet without a live
server (and inside the test's transaction)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import responses
from django.test import Client

from integrations.sandbox.xero.demo import TRADING_TENANT_ID
from tests.integrations.factories import ConnectionFactory
from tests.sandbox.conftest import XeroSandbox

SANDBOX_API = "http://testserver/sandbox/xero/api/api.xro/2.0"
_HOP_HEADERS = {"content-length", "content-type", "host", "connection", "accept-encoding"}


class SandboxBridge:
    def __init__(self, mock: responses.RequestsMock, client: Client | None = None):
        self.client = client or Client()
        pattern = re.compile(re.escape(SANDBOX_API) + r"(/.*)?$")
        for method in (responses.GET, responses.PUT, responses.POST, responses.DELETE):
            mock.add_callback(method, pattern, callback=self._forward)

    def _forward(self, request):
        parts = urlsplit(request.url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _HOP_HEADERS}
        body = request.body or b""
        answer = self.client.generic(
            request.method,
            path,
            data=body.encode() if isinstance(body, str) else body,
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        return answer.status_code, {"Content-Type": answer.get("Content-Type", "")}, answer.content


def sandbox_connection(**fields):
    """A live Connection to the sandbox's trading organisation (GBP, EUR, USD; tax type OUTPUT2 is 20%)."""
    sandbox = XeroSandbox(Client())
    sandbox.connect(tenants=(TRADING_TENANT_ID,))
    return ConnectionFactory(
        access_token=sandbox.access_token,
        refresh_token=sandbox.refresh_token,
        remote_tenant_id=TRADING_TENANT_ID,
        **fields,
    )
