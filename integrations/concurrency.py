"""At most N calls in flight toward one provider tenant, across every thread, worker and host.

Xero answers a sixth concurrent call to one organisation with a 429 (5 in flight per tenant), QuickBooks an
eleventh per realm. A poll cycle running threads on several workers would meet that limit, so each call takes a
slot for its tenant first (`tenant_slot`) and gives it back when the answer is in.

Where the slots live (`INTEGRATIONS_CONCURRENCY_BACKEND`, "auto" by default):
- "redis" (auto when REDIS_URL is set): a sorted set per tenant, one member per call in flight, scored by its
  expiry; an atomic script takes a slot only while fewer than N unexpired members exist, so a killed worker's
  slot frees itself after INTEGRATIONS_TENANT_SLOT_TTL_SECONDS. Works across hosts.
- "postgres" (auto on PostgreSQL without Redis): session advisory locks, one lock id per (tenant, slot). The
  database releases them when a connection dies. Works across hosts that share the database (not behind a
  transaction-pooling proxy, which would hand the session to someone else).
- "local" (auto on SQLite): a semaphore per tenant in this process. SQLite is one host and its worker processes do
  not share the semaphore; it is the development setting.
A call that finds every slot taken waits up to INTEGRATIONS_TENANT_SLOT_WAIT_SECONDS, then is throttled (it is
retried like any 429), never sent over the limit.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from contextlib import contextmanager
from functools import cache

from django.conf import settings
from django.db import connection as db_connection

from .exceptions import ThrottledError

POLL_INTERVAL = 0.02  # seconds between two tries for a slot


def backend_name() -> str:
    name = settings.INTEGRATIONS_CONCURRENCY_BACKEND
    if name != "auto":
        return name
    if settings.REDIS_URL:
        return "redis"
    if db_connection.vendor == "postgresql":
        return "postgres"
    return "local"


@contextmanager
def tenant_slot(tenant_key: str, limit: int | None, *, service_name: str = "The provider"):
    """Hold one of `limit` slots of `tenant_key` for the block; no limit, no slot."""
    if not limit:
        yield
        return
    backend = _backends()[backend_name()]
    deadline = time.monotonic() + settings.INTEGRATIONS_TENANT_SLOT_WAIT_SECONDS
    while True:
        token = backend.acquire(tenant_key, limit)
        if token is not None:
            break
        if time.monotonic() >= deadline:
            raise ThrottledError(
                f"{service_name} already has {limit} calls in flight for this connection; this one waits.",
                retry_after=1,
            )
        time.sleep(POLL_INTERVAL)
    try:
        yield
    finally:
        backend.release(tenant_key, token)


def slots_in_use(tenant_key: str) -> int:
    """How many calls hold a slot of `tenant_key` now (tests, the bench)."""
    return _backends()[backend_name()].in_use(tenant_key)


class LocalSlots:
    def __init__(self):
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}

    def acquire(self, key: str, limit: int):
        with self._lock:
            if self._held.get(key, 0) >= limit:
                return None
            self._held[key] = self._held.get(key, 0) + 1
            return key

    def release(self, key: str, token) -> None:
        with self._lock:
            self._held[key] -= 1

    def in_use(self, key: str) -> int:
        with self._lock:
            return self._held.get(key, 0)


def _lock_ids(key: str, slot: int) -> tuple[int, int]:
    """Two signed 32-bit ints for pg_try_advisory_lock(int, int): the tenant's hash and the slot number."""
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)
    return digest, slot


class PostgresSlots:
    """Session advisory locks are re-entrant (a session can take its own lock again), so the slots this thread's
    session holds are remembered and skipped: a nested call of the same thread takes another slot."""

    def __init__(self):
        self._held = threading.local()

    def _mine(self) -> set:
        if not hasattr(self._held, "slots"):
            self._held.slots = set()
        return self._held.slots

    def acquire(self, key: str, limit: int):
        mine = self._mine()
        with db_connection.cursor() as cursor:
            for slot in range(limit):
                if (key, slot) in mine:
                    continue
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", _lock_ids(key, slot))
                if cursor.fetchone()[0]:
                    mine.add((key, slot))
                    return slot
        return None

    def release(self, key: str, token) -> None:
        self._mine().discard((key, token))
        with db_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", _lock_ids(key, token))

    def in_use(self, key: str) -> int:
        first, _ = _lock_ids(key, 0)
        with db_connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %s AND granted",
                [first & 0xFFFFFFFF],
            )
            return cursor.fetchone()[0]


# KEYS[1] the tenant's set; ARGV: now, expiry of the new member, limit, member. Expired members (calls of a worker
# that died) are dropped first, so their slots come back.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('EXPIRE', KEYS[1], math.ceil(ARGV[2] - ARGV[1]) + 1)
  return 1
end
return 0
"""


class RedisSlots:
    def __init__(self):
        import redis

        self._redis = redis.Redis.from_url(settings.REDIS_URL)
        self._acquire = self._redis.register_script(_ACQUIRE)

    @staticmethod
    def _key(key: str) -> str:
        return f"productive:tenant-slots:{key}"

    def acquire(self, key: str, limit: int):
        now = time.time()
        member = uuid.uuid4().hex
        ttl = settings.INTEGRATIONS_TENANT_SLOT_TTL_SECONDS
        if self._acquire(keys=[self._key(key)], args=[now, now + ttl, limit, member]):
            return member
        return None

    def release(self, key: str, token) -> None:
        self._redis.zrem(self._key(key), token)

    def in_use(self, key: str) -> int:
        return self._redis.zcount(self._key(key), time.time(), "+inf")


@cache
def _backends() -> dict:
    return _LazyBackends()


class _LazyBackends(dict):
    """Each backend is built on first use (Redis only when asked for)."""

    factories = {"local": LocalSlots, "postgres": PostgresSlots, "redis": RedisSlots}

    def __missing__(self, name):
        backend = self[name] = self.factories[name]()
        return backend
