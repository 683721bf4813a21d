"""What is Xero's own in its identity: the registered app, the scopes it knows, and the OpenID id_token.

Lifetimes and rotation are the kit's token store under Xero's policy (provider.py): codes single use for 5
minutes, access tokens 30 minutes, refresh tokens rotated on every refresh with a 30-minute grace for the
previous one, unused refresh tokens expire after 60 days.
"""

import datetime as dt
import hashlib
import hmac
import json

from productive.settings.sandbox import sandbox_provider_settings

from ..kit.tokens import b64url

KNOWN_SCOPES = (
    {"openid", "profile", "email", "offline_access"}
    | {
        f"accounting.{area}{suffix}"
        for area in (
            "transactions",
            "invoices",
            "payments",
            "banktransactions",
            "manualjournals",
            "contacts",
            "settings",
            "attachments",
        )
        for suffix in ("", ".read")
    }
    | {"accounting.reports.read", "accounting.journals.read", "accounting.budgets.read"}
)


def registered_client() -> tuple[str, str]:
    """The one app registered with the sandbox (the values dev and e2e settings point the client at)."""
    values = sandbox_provider_settings("")
    return values["XERO_CLIENT_ID"], values["XERO_CLIENT_SECRET"]


def scopes_invalid(scope: str) -> list[str]:
    requested = scope.split()
    return [s for s in requested if s not in KNOWN_SCOPES] if requested else ["(none)"]


def token_extras(grant, site_url: str, now: dt.datetime) -> dict:
    return {"id_token": _id_token(grant, site_url=site_url, now=now)} if "openid" in grant.scope.split() else {}


def _id_token(grant, *, site_url: str, now: dt.datetime) -> str:
    """A JWT with Xero's claims, signed HS256 with the client secret (Xero signs RS256)."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": f"{site_url}/sandbox/xero/identity",
        "aud": grant.client_id,
        "sub": "sandbox-user",
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(minutes=5)).timestamp()),
        "auth_time": int(grant.created_at.timestamp()),
        "xero_userid": "5b5f6c3a-1d2e-4f70-8a9b-0c1d2e3f4a5b",
        "global_session_id": str(grant.auth_event_id),
        "email": "sandbox.user@example.com",
        "given_name": "Sandbox",
        "family_name": "User",
    }
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    signature = hmac.new(registered_client()[1].encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"
