import os
import tempfile

from .base import *  # noqa: F403
from .base import Q_CLUSTER
from .sandbox import SANDBOX_RAW_BODY_PATHS

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
# Each process keeps its own cache, also when REDIS_URL points the broker at Redis: no test sees another's entries.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}

# Unit tests talk to the providers' real URLs, intercepted by `responses`; end-to-end tests point the same
# settings at the sandbox served by the live server (productive.settings.sandbox).
SANDBOX_PROVIDERS = True
SANDBOX_WEBHOOK_DELIVERY = "inline"  # a test reads what was delivered right after the action
RAW_BODY_PATHS = SANDBOX_RAW_BODY_PATHS
XERO_CLIENT_ID = "test-xero-client-id"
XERO_CLIENT_SECRET = "test-xero-client-secret"

# A file, not SQLite's in-memory default: the end-to-end tests' django-q2 worker is another process and must open
# the same test database (one file per pytest process, so parallel runs never share one). PostgreSQL ignores it
# (the worker connects to test_<name> by name).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"productive-test-{os.getpid()}.sqlite3")
    }

# Tests never run collectstatic: WhiteNoise finds files through the finders instead of STATIC_ROOT.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# A test holds its rows in an open transaction that a poll's pool threads could not see, so polls run their
# connections one after another here; tests/integrations/test_poll_cycle.py runs the threads on committed rows.
# In-flight caps are held in the process unless a test picks a backend (tests/integrations/test_concurrency.py).
INTEGRATIONS_POLL_THREADS = 1
INTEGRATIONS_CONCURRENCY_BACKEND = "local"
