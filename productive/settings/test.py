from .base import *  # noqa: F403
from .base import Q_CLUSTER

DEBUG = False
SECRET_KEY = "test-only-key"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
ACCOUNT_RATE_LIMITS = {"login_failed": "5/5m/ip,5/5m/key"}

# Unit tests talk to the providers' real URLs, intercepted by `responses`; end-to-end tests point the same
# settings at the sandbox served by the live server (productive.settings.sandbox).
SANDBOX_PROVIDERS = True
XERO_CLIENT_ID = "test-xero-client-id"
XERO_CLIENT_SECRET = "test-xero-client-secret"
