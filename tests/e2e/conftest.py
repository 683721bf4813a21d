"""End-to-end fixtures: the live server serving the app AND the Xero sandbox, a real django-q2 cluster process
(`manage.py qcluster`, settings productive.settings.e2e) on the same test database, and browser helpers.

The web process (live server thread) enqueues on the ORM broker instead of running tasks inline (Conf.SYNC off),
so every task — "Sync payments now", the scheduled poll — runs in the worker process, which reaches the sandbox
over HTTP through the same XERO_* settings. Waits poll the database with a deadline; nothing sleeps a fixed time.
"""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection as db_connection
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Schedule
from playwright.sync_api import Page, expect

from billing.choices import InvoiceStatus, PaymentStatus
from billing.demo import DEMO_LOGINS, NL, demo_seed
from billing.models import Invoice, Subsidiary
from billing.services import LineInput
from integrations.models import Connection, SyncOutcome, SyncRun
from integrations.sandbox.models import XeroInvoice
from integrations.sandbox.xero.demo import DESIGN_TENANT_ID
from integrations.schedules import schedules_sync
from productive.settings.sandbox import sandbox_provider_settings
from tests.browser import conftest as browser_fixtures
from tests.factories import CompanyFactory, TaxRateFactory, make_invoice

# The browser suite's fixtures (this folder is beside tests/browser/, not below it).
browser = browser_fixtures.browser
browser_page = browser_fixtures.browser_page
live_url = browser_fixtures.live_url
login = browser_fixtures.login
pytest_runtest_makereport = browser_fixtures.pytest_runtest_makereport

PASSWORD = "pass-word-123"  # tests.factories.UserFactory
SANDBOX_ORG = "Sandbox Design B.V."  # EUR, like the subsidiary "Acme NL"
SANDBOX_TENANT_ID = DESIGN_TENANT_ID
WORKER_START_SECONDS = 30
QCLUSTERS = int(os.environ.get("E2E_QCLUSTERS", "1"))
PAYMENTS_SCHEDULE = "productive:payments-sync"


def wait_until(predicate, *, timeout: float = 20.0, interval: float = 0.1, message: str = "condition"):
    """Poll `predicate` until it returns something truthy (returned), or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"Timed out after {timeout:.0f}s waiting for {message}.", pytrace=False)
        time.sleep(interval)


@pytest.fixture
def e2e_site(live_url, settings, monkeypatch):
    """Point the web process at the sandbox it serves itself, and make it enqueue tasks for the worker."""
    for name, value in sandbox_provider_settings(live_url).items():
        setattr(settings, name, value)
    settings.SITE_URL = live_url
    settings.SANDBOX_PROVIDERS = True
    monkeypatch.setattr(Conf, "SYNC", False)
    return live_url


@dataclass
class Worker:
    """The django-q2 cluster(s) of a test: one `manage.py qcluster`, or E2E_QCLUSTERS of them (CI's scale-out run:
    two clusters on one Redis broker and one PostgreSQL database, as two hosts would run)."""

    processes: list[subprocess.Popen]
    log_paths: list[Path]

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.log_paths if path.exists())

    def running(self) -> bool:
        return all(
            path.exists() and re.search(r"Q Cluster .* running", path.read_text(errors="replace"))
            for path in self.log_paths
        )

    def exited(self) -> subprocess.Popen | None:
        return next((process for process in self.processes if process.poll() is not None), None)

    def stop(self) -> None:
        """SIGTERM (django-q stops its workers gracefully), then SIGKILL each process group if needed."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(process.pid, signal.SIGKILL)  # forked children left behind, if any
            except ProcessLookupError:
                pass
            if process.poll() is None:
                process.wait(timeout=5)


def purge_redis_queue() -> None:
    """On a Redis broker, tasks an earlier test queued and nobody ran would outlive that test's database: drop
    them (the ORM broker's queue is a table, emptied with the test database)."""
    if django_settings.Q_CLUSTER.get("redis"):
        from django_q.brokers import get_broker

        get_broker().purge_queue()


