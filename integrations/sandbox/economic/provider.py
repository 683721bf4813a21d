"""Visma e-conomic's sandbox declared to the kit: no OAuth but an installation page whose redirect carries the
agreement grant token (`token`), two header tokens on every call, e-conomic's error documents, fair-use limits."""

import datetime as dt

from django.urls import path

from productive.settings.sandbox import SANDBOX_DEFAULTS

from ..kit.declaration import GrantTokenConsent, Idempotency, LimitPolicy, SandboxProvider, TenantInfo, TokenPolicy
from ..kit.registry import register
from . import api, errors, pages
from .demo import demo_agreements_ensure
from .models import EcoAgreement

APP_PUBLIC_TOKEN, APP_SECRET_TOKEN = api.APP_PUBLIC_TOKEN, "sandbox-economic-secret-token"


def _tenants() -> list[TenantInfo]:
    return [
        TenantInfo(str(a.agreement_number), a.name, f"{a.country.capitalize()} · {a.currency}")
        for a in demo_agreements_ensure()
    ]


def _write_lock(tenant_key: str) -> None:
    """One writer per agreement: numbering, remainders and Idempotency-Key replays are serialised on its row."""
    list(EcoAgreement.objects.select_for_update().filter(agreement_number=int(tenant_key)))


def _extra_urls() -> list:
    base = "economic/agreements/<str:tenant_id>"
    return [path(f"{base}/drafts/<str:draft_number>/book/", pages.draft_book, name="economic-draft-book")]


def _limit(name: str) -> int:
    return SANDBOX_DEFAULTS[name]


ECONOMIC = register(
    SandboxProvider(
        key="economic",
        label="Visma e-conomic",
        client_id=APP_PUBLIC_TOKEN,  # the installation URL names the app by its public token
        client_secret=APP_SECRET_TOKEN,  # …and every API call by its secret token (X-AppSecretToken)
        tenants=_tenants,
        tenant_noun="agreement",
        tenant_nouns="agreements",
        tenant_path="agreements",
        tenant_url_name="agreement",
        document_path="invoices",
        authorize_path="secure/api1/requestaccess.aspx",
        api_path="api/",
        redirect_paths=tuple(SANDBOX_DEFAULTS["SANDBOX_ECONOMIC_REDIRECT_PATHS"]),
        redirect_paths_setting="SANDBOX_ECONOMIC_REDIRECT_PATHS",
        grant_token_consent=GrantTokenConsent(),
        # A grant token does not expire; it stops working when the agreement removes the app.
        tokens=TokenPolicy(access_lifetime=dt.timedelta(days=365 * 50)),
        limits=LimitPolicy(
            per_minute=_limit("SANDBOX_ECONOMIC_MINUTE_LIMIT"),
            window_seconds=60,
            per_day=_limit("SANDBOX_ECONOMIC_DAY_LIMIT"),
            concurrent=_limit("SANDBOX_ECONOMIC_CONCURRENT_LIMIT"),
            per_minute_setting="SANDBOX_ECONOMIC_MINUTE_LIMIT",
            per_day_setting="SANDBOX_ECONOMIC_DAY_LIMIT",
            concurrent_setting="SANDBOX_ECONOMIC_CONCURRENT_LIMIT",
        ),
        idempotency=Idempotency(header="Idempotency-Key"),
        problem=lambda status, title, detail, headers=None: errors.error(status, title, detail, headers=headers),
        # A revoked grant (the agreement removed the app) is a 401 at e-conomic, as are bad tokens.
        unauthorized=lambda error: errors.unauthorized(),
        forbidden=lambda tenant_key: errors.unauthorized(),
        throttle=lambda problem, retry_after, remaining: errors.throttled(),
        server_error=errors.server_error,
        idempotency_key_invalid=lambda message: errors.bad_request(message),
        route=api.route,
        write_lock=_write_lock,
        tenant_panel_template="sandbox/economic/agreement.html",
        tenant_panel_context=pages.panel_context,
        payment_record=pages.payment_record,
        payment_delete=pages.payment_delete,
        extra_urls=_extra_urls,
    )
)
