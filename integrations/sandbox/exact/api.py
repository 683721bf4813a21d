"""Exact Online's REST API on the kit: `/api/v1/current/Me` and `/api/v1/{division}/<service>/<Set>…` routed to
the reads and writes, with Exact's error body, rate-limit headers and refusals.

The kit has already checked the bearer token (and that it was issued on this country site) and that the
division is one the consent covers; here: `Accept`, the resource, the method and the JSON body.
"""

import datetime as dt
import json
import re

from ..kit.declaration import Refusal, Route
from ..kit.reply import Reply
from . import odata, resources, writes
from .models import ExactDivision
from .shapes import SALES_ENTRY, SETS, SYNC_SETS, WEBHOOK_SUBSCRIPTION
from .store import division_of

_KEYED = re.compile(r"^(?P<set>[A-Za-z/]+)\((?:guid')?(?P<key>[0-9A-Za-z-]+)'?\)$")
SERVER_ERROR = "A problem has occurred. The cause of this issue will be investigated as soon as possible."


def tenant_from_request(request, path: str) -> str:
    head = path.split("/", 1)[0]
    return head if head.isdigit() else ""


def default_tenant(grant) -> str:
    """current/Me names no division: it acts on the user's current one (the first the consent covers)."""
    return grant.tenant_keys[0] if grant.tenant_keys else ""


def write_lock(tenant_key: str) -> None:
    list(ExactDivision.objects.select_for_update().filter(code=int(tenant_key)))


def _epoch_ms(moment: dt.datetime | None) -> str:
    return str(int(moment.timestamp() * 1000)) if moment else "0"


def _minutely(remaining: dict) -> dict:
    return {
        "X-RateLimit-Minutely-Limit": str(remaining["minute_limit"]),
        "X-RateLimit-Minutely-Remaining": str(remaining["minute"]),
        "X-RateLimit-Minutely-Reset": _epoch_ms(remaining["minute_resets_at"]),
    }


def _daily(remaining: dict) -> dict:
    return {
        "X-RateLimit-Limit": str(remaining["day_limit"]),
        "X-RateLimit-Remaining": str(remaining["day"]),
        "X-RateLimit-Reset": _epoch_ms(remaining["day_resets_at"]),
    }


def limit_headers(remaining: dict) -> dict:
    """On every admitted answer: the daily and minutely limits, calls left and resets (UTC epoch ms)."""
    return {**_daily(remaining), **_minutely(remaining)}


def throttle(problem: str, retry_after: int, remaining: dict) -> Reply:
    """429. Over the minutely limit Exact sends only the minutely headers (the daily ones then read as 0)."""
    if problem == "day":
        return odata.error(429, "API rate limit exceeded: the daily limit was reached.", limit_headers(remaining))
    headers = _minutely({**remaining, "minute": 0})
    return odata.error(429, "API rate limit exceeded: too many calls this minute.", headers)


def error_blocked(endpoint: str, retry_after: int) -> Reply:
    """The answer while too many errors block an endpoint. Exact documents the rule ("no more than 10 errors per
    API key, per user, per company, per endpoint, per hour … exceeding it blocks the key for an hour", quoted in
    notes/providers-exact-economic.md A8) but not the blocked answer itself, and no captured one was found: this
    is a 429 in Exact's documented error shape, without a Retry-After (none is documented for it either)."""
    return odata.error(429, f"Too many errors on {endpoint}: the API key is blocked for an hour.")


