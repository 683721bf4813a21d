from .base import *  # noqa: F403
from .base import SECRET_KEY, SITE_URL, env
from .sandbox import SANDBOX_RAW_BODY_PATHS, sandbox_provider_settings

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-do-not-use-in-production"

# Without real provider credentials, development talks to the built-in sandbox: each provider whose client id
# (XERO_CLIENT_ID, QUICKBOOKS_CLIENT_ID, …) is not set gets the sandbox's settings; one set up for real keeps its own.
SANDBOX_PROVIDERS = env.bool("SANDBOX_PROVIDERS", default=True)
RAW_BODY_PATHS = SANDBOX_RAW_BODY_PATHS if SANDBOX_PROVIDERS else []
if SANDBOX_PROVIDERS:
    _sandbox = sandbox_provider_settings(SITE_URL)
    _credentials = ("_CLIENT_ID", "_APP_PUBLIC_TOKEN")  # OAuth apps; e-conomic's app token
    _real = {name.split("_", 1)[0] for name in _sandbox if name.endswith(_credentials) and globals().get(name)}
    globals().update({name: value for name, value in _sandbox.items() if name.split("_", 1)[0] not in _real})
