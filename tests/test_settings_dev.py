"""Development settings: every provider without real credentials talks to the built-in sandbox, and one with real
credentials keeps them (real QuickBooks keys beside the Xero sandbox, and the other way round)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings

CODE = (
    "from django.conf import settings as s; "
    "print(s.XERO_CLIENT_ID, s.XERO_USES_SANDBOX, s.QUICKBOOKS_CLIENT_ID, s.QUICKBOOKS_USES_SANDBOX, "
    "s.QUICKBOOKS_API_URL)"
)


def dev_settings(**env_overrides) -> list[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XERO_", "QUICKBOOKS_"))}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(DJANGO_SETTINGS_MODULE="productive.settings.dev", SITE_URL="http://127.0.0.1:8000", **env_overrides)
    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "--no-imports", "-c", CODE],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        pytest.param(
            {},
            [
                "sandbox-xero-client",
                "True",
                "sandbox-quickbooks-client",
                "True",
                "http://127.0.0.1:8000/sandbox/quickbooks/v3",
            ],
            id="no credentials: both on the sandbox",
        ),
        pytest.param(
            {"QUICKBOOKS_CLIENT_ID": "real-qbo-id"},
            ["sandbox-xero-client", "True", "real-qbo-id", "False", "https://quickbooks.api.intuit.com/v3"],
            id="real QuickBooks, Xero on the sandbox",
        ),
        pytest.param(
            {"XERO_CLIENT_ID": "real-xero-id"},
            [
                "real-xero-id",
                "False",
                "sandbox-quickbooks-client",
                "True",
                "http://127.0.0.1:8000/sandbox/quickbooks/v3",
            ],
            id="real Xero, QuickBooks on the sandbox",
        ),
    ],
)
def test_each_provider_without_credentials_uses_the_sandbox(env, expected):
    assert dev_settings(**env) == expected
