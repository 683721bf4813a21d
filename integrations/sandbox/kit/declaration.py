"""What a provider's sandbox declares to the kit: its rules as data, its API shapes as a few hooks.

A provider sandbox is a folder (integrations/sandbox/<key>/) with its resources and one `SandboxProvider`
registered in kit.registry; consent, tokens, limits, faults, replay, the call log, webhooks and the shared pages
come from the kit. Every hook has a plain default, so a provider declares only where it differs.
"""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .reply import Reply, json_reply

_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.IGNORECASE)


@dataclass(frozen=True)
class TokenPolicy:
    code_lifetime: dt.timedelta = dt.timedelta(minutes=5)
    access_lifetime: dt.timedelta = dt.timedelta(minutes=30)
    refresh_unused_lifetime: dt.timedelta = dt.timedelta(days=60)
    # Every refresh hands out a new refresh token; the previous one keeps working for `refresh_grace`.
    refresh_grace: dt.timedelta = dt.timedelta(minutes=30)
    # A refresh of a token set younger than this is refused (Exact: 9.5 minutes) with this status and error.
    min_refresh_age: dt.timedelta = dt.timedelta(0)
    early_refresh_status: int = 401
    early_refresh_error: str = "invalid_request"
    early_refresh_description: str = "Access token not expired"
    # Token-endpoint calls (exchanges and refreshes) per client per UTC day; 0 means unlimited. The setting, when
    # named, overrides it at call time (tests shrink it).
    daily_token_calls: int = 0
    daily_token_calls_setting: str = ""
    # A refresh token younger than this is handed back unchanged by a refresh (its expiry rolls on); an older
    # one is rotated (QuickBooks: the value changes about every 24 hours). Zero: every refresh rotates.
    refresh_rotation_age: dt.timedelta = dt.timedelta(0)
    token_type: str = "Bearer"
    invalid_grant_description: str = ""  # error_description sent with invalid_grant (QuickBooks sends one)
    # A rotated refresh token used again after its grace (Exact: 401 unauthorized_client "Old refresh token used.").
    reused_refresh_status: int = 400
    reused_refresh_error: str = "invalid_grant"
    reused_refresh_description: str = ""  # empty: invalid_grant_description


@dataclass(frozen=True)
class LimitPolicy:
    """Per-tenant limits; each value can be overridden by the named setting (read at call time)."""

    per_minute: int = 60
    window_seconds: int = 60
    per_day: int = 5000
    concurrent: int = 5
    per_minute_setting: str = ""
    window_setting: str = ""
    per_day_setting: str = ""
    concurrent_setting: str = ""
    fault_retry_after: int = 5
    fault_retry_after_setting: str = ""


@dataclass(frozen=True)
class ErrorLimit:
    """More than `errors` answers of `statuses` to one endpoint of a tenant within `window_seconds` block that
    endpoint for `block_seconds` (Exact: 10 errors an hour, then blocked for an hour). The window starts at its
    first error; `errors_setting`, when named, overrides `errors` at call time."""

    errors: int = 10
    window_seconds: int = 3600
    block_seconds: int = 3600
    statuses: frozenset[int] = frozenset({400, 401, 403, 404})
    errors_setting: str = ""


@dataclass(frozen=True)
class Idempotency:
    """Where a write carries its idempotency key: a header (Xero) or a query parameter (QuickBooks' requestid)."""

    header: str = ""
    query_param: str = ""
    max_length: int = 128

    def key_of(self, request) -> str:
        if self.header:
            return request.headers.get(self.header, "")
        if self.query_param:
            return request.GET.get(self.query_param, "")
        return ""


@dataclass(frozen=True)
class WebhookSpec:
    """A signed webhook: base64(HMAC-SHA256(body, key)) in `signature_header`, POSTed to the URL setting; or, with
    `seal`, the provider's own scheme: (payload, key) → (body bytes, headers) (Exact signs inside the body)."""

    signature_header: str = ""
    key_setting: str = ""  # the app's setting holding the shared key; no key → nothing is sent
    url_setting: str = "SANDBOX_WEBHOOK_URL"
    default_path: str = ""  # appended to SITE_URL when the URL setting is empty
    seal: Callable[[object, str], tuple[bytes, dict]] | None = None


@dataclass(frozen=True)
class GrantTokenConsent:
    """Consent without OAuth (e-conomic's installation URL): the person approves, the redirect carries a
    long-lived grant token that the API then takes in a header beside the app's own static token."""

    client_param: str = "appPublicToken"
    redirect_param: str = "redirectUrl"
    token_param: str = "token"
    grant_header: str = "X-AgreementGrantToken"
    app_header: str = "X-AppSecretToken"  # must carry the provider's client_secret


@dataclass(frozen=True)
class TenantInfo:
    key: str
    name: str
    detail: str = ""  # e.g. the currency, shown next to the name
    host: str = ""  # the simulated host it lives on (SandboxProvider.hosts), e.g. Exact's "nl"


@dataclass(frozen=True)
class Route:
    """One admitted API operation: `run()` answers it; `prepare()` may refuse it before any replay lookup."""

    run: Callable[[], Reply]
    write: bool = False
    prepare: Callable[[], Reply | None] | None = None


@dataclass(frozen=True)
class Refusal:
    reply: Reply
    note: str = ""


def _default_problem(status: int, title: str, detail: str, headers: dict | None = None) -> Reply:
    return json_reply({"title": title, "status": status, "detail": detail}, status, headers)


def _default_endpoint(path: str) -> str:
    """The endpoint an error counts against: the path without keys ("(42)") or numeric / GUID segments (Exact's
    `{division}/crm/Accounts(guid'…')` → `crm/accounts`)."""
    segments = (re.sub(r"\([^)]*\)", "", segment) for segment in path.strip("/").split("/"))
    return "/".join(s for s in segments if s and not _ID_SEGMENT.match(s)).lower()


