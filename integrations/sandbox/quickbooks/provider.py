"""QuickBooks Online's sandbox declared to the kit: Intuit's rules as data, its shapes as hooks."""

import datetime as dt

from django.urls import path

from productive.settings.sandbox import SANDBOX_DEFAULTS

from ..kit.declaration import Idempotency, LimitPolicy, SandboxProvider, TenantInfo, TokenPolicy, WebhookSpec
from ..kit.registry import register
from . import api, pages
from .demo import demo_companies_ensure

CLIENT_ID, CLIENT_SECRET = "sandbox-quickbooks-client", "sandbox-quickbooks-secret"
SCOPES = {
    "com.intuit.quickbooks.accounting",
    "com.intuit.quickbooks.payment",
    "openid",
    "profile",
    "email",
    "phone",
    "address",
}


def _tenants() -> list[TenantInfo]:
    return [TenantInfo(c.realm_id, c.name, f"{c.country} · {c.currency}") for c in demo_companies_ensure()]


def _scopes_invalid(scope: str) -> list[str]:
    given = scope.split()
    return [s for s in given if s not in SCOPES] or ([] if given else ["(none)"])


def _extra_urls() -> list:
    base = "quickbooks/companies/<str:tenant_id>"
    return [
        path(f"{base}/payments/split/", pages.split_payment, name="quickbooks-payment-split"),
        path(f"{base}/payments/<str:payment_id>/edit/", pages.payment_edit, name="quickbooks-payment-edit"),
        path(f"{base}/payments/<str:payment_id>/void/", pages.payment_void, name="quickbooks-payment-void"),
        path(f"{base}/preferences/custom-numbers/", pages.custom_numbers, name="quickbooks-custom-numbers"),
        path("quickbooks/app/invoice", pages.invoice_deep_link, name="quickbooks-app-invoice"),
    ]


def _limit(name: str) -> int:
    return SANDBOX_DEFAULTS[name]


QUICKBOOKS = register(
    SandboxProvider(
        key="quickbooks",
        label="QuickBooks Online",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        tenants=_tenants,
        tenant_noun="company",
        tenant_nouns="companies",
        tenant_path="companies",
        tenant_url_name="company",
        document_path="invoices",
        authorize_path="connect/oauth2",
        token_path="oauth2/v1/tokens/bearer",
        revocation_path="v2/oauth2/tokens/revoke",
        api_path="v3/",
        one_tenant_per_consent=True,
        redirect_paths=tuple(SANDBOX_DEFAULTS["SANDBOX_QUICKBOOKS_REDIRECT_PATHS"]),
        redirect_paths_setting="SANDBOX_QUICKBOOKS_REDIRECT_PATHS",
        tokens=TokenPolicy(
            access_lifetime=dt.timedelta(hours=1),
            # Rolling 100 days; the value changes about every 24 hours and the previous one then stops working.
            refresh_unused_lifetime=dt.timedelta(days=100),
            refresh_rotation_age=dt.timedelta(hours=24),
            refresh_grace=dt.timedelta(0),
            token_type="bearer",
            invalid_grant_description="Incorrect or invalid refresh token",
        ),
        limits=LimitPolicy(
            per_minute=_limit("SANDBOX_QUICKBOOKS_MINUTE_LIMIT"),
            window_seconds=_limit("SANDBOX_QUICKBOOKS_WINDOW_SECONDS"),
            per_day=_limit("SANDBOX_QUICKBOOKS_DAY_LIMIT"),
            concurrent=_limit("SANDBOX_QUICKBOOKS_CONCURRENT_LIMIT"),
            per_minute_setting="SANDBOX_QUICKBOOKS_MINUTE_LIMIT",
            window_setting="SANDBOX_QUICKBOOKS_WINDOW_SECONDS",
            per_day_setting="SANDBOX_QUICKBOOKS_DAY_LIMIT",
            concurrent_setting="SANDBOX_QUICKBOOKS_CONCURRENT_LIMIT",
            fault_retry_after=_limit("SANDBOX_QUICKBOOKS_FAULT_RETRY_AFTER"),
            fault_retry_after_setting="SANDBOX_QUICKBOOKS_FAULT_RETRY_AFTER",
        ),
        idempotency=Idempotency(query_param="requestid", max_length=50),
        webhook=WebhookSpec(
            signature_header="intuit-signature",
            key_setting="QUICKBOOKS_WEBHOOK_VERIFIER",
            default_path="/integrations/quickbooks/webhooks/",
        ),
        scopes_invalid=_scopes_invalid,
        token_extras=lambda grant, site_url, now: {"x_refresh_token_expires_in": 100 * 24 * 3600},
        callback_params=lambda tenant_keys: {"realmId": tenant_keys[0]},
        tenant_from_request=api.tenant_from_request,
        route=api.route,
        unauthorized=api.unauthorized,
        forbidden=api.forbidden,
        throttle=api.throttle,
        server_error=api.server_error,
        idempotency_key_invalid=api.requestid_invalid,
        finish=api.finish,
        write_lock=api.write_lock,
        tenant_panel_template="sandbox/quickbooks/company.html",
        tenant_panel_context=pages.panel_context,
        payment_record=pages.payment_record,
        payment_delete=pages.payment_delete,
        extra_urls=_extra_urls,
    )
)
