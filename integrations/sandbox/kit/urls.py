"""URL patterns of one provider sandbox, named "<key>-<page>" in the "sandbox" namespace."""

import re

from django.urls import path, re_path

from . import consent_views, page_views
from .declaration import SandboxProvider


def provider_urlpatterns(provider: SandboxProvider) -> list:
    key, tenants = provider.key, provider.tenant_path
    kw = {"provider_key": key}
    patterns = [
        path(f"{key}/", page_views.index, kw, name=f"{key}-index"),
        path(
            f"{key}/{tenants}/<str:tenant_id>/",
            page_views.tenant_page,
            kw,
            name=f"{key}-{provider.tenant_url_name}",
        ),
        path(
            f"{key}/{tenants}/<str:tenant_id>/{provider.document_path}/<str:document_id>/payments/",
            page_views.payment_record,
            kw,
            name=f"{key}-payment-record",
        ),
        path(
            f"{key}/{tenants}/<str:tenant_id>/payments/<str:payment_id>/delete/",
            page_views.payment_delete,
            kw,
            name=f"{key}-payment-delete",
        ),
        path(f"{key}/{tenants}/<str:tenant_id>/faults/", page_views.fault_arm, kw, name=f"{key}-fault"),
        *provider.extra_urls(),
    ]
    for host in provider.hosts or ("",):
        patterns += _host_urlpatterns(provider, host)
    return patterns


def _host_urlpatterns(provider: SandboxProvider, host: str) -> list:
    """Consent, token and API endpoints; under /<key>/<host>/ when the provider simulates hosts by path."""
    key = provider.key
    prefix, suffix = (f"{key}/{host}/", f"-{host}") if host else (f"{key}/", "")
    kw = {"provider_key": key, **({"host": host} if host else {})}
    patterns = []
    if provider.grant_token_consent:
        patterns.append(path(f"{prefix}{provider.authorize_path}", consent_views.install, kw, name=f"{key}-authorize"))
    elif provider.authorize_path:
        patterns += [
            path(f"{prefix}{provider.authorize_path}", consent_views.authorize, kw, name=f"{key}-authorize{suffix}"),
            path(f"{prefix}{provider.token_path}", consent_views.token, kw, name=f"{key}-token{suffix}"),
        ]
        if provider.revocation_path:
            patterns.append(
                path(
                    f"{prefix}{provider.revocation_path}",
                    consent_views.revocation,
                    kw,
                    name=f"{key}-revocation{suffix}",
                )
            )
    patterns.append(
        re_path(rf"^{prefix}{re.escape(provider.api_path)}(?P<path>.*)$", page_views.api, kw, name=f"{key}-api{suffix}")
    )
    return patterns