def unauthorized(error) -> Reply:
    return odata.error(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def forbidden(tenant_key: str) -> Reply:
    return odata.error(403, "Forbidden - WrongDivision")


def server_error() -> Reply:
    return odata.error(500, SERVER_ERROR)


def _refuse(status: int, message: str, note: str) -> Refusal:
    return Refusal(odata.error(status, message), note)


def _guarded(action):
    """Run a read, answering an ODataError (a bad $filter, a missing $select, …) in Exact's shape."""

    def run() -> Reply:
        try:
            return action()
        except odata.ODataError as exc:
            return exc.reply()

    return run


def _api_base(request) -> str:
    prefix = request.path.split("/api/v1/", 1)[0]
    return request.build_absolute_uri(f"{prefix}/api/v1")


def route(request, path: str, grant, tenant_key: str):
    accept = request.headers.get("Accept", "")
    if "json" not in accept and "*/*" not in accept:
        return _refuse(406, "The sandbox answers JSON only: send Accept: application/json.", "accept")
    division = division_of(tenant_key)
    if division is None:
        return Refusal(forbidden(tenant_key), "no such division")
    base = _api_base(request)
    if path.lower() == "current/me":
        if request.method != "GET":
            return _refuse(405, "Method not allowed", "method")
        return Route(run=_guarded(lambda: resources.me(request, base, grant, division)))
    resource = path.split("/", 1)[1] if "/" in path else ""
    if request.method == "GET":
        return _read(request, base, grant, division, resource)
    if request.method == "DELETE":
        return _delete(division, grant, resource)
    if request.method not in ("POST", "PUT"):
        return _refuse(405, f"Method {request.method} is not supported by the sandbox for {resource}.", "method")
    try:
        body = json.loads(request.body or b"")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _refuse(400, "The request body is not a JSON object.", "body")
    if request.method == "PUT":
        return _put(division, resource, body)
    lowered = resource.lower()
    if lowered == "salesinvoice/printedsalesinvoices":
        return Route(run=lambda: writes.print_invoice(division, body), write=True)
    if lowered == WEBHOOK_SUBSCRIPTION.path.lower():
        return Route(run=lambda: writes.subscription_create(base, division, grant, body), write=True)
    entity_set = SETS.get(lowered)
    if entity_set is None or not entity_set.writable:
        return _refuse(405 if entity_set else 404, f"Resource not found: {resource}", "unknown resource")
    return Route(run=lambda: writes.create(request, base, division, entity_set, body), write=True)


def _read(request, base: str, grant, division: ExactDivision, resource: str):
    lowered = resource.lower()
    if lowered in ("system/divisions", "hrm/divisions", "system/alldivisions"):
        granted = [d for d in (division_of(k) for k in grant.tenant_keys) if d is not None]
        current = division_of(default_tenant(grant)) or division
        return Route(run=_guarded(lambda: resources.divisions(request, base, granted, current)))
    if lowered == "sync/deleted":
        return Route(run=_guarded(lambda: resources.read_deleted(request, base, division)))
    if lowered in SYNC_SETS:
        return Route(run=_guarded(lambda: resources.read_sync(request, base, division, lowered, SYNC_SETS[lowered])))
    if lowered.endswith("/$count") and lowered.removesuffix("/$count") in SETS:
        entity_set = SETS[lowered.removesuffix("/$count")]
        return Route(run=_guarded(lambda: resources.count(division, entity_set, request.GET)))
    if lowered in SETS:
        return Route(run=_guarded(lambda: resources.read_set(request, base, division, SETS[lowered])))
    keyed = _KEYED.match(resource)
    if keyed and keyed.group("set").lower() in SETS:
        entity_set = SETS[keyed.group("set").lower()]
        key = keyed.group("key")
        return Route(run=_guarded(lambda: resources.read_one(request, base, division, entity_set, key)))
    return _refuse(404, f"Resource not found: {resource}", "unknown resource")


def _entry_key(resource: str) -> str:
    keyed = _KEYED.match(resource)
    return keyed.group("key").lower() if keyed and keyed.group("set").lower() == SALES_ENTRY.path.lower() else ""


def _put(division: ExactDivision, resource: str, body: dict):
    key = _entry_key(resource)
    if not key:
        return _refuse(405, f"Method PUT is not supported by the sandbox for {resource}.", "method")
    return Route(run=lambda: writes.entry_change(division, "PUT", key, body), write=True)


def _delete(division: ExactDivision, grant, resource: str):
    if _entry_key(resource):
        key = _entry_key(resource)
        return Route(run=lambda: writes.entry_change(division, "DELETE", key, None), write=True)
    keyed = _KEYED.match(resource)
    if keyed and keyed.group("set").lower() == WEBHOOK_SUBSCRIPTION.path.lower():
        key = keyed.group("key").lower()
        return Route(run=lambda: writes.subscription_delete(division, grant, key), write=True)
    return _refuse(405, f"Method DELETE is not supported by the sandbox for {resource}.", "method")
