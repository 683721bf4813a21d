"""The shared sandbox pages: the tenant list, a tenant's page (its provider panel, fault switches, call log),
"record a payment as a person would", and the API entry point.

No login (the sandbox is a pretend third party), but only while SANDBOX_PROVIDERS is on; forms use CSRF.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from ..guard import sandbox_enabled
from . import error_limits, limits, pipeline, tokens
from .calllog import recent_calls
from .consent_views import provider_of
from .declaration import PageError
from .models import Connection, FaultKind


@sandbox_enabled
@csrf_exempt
def api(request, provider_key, path="", host=""):
    """The provider's API (token-authenticated like the real one, hence no CSRF)."""
    return pipeline.serve(provider_of(provider_key), request, path, host).http()


@sandbox_enabled
@require_GET
def index(request, provider_key):
    provider = provider_of(provider_key)
    return render(request, "sandbox/kit/index.html", {"provider": provider, "tenants": provider.tenants()})


def _tenant(provider, tenant_id):
    tenant = provider.tenant(str(tenant_id))
    if tenant is None:
        raise Http404(f"No such {provider.tenant_noun}.")
    return tenant


def _back(provider, tenant):
    return redirect(f"sandbox:{provider.key}-{provider.tenant_url_name}", tenant_id=tenant.key)


@sandbox_enabled
@require_GET
def tenant_page(request, provider_key, tenant_id):
    provider = provider_of(provider_key)
    tenant = _tenant(provider, tenant_id)
    context = {
        "provider": provider,
        "tenant": tenant,
        "faults": limits.faults_pending(provider, tenant.key),
        "error_blocks": error_limits.error_blocks(provider, tenant.key),
        "error_limit_rule": error_limits.rule(provider),
        "fault_kinds": FaultKind.choices,
        "calls": recent_calls(provider.key, tenant.key),
        "connections": Connection.objects.filter(provider=provider.key, tenant_key=tenant.key, is_active=True).count(),
        "panel_template": provider.tenant_panel_template,
        **provider.tenant_panel_context(tenant.key),
    }
    return render(request, "sandbox/kit/tenant.html", context)


@sandbox_enabled
@require_POST
def fault_arm(request, provider_key, tenant_id):
    provider = provider_of(provider_key)
    tenant = _tenant(provider, tenant_id)
    kind = request.POST.get("kind", "")
    if kind == "revoke":
        count = tokens.tenant_revoke_all(provider, tenant.key)
        messages.success(
            request,
            f"Access revoked for {tenant.name}: {count} token set(s) revoked, its connections removed "
            "(API calls now get 403, refreshes invalid_grant).",
        )
    elif kind in FaultKind.values:
        limits.fault_arm(provider, tenant.key, kind)
        messages.success(request, f"Armed: {FaultKind(kind).label.lower()}.")
    elif kind == "clear":
        limits.faults_pending(provider, tenant.key).delete()
        messages.success(request, "Pending faults cleared.")
    elif kind == "clear_errors" and provider.error_limit:
        count = error_limits.error_counts_clear(provider, tenant.key)
        messages.success(request, f"Error counts cleared for {count} endpoint(s): no endpoint is blocked now.")
    else:
        messages.error(request, "Unknown fault.")
    return _back(provider, tenant)


def _person_action(request, provider, tenant, action, *args):
    if action is None:
        raise Http404("This sandbox has no payments.")
    try:
        messages.success(request, action(tenant.key, *args, request.POST))
    except PageError as exc:
        messages.error(request, str(exc))
    return _back(provider, tenant)


@sandbox_enabled
@require_POST
def payment_record(request, provider_key, tenant_id, document_id):
    provider = provider_of(provider_key)
    return _person_action(request, provider, _tenant(provider, tenant_id), provider.payment_record, str(document_id))


@sandbox_enabled
@require_POST
def payment_delete(request, provider_key, tenant_id, payment_id):
    provider = provider_of(provider_key)
    return _person_action(request, provider, _tenant(provider, tenant_id), provider.payment_delete, str(payment_id))
