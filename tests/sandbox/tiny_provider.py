"""A test-only provider sandbox declared on the kit: no views, no token or limit code, only its rules.

Shaped like the coming providers' differences: a company chosen at consent comes back as realmId on the
callback (QuickBooks), the tenant is in the URL path, refreshes are refused before 9.5 minutes and the old
refresh token dies at once (Exact, QuickBooks: no grace), token calls are capped per day, writes are made
idempotent by a `requestid` query parameter (QuickBooks), and limits are tiny so tests can reach them.
Its one resource is a counter: POST …/counter adds one, GET reads it.

TINY_STATIC is the e-conomic shape: no OAuth, an installation URL whose redirect carries a grant token, and two
static tokens in headers on every call; the kit takes the tenant from the grant (one grant token, one agreement).
"""

import datetime as dt
import hashlib
import hmac
import json

from integrations.sandbox.kit.declaration import (
    GrantTokenConsent,
    Idempotency,
    LimitPolicy,
    Refusal,
    Route,
    SandboxProvider,
    TenantInfo,
    TokenPolicy,
    WebhookSpec,
)
from integrations.sandbox.kit.models import Sequence
from integrations.sandbox.kit.registry import register
from integrations.sandbox.kit.reply import json_reply

ACME, GLOBEX = "9130350000000001", "9130350000000002"


def _route(request, path, grant, tenant_key):
    if not path.endswith("/counter"):
        return Refusal(json_reply({"Fault": {"type": "NotFound"}}, 404), "unknown resource")
    name = f"tiny-counter-{tenant_key}"
    if request.method == "GET":
        return Route(run=lambda: json_reply({"value": getattr(Sequence.objects.filter(name=name).first(), "value", 0)}))

    def add_one():
        row, _ = Sequence.objects.get_or_create(name=name)
        row.value += 1
        row.save()
        return json_reply({"value": row.value}, 201)

    return Route(run=add_one, write=True)


TINY = register(
    SandboxProvider(
        key="tiny",
        label="Tiny Books",
        client_id="tiny-client",
        client_secret="tiny-secret",
        tenants=lambda: [TenantInfo(ACME, "Acme Books Inc", "USD"), TenantInfo(GLOBEX, "Globex Ledger", "CAD")],
        tenant_noun="company",
        tenant_nouns="companies",
        redirect_paths=("/integrations/tiny/callback/",),
        tokens=TokenPolicy(
            access_lifetime=dt.timedelta(hours=1),
            refresh_grace=dt.timedelta(0),
            min_refresh_age=dt.timedelta(minutes=9, seconds=30),
            daily_token_calls=4,
        ),
        limits=LimitPolicy(per_minute=5, per_day=100, concurrent=1),
        idempotency=Idempotency(query_param="requestid", max_length=50),
        callback_params=lambda tenant_keys: {"realmId": tenant_keys[0]},
        tenant_from_request=lambda request, path: path.split("/")[2] if path.startswith("v3/company/") else "",
        route=_route,
    )
)


TINY_STATIC = register(
    SandboxProvider(
        key="tinystatic",
        label="Tiny Static",
        client_id="tiny-public-token",
        client_secret="tiny-app-secret-token",
        tenants=lambda: [TenantInfo("agreement-1", "Agreement One", "DKK"), TenantInfo("agreement-2", "Agreement Two")],
        tenant_noun="agreement",
        tenant_nouns="agreements",
        authorize_path="requestaccess.aspx",
        redirect_paths=("/integrations/tinystatic/installed/",),
        grant_token_consent=GrantTokenConsent(),
        tokens=TokenPolicy(access_lifetime=dt.timedelta(days=3650)),
        route=_route,
    )
)


def _seal(payload, key: str) -> tuple[bytes, dict]:
    """A provider that signs inside the body (Exact's HashCode shape)."""
    content = json.dumps(payload).encode()
    signature = hmac.new(key.encode(), content, hashlib.sha256).hexdigest()
    return b'{"Content":' + content + b',"Sig":"' + signature.encode() + b'"}', {"Content-Type": "application/json"}


# Exact's shape: two sites simulated by path (/sandbox/tinyhosted/<eu|us>/…), a tenant per site, no revocation
# endpoint, a call without a tenant acting on the consent's first, a rotated refresh token answered 401.
TINY_HOSTED = register(
    SandboxProvider(
        key="tinyhosted",
        label="Tiny Hosted",
        client_id="tiny-hosted-client",
        client_secret="tiny-hosted-secret",
        tenants=lambda: [
            TenantInfo("101", "Eu Books", "EUR", host="eu"),
            TenantInfo("201", "Us Books", "USD", host="us"),
        ],
        hosts=("eu", "us"),
        revocation_path="",
        redirect_paths=("/integrations/tinyhosted/callback/",),
        tokens=TokenPolicy(
            refresh_grace=dt.timedelta(0), reused_refresh_status=401, reused_refresh_error="unauthorized_client"
        ),
        webhook=WebhookSpec(key_setting="TINY_HOSTED_WEBHOOK_KEY", default_path="/hooks/tiny/", seal=_seal),
        tenant_from_request=lambda request, path: path.split("/")[0] if path[:1].isdigit() else "",
        default_tenant=lambda grant: grant.tenant_keys[0],
        route=lambda request, path, grant, tenant_key: Route(run=lambda: json_reply({"tenant": tenant_key})),
    )
)
