from .base import *  # noqa: F403
from .base import SECRET_KEY, SITE_URL, XERO_CLIENT_ID, env
from .sandbox import SANDBOX_RAW_BODY_PATHS, sandbox_provider_settings

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"

# Without real provider credentials, development talks to the built-in sandbox.
SANDBOX_PROVIDERS = env.bool("SANDBOX_PROVIDERS", default=True)
RAW_BODY_PATHS = SANDBOX_RAW_BODY_PATHS if SANDBOX_PROVIDERS else []
if SANDBOX_PROVIDERS and not XERO_CLIENT_ID:
    globals().update(sandbox_provider_settings(SITE_URL))