@pytest.fixture
def worker(e2e_site, tmp_path, request):
    """`manage.py qcluster` in its own process group (E2E_QCLUSTERS of them), on the live server's test database;
    stopped at teardown."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "productive.settings.e2e",
        "E2E_SITE_URL": e2e_site,
        "E2E_DATABASE_NAME": str(db_connection.settings_dict["NAME"]),
        "PYTHONUNBUFFERED": "1",
    }
    purge_redis_queue()
    processes, log_paths = [], []
    for number in range(QCLUSTERS):
        log_path = tmp_path / f"qcluster-{number}.log"
        with open(log_path, "wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "qcluster"],
                    cwd=django_settings.BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        log_paths.append(log_path)
    running = Worker(processes, log_paths)
    try:
        wait_until(
            lambda: running.exited() or running.running(),
            timeout=WORKER_START_SECONDS,
            message="the django-q2 cluster to start",
        )
        exited = running.exited()
        if exited is not None:
            pytest.fail(f"qcluster exited with {exited.returncode}:\n{running.log()[-4000:]}", pytrace=False)
        yield running
    finally:
        running.stop()
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            sys.stderr.write(f"--- qcluster log ---\n{running.log()[-6000:]}\n")


def payments_poll_due() -> None:
    """Install the app's schedules (as `setup_schedules` does) and make the payment poll due now, as if the
    provider's poll interval had passed since each connection's last run: the worker's scheduler (it looks about
    every 30 seconds) queues payments_sync_all, which queues the connections, without anyone pressing a button."""
    schedules_sync()
    interval_ago = timezone.now() - timedelta(hours=1)
    SyncRun.objects.exclude(outcome=SyncOutcome.RUNNING).update(started_at=interval_ago)
    Connection.objects.update(last_synced_at=interval_ago, sync_queued_at=None)
    Schedule.objects.filter(name=PAYMENTS_SCHEDULE).update(next_run=timezone.now())


@dataclass
class Demo:
    """What a journey starts from: an org admin (and their password), a finalized invoice of one subsidiary, and
    what the setup page maps: our tax rate label → the sandbox tax rate it is mapped to."""

    admin: object
    subsidiary: object
    invoice: object
    tax_rates: dict
    password: str = PASSWORD


# The README's step 4 on the seeded demo data: the rates Demo Agency B.V.'s invoices use, and the optional 9 %.
DEMO_TAX_RATES = {
    "NL VAT (21%)": "Hoog tarief (21%)",
    "NL VAT reduced (9%)": "Laag tarief (9%)",
    "Zero rated (0%)": "Vrijgesteld",
}


@pytest.fixture
def demo(admin_user, subsidiary):
    organization = subsidiary.organization
    vat = TaxRateFactory(organization=organization, name="VAT high", percentage=Decimal("21"))
    company = CompanyFactory(organization=organization, name="Grachten Koffie B.V.", billing_email="ap@grachten.test")
    invoice = make_invoice(
        subsidiary=subsidiary,
        company=company,
        subject="Brand refresh",
        lines=[
            LineInput("Design sprint", Decimal("4"), Decimal("250.00"), None, vat),
            LineInput("Logo files", Decimal("1"), Decimal("200.00"), None, vat),
        ],
        finalize=True,
    )
    return Demo(
        admin=admin_user, subsidiary=subsidiary, invoice=invoice, tax_rates={"VAT high (21%)": "Hoog tarief (21%)"}
    )


@pytest.fixture
def seeded_demo(transactional_db):
    """The demo data a newcomer sees after `make run` (billing.demo), logged in as its admin, with the oldest
    finalized, unpaid, never-paid EUR invoice of Demo Agency B.V. above 1,000 whose lines all carry NL VAT."""
    demo_seed()
    admin_login = DEMO_LOGINS[0]
    subsidiary = Subsidiary.objects.get(name=NL)
    candidates = Invoice.objects.filter(
        subsidiary=subsidiary,
        status=InvoiceStatus.FINALIZED,
        payment_status=PaymentStatus.UNPAID,
        currency="EUR",
        total__gt=Decimal("1000"),
        payments__isnull=True,
    ).exclude(lines__tax_rate__percentage=0)
    invoice = candidates.order_by("issue_date", "pk").first()
    assert invoice is not None, "the demo data has no unpaid NL invoice to copy"
    return Demo(
        admin=get_user_model().objects.get(username=admin_login.email),
        subsidiary=subsidiary,
        invoice=invoice,
        tax_rates=DEMO_TAX_RATES,
        password=admin_login.password,
    )


# --- browser steps shared by the suites -------------------------------------------------------------------


def connect_xero(page: Page, base_url: str, *, subsidiary_name: str, name: str = "Xero sandbox") -> None:
    """Settings > App marketplace > Connect Xero > sandbox consent (one organisation) > back on the setup page."""
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="App marketplace").click()
    page.locator("#provider-xero").get_by_role("link", name="Connect app").click()
    page.get_by_label("Subsidiary").select_option(label=subsidiary_name)
    page.get_by_label("Connection name").fill(name)
    page.get_by_role("button", name="Continue to Xero").click()
    consent_and_allow(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def consent_and_allow(page: Page, org_name: str = SANDBOX_ORG) -> None:
    """On the sandbox's consent page: tick one organisation, allow access."""
    expect(page.get_by_role("heading", name="Xero sandbox: allow access?")).to_be_visible()
    page.get_by_role("checkbox", name=org_name).check()
    page.get_by_role("button", name="Allow access").click()
    expect(page).to_have_url(re.compile(r"/settings/"))


