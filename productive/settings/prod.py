"""Production: the same settings as base, hardened; refuses to start without real secrets."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env
from .integrations import DEV_ENCRYPTION_KEY, INTEGRATIONS_ENCRYPTION_KEYS

DEBUG = False
SANDBOX_PROVIDERS = False  # the provider sandboxes never run in production
if not SECRET_KEY or SECRET_KEY.startswith(("dev-", "test-", "django-insecure")) or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY (50+ random characters) in the environment for production.")
# Provider tokens are encrypted with these keys; the development key is public, so it must not even decrypt.
if not INTEGRATIONS_ENCRYPTION_KEYS or DEV_ENCRYPTION_KEY in INTEGRATIONS_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "Set INTEGRATIONS_ENCRYPTION_KEYS (comma-separated Fernet keys, not the development key) for production."
    )
for _key in INTEGRATIONS_ENCRYPTION_KEYS:
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured("INTEGRATIONS_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from None

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
