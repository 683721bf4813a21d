"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Fixtures: `browser` (one Chromium per session), `browser_page` (a fresh context and page per test, screenshot
into artifacts/ when the test fails), `live_url` (the live server's base URL; the test database is
transactional so the server thread sees the test's rows) and `login(page, email, password)` (a fixture).
Without /usr/bin/chromium (or $CHROMIUM_PATH) the browser tests skip, except in CI (CI=true) where they fail.
Tests in folders below this one (e.g. end-to-end suites) get these fixtures too.
"""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"
TIMEOUT_MS = 15_000


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell, at teardown, whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = (
            f"Chromium not found at {CHROMIUM}: install Debian's chromium "
            "(`make chromium` or `apt-get install chromium`) to run the browser tests."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    # One Playwright per process: conftests beside this folder (tests/e2e/) re-export this fixture, and pytest
    # makes one session fixture per conftest; two sync Playwrights cannot run in one thread.
    if not _shared:
        _shared["playwright"] = sync_playwright().start()
        _shared["browser"] = _shared["playwright"].chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
    _shared["users"] = _shared.get("users", 0) + 1
    yield _shared["browser"]
    _shared["users"] -= 1
    if not _shared["users"]:
        _shared.pop("browser").close()
        _shared.pop("playwright").stop()
        _shared.clear()


_shared: dict = {}


@pytest.fixture
def live_url(live_server, transactional_db):
    return live_server.url


@pytest.fixture
def browser_page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    """Sign in through the real login form and wait until the app has taken us past it."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def login(live_url):
    """`login(page, email, password)`: log in on the live server through the real form."""

    def login(page: Page, email: str, password: str) -> None:
        log_in(page, live_url, email, password)

    return login
