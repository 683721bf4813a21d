"""Xero identity over HTTP: the consent page, the token and revocation endpoints, /connections."""

import json
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from .. import conf
from ..guard import sandbox_enabled
from ..models import XeroConnection
from . import oauth
from .demo import demo_orgs_ensure
from .formats import now_ms

CHALLENGE_METHODS = ("S256",)


def _redirect(uri: str, **params) -> HttpResponseRedirect:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v]
    return HttpResponseRedirect(urlunsplit(parts._replace(query=urlencode(query))))


def _authorize_error(request, message: str) -> HttpResponse:
    return render(request, "sandbox/xero/authorize_error.html", {"message": message}, status=400)


@sandbox_enabled
@require_http_methods(["GET", "POST"])
def authorize(request):
    """Xero's login + consent: pick one or more demo organisations, then Allow access or Cancel."""
    query = request.GET
    client_id, redirect_uri, state = query.get("client_id", ""), query.get("redirect_uri", ""), query.get("state", "")
    if client_id != oauth.registered_client()[0]:
        return _authorize_error(request, "unauthorized_client: the client_id is not registered with the sandbox.")
    if not oauth.redirect_uri_registered(redirect_uri):
        return _authorize_error(request, "invalid_request: the redirect_uri is not registered for this app.")
    if query.get("response_type") != "code":
        return _redirect(redirect_uri, error="unsupported_response_type", state=state)
    if oauth.scopes_invalid(query.get("scope", "")):
        return _redirect(redirect_uri, error="invalid_scope", state=state)
    challenge, method = query.get("code_challenge", ""), query.get("code_challenge_method", "")
    if (challenge or method) and (not challenge or method not in CHALLENGE_METHODS):
        return _redirect(redirect_uri, error="invalid_request", state=state)
    orgs = demo_orgs_ensure()
    context = {"orgs": orgs, "scopes": query.get("scope", "").split(), "selected": []}
    if request.method == "POST":
        if "cancel" in request.POST:
            return _redirect(redirect_uri, error="access_denied", state=state)
        selected = [org for org in orgs if str(org.tenant_id) in request.POST.getlist("tenant")]
        if not selected:
            context["error"] = "Select at least one organisation to connect."
            return render(request, "sandbox/xero/authorize.html", context, status=400)
        code = oauth.code_issue(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=query.get("scope", ""),
            code_challenge=challenge,
            method=method,
            orgs=selected,
        )
        return _redirect(redirect_uri, code=code, scope=query.get("scope", ""), state=state)
    return render(request, "sandbox/xero/authorize.html", context)


def _token_json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _site_url(request) -> str:
    return f"{request.scheme}://{request.get_host()}"


@sandbox_enabled
@csrf_exempt
@require_POST
def token(request):
    form = request.POST
    try:
        client_id = oauth.client_authenticate(request.headers.get("Authorization", ""), form)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            body = oauth.exchange_code(
                client_id=client_id,
                code=form.get("code", ""),
                redirect_uri=form.get("redirect_uri", ""),
                code_verifier=form.get("code_verifier", ""),
                site_url=_site_url(request),
            )
        elif grant_type == "refresh_token":
            body = oauth.refresh(
                client_id=client_id, refresh_token=form.get("refresh_token", ""), site_url=_site_url(request)
            )
        else:
            raise oauth.OAuthError("unsupported_grant_type")
    except oauth.OAuthError as exc:
        return _token_json(exc.body(), exc.status)
    return _token_json(body)


@sandbox_enabled
@csrf_exempt
@require_POST
def revocation(request):
    try:
        client_id = oauth.client_authenticate(request.headers.get("Authorization", ""), request.POST)
    except oauth.OAuthError as exc:
        return _token_json(exc.body(), exc.status)
    oauth.revoke(client_id=client_id, token=request.POST.get("token", ""))
    return HttpResponse(status=200)


def _dotnet(value) -> str:
    """Timestamps as /connections sends them: "2020-03-18T21:20:07.7179250"."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


def _connection(row: XeroConnection) -> dict:
    return {
        "id": str(row.connection_id),
        "authEventId": str(row.auth_event_id),
        "tenantId": str(row.org.tenant_id),
        "tenantType": "ORGANISATION",
        "tenantName": row.org.name,
        "createdDateUtc": _dotnet(row.created_at),
        "updatedDateUtc": _dotnet(row.updated_at),
    }


def _bearer(request):
    try:
        return oauth.bearer_grant(request.headers.get("Authorization", "")), None
    except oauth.BearerError as exc:
        body = {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": exc.detail, "Extensions": {}}
        response = HttpResponse(json.dumps(body), status=401, content_type="application/json")
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return None, response


@sandbox_enabled
@csrf_exempt
@require_http_methods(["GET"])
def connections(request):
    grant, error = _bearer(request)
    if error:
        return error
    rows = oauth.grant_connections(grant)
    if request.GET.get("authEventId"):
        rows = rows.filter(auth_event_id=request.GET["authEventId"]) if _uuid_ok(request.GET["authEventId"]) else []
    response = JsonResponse([_connection(row) for row in rows], safe=False)
    response["X-AppMinLimit-Remaining"] = str(conf.get("SANDBOX_XERO_APP_MINUTE_LIMIT") - 1)  # tenant-less call
    return response


def _uuid_ok(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@sandbox_enabled
@csrf_exempt
@require_http_methods(["DELETE"])
def connection_delete(request, connection_id):
    grant, error = _bearer(request)
    if error:
        return error
    row = oauth.grant_connections(grant).filter(connection_id=connection_id).first()
    if row is None:
        return HttpResponse(status=404)
    XeroConnection.objects.filter(pk=row.pk).update(is_active=False, updated_at=now_ms())
    return HttpResponse(status=204)
