"""Production settings: `check --deploy` is clean, and the app refuses to start without a real SECRET_KEY.

Each case runs manage.py in a subprocess so that productive.settings.prod is imported fresh, exactly as
gunicorn or a worker would import it.
"""

import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from productive.settings.integrations import DEV_ENCRYPTION_KEY

MANAGE = str(settings.BASE_DIR / "manage.py")
SECRET_VARIABLES = (
    "SECRET_KEY",
    "SECRET_KEY_FILE",
    "INTEGRATIONS_ENCRYPTION_KEYS",
    "INTEGRATIONS_ENCRYPTION_KEYS_FILE",
)


def run_manage(*args, **env_overrides):
    env = {key: value for key, value in os.environ.items() if key not in SECRET_VARIABLES}
    env.pop("DEBUG", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by tests/conftest.py for Playwright; never in production
    env["DJANGO_SETTINGS_MODULE"] = "productive.settings.prod"
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def real_secrets():
    return {
        "SECRET_KEY": secrets.token_urlsafe(64),
        "INTEGRATIONS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    }


def test_check_deploy_passes_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **real_secrets())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_prod_settings_turn_off_debug_and_the_sandboxes():
    code = "from django.conf import settings as s; print(s.DEBUG, s.SANDBOX_PROVIDERS, s.SESSION_COOKIE_SECURE)"
    result = run_manage("shell", "--no-imports", "-c", code, **real_secrets())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "True"]


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("short-but-random-Zq8", id="too-short"),
        pytest.param("dev-only-insecure-key-do-not-use-in-production-" + "x" * 20, id="dev-default"),
        pytest.param("django-insecure-" + "y" * 50, id="startproject-default"),
    ],
)
def test_prod_refuses_to_start_without_a_real_secret_key(secret_key):
    overrides = {"INTEGRATIONS_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    if secret_key is not None:
        overrides["SECRET_KEY"] = secret_key
    result = run_manage("check", **overrides)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(None, id="missing (falls back to the public development key)"),
        pytest.param(DEV_ENCRYPTION_KEY, id="development-key"),
        pytest.param("not-a-fernet-key", id="invalid"),
        pytest.param(f"{Fernet.generate_key().decode()},{DEV_ENCRYPTION_KEY}", id="dev-as-old"),
    ],
)
def test_prod_refuses_to_start_without_real_encryption_keys(keys):
    overrides = {"SECRET_KEY": secrets.token_urlsafe(64)}
    if keys is not None:
        overrides["INTEGRATIONS_ENCRYPTION_KEYS"] = keys
    result = run_manage("check", **overrides)
    assert result.returncode != 0
    assert "INTEGRATIONS_ENCRYPTION_KEYS" in result.stderr


def test_several_real_encryption_keys_are_accepted():
    keys = ",".join(Fernet.generate_key().decode() for _ in range(2))
    result = run_manage("check", SECRET_KEY=secrets.token_urlsafe(64), INTEGRATIONS_ENCRYPTION_KEYS=keys)
    assert result.returncode == 0, result.stderr
