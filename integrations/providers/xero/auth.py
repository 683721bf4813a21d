"""Xero identity on the shared OAuth 2.0 base (providers/oauth2.py): what is Xero's own is the tenant list
(GET /connections), disconnecting one organisation (DELETE /connections/{id}) and reading a granted
organisation before it is connected. The authorize URL, code exchange, refresh and revocation are the base's.
"""

from __future__ import annotations

from django.conf import settings

from integrations.providers.base import RemoteTenant
from integrations.providers.oauth2 import OAuth2TokenClient, code_challenge  # noqa: F401 - code_challenge: tests

ORGANISATION = "ORGANISATION"


def authorization_url(*, state: str, code_verifier: str, redirect_uri: str) -> str:
    from integrations import registry

    return registry.get("xero").authorization_url(
        state=state, code_verifier=code_verifier, redirect_uri=redirect_uri, options={}
    )


class XeroIdentity(OAuth2TokenClient):
    """Calls to identity.xero.com and api.xero.com/connections (no tenant, no connection row)."""

    def error_messages(self, response) -> list[str]:
        """OAuth's documented error body (`error`, `error_description`) or a problem body (Title, Detail)."""
        messages = super().error_messages(response)
        try:
            body = response.json()
        except ValueError:
            return messages
        if not isinstance(body, dict):
            return messages
        return messages + [str(body[key]) for key in ("Title", "Detail") if body.get(key)]

    # connections (tenants)

    def tenants(self, access_token: str) -> list[RemoteTenant]:
        response = self.request("GET", settings.XERO_CONNECTIONS_URL, headers=_bearer(access_token))
        rows = response.data if isinstance(response.data, list) else []
        return [
            RemoteTenant(
                id=str(row["tenantId"]),
                name=str(row.get("tenantName") or row["tenantId"]),
                connection_id=str(row.get("id", "")),
                extra={"tenant_type": row.get("tenantType", "")},
            )
            for row in rows
            if row.get("tenantId") and row.get("tenantType", ORGANISATION) == ORGANISATION
        ]

    def delete_connection(self, access_token: str, connection_id: str) -> None:
        url = f"{settings.XERO_CONNECTIONS_URL.rstrip('/')}/{connection_id}"
        self.request("DELETE", url, headers=_bearer(access_token), idempotent=True)

    def organisation(self, access_token: str, tenant_id: str) -> dict:
        """GET /Organisation of a granted tenant before a connection exists (base currency, short code)."""
        url = f"{settings.XERO_API_URL.rstrip('/')}/Organisation"
        response = self.request("GET", url, headers={**_bearer(access_token), "xero-tenant-id": tenant_id})
        data = response.data if isinstance(response.data, dict) else {}
        return (data.get("Organisations") or [{}])[0]


def _bearer(access_token: str) -> dict:
    return {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
