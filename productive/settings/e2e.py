"""The django-q2 worker of the end-to-end tests (tests/e2e/conftest.py starts `manage.py qcluster` with it).

Same as the test settings (keys, hashers, providers) except: a real cluster (not sync) on the ORM broker with a
short poll, the test database the live server uses (E2E_DATABASE_NAME), and Xero pointed at the sandbox the live
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

Q_CLUSTER = {
    **{key: value for key, value in Q_CLUSTER.items() if key != "redis"},
    "sync": False,  # the queue name stays the web process's ("productive"): both sides use one OrmQ list
    "orm": "default",
    "workers": 1,
    "poll": 0.1,  # ORM broker: how often an idle worker looks for queued tasks
    "timeout": 60,
    "retry": 90,
    "max_attempts": 1,
}
