"""The benchmarks in bench/ still run end to end (at a small size): a bench that crashes measures nothing, and
nobody notices until the figures are needed. Each runs in its own process on its own scratch database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bench(*args: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


# One entry per bench, each naming itself: branches adding benches add lines, never edit a shared ids list.
BENCHES = [
    pytest.param(
        "bench/payment_sync.py", ("--invoices", "60", "--changed", "30"), "naive poll of 60", id="payment-sync"
    ),
    pytest.param(
        "bench/payment_sync.py", ("--idle-after", "0,1,101", "--invoices", "120"), "101", id="payment-sync-idle-after"
    ),
    pytest.param("bench/pages.py", ("--invoices", "40", "--runs", "1"), "admin", id="pages"),
    pytest.param("bench/bulk_copy.py", ("--invoices", "8"), "one by one", id="bulk-copy"),
    pytest.param("bench/bulk_insert.py", ("--rows", "50", "--rounds", "1"), "bulk_create (baseline)", id="bulk-insert"),
    pytest.param(
        "bench/poll_cycle.py",
        ("--connections", "12", "--baseline-connections", "3", "--latency", "0.02"),
        "projected",
        id="poll-cycle",
    ),
    pytest.param(
        "bench/reconciliation.py", ("--invoices", "120", "--drift", "8"), "one per invoice", id="reconciliation"
    ),
    pytest.param("bench/activity.py", ("--entries", "1200", "--runs", "1"), "admin changelist", id="activity"),
    pytest.param(
        "bench/economic_poll.py", ("--invoices", "60", "--open", "12"), "ceil(12/200) = 1 calls", id="economic-poll"
    ),
    pytest.param(
        "bench/quickbooks.py",
        ("--invoices", "40", "--changed", "20", "--bulk", "6"),
        "naive poll of 40 invoices",
        id="quickbooks",
    ),
    pytest.param(
        "bench/exact.py",
        ("--invoices", "40", "--changed", "20", "--bulk", "25"),
        "naive poll of 40 invoices",
        id="exact",
    ),
    pytest.param(
        "bench/bulk_copy.py", ("--bills", "--invoices", "8"), "the idle poll after it: 1.", id="bulk-copy-bills"
    ),
]


@pytest.mark.parametrize(("script", "args", "expected"), BENCHES)
def test_bench_runs(script, args, expected):
    assert expected in run_bench(script, *args)