def _default_error_blocked(endpoint: str, retry_after: int) -> Reply:
    return _default_problem(
        429, "Too Many Requests", f"Too many errors on {endpoint}: blocked.", {"Retry-After": str(retry_after)}
    )


def _default_throttle(problem: str, retry_after: int, remaining: dict) -> Reply:
    return _default_problem(
        429, "Too Many Requests", f"Rate limit exceeded: {problem}", {"Retry-After": str(retry_after)}
    )


@dataclass
class SandboxProvider:
    key: str
    label: str
    client_id: str
    client_secret: str
    tenants: Callable[[], list[TenantInfo]]
    tenant_noun: str = "organisation"
    tenant_nouns: str = "organisations"
    tenant_path: str = "tenants"  # the pages live under /sandbox/<key>/<tenant_path>/<tenant key>/
    document_path: str = "documents"  # …/<tenant>/<document_path>/<id>/payments/ records a payment
    tenant_url_name: str = "tenant"  # reverse("sandbox:<key>-<tenant_url_name>", kwargs={"tenant_id": …})
    # OAuth 2 endpoints below /sandbox/<key>/ (empty: the provider has no OAuth, e.g. e-conomic).
    authorize_path: str = "oauth/authorize"
    token_path: str = "oauth/token"
    revocation_path: str = "oauth/revoke"  # empty: the provider has no revocation endpoint (Exact)
    api_path: str = "api/"
    # Hosts simulated by a path segment (Exact's country sites): consent, token and API are mounted under
    # /sandbox/<key>/<host>/ for each; consent offers the host's tenants, and codes and tokens work only there.
    hosts: tuple[str, ...] = ()
    redirect_paths: tuple[str, ...] = ()
    redirect_paths_setting: str = ""
    challenge_methods: tuple[str, ...] = ("S256",)
    grant_token_consent: GrantTokenConsent | None = None  # set: no code/token endpoints, headers instead of Bearer
    offline_scope_required: bool = False  # True: a refresh token only with the offline_access scope (OIDC)
    # True: a consent grants exactly one tenant (Intuit: one company per consent), chosen with a radio button.
    one_tenant_per_consent: bool = False
    tokens: TokenPolicy = field(default_factory=TokenPolicy)
    limits: LimitPolicy = field(default_factory=LimitPolicy)
    error_limit: ErrorLimit | None = None  # None: errors are never counted (kit.error_limits)
    idempotency: Idempotency = field(default_factory=Idempotency)
    webhook: WebhookSpec | None = None
    tenant_header: str = ""  # where an API call names its tenant (else `tenant_from_request`)
    # Hooks (API shapes). Defaults answer in a neutral JSON shape.
    scopes_invalid: Callable[[str], list[str]] = lambda scope: []
    callback_params: Callable[[list[str]], dict] = lambda tenant_keys: {}  # e.g. QuickBooks' realmId
    token_extras: Callable[..., dict] = lambda grant, site_url, now: {}  # e.g. an id_token
    tenant_from_request: Callable | None = None  # (request, path) → tenant key
    default_tenant: Callable | None = None  # (grant) → the tenant of a call naming none (Exact's current/Me)
    route: Callable | None = None  # (request, path, grant, tenant_key) → Route | Refusal
    problem: Callable[..., Reply] = _default_problem  # (status, title, detail, headers=None)
    unauthorized: Callable | None = None  # (BearerError) → Reply
    forbidden: Callable[[str], Reply] | None = None  # (tenant key as given) → Reply
    throttle: Callable[[str, int, dict], Reply] = _default_throttle  # (problem, retry after, remaining)
    server_error: Callable[[], Reply] | None = None
    idempotency_key_invalid: Callable[[str], Reply] | None = None  # (message) → Reply
    limit_headers: Callable[[dict], dict] = lambda remaining: {}  # headers on every admitted answer
    endpoint_of: Callable[[str], str] = _default_endpoint  # (API path) → the endpoint its errors count against
    error_blocked: Callable[[str, int], Reply] = _default_error_blocked  # (endpoint, seconds left) → Reply
    finish: Callable[[Reply], None] = lambda reply: None  # last touch on every tenant answer (correlation ids)
    write_lock: Callable[[str], None] | None = None  # lock the tenant's rows for a write (else the kit's row)
    # Pages: a template included on the tenant page (documents, payments) and its context.
    tenant_panel_template: str = ""
    tenant_panel_context: Callable[[str], dict] = lambda tenant_key: {}
    # "Record a payment as a person would": (tenant key, document id, form) → message; raise PageError to refuse.
    payment_record: Callable | None = None
    payment_delete: Callable | None = None  # (tenant key, payment id) → message
    extra_urls: Callable[[], list] = lambda: []  # more URL patterns (imported late: views import this)

    def tenant(self, key: str) -> TenantInfo | None:
        return next((t for t in self.tenants() if t.key == str(key)), None)

    def host_tenants(self, host: str) -> list[TenantInfo]:
        """The tenants consent offers on a host (all of them when the provider simulates no hosts)."""
        return [t for t in self.tenants() if not host or t.host == host]

    def on_host(self, tenant_keys, host: str) -> bool:
        """Whether a consent's tenants all live on `host` (codes and tokens work only on the host that issued them)."""
        if not host:
            return True
        on_it = {t.key for t in self.host_tenants(host)}
        return all(str(key) in on_it for key in tenant_keys)


class PageError(Exception):
    """A person's action on a sandbox page that the provider refuses, with the provider's words."""
