"""Calls in flight per provider tenant stay under the provider's cap, across threads, on every backend: the
process (SQLite), PostgreSQL advisory locks, Redis. Real HTTP to a stand-in that counts calls in flight."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection

from integrations import concurrency
from integrations.concurrency import slots_in_use, tenant_slot
from integrations.exceptions import ThrottledError
from integrations.http import ApiClient
from integrations.models import Connection

from .slow_xero import SlowXero

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"


def redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


class CappedClient(ApiClient):
    service_name = "The stand-in"
    concurrent_calls_per_tenant = 3

    def __init__(self, api_url: str, tenant: str):
        super().__init__(connection=Connection(provider="xero", remote_tenant_id=tenant), retries=0)
        self.base_url = api_url

    def auth_headers(self) -> dict:
        return {"xero-tenant-id": self.connection.remote_tenant_id}


class UncappedClient(CappedClient):
    concurrent_calls_per_tenant = None


def call_from_threads(client_class, stub: SlowXero, tenants: list[str], calls_each: int) -> None:
    def one(tenant: str) -> None:
        try:
            client_class(stub.api_url, tenant).request("GET", "Payments")
        finally:
            db_connection.close()  # each pool thread's own connection (the advisory locks live on it)

    work = [tenant for tenant in tenants for _ in range(calls_each)]
    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        list(pool.map(one, work))


@pytest.fixture(params=["local", "postgres", "redis"])
def backend(request, settings):
    name = request.param
    if name == "postgres":
        request.getfixturevalue("transactional_db")
        if db_connection.vendor != "postgresql":
            pytest.skip("advisory locks are PostgreSQL's; SQLite keeps its slots in the process")
    if name == "redis":
        if not redis_reachable():
            pytest.skip(f"no Redis at {REDIS_TEST_URL}")
        settings.REDIS_URL = REDIS_TEST_URL
        concurrency._backends.cache_clear()
    settings.INTEGRATIONS_CONCURRENCY_BACKEND = name
    yield name
    concurrency._backends.cache_clear()


def test_calls_toward_one_tenant_never_exceed_its_cap(backend):
    with SlowXero(delay=0.15) as stub:
        call_from_threads(CappedClient, stub, ["tenant-a", "tenant-b"], calls_each=6)

    assert stub.calls == 12  # every call was made, none refused
    assert stub.most_in_flight == {"tenant-a": 3, "tenant-b": 3}  # each tenant its own 3 slots, both used at once
    assert slots_in_use("xero:tenant-a") == 0 and slots_in_use("xero:tenant-b") == 0  # all given back


def test_without_a_cap_the_same_calls_pile_up():
    """The baseline the cap is measured against: the same 6 threads put all 6 calls in flight at once."""
    with SlowXero(delay=0.15) as stub:
        call_from_threads(UncappedClient, stub, ["tenant-a"], calls_each=6)

    assert stub.most_in_flight["tenant-a"] == 6


def test_a_call_that_finds_no_slot_in_time_is_throttled_not_sent(backend, settings):
    settings.INTEGRATIONS_TENANT_SLOT_WAIT_SECONDS = 0.1
    with SlowXero(delay=0) as stub:
        client = CappedClient(stub.api_url, "tenant-a")
        with tenant_slot("xero:tenant-a", 3), tenant_slot("xero:tenant-a", 3), tenant_slot("xero:tenant-a", 3):
            with pytest.raises(ThrottledError) as raised:
                client.request("GET", "Payments")
        assert stub.calls == 0
        assert "already has 3 calls in flight" in str(raised.value) and raised.value.retry_after == 1

        client.request("GET", "Payments")  # the slots came back
        assert stub.calls == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_slots_of_a_dead_connection_come_back(settings):
    if db_connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    settings.INTEGRATIONS_CONCURRENCY_BACKEND = "postgres"

    def die_holding_a_slot():
        backend = concurrency.PostgresSlots()
        assert backend.acquire("xero:tenant-a", 1) == 0
        db_connection.close()  # a worker killed mid-call: its session and its locks end

    ThreadPoolExecutor(1).submit(die_holding_a_slot).result()

    with tenant_slot("xero:tenant-a", 1):
        assert slots_in_use("xero:tenant-a") == 1


def test_redis_slot_of_a_killed_worker_expires(settings):
    if not redis_reachable():
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    settings.REDIS_URL = REDIS_TEST_URL
    settings.INTEGRATIONS_TENANT_SLOT_TTL_SECONDS = 1
    backend = concurrency.RedisSlots()
    key = f"test-expiry-{time.time_ns()}"
    assert backend.acquire(key, 1) is not None  # never released: the worker died
    assert backend.acquire(key, 1) is None

    time.sleep(1.1)

    assert backend.acquire(key, 1) is not None
