"""The signed-webhook sender: base64(HMAC-SHA256(body, key)) in the provider's header (or the provider's own `seal`),
POSTed with requests.

Sent after the sandbox action's transaction commits (a rolled-back action sends nothing), each attempt recorded
in the call log. A failed delivery is retried a few times and then given up: it never breaks the action that
caused it (the app's polling stays the source of truth, as with the real providers). By default a delivery runs
in its own thread (SANDBOX_WEBHOOK_DELIVERY), so the action's page does not wait for the app's answer or retries.
"""

import base64
import hashlib
import hmac
import json
import logging
import threading
import time

import requests
from django.conf import settings
from django.db import connections, transaction

from productive.settings.sandbox import SANDBOX_DEFAULTS

from .calllog import log_call
from .declaration import SandboxProvider
from .models import CallDirection, Sequence

logger = logging.getLogger(__name__)


def _conf(name: str):
    return getattr(settings, name, SANDBOX_DEFAULTS[name])


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def webhook_key(provider: SandboxProvider) -> str:
    return getattr(settings, provider.webhook.key_setting, "") if provider.webhook else ""


def webhook_url(provider: SandboxProvider) -> str:
    spec = provider.webhook
    configured = getattr(settings, spec.url_setting, "") if spec.url_setting else ""
    return configured or f"{settings.SITE_URL.rstrip('/')}{spec.default_path}"


def sequence_next(name: str, count: int = 1) -> int:
    """Reserve `count` numbers of a named sequence; returns the first."""
    with transaction.atomic():
        row, _ = Sequence.objects.get_or_create(name=name)
        row = Sequence.objects.select_for_update().get(pk=row.pk)
        row.value += count
        row.save(update_fields=["value"])
        return row.value - count + 1


def seal(provider: SandboxProvider, payload, key: str) -> tuple[bytes, dict]:
    """The body and headers of one delivery: the provider's own scheme, or the signature header."""
    if provider.webhook.seal:
        return provider.webhook.seal(payload, key)
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {"Content-Type": "application/json", provider.webhook.signature_header: sign(body, key)}


def send(provider: SandboxProvider, tenant_key: str, payload, *, url: str = "") -> bool:
    """Queue a delivery (to `url`, else the provider's URL setting) for when the current transaction commits;
    False when webhooks are off (no key)."""
    key = webhook_key(provider)
    if not key:
        return False
    body, headers = seal(provider, payload, key)
    send_raw(provider, tenant_key, url=url or webhook_url(provider), body=body, headers=headers)
    return True


_deliveries: list[threading.Thread] = []


def send_raw(provider: SandboxProvider, tenant_key: str, *, url: str, body: bytes = b"", headers=None) -> None:
    """Queue an already-built POST after commit (Exact's empty, unsigned validation POST to a new callback)."""

    def start() -> None:
        if _conf("SANDBOX_WEBHOOK_DELIVERY") == "inline":
            deliver(provider, tenant_key, body=body, url=url, headers=headers or {})
            return
        thread = threading.Thread(
            target=_deliver_in_background,
            args=(provider, tenant_key),
            kwargs={"body": body, "url": url, "headers": headers or {}},
            name=f"sandbox-webhook-{provider.key}",
            daemon=True,  # a delivery never holds the server up at exit: it is given up, as after its retries
        )
        _deliveries[:] = [t for t in _deliveries if t.is_alive()] + [thread]
        thread.start()

    transaction.on_commit(start)


def _deliver_in_background(provider: SandboxProvider, tenant_key: str, **delivery) -> None:
    try:
        deliver(provider, tenant_key, **delivery)
    finally:
        connections.close_all()  # this thread's own database connections (the call log) go with it


def wait_for_deliveries(timeout: float = 10.0) -> None:
    """Block until the background deliveries started so far have finished (tests, and the demo's scripts)."""
    for thread in list(_deliveries):
        thread.join(timeout)


def deliver(provider: SandboxProvider, tenant_key: str, *, body: bytes, url: str, headers: dict) -> bool:
    attempts = int(_conf("SANDBOX_WEBHOOK_ATTEMPTS"))
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(url, data=body, headers=headers, timeout=_conf("SANDBOX_WEBHOOK_TIMEOUT"))
            status, outcome = response.status_code, f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            status, outcome = 0, type(exc).__name__
        delivered = 200 <= status < 300
        note = f"webhook attempt {attempt}/{attempts}: {outcome}" + ("" if delivered else " (not delivered)")
        try:
            log_call(
                provider.key, tenant_key, method="POST", path=url, status=status, note=note, direction=CallDirection.OUT
            )
        except Exception:  # the log is for people; a failed log row must not undo a delivery
            logger.exception("Sandbox webhook log failed")
        if delivered:
            return True
        if attempt < attempts:
            time.sleep(float(_conf("SANDBOX_WEBHOOK_RETRY_SECONDS")) * attempt)
    logger.warning("Sandbox %s webhook to %s not delivered after %s attempts", provider.key, url, attempts)
    return False
