"""A provider's error budget: how many refused calls it tolerates per connection and endpoint before it blocks.

Exact Online blocks the API key for an hour after more than 10 errors (400, 401, 403, 404) per user, division and
endpoint within an hour. A client declaring `error_budget = ErrorBudget(...)` (integrations/http.py) counts every
answer of a counted status per (connection, endpoint) and, before a call, refuses an endpoint whose budget is spent
down to `keep_in_hand`: a ThrottledError (problem "error-budget") until the oldest counted error leaves the window,
so the caller pauses the connection instead of spending the last errors and getting the key blocked.

The endpoint is the path template below the client's base URL: OData keys, id segments and the query go, so
`crm/Accounts(guid'…')` and `crm/Accounts?$filter=…` are one endpoint, as the provider counts them.

Where the counts live (INTEGRATIONS_ERROR_BUDGET_STORE, "auto" by default): Django's cache when every process
shares it (Redis when REDIS_URL is set; a per-process or per-host cache never is), else the database
(ErrorBudgetHit). Both are shared by every worker and host.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from .exceptions import ThrottledError

PROBLEM = "error-budget"  # ThrottledError.problem of a refusal
CACHE_BUCKET_SECONDS = 60
_PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",  # one host's disk, not every host's
    }
)
_ODATA_KEY = re.compile(r"\([^)]*\)")  # (guid'…'), (42), ('code')
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", re.IGNORECASE)


@dataclass(frozen=True)
class ErrorBudget:
    """At most `errors` answers of `statuses` per connection and endpoint in any `per_seconds`; the client stops
    calling an endpoint while fewer than `keep_in_hand` + 1 are left (kept for concurrent workers' calls already
    on their way)."""

    errors: int
    per_seconds: int
    statuses: frozenset[int]
    keep_in_hand: int = 0

    @property
    def usable(self) -> int:
        return max(1, self.errors - self.keep_in_hand)


def endpoint_of(url: str, base_url: str = "") -> str:
    """The endpoint a call counts against: its path below `base_url`, without keys, ids or the query."""
    path = urlsplit(url).path
    base = urlsplit(base_url).path.rstrip("/") if base_url else ""
    if base and path.startswith(f"{base}/"):
        path = path[len(base) + 1 :]
    segments = (_ODATA_KEY.sub("", segment) for segment in path.strip("/").split("/"))
    return "/".join(segment for segment in segments if segment and not _ID_SEGMENT.match(segment))


# --- the stores: per (scope, endpoint), when each counted error leaves the window --------------------------------


class DatabaseStore:
    """One ErrorBudgetHit row per counted answer; rows out of the window are pruned on the next write."""

    def record(self, scope: int, endpoint: str, now: float, budget: ErrorBudget) -> None:
        from .models import ErrorBudgetHit

        hits = ErrorBudgetHit.objects.filter(connection_id=scope, endpoint=endpoint)
        hits.filter(at__lte=_moment(now - budget.per_seconds)).delete()
        ErrorBudgetHit.objects.create(connection_id=scope, endpoint=endpoint, at=_moment(now))

    def leaving(self, scope: int, endpoint: str, now: float, budget: ErrorBudget) -> list[float]:
        from .models import ErrorBudgetHit

        since = _moment(now - budget.per_seconds)
        ats = ErrorBudgetHit.objects.filter(connection_id=scope, endpoint=endpoint, at__gt=since).values_list(
            "at", flat=True
        )
        return sorted(at.timestamp() + budget.per_seconds for at in ats)


class CacheStore:
    """A counter per minute bucket (`incr` is atomic on Redis and memcached); a bucket's errors count as made at
    its end, so the window is never under-read."""

    @staticmethod
    def _key(scope: int, endpoint: str, bucket: int) -> str:
        digest = hashlib.blake2b(endpoint.encode(), digest_size=8).hexdigest()
        return f"productive:error-budget:{scope}:{digest}:{bucket}"

    def record(self, scope: int, endpoint: str, now: float, budget: ErrorBudget) -> None:
        key = self._key(scope, endpoint, int(now // CACHE_BUCKET_SECONDS))
        timeout = budget.per_seconds + 2 * CACHE_BUCKET_SECONDS
        cache.add(key, 0, timeout=timeout)
        try:
            cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=timeout)

    def leaving(self, scope: int, endpoint: str, now: float, budget: ErrorBudget) -> list[float]:
        last = int(now // CACHE_BUCKET_SECONDS)
        first = int((now - budget.per_seconds) // CACHE_BUCKET_SECONDS)
        keys = {self._key(scope, endpoint, bucket): bucket for bucket in range(first, last + 1)}
        found = cache.get_many(list(keys))
        times = []
        for key, count in found.items():
            leaves = (keys[key] + 1) * CACHE_BUCKET_SECONDS + budget.per_seconds
            if leaves > now:
                times += [float(leaves)] * int(count)
        return sorted(times)


def store_name() -> str:
    name = settings.INTEGRATIONS_ERROR_BUDGET_STORE
    if name != "auto":
        return name
    return "database" if settings.CACHES["default"]["BACKEND"] in _PROCESS_LOCAL_CACHES else "cache"


def _store():
    return CacheStore() if store_name() == "cache" else DatabaseStore()


def _moment(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def _span(seconds: int) -> str:
    if seconds == 3600:
        return "an hour"
    if seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    return f"{math.ceil(seconds / 60)} minutes"


# --- what the client base calls -----------------------------------------------------------------------------------


def error_budget_record(scope: int, endpoint: str, budget: ErrorBudget, *, now: float) -> None:
    """Count one answer of a counted status of `scope` (a connection's pk) on `endpoint` (any case)."""
    _store().record(scope, endpoint.lower(), now, budget)


def error_budget_spent(scope: int, endpoint: str, budget: ErrorBudget, *, now: float) -> int:
    """How many counted answers `endpoint` got within the window (tests, the sandbox comparison)."""
    return len(_store().leaving(scope, endpoint.lower(), now, budget))


def error_budget_refuse_if_spent(
    scope: int, endpoint: str, budget: ErrorBudget, *, now: float, service_name: str
) -> None:
    """Raise ThrottledError when `endpoint` has `budget.usable` counted errors in the window: until enough of them
    have left it that one call is allowed again."""
    leaving = _store().leaving(scope, endpoint.lower(), now, budget)
    if len(leaving) < budget.usable:
        return
    frees_at = leaving[len(leaving) - budget.usable]
    retry_after = max(1, math.ceil(frees_at - now))
    raise ThrottledError(
        f"{service_name} blocks a connection after {budget.errors} error answers from one endpoint within "
        f"{_span(budget.per_seconds)}, and {endpoint} has given {len(leaving)}: it is not called again until "
        f"{_moment(now + retry_after):%H:%M} UTC (nothing was sent).",
        retry_after=retry_after,
        problem=PROBLEM,
    )


def error_budget_before_call(client, url: str) -> str:
    """Before one HTTP attempt of an ApiClient: the endpoint it counts against ("" when the client keeps no budget
    or has no saved connection), after refusing it if its budget is spent."""
    budget, connection = client.error_budget, client.connection
    if budget is None or connection is None or connection.pk is None:
        return ""
    endpoint = endpoint_of(url, client.base_url)
    if endpoint:
        error_budget_refuse_if_spent(
            connection.pk, endpoint, budget, now=client.clock(), service_name=client.service_name
        )
    return endpoint
