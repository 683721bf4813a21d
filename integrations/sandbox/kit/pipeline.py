"""One API call through the kit: bearer → tenant → error block → the provider's route → limits → fault → (replay) → log.

Order per call, as a client sees the real providers: 401 without a live token → 403 for a tenant the token
does not grant → the provider's block of an endpoint that gave too many errors (its `error_limit`) → the
provider's own refusals (unknown resource, scope, Accept) → 429 when a per-tenant limit is hit → the call, with a
one-shot fault applied if armed → the provider's limit headers on the answer; then the answer's status is counted
against the endpoint's error limit.
"""

import time

from django.conf import settings
from django.db import transaction

from . import error_limits, limits, tokens
from .calllog import log_call
from .clock import now_ms
from .declaration import Refusal, Route, SandboxProvider
from .models import IdempotentResponse
from .reply import Reply


def timeout_hold_seconds() -> float:
    """ "Next call times out" holds the answer one second longer than the app's read timeout (or the setting)."""
    configured = getattr(settings, "SANDBOX_TIMEOUT_SECONDS", None)
    if configured is not None:
        return float(configured)
    timeout = getattr(settings, "INTEGRATIONS_HTTP_TIMEOUT", (5.0, 30.0))
    read_timeout = timeout[1] if isinstance(timeout, list | tuple) else timeout
    return float(read_timeout) + 1.0


def _log(provider, tenant_key, request, reply: Reply, note: str = "") -> Reply:
    log_call(
        provider.key, tenant_key, method=request.method, path=request.get_full_path(), status=reply.status, note=note
    )
    return reply


def _unauthorized(provider: SandboxProvider, error: tokens.BearerError) -> Reply:
    if provider.unauthorized:
        return provider.unauthorized(error)
    return provider.problem(401, "Unauthorized", error.detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def _tenant_key(provider: SandboxProvider, request, path: str, grant) -> str:
    if provider.tenant_from_request:
        return provider.tenant_from_request(request, path) or ""
    if provider.grant_token_consent:  # a grant token names exactly one tenant (e-conomic: one agreement)
        return grant.tenant_keys[0] if grant.tenant_keys else ""
    return request.headers.get(provider.tenant_header, "").strip()


def serve(provider: SandboxProvider, request, path: str, host: str = "") -> Reply:
    try:
        grant = tokens.request_grant(provider, request)
        if not provider.on_host(grant.tenant_keys, host):  # a token of another country site is unknown here
            raise tokens.BearerError("AuthenticationUnsuccessful")
    except tokens.BearerError as exc:
        return _log(provider, "", request, _unauthorized(provider, exc), exc.detail)
    tenant_key = _tenant_key(provider, request, path, grant)
    if not tenant_key and provider.default_tenant:
        tenant_key = str(provider.default_tenant(grant) or "")
    connection = tokens.grant_connections(grant).filter(tenant_key=tenant_key).first() if tenant_key else None
    if connection is None:
        reply = provider.forbidden(tenant_key) if provider.forbidden else provider.problem(403, "Forbidden", "")
        return _log(provider, "", request, reply, f"tenant {tenant_key or '(none)'} not granted")
    endpoint = provider.endpoint_of(path) if provider.error_limit else ""
    if endpoint:
        left = error_limits.blocked_for(provider, tenant_key, endpoint)
        if left:
            return _log(provider, tenant_key, request, provider.error_blocked(endpoint, left), "blocked: errors")
    routed = provider.route(request, path, grant, tenant_key)
    if isinstance(routed, Refusal):
        reply = _log(provider, tenant_key, request, routed.reply, routed.note)
    else:
        reply = run(provider, request, tenant_key, routed)
    if endpoint:
        error_limits.error_count(provider, tenant_key, endpoint, reply.status)
    return reply


def _throttled(provider: SandboxProvider, problem: str, retry_after: int, admission: limits.Admission) -> Reply:
    return provider.throttle(problem, retry_after, admission.remaining())


def run(provider: SandboxProvider, request, tenant_key: str, route: Route) -> Reply:
    """Admit the call, apply an armed fault, answer it (replaying a repeated write), log it."""
    admission = limits.admit(provider, tenant_key)
    if not admission.admitted:
        reply = _throttled(provider, admission.problem, admission.retry_after, admission)
        return _log(provider, tenant_key, request, reply, f"limit: {admission.problem}")
    try:
        if admission.fault == "throttle":
            reply, note = _throttled(provider, "minute", limits.fault_retry_after(provider), admission), "fault: 429"
        else:
            reply, note = _answer(provider, request, tenant_key, route, admission.fault)
            reply.headers.update(provider.limit_headers(admission.remaining()))
        provider.finish(reply)
        _log(provider, tenant_key, request, reply, note)
        if admission.fault == "timeout":
            time.sleep(timeout_hold_seconds())
    finally:
        limits.release(admission)
    return reply


def _server_error(provider: SandboxProvider) -> Reply:
    if provider.server_error:
        return provider.server_error()
    return provider.problem(500, "Internal Server Error", "The sandbox was told to fail this call.")


def _answer(provider: SandboxProvider, request, tenant_key: str, route: Route, fault: str) -> tuple[Reply, str]:
    if fault == "server_error":
        return _server_error(provider), "fault: 500"  # nothing is processed
    if fault == "unauthorized":  # as if the token had been refused: nothing is processed
        return _unauthorized(provider, tokens.BearerError("AuthenticationUnsuccessful")), "fault: 401"
    if fault == "invalid_json":  # a 200 whose body is cut off mid-object: nothing is processed
        return Reply(200, b'{"time": "', "application/json; charset=utf-8"), "fault: invalid JSON"
    if not route.write:
        return route.run(), ""
    if route.prepare:
        refused = route.prepare()
        if refused is not None:
            return refused, "invalid request"
    declared = provider.idempotency
    key = declared.key_of(request)
    if len(key) > declared.max_length:
        name = declared.header or declared.query_param
        message = f"The {name} must be {declared.max_length} characters or fewer."
        if provider.idempotency_key_invalid:
            return provider.idempotency_key_invalid(message), ""
        return provider.problem(400, "Bad Request", message), ""
    note = "fault: timeout (processed, answer held)" if fault == "timeout" else ""
    with transaction.atomic():
        _write_lock(provider, tenant_key)  # one writer per tenant: repeats of a key wait, then replay
        stored = (
            IdempotentResponse.objects.filter(provider=provider.key, tenant_key=tenant_key, key=key).first()
            if key
            else None
        )
        if stored is not None:
            return Reply(
                stored.status_code, stored.body.encode(), stored.content_type
            ), f"{declared.header or declared.query_param} replay"
        reply = route.run()
        if key and reply.status < 500:
            IdempotentResponse.objects.create(
                provider=provider.key,
                tenant_key=tenant_key,
                key=key,
                method=request.method,
                path=request.path[:500],
                status_code=reply.status,
                content_type=reply.content_type,
                body=reply.body.decode(),
                created_at=now_ms(),
            )
    return reply, note


def _write_lock(provider: SandboxProvider, tenant_key: str) -> None:
    if provider.write_lock:
        provider.write_lock(tenant_key)
    else:
        limits.locked_counter(provider.key, tenant_key)
