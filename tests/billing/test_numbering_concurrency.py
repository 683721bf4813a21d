"""Invoice numbers: consecutive per subsidiary, never shared, even when many finalizations race."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from billing.models import Invoice
from billing.services import invoice_finalize
from tests.factories import CompanyFactory, SubsidiaryFactory, make_invoice

THREADS = 20


def _drafts(count, prefix="NUM-", start=1):
    subsidiary = SubsidiaryFactory(invoice_number_prefix=prefix, next_invoice_number=start)
    company = CompanyFactory(organization=subsidiary.organization)
    return subsidiary, [make_invoice(subsidiary=subsidiary, company=company) for _ in range(count)]


@pytest.mark.django_db
def test_sequential_finalizations_get_consecutive_numbers():
    subsidiary, drafts = _drafts(5, prefix="SEQ-", start=7)
    numbers = [invoice_finalize(invoice=draft).number for draft in drafts]
    assert numbers == ["SEQ-0007", "SEQ-0008", "SEQ-0009", "SEQ-0010", "SEQ-0011"]
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_finalizations_get_distinct_consecutive_numbers():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes all writers, so there is no race to test")
    subsidiary, drafts = _drafts(THREADS, prefix="RACE-", start=100)
    barrier = threading.Barrier(THREADS)

    def finalize(invoice_id):
        try:
            barrier.wait(timeout=30)  # all threads hit the database at the same moment
            return invoice_finalize(invoice=Invoice(pk=invoice_id)).number
        finally:
            connections.close_all()  # each thread has its own connection; don't leak them

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        numbers = list(pool.map(finalize, [draft.pk for draft in drafts]))

    expected = [f"RACE-{n:04d}" for n in range(100, 100 + THREADS)]
    assert sorted(numbers) == expected
    stored = sorted(Invoice.objects.filter(subsidiary=subsidiary).values_list("number", flat=True))
    assert stored == expected
    subsidiary.refresh_from_db()
    assert subsidiary.next_invoice_number == 100 + THREADS
