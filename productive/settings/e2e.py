"""The django-q2 worker of the end-to-end tests (tests/e2e/conftest.py starts `manage.py qcluster` with it).

Same as the test settings (keys, hashers, providers) except: a real cluster (not sync) on the web process's broker
with a short poll, the test database the live server uses (E2E_DATABASE_NAME), and Xero pointed at the sandbox the live
server serves (E2E_SITE_URL).
"""

import os

from .sandbox import sandbox_provider_settings
from .test import *  # noqa: F403
from .test import DATABASES, Q_CLUSTER

SITE_URL = os.environ["E2E_SITE_URL"].rstrip("/")
globals().update(sandbox_provider_settings(SITE_URL))

DATABASES["default"]["NAME"] = os.environ["E2E_DATABASE_NAME"]
DATABASES["default"].pop("TEST", None)
DATABASES["default"]["CONN_MAX_AGE"] = 0

# The worker's rows are committed, so its polls wait on several providers at once, and in-flight caps live where
# the deployment would keep them (Redis when REDIS_URL is set, else PostgreSQL, else the process).
INTEGRATIONS_POLL_THREADS = 4
INTEGRATIONS_CONCURRENCY_BACKEND = "auto"

# The broker is the web process's: the ORM's OrmQ table, or Redis when REDIS_URL is set (CI's scale-out run: two
# qcluster processes on PostgreSQL). The queue name stays the web process's ("productive").
Q_CLUSTER = {
    **Q_CLUSTER,
    "sync": False,
    "workers": 1,
    "poll": 0.1,  # ORM broker: how often an idle worker looks for queued tasks
    "timeout": 60,
    "retry": 90,
    "max_attempts": 1,
}
