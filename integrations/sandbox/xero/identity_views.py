"""Xero's /connections endpoints (the rest of its identity is the kit's consent and token views)."""

import json
import uuid

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..guard import sandbox_enabled
from ..kit import tokens
from ..kit.clock import now_ms
from ..kit.models import Connection
from ..kit.registry import get
from ..models import XeroOrg
from .provider import app_minute_limit


def _dotnet(value) -> str:
    """Timestamps as /connections sends them: "2020-03-18T21:20:07.7179250"."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond:06d}0"


def _connection(row: Connection, names: dict) -> dict:
    return {
        "id": str(row.connection_id),
        "authEventId": str(row.auth_event_id),
        "tenantId": row.tenant_key,
        "tenantType": "ORGANISATION",
        "tenantName": names.get(row.tenant_key, ""),
        "createdDateUtc": _dotnet(row.created_at),
        "updatedDateUtc": _dotnet(row.updated_at),
    }


def _bearer(request):
    try:
        return tokens.bearer_grant(get("xero"), request.headers.get("Authorization", "")), None
    except tokens.BearerError as exc:
        body = {"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": exc.detail, "Extensions": {}}
        response = HttpResponse(json.dumps(body), status=401, content_type="application/json")
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return None, response


def _uuid_ok(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@sandbox_enabled
@csrf_exempt
@require_http_methods(["GET"])
def connections(request):
    grant, error = _bearer(request)
    if error:
        return error
    rows = tokens.grant_connections(grant)
    if request.GET.get("authEventId"):
        rows = rows.filter(auth_event_id=request.GET["authEventId"]) if _uuid_ok(request.GET["authEventId"]) else []
    rows = list(rows)
    orgs = XeroOrg.objects.filter(tenant_id__in=[row.tenant_key for row in rows])
    names = {str(org.tenant_id): org.name for org in orgs}
    response = JsonResponse([_connection(row, names) for row in rows], safe=False)
    response["X-AppMinLimit-Remaining"] = str(app_minute_limit() - 1)  # tenant-less call
    return response


@sandbox_enabled
@csrf_exempt
@require_http_methods(["DELETE"])
def connection_delete(request, connection_id):
    grant, error = _bearer(request)
    if error:
        return error
    row = tokens.grant_connections(grant).filter(connection_id=connection_id).first()
    if row is None:
        return HttpResponse(status=404)
    Connection.objects.filter(pk=row.pk).update(is_active=False, updated_at=now_ms())
    return HttpResponse(status=204)
