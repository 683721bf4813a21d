"""Accounting-integration settings (filled in by the integrations work)."""

from productive.env import env, env_secret

# Providers offered in the App marketplace, in this order. A provider whose credentials are not configured
# is hidden and its URLs answer 404.
INTEGRATION_PROVIDERS = env.list(
    "INTEGRATION_PROVIDERS",
    default=[
        "integrations.providers.xero.provider.XeroProvider",
        "integrations.providers.quickbooks.provider.QuickBooksProvider",
        "integrations.providers.exact.provider.ExactProvider",
        "integrations.providers.economic.provider.EconomicProvider",
    ],
)

# Fernet keys (comma-separated; the first encrypts, all decrypt). Generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# The development default is public and only for dev/test; production refuses to start without real keys.
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZW5jcnlwdGlvbi1rZXktMzItYnl0ZXM="
INTEGRATIONS_ENCRYPTION_KEYS = [
    key.strip() for key in env_secret("INTEGRATIONS_ENCRYPTION_KEYS", default=DEV_ENCRYPTION_KEY).split(",") if key
]

# Minutes between two payment-sync polls of one connection, for providers that do not name their own
# (Provider.poll_interval_setting); the schedule ticks at the smallest interval of the configured providers.
PAYMENTS_SYNC_INTERVAL_MINUTES = env.int("PAYMENTS_SYNC_INTERVAL_MINUTES", default=2)
# Remainder feeds (e-conomic): a fully paid copy whose payments were derived from what is still owed is asked about
# for this many days after its last derived payment (a payment reversed there shows as a remainder growing again),
# then it leaves the polled set, so a poll costs calls for the open copies only.
PAYMENTS_REMAINDER_WATCH_DAYS = env.int("PAYMENTS_REMAINDER_WATCH_DAYS", default=30)
# Payment feeds: new payments are recorded in bulk (a few queries per batch, not several per payment), and a
# cursor feed's pages are applied together, with their cursor, up to this many changes per transaction.
# PAYMENTS_APPLY_IN_BULK=false records them one by one (the same outcome, the old cost).
PAYMENTS_APPLY_IN_BULK = env.bool("PAYMENTS_APPLY_IN_BULK", default=True)
PAYMENTS_APPLY_BATCH = env.int("PAYMENTS_APPLY_BATCH", default=1000)
# Sync health: sync-log entries older than this are pruned daily (a run's summary, SyncRun, is kept).
SYNC_LOG_RETENTION_DAYS = env.int("SYNC_LOG_RETENTION_DAYS", default=400)
SYNC_LOG_PRUNE_MINUTES = env.int("SYNC_LOG_PRUNE_MINUTES", default=24 * 60)
# The daily Needs attention e-mail (to admins who switched it on) runs this often.
ATTENTION_DIGEST_MINUTES = env.int("ATTENTION_DIGEST_MINUTES", default=24 * 60)
# Reconciliation (every connection's copies beside what the provider holds now) runs this often: nightly.
RECONCILIATION_MINUTES = env.int("RECONCILIATION_MINUTES", default=24 * 60)
# Webhooks (POST /integrations/<key>/webhooks/): bodies larger than this many bytes are refused (413) before the
# signature is checked; a connection whose sync waits in the queue is not queued again (a claim older than the
# debounce counts as lost and is taken again).
INTEGRATIONS_WEBHOOK_MAX_BYTES = env.int("INTEGRATIONS_WEBHOOK_MAX_BYTES", default=256 * 1024)
INTEGRATIONS_WEBHOOK_DEBOUNCE_SECONDS = env.int("INTEGRATIONS_WEBHOOK_DEBOUNCE_SECONDS", default=30)
# Minutes between purges of old OAuth round trips (AuthorizationState rows, which may hold a pending token).
AUTHORIZATION_STATES_PURGE_MINUTES = env.int("AUTHORIZATION_STATES_PURGE_MINUTES", default=60)
# HTTP timeouts (connect, read) in seconds for provider calls, and bounded retries of transient failures.
INTEGRATIONS_HTTP_TIMEOUT = (
    env.float("INTEGRATIONS_CONNECT_TIMEOUT", default=5.0),
    env.float("INTEGRATIONS_READ_TIMEOUT", default=30.0),
)
INTEGRATIONS_HTTP_RETRIES = env.int("INTEGRATIONS_HTTP_RETRIES", default=2)
# Calls in flight per provider tenant (integrations/concurrency.py): where the slots live ("auto": Redis when
# REDIS_URL is set, else PostgreSQL advisory locks, else this process), how long a call waits for one, and when a
# slot of a killed worker frees itself (Redis).
INTEGRATIONS_CONCURRENCY_BACKEND = env.str("INTEGRATIONS_CONCURRENCY_BACKEND", default="auto")
INTEGRATIONS_TENANT_SLOT_WAIT_SECONDS = env.float("INTEGRATIONS_TENANT_SLOT_WAIT_SECONDS", default=30.0)
INTEGRATIONS_TENANT_SLOT_TTL_SECONDS = env.int("INTEGRATIONS_TENANT_SLOT_TTL_SECONDS", default=120)
# Where a provider's error budget is counted (integrations/error_budget.py): "auto" = Django's cache when every
# process shares it (Redis when REDIS_URL is set), else the database; or "cache" / "database".
INTEGRATIONS_ERROR_BUDGET_STORE = env.str("INTEGRATIONS_ERROR_BUDGET_STORE", default="auto")
# A poll cycle: connections per task, and threads per task waiting on the providers at once (network-bound; see
# the README's "Sizing the workers").
INTEGRATIONS_POLL_CONNECTIONS_PER_TASK = env.int("INTEGRATIONS_POLL_CONNECTIONS_PER_TASK", default=50)
INTEGRATIONS_POLL_THREADS = env.int("INTEGRATIONS_POLL_THREADS", default=8)

