"""The one HTTP client base every provider client builds on.

- timeouts from settings on every request;
- bounded retries (INTEGRATIONS_HTTP_RETRIES) with exponential backoff and full jitter, only for requests that
  are safe to repeat: reads, and writes that carry an idempotency key the provider honours (the client's
  `idempotency` declaration: a header, a query parameter, or none — then a write is never retried blindly and
  the caller looks the record up before writing again); the sleep is injectable for tests;
- a 429's wait is read by an overridable hook (`throttle_from`; default Retry-After);
- pacing before a limit: a provider that announces its budget on every answer (Exact's X-RateLimit-* headers)
  reads it in `rate_windows(response)`; before the next call of that client, a window with no call left (beyond
  `pace_reserve`) is waited out in-process when it resets within `pace_max_sleep` seconds, else the call is
  refused as a ThrottledError until its reset, without being sent;
- an error budget: a provider that blocks a connection after too many error answers per endpoint (Exact: 10
  an hour) declares `error_budget`; answers of its counted statuses are counted per connection and endpoint in a
  store every worker shares, and an endpoint spent down to `keep_in_hand` is refused as a ThrottledError, unsent,
  until the window frees a call (integrations/error_budget.py);
- answers are JSON unless a request asks for bytes or text (`expect=`, e.g. a PDF);
- every failure mapped to integrations.exceptions (see there): the provider's own words, verbatim, when it sent
  them in its documented error shape (each provider's `error_messages`), else a short summary with the HTTP
  status; the raw body (an HTML error page, say) is kept trimmed on the exception and in the write log's
  `provider_response` for support, never in a message a user reads;
- `.calls` counts HTTP attempts (SyncRun.api_calls, benchmarks);
- every write (POST/PUT/PATCH/DELETE) made for a connection leaves a SyncLogEntry with its outcome;
- logs method, path and status only: never headers, bodies or tokens.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from urllib.parse import urlsplit

import requests
from django.conf import settings

from .concurrency import tenant_slot
from .error_budget import ErrorBudget, error_budget_before_call, error_budget_record
from .exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from .http_wire import (
    BYTES,
    JSON,
    NO_IDEMPOTENCY,
    TEXT,
    ApiResponse,
    IdempotencyStyle,
    RateWindow,
    dumps_json,
    parse_retry_after,
    raw_body_excerpt,
    status_text,
)

logger = logging.getLogger("integrations.http")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BACKOFF_BASE = 0.5  # seconds
BACKOFF_CAP = 8.0


def backoff_delay(attempt: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)] so retrying clients don't move in lock-step."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))


class ApiClient:
    """Subclasses set `service_name` and `base_url`, and may override the hooks `auth_headers`, `reauthorize`,
    `error_for` and `remote_id_from`."""

    service_name = "The provider"
    base_url = ""
    # How this provider deduplicates repeated writes; none by default, so no write is ever retried blindly.
    idempotency: IdempotencyStyle = NO_IDEMPOTENCY
    # Calls the provider allows in flight per tenant (Xero 5, QuickBooks 10); None = no cap. Held across every
    # thread, worker and host (integrations/concurrency.py).
    concurrent_calls_per_tenant: int | None = None
    # Pacing (rate_windows): calls kept in hand per announced window, and the longest in-process wait for one.
    pace_reserve: int = 0
    pace_max_sleep: float = 65.0
    # Error answers the provider tolerates per connection and endpoint before it blocks (Exact: 10 an hour of
    # 400/401/403/404); None = no budget.
    error_budget: ErrorBudget | None = None

    def __init__(
        self,
        *,
        connection=None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        retries: int | None = None,
        timeout: tuple[float, float] | None = None,
        clock: Callable[[], float] | None = None,
    ):
        self.connection = connection
        self.session = session or requests.Session()
        self.sleep = sleep or time.sleep
        self.clock = clock or time.time
        self.windows: dict[str, RateWindow] = {}  # the budgets the provider announced last
        self.retries = settings.INTEGRATIONS_HTTP_RETRIES if retries is None else retries
        self.timeout = tuple(timeout or settings.INTEGRATIONS_HTTP_TIMEOUT)
        self.calls = 0
        self.run = None  # SyncRun the writes belong to, if any
        self.invoice = None  # invoice the writes are about, if any
        self.document_ids: dict = {}  # the document the writes are about: {"expense_id": 7} (any kind's log field)

    @contextmanager
    def bind(self, *, run=None, invoice=None, expense=None, purchase_order=None):
        """Attach the write log entries made inside the block to a sync run and/or the document they are about (an
        invoice, an expense exported as a bill, a purchase order: SyncLogEntry's document fields)."""
        previous = self.run, self.invoice, self.document_ids
        documents = {"invoice": invoice, "expense": expense, "purchase_order": purchase_order}
        self.run, self.invoice = run, invoice
        self.document_ids = {f"{name}_id": doc.pk for name, doc in documents.items() if doc is not None}
        try:
            yield self
        finally:
            self.run, self.invoice, self.document_ids = previous

    # --- hooks ----------------------------------------------------------------------------------------------

    def auth_headers(self) -> dict:
        return {}

    def reauthorize(self) -> bool:
        """Called once after a 401: get a fresh credential and return True to try again."""
        return False

    def error_messages(self, response: requests.Response) -> list[str]:
        """The provider's own messages, verbatim, read from its documented error shape. Override per provider:
        the base knows no shape, so it returns none and the error says what happened with the HTTP status
        (a raw body is never a message: it may be an HTML error page)."""
        return []

    def error_for(self, response: requests.Response) -> IntegrationError:
        status = response.status_code
        messages = self.error_messages(response)
        joined = "; ".join(messages)
        if status == 400:
            if messages:
                return ProviderValidationError(f"{self.service_name} refused the data.", messages=messages)
            return ProviderValidationError(f"{self.service_name} refused the data ({status_text(status)}).")
        if status in (401, 403):
            return TerminalError(
                f"{self.service_name} no longer accepts this connection's authorisation (HTTP {status}): reconnect it.",
                joined,
                status,
            )
        if status == 404:
            return IntegrationError(f"{self.service_name} could not find that record (HTTP 404).", joined, status)
        return IntegrationError(f"{self.service_name} answered with {status_text(status)}.", joined, status)

    def throttle_from(self, response: requests.Response) -> tuple[int | None, str]:
        """A 429's (seconds to wait, which limit was hit). The default reads Retry-After; a provider with its
        own headers (Xero's X-Rate-Limit-Problem, Exact's X-RateLimit-Reset) overrides this."""
        return parse_retry_after(response.headers.get("Retry-After")), ""

    def rate_windows(self, response: requests.Response) -> list[RateWindow]:
        """The call budgets an answer announces (any status); [] when the provider announces none (the default)."""
        return []

    def validate_response(self, data) -> None:
        """Raise for a 2xx answer to a write that still reports a failure (e.g. per-element validation errors)."""

    def remote_id_from(self, data) -> str:
        return ""

    def tenant_slot(self):
        """One of the tenant's in-flight slots for the call (none without a connection or a cap)."""
        connection = self.connection
        limit = self.concurrent_calls_per_tenant if connection is not None else None
        key = f"{connection.provider}:{connection.remote_tenant_id}" if limit else ""
        return tenant_slot(key, limit, service_name=self.service_name)

    # --- the request loop ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict | None = None,
        json=None,
        data=None,
        headers: dict | None = None,
        auth=None,
        idempotency_key: str = "",
        idempotent: bool | None = None,
        write: bool | None = None,
        action: str = "",
        expect: str = JSON,
    ) -> ApiResponse:
        """`idempotency_key`: sent the way the client's `idempotency` says. `idempotent`: safe to repeat
        (default: reads, and writes carrying a key the provider honours). `write`: changes accounting data, so it
        is logged and an unknown outcome is ambiguous (default: every non-read method; token endpoint calls pass
        False). `expect`: JSON (default), TEXT or BYTES (a PDF): what `ApiResponse.data` holds."""
        method = method.upper()
        is_write = method not in READ_METHODS if write is None else write
        style = self.idempotency
        if idempotency_key and style.supported:
            value = style.value(idempotency_key)
            if style.where == "header":
                headers = {**(headers or {}), style.name: value}
            else:
                params = {**(params or {}), style.name: value}
        if idempotent is None:
            idempotent = not is_write or bool(idempotency_key and style.supported)
        attempts = 1 + max(0, self.retries) if idempotent else 1
        url = self.url(path)
        try:
            response = self._attempts(
                method,
                url,
                attempts,
                is_write,
                params=params,
                json=json,
                data=data,
                headers=headers,
                auth=auth,
                expect=expect,
            )
        except IntegrationError as exc:
            if is_write:
                self._log_write(method, url, action, error=exc)
            raise
        if is_write:
            self._log_write(method, url, action, response=response)
        if self.connection is not None:
            from .connection_state import connection_resume

            connection_resume(self.connection)
        return response

    def _attempts(self, method, url, attempts, is_write, **kwargs) -> ApiResponse:
        reauthorized = False
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, url, is_write, **kwargs)
            except TerminalError as exc:
                if exc.http_status == 401 and not reauthorized and self.reauthorize():
                    reauthorized = True
                    attempt -= 1  # a refreshed credential is not a retry of a failure
                    continue
                raise
            except TransientError:
                if attempt >= attempts:
                    raise
                self.sleep(backoff_delay(attempt))

    def pace(self) -> None:
        """Before a call: wait out (or refuse until its reset) an announced window that has no call left."""
        for window in sorted(self.windows.values(), key=lambda w: w.resets_at, reverse=True):
            if window.remaining > self.pace_reserve:
                continue
            wait = window.resets_at - self.clock()
            if wait <= 0:
                continue
            if wait > self.pace_max_sleep:
                raise ThrottledError(
                    f"{self.service_name} allows no more calls for this connection until its {window.name} limit "
                    "resets: continuing then.",
                    retry_after=max(1, int(wait) + 1),
                    problem=window.name,
                )
            logger.info("pacing: %s limit reached, waiting %.1f s", window.name, wait)
            self.sleep(wait)
        self.windows = {}

    def _note_windows(self, response: requests.Response) -> None:
        try:
            announced = self.rate_windows(response)
        except (TypeError, ValueError):
            announced = []
        self.windows.update({window.name: window for window in announced})

    def _once(self, method, url, is_write, *, params, json, data, headers, auth, expect) -> ApiResponse:
        endpoint = error_budget_before_call(self, url)  # refuses an endpoint whose error budget is spent
        self.pace()
        all_headers = {**self.auth_headers(), **(headers or {})}
        if json is not None:
            data = dumps_json(json).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        path = urlsplit(url).path
        self.calls += 1
        try:
            with self.tenant_slot():
                response = self.session.request(
                    method, url, params=params, data=data, headers=all_headers, auth=auth, timeout=self.timeout
                )
        except requests.exceptions.ConnectTimeout:
            # Nothing was sent: safe to call transient even for a write.
            logger.warning("%s %s: connect timeout", method, path)
            raise TransientError(f"{self.service_name} could not be reached (connection timed out).") from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
            logger.warning("%s %s: %s", method, path, kind)
            error_class = AmbiguousWriteError if is_write else TransientError
            raise error_class(f"{self.service_name} did not answer ({kind}).") from None
        except requests.exceptions.RequestException as exc:
            logger.warning("%s %s: %s", method, path, type(exc).__name__)
            raise TransientError(f"{self.service_name} request failed ({type(exc).__name__}).") from None
        logger.info("%s %s -> %s", method, path, response.status_code)
        self._note_windows(response)
        status = response.status_code
        if endpoint and status in self.error_budget.statuses:
            error_budget_record(self.connection.pk, endpoint, self.error_budget, now=self.clock())
        if status >= 400:
            error = self._http_error(response, is_write)
            error.raw_body = raw_body_excerpt(response)
            raise error
        data = self._decode(response, is_write, expect)
        if is_write:
            self.validate_response(data)
        return ApiResponse(status, dict(response.headers), data)

    def _http_error(self, response: requests.Response, is_write: bool) -> IntegrationError:
        status = response.status_code
        if status == 429:
            retry_after, problem = self.throttle_from(response)
            return ThrottledError(
                f"{self.service_name} is rate limiting this connection (HTTP 429).",
                "; ".join(self.error_messages(response)),
                retry_after=retry_after,
                problem=problem,
            )
        if status >= 500:
            error_class = AmbiguousWriteError if is_write else TransientError
            return error_class(
                f"{self.service_name} had a server error (HTTP {status}).",
                "; ".join(self.error_messages(response)),
                status,
            )
        return self.error_for(response)

    def _decode(self, response: requests.Response, is_write: bool, expect: str = JSON):
        if expect == BYTES:
            return response.content
        if expect == TEXT:
            return response.text
        if not response.content or not response.content.strip():
            return None
        try:
            return response.json()
        except ValueError:
            error_class = AmbiguousWriteError if is_write else TransientError
            raise error_class(
                f"{self.service_name} sent a response that is not valid JSON (HTTP {response.status_code})."
            ) from None

    # --- the write log ---------------------------------------------------------------------------------------

    def _log_write(self, method, url, action, *, response: ApiResponse | None = None, error=None):
        if self.connection is None or self.connection.pk is None:
            return
        from .models import LogLevel
        from .synclog import log

        action = action or f"{method.lower()} {urlsplit(url).path.rsplit('/', 1)[-1]}".strip()
        provider_response = ""
        if error is None:
            level, status = LogLevel.INFO, response.status_code
            message = f"{self.service_name} accepted {method} {urlsplit(url).path} (HTTP {status})."
            remote_id = self.remote_id_from(response.data)
        else:
            # A 429 refused nothing (the call is made again later): a warning, not a failure in the history.
            level = LogLevel.WARNING if isinstance(error, ThrottledError) else LogLevel.ERROR
            status, remote_id = error.http_status, ""
            message = str(error)
            if isinstance(error, ProviderValidationError) and error.messages:
                message = f"{error.message} " + " ".join(error.messages)
            provider_response = error.raw_body
        log(
            organization_id=self.connection.organization_id,
            connection_id=self.connection.pk,
            run=self.run,
            **self.document_ids,
            level=level,
            action=action,
            message=message,
            remote_id=remote_id,
            http_status=status,
            provider_response=provider_response,
            is_http_call=True,
        )
