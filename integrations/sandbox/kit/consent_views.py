"""OAuth 2 over HTTP for every provider sandbox: the consent page, the token and revocation endpoints.

Each view gets its provider from the URL pattern (kit.urls), so a provider declares its rules, not views.
"""

import json
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..guard import sandbox_enabled
from . import registry, tokens


def provider_of(provider_key: str):
    provider = registry.get(provider_key)
    if provider is None:
        raise Http404("No such sandbox.")
    return provider


def _redirect(uri: str, **params) -> HttpResponseRedirect:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v]
    return HttpResponseRedirect(urlunsplit(parts._replace(query=urlencode(query))))


def _authorize_error(request, provider, message: str) -> HttpResponse:
    context = {"provider": provider, "message": message}
    return render(request, "sandbox/kit/authorize_error.html", context, status=400)


@sandbox_enabled
@require_http_methods(["GET", "POST"])
def authorize(request, provider_key, host=""):
    """The provider's login + consent: pick one or more tenants (of the host), then Allow access or Cancel."""
    provider = provider_of(provider_key)
    query = request.GET
    client_id, redirect_uri, state = query.get("client_id", ""), query.get("redirect_uri", ""), query.get("state", "")
    if client_id != provider.client_id:
        return _authorize_error(
            request, provider, "unauthorized_client: the client_id is not registered with the sandbox."
        )
    if not tokens.redirect_uri_registered(provider, redirect_uri):
        return _authorize_error(request, provider, "invalid_request: the redirect_uri is not registered for this app.")
    if query.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    scope = query.get("scope", "")
    if provider.scopes_invalid(scope):
        return _redirect(redirect_uri, error="invalid_scope", state=state)
    challenge, method = query.get("code_challenge", ""), query.get("code_challenge_method", "")
    if (challenge or method) and (not challenge or method not in provider.challenge_methods):
        return _redirect(redirect_uri, error="invalid_request", state=state)
    tenants = provider.host_tenants(host)
    context = {"provider": provider, "tenants": tenants, "scopes": scope.split()}
    if request.method == "POST":
        if "cancel" in request.POST:
            return _redirect(redirect_uri, error="access_denied", state=state)
        selected = _chosen_tenants(provider, tenants, request.POST.getlist("tenant"))
        if isinstance(selected, str):
            context["error"] = selected
            return render(request, "sandbox/kit/authorize.html", context, status=400)
        code = tokens.code_issue(
            provider,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            code_challenge=challenge,
            method=method,
            tenant_keys=selected,
        )
        return _redirect(redirect_uri, code=code, scope=scope, state=state, **provider.callback_params(selected))
    return render(request, "sandbox/kit/authorize.html", context)


def _chosen_tenants(provider, tenants, chosen: list[str]) -> list[str] | str:
    """The tenant keys a consent grants, or what the person must correct (one only, when the provider says so)."""
    selected = [tenant.key for tenant in tenants if tenant.key in chosen]
    if provider.one_tenant_per_consent:
        if len(selected) != 1:
            return f"Select one {provider.tenant_noun} to connect."
    elif not selected:
        return f"Select at least one {provider.tenant_noun} to connect."
    return selected


@sandbox_enabled
@require_http_methods(["GET", "POST"])
def install(request, provider_key):
    """Consent without OAuth (an installation URL): approve, and the redirect carries a grant token."""
    provider = provider_of(provider_key)
    consent = provider.grant_token_consent
    client_id, redirect_uri = request.GET.get(consent.client_param, ""), request.GET.get(consent.redirect_param, "")
    if client_id != provider.client_id:
        return _authorize_error(request, provider, "The app is not registered with the sandbox.")
    if not tokens.redirect_uri_registered(provider, redirect_uri):
        return _authorize_error(request, provider, "The redirect URL is not registered for this app.")
    tenants = provider.tenants()
    context = {"provider": provider, "tenants": tenants, "scopes": []}
    if request.method == "POST":
        if "cancel" in request.POST:
            return _redirect(redirect_uri)  # the person declined: back without a token
        selected = [tenant.key for tenant in tenants if tenant.key in request.POST.getlist("tenant")][:1]
        if not selected:
            context["error"] = f"Select the {provider.tenant_noun} to connect."
            return render(request, "sandbox/kit/authorize.html", context, status=400)
        grant_token = tokens.grant_token_issue(provider, client_id=client_id, tenant_keys=selected)
        return _redirect(redirect_uri, **{consent.token_param: grant_token})
    return render(request, "sandbox/kit/authorize.html", context)


def _token_json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def site_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@sandbox_enabled
@csrf_exempt
@require_POST
def token(request, provider_key, host=""):
    provider = provider_of(provider_key)
    form = request.POST
    try:
        client_id = tokens.client_authenticate(provider, request.headers.get("Authorization", ""), form)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            body = tokens.exchange_code(
                provider,
                client_id=client_id,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
                site_url=site_url(request),
                host=host,
            )
        elif grant_type == "refresh_token":
            body = tokens.refresh(
                provider,
                client_id=client_id,
                refresh_token=form.get("refresh_token", ""),
                site_url=site_url(request),
                host=host,
            )
        else:
            raise tokens.OAuthError("unsupported_grant_type")
    except tokens.OAuthError as exc:
        return _token_json(exc.body(), exc.status)
    return _token_json(body)


@sandbox_enabled
@csrf_exempt
@require_POST
def revocation(request, provider_key, host=""):
    provider = provider_of(provider_key)
    try:
        client_id = tokens.client_authenticate(provider, request.headers.get("Authorization", ""), request.POST)
    except tokens.OAuthError as exc:
        return _token_json(exc.body(), exc.status)
    tokens.revoke(provider, client_id=client_id, token=_revoked_token(request))
    return HttpResponse(status=200)


def _revoked_token(request) -> str:
    """RFC 7009 posts a form; Intuit's revoke endpoint takes JSON `{"token": …}`: accept both."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        return str(body.get("token", "")) if isinstance(body, dict) else ""
    return request.POST.get("token", "")
