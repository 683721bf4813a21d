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


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("bench/payment_sync.py", ("--invoices", "60", "--changed", "30"), "naive poll of 60 invoices"),
        ("bench/payment_sync.py", ("--idle-after", "0,1,101", "--invoices", "120"), "101"),
        ("bench/pages.py", ("--invoices", "40", "--runs", "1"), "admin"),
        ("bench/bulk_copy.py", ("--invoices", "8"), "one by one"),
        ("bench/bulk_copy.py", ("--bills", "--invoices", "8"), "the idle poll after it: 1."),
    ],
    ids=["payment-sync", "payment-sync-idle-after", "pages", "bulk-copy", "bulk-copy-bills"],
)
def test_bench_runs(script, args, expected):
    assert expected in run_bench(script, *args)
