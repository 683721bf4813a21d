"""The Procfile's worker stops by itself within honcho's grace period, as `make run`'s Ctrl-C asks it to.

honcho sends SIGTERM to the worker's whole process group and SIGKILLs the group's leader 5 s later; whatever
is still running then is left behind. The worker runs here exactly as the Procfile says, on its own database,
with a task in progress (the hard case: a worker busy for longer than the grace period).
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from billing.management.commands.worker import HONCHO_GRACE_SECONDS

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60  # a bound for a loaded machine, not an assertion


def procfile_command(name: str) -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        process, _, command = line.partition(":")
        if process.strip() == name:
            args = shlex.split(command)
            return [sys.executable if args[0] == "python" else args[0], *args[1:]]
    raise AssertionError(f"no {name} process in the Procfile")


def session_processes(session_id: int) -> list[int]:
    """Pids whose session is `session_id` (honcho starts each Procfile process in a new session)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if int(fields[3]) == session_id and fields[0] != "Z":
                pids.append(int(entry.name))
    return pids


@pytest.fixture
def worker_env(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "productive.settings.dev",  # as `make run`
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "django_q", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    enqueue = "from django_q.tasks import async_task; async_task('time.sleep', 600)"
    subprocess.run([*manage, "shell", "-c", enqueue], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_worker_stops_within_honchos_grace_period_with_a_task_running(worker_env, tmp_path):
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            procfile_command("worker"),
            cwd=ROOT,
            env=worker_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while "processing" not in log_path.read_text():
            assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)

        os.killpg(worker.pid, signal.SIGTERM)  # what honcho does on Ctrl-C

        try:
            returncode = worker.wait(timeout=HONCHO_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {HONCHO_GRACE_SECONDS} s after SIGTERM:\n{log_path.read_text()[-3000:]}")
        assert returncode == 0, log_path.read_text()[-3000:]
        assert session_processes(worker.pid) == [], "the worker left processes behind"
    finally:
        for pid in session_processes(worker.pid):
            os.kill(pid, signal.SIGKILL)
        if worker.poll() is None:
            worker.kill()
            worker.wait()
