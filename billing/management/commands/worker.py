"""`manage.py worker`: the django-q2 cluster (`qcluster`), stopped within honcho's grace period.

Why not plain `qcluster`: honcho (`make run`) stops a process by sending SIGTERM to its whole process group and
SIGKILLs it 5 seconds later. The group SIGTERM kills qcluster's sentinel at once, and qcluster's main process then
hangs for good in `stop_event.set()` (a multiprocessing Event waits for the dead sentinel to wake up); honcho's
SIGKILL reaches the main process only, so the cluster's other processes may be left behind.

Here the cluster's processes live in a process group of their own, so a SIGTERM or Ctrl-C reaches this main
process only. It asks the cluster to stop (workers finish their current task) and, if that takes longer than
GRACEFUL_STOP_SECONDS, kills the cluster's group. A task interrupted that way was never acknowledged: the broker
delivers it again after Q_CLUSTER["retry"] seconds (tasks are idempotent).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from multiprocessing import util as multiprocessing_util

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

logger = logging.getLogger(__name__)

HONCHO_GRACE_SECONDS = 5  # honcho.manager.KILL_WAIT
GRACEFUL_STOP_SECONDS = 3  # then the cluster is killed; leaves time to reap it before honcho's SIGKILL
POLL_SECONDS = 0.2


class _OwnProcessGroup:
    """After-fork hook: the cluster's sentinel (a direct child of this process) leads a new process group.

    Its workers, pusher and monitor are forked from the sentinel, so they join the sentinel's group.
    """

    def __init__(self):
        self.parent_pid = os.getpid()

    def __call__(self, _obj):
        if os.getppid() == self.parent_pid:
            os.setpgid(0, 0)


class Command(BaseCommand):
    help = "Run the background task cluster (django-q2); SIGTERM or Ctrl-C stop it within a few seconds."

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018 - qcluster refuses to start without it (task signing)
        hook = _OwnProcessGroup()
        multiprocessing_util.register_after_fork(hook, hook)
        stop_requested = threading.Event()
        cluster = Cluster()  # installs its own SIGTERM/SIGINT handlers; ours replace them
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop_requested.set())
        cluster.start()
        while not stop_requested.wait(POLL_SECONDS):
            if not cluster.sentinel.is_alive():
                logger.error("The task cluster's sentinel exited (code %s); stopping.", cluster.sentinel.exitcode)
                break
        self.stop(cluster)

    def stop(self, cluster: Cluster) -> None:
        sentinel = cluster.sentinel
        # set() blocks forever if the sentinel died while waiting on the event: never block this process on it.
        threading.Thread(target=cluster.stop_event.set, daemon=True).start()
        sentinel.join(GRACEFUL_STOP_SECONDS)
        if sentinel.is_alive():
            logger.warning(
                "The task cluster did not stop within %s s; killing it. Interrupted tasks run again after %s s.",
                GRACEFUL_STOP_SECONDS,
                settings.Q_CLUSTER.get("retry"),
            )
        try:  # also reaps workers left behind by a sentinel that died
            os.killpg(sentinel.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        sentinel.join(HONCHO_GRACE_SECONDS - GRACEFUL_STOP_SECONDS - 1)
        logger.info("The task cluster has stopped.")
