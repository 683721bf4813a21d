"""The Accounting API pipeline: bearer + tenant + scope checks, limits, fault switches, Idempotency-Key replay.

Order per call (as a client sees Xero): 401 without a live token → 403 for a tenant the token does not grant →
404 for an unknown resource → 401 when the consent lacks the scope → 429 when a per-tenant limit is hit →
the call (with a one-shot fault applied, if armed) → rate-limit headers on the answer.
"""

import json
import time
import uuid

from django.db import transaction

from .. import conf
from ..models import XeroApiCall, XeroIdempotentResponse, XeroOrg
from . import limits, oauth, resources
from .formats import now_ms
from .responses import Reply, post_data_invalid, problem_reply, validation_reply

# Resource name (lower case) → (canonical name, scope area, {method: handler}).
ROUTES = {
    "organisation": ("Organisation", "settings", {"GET": resources.organisation_get}),
    "accounts": ("Accounts", "settings", {"GET": resources.accounts_get}),
    "taxrates": ("TaxRates", "settings", {"GET": resources.tax_rates_get}),
    "items": ("Items", "items", {"GET": resources.items_get}),
    "contacts": (
        "Contacts",
        "contacts",
        {
            "GET": resources.contacts_get,
            "PUT": lambda call: resources.write(call, "Contacts", create_only=True),
            "POST": lambda call: resources.write(call, "Contacts", create_only=False),
        },
    ),
    "invoices": (
        "Invoices",
        "invoices",
        {
            "GET": resources.invoices_get,
            "PUT": lambda call: resources.write(call, "Invoices", create_only=True),
            "POST": lambda call: resources.write(call, "Invoices", create_only=False),
        },
    ),
    "payments": (
        "Payments",
        "payments",
        {"GET": resources.payments_get, "PUT": resources.payments_write, "POST": resources.payments_write},
    ),
    "purchaseorders": (
        "PurchaseOrders",
        "invoices",
        {
            "GET": resources.purchase_orders_get,
            "PUT": lambda call: resources.write(call, "PurchaseOrders", create_only=True),
            "POST": lambda call: resources.write(call, "PurchaseOrders", create_only=False),
        },
    ),
}

# Scope area → scopes that grant writing; their ".read" variants grant reading.
SCOPES = {
    "settings": ("accounting.settings",),
    "items": ("accounting.settings", "accounting.invoices"),
    "contacts": ("accounting.contacts",),
    "invoices": ("accounting.transactions", "accounting.invoices"),
    "payments": ("accounting.transactions", "accounting.payments"),
}


def _scope_ok(granted: str, area: str, write: bool) -> bool:
    scopes = set(granted.split())
    return any(s in scopes or (not write and f"{s}.read" in scopes) for s in SCOPES[area])


def _unauthorized(error: oauth.BearerError) -> Reply:
    if error.expired_at:
        stamp = error.expired_at.strftime("%m/%d/%Y %H:%M:%S")
        detail = f"TokenExpired: token expired at {stamp}"
        header = f'Bearer error="invalid_token", error_description="The token expired at \'{stamp}\'"'
    else:
        detail, header = error.detail, 'Bearer error="invalid_token"'
    return problem_reply(401, "Unauthorized", detail, {"WWW-Authenticate": header})


def _limit_headers(admission: limits.Admission) -> dict:
    return {
        "X-MinLimit-Remaining": str(admission.minute_remaining),
        "X-DayLimit-Remaining": str(admission.day_remaining),
        "X-AppMinLimit-Remaining": str(conf.get("SANDBOX_XERO_APP_MINUTE_LIMIT") - 1),
    }


def _throttled(problem: str, retry_after: int, admission: limits.Admission) -> Reply:
    headers = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem, **_limit_headers(admission)}
    return problem_reply(429, "Too Many Requests", f"Rate limit exceeded: {problem}", headers)


def _route(path: str):
    parts = [p for p in path.strip("/").split("/") if p]
    if not parts or len(parts) > 2 or parts[0].lower() not in ROUTES:
        return None, None
    return ROUTES[parts[0].lower()], (parts[1] if len(parts) == 2 else None)


LOG_KEEP = 2000  # API calls kept for the sandbox pages; older ones are pruned every 100 calls


