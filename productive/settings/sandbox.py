"""Point providers without real credentials at the built-in sandbox (imported by dev settings and the demo).

Kept in one place so dev, the demo and the end-to-end tests resolve sandbox URLs the same way.
"""


def sandbox_provider_settings(site_url: str) -> dict:
    base = site_url.rstrip("/") + "/sandbox"
    return {
        "XERO_CLIENT_ID": "sandbox-xero-client",
        "XERO_CLIENT_SECRET": "sandbox-xero-secret",
        "XERO_AUTHORIZE_URL": f"{base}/xero/identity/connect/authorize",
        "XERO_TOKEN_URL": f"{base}/xero/identity/connect/token",
        "XERO_REVOKE_URL": f"{base}/xero/identity/connect/revocation",
        "XERO_CONNECTIONS_URL": f"{base}/xero/api/connections",
        "XERO_API_URL": f"{base}/xero/api/api.xro/2.0",
        "XERO_USES_SANDBOX": True,
    }