# Built-in provider sandboxes (integrations.sandbox): stand-ins for each provider served by this app over real
# HTTP, for the demo and end-to-end tests. On in development and tests; production settings force it off.
SANDBOX_PROVIDERS = env.bool("SANDBOX_PROVIDERS", default=False)

# --- Xero -------------------------------------------------------------------------------------------------
# Register SITE_URL + /integrations/xero/callback/ as the redirect URI of the Xero app.
XERO_CLIENT_ID = env.str("XERO_CLIENT_ID", default="")
XERO_CLIENT_SECRET = env_secret("XERO_CLIENT_SECRET", default="")
XERO_SCOPES = env.list(
    "XERO_SCOPES",
    default=[
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.settings.read",
        "accounting.contacts",
        "accounting.invoices",
        "accounting.payments.read",
    ],
)
XERO_AUTHORIZE_URL = env.str("XERO_AUTHORIZE_URL", default="https://login.xero.com/identity/connect/authorize")
XERO_TOKEN_URL = env.str("XERO_TOKEN_URL", default="https://identity.xero.com/connect/token")
XERO_REVOKE_URL = env.str("XERO_REVOKE_URL", default="https://identity.xero.com/connect/revocation")
XERO_CONNECTIONS_URL = env.str("XERO_CONNECTIONS_URL", default="https://api.xero.com/connections")
XERO_API_URL = env.str("XERO_API_URL", default="https://api.xero.com/api.xro/2.0")
XERO_USES_SANDBOX = False
# The webhook key of the Xero app (developer portal → Webhooks; delivery URL SITE_URL + /integrations/xero/webhooks/).
# Empty: no Xero webhooks (the URL answers 404) and payments are only polled.
XERO_WEBHOOK_KEY = env_secret("XERO_WEBHOOK_KEY", default="")

