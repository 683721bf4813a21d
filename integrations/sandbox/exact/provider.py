"""Exact Online's sandbox declared to the kit: Exact's token and limit rules as data, its shapes as hooks.

Per-country sites are simulated by path: /sandbox/exact/<be|nl|de>/api/oauth2/auth, …/api/oauth2/token and
…/api/v1/…; a code or token works only on the site that issued it, and consent offers that site's divisions.
"""

import datetime as dt

from django.urls import path

from productive.settings.sandbox import SANDBOX_DEFAULTS

from ..kit.declaration import ErrorLimit, LimitPolicy, SandboxProvider, TenantInfo, TokenPolicy, WebhookSpec
from ..kit.registry import register
from . import api, pages, webhooks
from .demo import LOCALES, demo_divisions_ensure

# Exact's client ids are GUIDs (App Center → the app's registration).
CLIENT_ID, CLIENT_SECRET = "3b6f2c1e-8d4a-4f0b-9e7d-5a1c2b3d4e5f", "sandbox-exact-secret"


def _tenants() -> list[TenantInfo]:
    return [
        TenantInfo(str(d.code), d.description, f"{d.locale.upper()} · {d.currency}", host=d.locale)
        for d in demo_divisions_ensure()
    ]


def _extra_urls() -> list:
    base = "exact/divisions/<str:tenant_id>"
    return [
        path(f"{base}/payments/<str:entry_id>/edit/", pages.payment_edit, name="exact-payment-edit"),
        path(f"{base}/payments/<str:entry_id>/unmatch/", pages.match_undo, name="exact-match-undo"),
        path(f"{base}/bulk-payments/", pages.bulk_payment, name="exact-bulk-payment"),
        path("exact/<str:locale>/docs/<str:page>", pages.entry_card, name="exact-entry-card"),
    ]


def _limit(name: str) -> int:
    return SANDBOX_DEFAULTS[name]


EXACT = register(
    SandboxProvider(
        key="exact",
        label="Exact Online",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenants=_tenants,
        tenant_noun="division",
        tenant_nouns="divisions",
        tenant_path="divisions",
        tenant_url_name="division",
        document_path="invoices",
        hosts=LOCALES,
        authorize_path="api/oauth2/auth",
        token_path="api/oauth2/token",
        revocation_path="",  # Exact has no revocation endpoint: the user withdraws the app in Exact
        api_path="api/v1/",
        redirect_paths=tuple(SANDBOX_DEFAULTS["SANDBOX_EXACT_REDIRECT_PATHS"]),
        redirect_paths_setting="SANDBOX_EXACT_REDIRECT_PATHS",
        tokens=TokenPolicy(
            code_lifetime=dt.timedelta(minutes=3),
            access_lifetime=dt.timedelta(minutes=10),
            refresh_unused_lifetime=dt.timedelta(days=30),
            refresh_grace=dt.timedelta(0),
            # "You can only request a new access token 9 minutes and 30 seconds after you received it."
            min_refresh_age=dt.timedelta(seconds=570),
            early_refresh_status=400,
            early_refresh_error="access_denied",
            early_refresh_description="Rate limit exceeded: access_token not expired",
            daily_token_calls=_limit("SANDBOX_EXACT_DAILY_TOKEN_CALLS"),
            daily_token_calls_setting="SANDBOX_EXACT_DAILY_TOKEN_CALLS",
            reused_refresh_status=401,
            reused_refresh_error="unauthorized_client",
            reused_refresh_description="Old refresh token used.",
        ),
        limits=LimitPolicy(
            per_minute=_limit("SANDBOX_EXACT_MINUTE_LIMIT"),
            window_seconds=_limit("SANDBOX_EXACT_WINDOW_SECONDS"),
            per_day=_limit("SANDBOX_EXACT_DAY_LIMIT"),
            concurrent=_limit("SANDBOX_EXACT_CONCURRENT_LIMIT"),
            per_minute_setting="SANDBOX_EXACT_MINUTE_LIMIT",
            window_setting="SANDBOX_EXACT_WINDOW_SECONDS",
            per_day_setting="SANDBOX_EXACT_DAY_LIMIT",
            concurrent_setting="SANDBOX_EXACT_CONCURRENT_LIMIT",
        ),
        # "No more than 10 errors per API key, per user, per company, per endpoint, per hour" (400, 401, 403,
        # 404); exceeding it blocks the key for an hour (notes A8, from Exact's 2021 announcement).
        error_limit=ErrorLimit(errors=10, window_seconds=3600, block_seconds=3600),
        error_blocked=api.error_blocked,
        webhook=WebhookSpec(
            key_setting="EXACT_WEBHOOK_SECRET", default_path="/integrations/exact/webhooks/", seal=webhooks.seal
        ),
        # Exact's expires_in is a string ("600"), and its token answer names no scope.
        token_extras=lambda grant, site_url, now: {"expires_in": "600"},
        tenant_from_request=api.tenant_from_request,
        default_tenant=api.default_tenant,
        route=api.route,
        unauthorized=api.unauthorized,
        forbidden=api.forbidden,
        throttle=api.throttle,
        server_error=api.server_error,
        limit_headers=api.limit_headers,
        write_lock=api.write_lock,
        tenant_panel_template="sandbox/exact/division.html",
        tenant_panel_context=pages.panel_context,
        payment_record=pages.payment_record,
        payment_delete=pages.payment_delete,
        extra_urls=_extra_urls,
    )
)
