"""Sandbox knobs, read at call time so tests can shrink them with override_settings."""

from django.conf import settings

DEFAULTS = {
    "SANDBOX_XERO_MINUTE_LIMIT": 60,  # calls per tenant per fixed window
    "SANDBOX_XERO_WINDOW_SECONDS": 60,
    "SANDBOX_XERO_DAY_LIMIT": 5000,
    "SANDBOX_XERO_CONCURRENT_LIMIT": 5,
    "SANDBOX_XERO_APP_MINUTE_LIMIT": 10000,
    # An in-flight marker older than this is considered abandoned (a killed process) and no longer counts.
    "SANDBOX_XERO_IN_FLIGHT_STALE_SECONDS": 120,
    # "Next call times out": the call is processed, then the answer is held this long. None means one second
    # longer than the app's own read timeout (INTEGRATIONS_HTTP_TIMEOUT), so the client really does time out.
    "SANDBOX_TIMEOUT_SECONDS": None,
    # Retry-After sent by the injected 429 fault.
    "SANDBOX_XERO_FAULT_RETRY_AFTER": 5,
    # Redirect URIs registered for the sandbox app: any host, these paths.
    "SANDBOX_XERO_REDIRECT_PATHS": ["/integrations/xero/callback/"],
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def timeout_hold_seconds() -> float:
    configured = get("SANDBOX_TIMEOUT_SECONDS")
    if configured is not None:
        return float(configured)
    timeout = getattr(settings, "INTEGRATIONS_HTTP_TIMEOUT", (5.0, 30.0))
    read_timeout = timeout[1] if isinstance(timeout, list | tuple) else timeout
    return float(read_timeout) + 1.0