def _log(org: XeroOrg | None, request, status: int, note: str = "") -> None:
    row = XeroApiCall.objects.create(
        org=org,
        at=now_ms(),
        method=request.method,
        path=request.get_full_path()[:2000],
        status_code=status,
        note=note[:255],
    )
    if row.pk % 100 == 0:
        oldest_kept = XeroApiCall.objects.order_by("-id").values_list("id", flat=True)[LOG_KEEP : LOG_KEEP + 1]
        if oldest_kept:
            XeroApiCall.objects.filter(id__lt=oldest_kept[0]).delete()


def handle(request, path: str) -> Reply:
    try:
        grant = oauth.bearer_grant(request.headers.get("Authorization", ""))
    except oauth.BearerError as exc:
        reply = _unauthorized(exc)
        _log(None, request, reply.status, exc.detail)
        return reply
    tenant = request.headers.get("xero-tenant-id", "").strip()
    try:
        tenant_uuid = uuid.UUID(tenant)
    except ValueError:
        tenant_uuid = None
    connection = oauth.grant_connections(grant).filter(org__tenant_id=tenant_uuid).first() if tenant_uuid else None
    if connection is None:
        # Xero's answer for a missing, wrong or no longer authorised xero-tenant-id (e.g. access revoked).
        reply = problem_reply(403, "Forbidden", "AuthenticationUnsuccessful")
        _log(None, request, reply.status, f"tenant {tenant or '(none)'} not granted")
        return reply
    org = connection.org
    route, ident = _route(path)
    if route is None or request.method not in route[2]:
        reply = resources.not_found() if route is None else problem_reply(405, "Method Not Allowed", request.method)
        _log(org, request, reply.status)
        return reply
    name, area, handlers = route
    write = request.method != "GET"
    if not _scope_ok(grant.scope, area, write):
        reply = problem_reply(401, "Unauthorized", "AuthorizationUnsuccessful")
        _log(org, request, reply.status, f"scope missing for {name}")
        return reply
    accept = request.headers.get("Accept", "")
    if "application/json" not in accept and "application/pdf" not in accept:
        reply = Reply(
            406, b"The sandbox answers JSON only; Xero answers XML unless Accept: application/json.", "text/plain"
        )
        _log(org, request, reply.status, "no Accept: application/json")
        return reply
    admission = limits.admit(org)
    if not admission.admitted:
        reply = _throttled(admission.problem, admission.retry_after, admission)
        _log(org, request, reply.status, f"limit: {admission.problem}")
        return reply
    try:
        if admission.fault == "throttle":
            reply, note = _throttled("minute", conf.get("SANDBOX_XERO_FAULT_RETRY_AFTER"), admission), "fault: 429"
        else:
            reply, note = _call(request, org, handlers[request.method], ident, write, admission.fault)
            reply.headers.update(_limit_headers(admission))
        reply.headers.setdefault("Xero-Correlation-Id", str(uuid.uuid4()))
        _log(org, request, reply.status, note)
        if admission.fault == "timeout":
            time.sleep(conf.timeout_hold_seconds())
    finally:
        limits.release(admission)
    return reply


def _call(request, org: XeroOrg, handler, ident, write: bool, fault: str) -> tuple[Reply, str]:
    if fault == "server_error":
        detail = "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for status."
        return problem_reply(500, "An error occurred", detail), "fault: 500"
    params = {key.lower(): value for key, value in request.GET.items()}
    call = resources.Call(request=request, org=org, ident=ident, params=params)
    if not write:
        return handler(call), ""
    try:
        call.body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return post_data_invalid("Invalid Json data"), "invalid JSON"
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > 128:
        return validation_reply("The Idempotency-Key must be 128 characters or fewer."), ""
    note = "fault: timeout (processed, answer held)" if fault == "timeout" else ""
    with transaction.atomic():
        call.org = XeroOrg.objects.select_for_update().get(pk=org.pk)  # one writer per tenant at a time
        stored = XeroIdempotentResponse.objects.filter(org=org, key=key).first() if key else None
        if stored is not None:
            return Reply(stored.status_code, stored.body.encode(), stored.content_type), "Idempotency-Key replay"
        reply = handler(call)
        if key and reply.status < 500:
            XeroIdempotentResponse.objects.create(
                org=org,
                key=key,
                method=request.method,
                path=request.path[:500],
                status_code=reply.status,
                content_type=reply.content_type,
                body=reply.body.decode(),
                created_at=now_ms(),
            )
    return reply, note
