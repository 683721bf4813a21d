"""The built-in provider sandboxes' settings: the defaults of their knobs, and the provider settings that point
the app at them (imported by dev settings, the demo and the end-to-end tests).

Kept in one place so dev, the demo and the end-to-end tests resolve sandbox URLs the same way. The knobs are
read at call time (`getattr(settings, name, SANDBOX_DEFAULTS[name])`), so tests can shrink them with
override_settings.
"""

SANDBOX_DEFAULTS = {
    # Xero's per-tenant limits (integrations/sandbox/xero/provider.py).
    "SANDBOX_XERO_MINUTE_LIMIT": 60,  # calls per tenant per fixed window
    "SANDBOX_XERO_WINDOW_SECONDS": 60,
    "SANDBOX_XERO_DAY_LIMIT": 5000,
    "SANDBOX_XERO_CONCURRENT_LIMIT": 5,
    "SANDBOX_XERO_APP_MINUTE_LIMIT": 10000,
    # Retry-After sent by the injected 429 fault.
    "SANDBOX_XERO_FAULT_RETRY_AFTER": 5,
    # Redirect URIs registered for the sandbox app: any host, these paths.
    "SANDBOX_XERO_REDIRECT_PATHS": ["/integrations/xero/callback/"],
    # Xero's size limit of one attachment (10 MB); larger uploads get Xero's 413.
    "SANDBOX_XERO_ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    # QuickBooks Online's per-realm limits (integrations/sandbox/quickbooks/provider.py): 500 requests a minute
    # and 10 in flight per realm; Intuit has no daily cap (the Builder tier's monthly one is not modelled).
    "SANDBOX_QUICKBOOKS_MINUTE_LIMIT": 500,
    "SANDBOX_QUICKBOOKS_WINDOW_SECONDS": 60,
    "SANDBOX_QUICKBOOKS_DAY_LIMIT": 10_000_000,
    "SANDBOX_QUICKBOOKS_CONCURRENT_LIMIT": 10,
    "SANDBOX_QUICKBOOKS_FAULT_RETRY_AFTER": 60,
    "SANDBOX_QUICKBOOKS_REDIRECT_PATHS": ["/integrations/quickbooks/callback/"],
    # Visma e-conomic's fair use: 50,000 calls per agreement per 24 hours; no per-minute or concurrency limit is
    # documented, so those two are set out of reach (integrations/sandbox/economic/provider.py).
    "SANDBOX_ECONOMIC_DAY_LIMIT": 50_000,
    "SANDBOX_ECONOMIC_MINUTE_LIMIT": 1_000_000,
    "SANDBOX_ECONOMIC_CONCURRENT_LIMIT": 1_000,
    # The app's installation redirect URL: any host, these paths.
    "SANDBOX_ECONOMIC_REDIRECT_PATHS": ["/integrations/economic/callback/"],
    # Exact Online's limits per division and app (integrations/sandbox/exact/provider.py): 60 calls a minute and
    # 5,000 a day (shrink the day limit in tests to see the daily 429), 200 token-endpoint calls a day.
    "SANDBOX_EXACT_MINUTE_LIMIT": 60,
    "SANDBOX_EXACT_WINDOW_SECONDS": 60,
    "SANDBOX_EXACT_DAY_LIMIT": 5000,
    "SANDBOX_EXACT_CONCURRENT_LIMIT": 10,
    "SANDBOX_EXACT_DAILY_TOKEN_CALLS": 200,
    "SANDBOX_EXACT_REDIRECT_PATHS": ["/integrations/exact/callback/"],
    # "Next call times out": the call is processed, then the answer is held this long. None means one second
    # longer than the app's own read timeout (INTEGRATIONS_HTTP_TIMEOUT), so the client really does time out.
    "SANDBOX_TIMEOUT_SECONDS": None,
    # Signed webhooks (sent only when the provider's key setting, e.g. XERO_WEBHOOK_KEY, is set). An empty URL
    # means SITE_URL + the provider's receiver path (/integrations/<key>/webhooks/).
    "SANDBOX_WEBHOOK_URL": "",
    "SANDBOX_WEBHOOK_ATTEMPTS": 3,
    "SANDBOX_WEBHOOK_RETRY_SECONDS": 0.2,  # times the attempt number, between attempts
    "SANDBOX_WEBHOOK_TIMEOUT": 5.0,
    # "background": each delivery runs in its own thread after the action commits, so the person's page answers at
    # once, as with the real providers (who send seconds later); "inline": in the request after commit (tests).
    "SANDBOX_WEBHOOK_DELIVERY": "background",
}


# The sandbox's raw-file uploads (Xero's attachments), which bound their bodies at the provider's own limit
# (RAW_BODY_PATHS, productive/request_limits.py); set wherever SANDBOX_PROVIDERS is on.
SANDBOX_RAW_BODY_PATHS = [r"^/sandbox/xero/api/api\.xro/2\.0/[^/]+/[^/]+/Attachments/"]


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
        # The sandbox signs its webhooks with the key the app's receiver verifies (/integrations/xero/webhooks/).
        "XERO_WEBHOOK_KEY": "sandbox-xero-webhook-key",
        "QUICKBOOKS_CLIENT_ID": "sandbox-quickbooks-client",
        "QUICKBOOKS_CLIENT_SECRET": "sandbox-quickbooks-secret",
        "QUICKBOOKS_AUTHORIZE_URL": f"{base}/quickbooks/connect/oauth2",
        "QUICKBOOKS_TOKEN_URL": f"{base}/quickbooks/oauth2/v1/tokens/bearer",
        "QUICKBOOKS_REVOKE_URL": f"{base}/quickbooks/v2/oauth2/tokens/revoke",
        "QUICKBOOKS_API_URL": f"{base}/quickbooks/v3",  # the client appends /company/<realmId>/<entity>
        "QUICKBOOKS_APP_URL": f"{base}/quickbooks",  # the client appends /app/invoice?txnId=<id>
        "QUICKBOOKS_USES_SANDBOX": True,
        # The sandbox signs its webhooks (intuit-signature) with the verifier token the app's receiver checks.
        "QUICKBOOKS_WEBHOOK_VERIFIER": "sandbox-quickbooks-verifier",
        # e-conomic has no OAuth: the installation page hands back a grant token; both tokens go in headers.
        "ECONOMIC_APP_PUBLIC_TOKEN": "sandbox-economic-public-token",
        "ECONOMIC_APP_SECRET_TOKEN": "sandbox-economic-secret-token",
        "ECONOMIC_INSTALL_URL": f"{base}/economic/secure/api1/requestaccess.aspx",
        "ECONOMIC_API_URL": f"{base}/economic/api",  # the client appends /self, /customers, /invoices/drafts, …
        "ECONOMIC_USES_SANDBOX": True,
        "EXACT_CLIENT_ID": "3b6f2c1e-8d4a-4f0b-9e7d-5a1c2b3d4e5f",
        "EXACT_CLIENT_SECRET": "sandbox-exact-secret",
        # One simulated country site per locale; the client appends /api/oauth2/auth, /api/oauth2/token, /api/v1.
        "EXACT_BASE_URLS": {locale: f"{base}/exact/{locale}" for locale in ("be", "nl", "de")},
        "EXACT_USES_SANDBOX": True,
        # The sandbox signs its webhooks (HashCode in the body) with the secret the app's receiver checks.
        "EXACT_WEBHOOK_SECRET": "sandbox-exact-webhook-secret",
    }