# --- QuickBooks Online ------------------------------------------------------------------------------------
# Register SITE_URL + /integrations/quickbooks/callback/ as the redirect URI of the Intuit app.
QUICKBOOKS_CLIENT_ID = env.str("QUICKBOOKS_CLIENT_ID", default="")
QUICKBOOKS_CLIENT_SECRET = env_secret("QUICKBOOKS_CLIENT_SECRET", default="")
QUICKBOOKS_SCOPES = env.list("QUICKBOOKS_SCOPES", default=["com.intuit.quickbooks.accounting"])
QUICKBOOKS_AUTHORIZE_URL = env.str("QUICKBOOKS_AUTHORIZE_URL", default="https://appcenter.intuit.com/connect/oauth2")
QUICKBOOKS_TOKEN_URL = env.str(
    "QUICKBOOKS_TOKEN_URL", default="https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
)
QUICKBOOKS_REVOKE_URL = env.str(
    "QUICKBOOKS_REVOKE_URL", default="https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
)
# The client appends /company/<realmId>/<entity>; Intuit's sandbox companies use https://sandbox-quickbooks.api.intuit.com/v3.
QUICKBOOKS_API_URL = env.str("QUICKBOOKS_API_URL", default="https://quickbooks.api.intuit.com/v3")
# Deep links to a copied invoice: <app url>/app/invoice?txnId=<id>.
QUICKBOOKS_APP_URL = env.str("QUICKBOOKS_APP_URL", default="https://app.qbo.intuit.com")
# Since 2025-08-01 Intuit ignores minor versions below 75 (75 is the default and the minimum).
QUICKBOOKS_MINOR_VERSION = env.int("QUICKBOOKS_MINOR_VERSION", default=75)
QUICKBOOKS_USES_SANDBOX = False
# The verifier token of the Intuit app's webhooks (delivery URL SITE_URL + /integrations/quickbooks/webhooks/).
# Empty: no QuickBooks webhooks (the URL answers 404) and payments are only polled.
QUICKBOOKS_WEBHOOK_VERIFIER = env_secret("QUICKBOOKS_WEBHOOK_VERIFIER", default="")
# Intuit meters reads (500k a month on the Builder tier): QuickBooks connections are polled less often than Xero's.
QUICKBOOKS_POLL_INTERVAL_MINUTES = env.int("QUICKBOOKS_POLL_INTERVAL_MINUTES", default=30)

# --- Visma e-conomic --------------------------------------------------------------------------------------------
# Not OAuth: the app's two tokens from its e-conomic developer agreement (Apps → the app). Connecting sends the admin
# to the installation page (ECONOMIC_INSTALL_URL?appPublicToken=…&redirectUrl=…), where they add the app to an
# agreement; e-conomic hands the agreement grant token back to SITE_URL + /integrations/economic/callback/ (the
# app's redirect URL). Every call carries X-AppSecretToken (the app) and X-AgreementGrantToken (the agreement).
ECONOMIC_APP_PUBLIC_TOKEN = env.str("ECONOMIC_APP_PUBLIC_TOKEN", default="")
ECONOMIC_APP_SECRET_TOKEN = env_secret("ECONOMIC_APP_SECRET_TOKEN", default="")
ECONOMIC_API_URL = env.str("ECONOMIC_API_URL", default="https://restapi.e-conomic.com")
ECONOMIC_INSTALL_URL = env.str(
    "ECONOMIC_INSTALL_URL", default="https://secure.e-conomic.com/secure/api1/requestaccess.aspx"
)
ECONOMIC_USES_SANDBOX = False
# --- Exact Online -----------------------------------------------------------------------------------------
# One app in the Exact App Center; register SITE_URL + /integrations/exact/callback/ as its redirect URI. Each
# locale is its own host, for login (/api/oauth2/auth, /api/oauth2/token) and the REST API (/api/v1/{division}/…);
# a connection remembers its locale.
EXACT_CLIENT_ID = env.str("EXACT_CLIENT_ID", default="")
EXACT_CLIENT_SECRET = env_secret("EXACT_CLIENT_SECRET", default="")
EXACT_BASE_URLS = {
    "be": env.str("EXACT_BASE_URL_BE", default="https://start.exactonline.be"),
    "nl": env.str("EXACT_BASE_URL_NL", default="https://start.exactonline.nl"),
    "de": env.str("EXACT_BASE_URL_DE", default="https://start.exactonline.de"),
}
EXACT_USES_SANDBOX = False
# The app's webhook secret (App Center → the app → Webhooks). Empty: no subscriptions, the receiver at
# SITE_URL + /integrations/exact/webhooks/ answers 404 and payments are only polled. Subscriptions are made on
# connect only when SITE_URL is a public https address (Exact calls back over https only).
EXACT_WEBHOOK_SECRET = env_secret("EXACT_WEBHOOK_SECRET", default="")
# 5,000 calls a day per division: an idle poll is one call, so every 10 minutes costs 144 of them.
EXACT_POLL_INTERVAL_MINUTES = env.int("EXACT_POLL_INTERVAL_MINUTES", default=10)