def set_up_connection(
    page: Page, *, tax_rates: dict, sync_payments: bool = True, xero_numbers: bool = False, before_save=None
) -> None:
    """On the setup page: default revenue account and the tax rates (our label → the sandbox's) from the
    sandbox's lists, payment sync, numbering (Xero refuses a second invoice with one number, so "Create new"
    needs Xero's numbering), Save."""
    if xero_numbers:
        page.get_by_label("Xero numbers invoices", exact=False).check()
    select_option_starting(page.get_by_label("Default revenue account"), "200 · Omzet")
    for ours, theirs in tax_rates.items():
        select_option_starting(page.get_by_label(ours).first, theirs)  # the sales table (purchases follow)
    page.get_by_label("Synchronize payments from Xero").set_checked(sync_payments)
    if before_save:
        before_save()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("is set up")
    page.get_by_role("link", name="Back to the marketplace").click()


def select_option_starting(select, text: str) -> None:
    """Pick the option whose label starts with `text` (the rate suffix is the provider's formatting)."""
    option = select.locator("option").filter(has_text=re.compile("^" + re.escape(text)))
    select.select_option(value=option.first.get_attribute("value"))


def connect_and_set_up(page: Page, base_url: str, demo: Demo, *, xero_numbers: bool = False) -> Connection:
    connect_xero(page, base_url, subsidiary_name=demo.subsidiary.name)
    set_up_connection(page, tax_rates=demo.tax_rates, xero_numbers=xero_numbers)
    card = page.locator(".connection-row", has_text="Xero sandbox")
    expect(card.locator(".status-ok")).to_contain_text("Ready")
    return Connection.objects.get(organization=demo.subsidiary.organization, provider="xero")


def sandbox_invoices():
    """The sales invoices "in Xero" (the sandbox organisation the tests connect), oldest first."""
    invoices = XeroInvoice.objects.filter(org__tenant_id=SANDBOX_TENANT_ID, type="ACCREC")
    return invoices.exclude(status="DELETED").order_by("created_at", "pk")


def copy_to_xero(page: Page, base_url: str, invoice) -> None:
    """From the invoice page: Copy to Xero > Copy, back on the invoice with "View in Xero"."""
    page.goto(base_url + invoice.get_absolute_url())
    page.locator("#integrations").get_by_role("link", name=re.compile(r"^Copy to ")).click()
    page.get_by_role("button", name="Copy", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    expect(page.locator("#integrations").get_by_role("link", name="View in Xero")).to_be_visible()


def open_sandbox_org(page: Page, base_url: str) -> None:
    """Settings > App marketplace > "open the sandbox organisation" on the connection card."""
    page.goto(base_url + reverse("integrations:marketplace"))
    page.get_by_role("link", name="open the sandbox organisation").click()
    expect(page.get_by_role("heading", name=SANDBOX_ORG)).to_be_visible()
