"""The contract every accounting provider must pass. A provider's test module subclasses ProviderContract,
fills in the hooks below, and gets every test of this class for free:

- it is in the registry (from settings.INTEGRATION_PROVIDERS) under its key, with a name, description and logo
  file, capabilities from the known set and plan requirements that name known plans;
- `is_configured()` follows its settings; unconfigured, the marketplace hides it and its URLs answer 404;
- its API client is an AccountingApi on the shared ApiClient base, and maps the fault matrix (timeout,
  connection error, 429 + Retry-After, 500, invalid JSON, 401, 400) to the integrations.exceptions hierarchy;
- its API returns the shared DTOs (RemoteChoice, RemoteContact, RemoteInvoice, PaymentsPage of
  RemotePaymentRecord with Decimal amounts);
- its payments cursor only moves forward: whatever number of changes (0, 1, a page minus one, exactly one or two
  pages, a page plus one), a run sees every change, no page's cursor reaches back before the previous one (an
  empty last page keeps the cursor it got), and the idle poll after the run costs one API call;
- its payment feed (PaymentFeedContract, below), through the whole sync onto our invoices: a new payment, an
  edited one, one split over two invoices, a deleted one, the same changes replayed, the cursor only forward.
  Cases the provider cannot produce (Provider.payment_feed: Xero neither edits nor splits) skip with its reason.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

import pytest
import requests
import responses
from django.contrib.staticfiles import finders
from django.test import override_settings
from django.urls import reverse

from billing.choices import Plan
from integrations import registry
from integrations.exceptions import (
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from integrations.http import ApiClient
from integrations.providers.base import (
    CAPABILITIES,
    FEED_CURSOR,
    FEED_REMAINDER,
    OAUTH2,
    TOKEN,
    AccountingApi,
    PaymentsPage,
    Provider,
    RemoteChoice,
    RemoteContact,
    RemoteInvoice,
    RemotePaymentRecord,
)

FAULTS = {
    "timeout": (dict(body=requests.exceptions.ReadTimeout("read timed out")), TransientError),
    "connection error": (dict(body=requests.exceptions.ConnectionError("reset")), TransientError),
    "429": (dict(status=429, headers={"Retry-After": "30"}, body=""), ThrottledError),
    "500": (dict(status=500, body="internal error"), TransientError),
    "invalid JSON": (dict(status=200, body="<html>not json</html>", content_type="application/json"), TransientError),
    "401": (dict(status=401, body='{"error":"unauthorized"}', content_type="application/json"), TerminalError),
    "400": (dict(status=400, body='{"Message":"refused"}', content_type="application/json"), ProviderValidationError),
}


# Numbers of changed payments around the page boundaries of paged providers (100 a page for Xero).
PAGE_BOUNDARY_COUNTS = (0, 1, 99, 100, 101, 200)


class FeedServer(Protocol):
    """The provider's side of its payment feed, in its own HTTP shapes (served through `responses`)."""

    def pay(self, payment_id: str, lines: list[tuple[str, str]], *, date: str = "2026-11-10") -> object:
        """Create the payment, or change it where the provider edits payments: lines of (remote invoice id,
        amount), one per invoice it is allocated to."""

    def delete(self, payment_id: str) -> object:
        """Delete the payment, the way the provider then reports it (a stub with only the id, or a status)."""


FEED_ENABLED = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


class PaymentFeedContract:
    """The feed section of the contract, for providers of the `cursor` feed kind. Hooks: `provider_key`,
    `make_connection(**extra)`, `feed_server(mock)` and `feed_document_id()`."""

    provider_key: str = ""

    def make_connection(self, **extra):
        raise NotImplementedError

    def feed_server(self, mock: responses.RequestsMock) -> FeedServer:
        raise NotImplementedError

    def feed_document_id(self) -> str:
        """A fresh id of a remote invoice in this provider's form."""
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------------------------------

    def _feed(self):
        feed = registry.get(self.provider_key).payment_feed
        if feed.kind != FEED_CURSOR:
            pytest.skip(f"{self.provider_key} has a {feed.kind} feed, not a cursor feed")
        return feed

    def _feed_setup(self, organization, subsidiary, copies: int = 1):
        from billing.choices import InvoiceStatus
        from integrations.models import CopyStatus, InvoiceCopy
        from tests.factories import make_invoice

        connection = self.make_connection(
            organization=organization, subsidiary=subsidiary, payment_sync_enabled_at=FEED_ENABLED
        )
        invoices = []
        for _ in range(copies):
            invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
            assert invoice.status == InvoiceStatus.FINALIZED
            remote_id = self.feed_document_id()
            InvoiceCopy.objects.create(
                organization=organization,
                invoice=invoice,
                connection=connection,
                idempotency_key=str(uuid.uuid4()),
                status=CopyStatus.SUCCEEDED,
                remote_id=remote_id,
                is_latest=True,
            )
            invoices.append((invoice, remote_id))
        return connection, invoices

    @staticmethod
    def _sync(connection):
        from integrations.services.payments_sync import payments_sync

        return payments_sync(connection=connection)

    @staticmethod
    def _paid(invoice) -> Decimal:
        invoice.refresh_from_db()
        return invoice.amount_paid

    # --- the cases -------------------------------------------------------------------------------------------

    @pytest.mark.django_db
    def test_feed_new_payment(self, organization, subsidiary):
        from integrations.models import RemotePayment

        self._feed()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            run = self._sync(connection)
        assert run.counts["recorded"] == 1 and run.counts["failed"] == 0
        assert self._paid(invoice) == Decimal("400.00")
        assert RemotePayment.objects.filter(connection=connection).count() == 1

    @pytest.mark.django_db
    def test_feed_edited_payment(self, organization, subsidiary):
        feed = self._feed()
        if not feed.edits:
            pytest.skip(feed.note or f"{self.provider_key} does not edit payments")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            self._sync(connection)
            server.pay("feed-1", [(remote, "300.00")], date="2026-11-12")
            run = self._sync(connection)
        assert run.counts["updated"] == 1 and run.counts["recorded"] == 0
        assert self._paid(invoice) == Decimal("300.00")
        assert invoice.payments.get().date.isoformat() == "2026-11-12"

    @pytest.mark.django_db
    def test_feed_split_payment(self, organization, subsidiary):
        feed = self._feed()
        if not feed.splits:
            pytest.skip(feed.note or f"{self.provider_key} does not split payments")
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.feed_server(mock)
            connection, [(first, first_remote), (second, second_remote)] = self._feed_setup(
                organization, subsidiary, copies=2
            )
            server.pay("feed-1", [(first_remote, "300.00"), (second_remote, "200.00")])
            run = self._sync(connection)
        assert run.counts["recorded"] == 2
        assert (self._paid(first), self._paid(second)) == (Decimal("300.00"), Decimal("200.00"))

    @pytest.mark.django_db
    def test_feed_deleted_payment(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            self._sync(connection)
            server.delete("feed-1")
            run = self._sync(connection)
        assert run.counts["deleted"] == 1
        assert self._paid(invoice) == Decimal("0.00") and invoice.payments.get().is_deleted

    @pytest.mark.django_db
    def test_feed_replayed_changes_change_nothing(self, organization, subsidiary):
        from integrations.models import SyncLogEntry

        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "400.00")])
            server.pay("feed-2", [(remote, "100.00")])
            server.delete("feed-2")
            self._sync(connection)
            entries = SyncLogEntry.objects.filter(connection=connection).count()
            connection.sync_cursors = {}  # forget the cursor: the provider sends every change again
            connection.save()
            run = self._sync(connection)
        assert run.counts["recorded"] == run.counts["deleted"] == run.counts["failed"] == 0
        assert SyncLogEntry.objects.filter(connection=connection).count() == entries
        assert self._paid(invoice) == Decimal("400.00")

    @pytest.mark.django_db
    def test_feed_cursor_only_forward(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self._feed()
            server = self.feed_server(mock)
            connection, [(invoice, remote)] = self._feed_setup(organization, subsidiary)
            server.pay("feed-1", [(remote, "100.00")])
            self._sync(connection)
            connection.refresh_from_db()
            first_cursor = connection.sync_cursors["payments"]
            server.pay("feed-2", [(remote, "50.00")])
            run = self._sync(connection)
            connection.refresh_from_db()
            idle = self._sync(connection)
        assert run.counts["recorded"] == 1 and run.counts["unchanged"] <= 1, "only what changed since the cursor"
        assert connection.sync_cursors["payments"] != first_cursor
        assert idle.counts["recorded"] == 0 and idle.api_calls == 1
        assert self._paid(invoice) == Decimal("150.00")


class RemainderServer(Protocol):
    """The provider's side of a remainder feed: what is booked and what is still owed on each remote invoice."""

    def book(self, invoice_id: str, total: str) -> object: ...

    def owe(self, invoice_id: str, remainder: str) -> object: ...


class RemainderFeedContract:
    """The feed section for providers of the `remainder` kind (no payment feed): the same invoice paid, paid
    off, a payment removed again and the same answer seen twice, one bounded question per run. Hooks:
    `provider_key`, `make_connection(**extra)`, `remainder_server(mock)` and `feed_document_id()`."""

    provider_key: str = ""

    def remainder_server(self, mock: responses.RequestsMock) -> RemainderServer:
        raise NotImplementedError

    def _remainder_feed(self):
        feed = registry.get(self.provider_key).payment_feed
        if feed.kind != FEED_REMAINDER:
            pytest.skip(f"{self.provider_key} has a {feed.kind} feed, not a remainder feed")
        return feed

    @pytest.mark.django_db
    def test_remainder_feed_follows_what_is_owed(self, organization, subsidiary):
        from integrations.models import SyncLogEntry

        feed = self._remainder_feed()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.remainder_server(mock)
            connection, invoices = self._feed_setup(organization, subsidiary, copies=feed.batch_size + 1)
            for _invoice, remote in invoices:
                server.book(remote, "1000.00")
            invoice, remote = invoices[0]
            server.owe(remote, "600.00")
            paid = self._sync(connection)
            entries = SyncLogEntry.objects.filter(connection=connection).count()
            seen_again = self._sync(connection)
            entries_after_replay = SyncLogEntry.objects.filter(connection=connection).count()
            for _ in range(2):  # round the open invoices once more, back to the first
                self._sync(connection)
            server.owe(remote, "1000.00")  # the payment was removed there
            removed = [self._sync(connection) for _ in range(2)]
        assert paid.counts["recorded"] == 1 and paid.api_calls == 1
        assert seen_again.counts["recorded"] == 0 and seen_again.api_calls == 1
        assert entries_after_replay == entries, "the same answer seen again logs nothing"
        assert sum(run.counts["deleted"] for run in removed) == 1
        assert self._paid(invoice) == Decimal("0.00")

    _feed_setup = PaymentFeedContract._feed_setup
    _sync = PaymentFeedContract._sync
    _paid = PaymentFeedContract._paid


class ProviderContract(PaymentFeedContract, RemainderFeedContract):
    """Hooks to fill in per provider."""

    provider_key: str = ""
    # Settings that make the provider configured / not configured.
    configured_settings: dict = {}
    unconfigured_settings: dict = {}
    # One read call of the API (a method name of AccountingApi taking no arguments) and the URL it requests.
    read_method: str = "list_accounts"
    read_url: str | re.Pattern = ""

    def make_connection(self, **extra):
        """A Connection of this provider with fresh credentials (`extra`: organization, subsidiary...)."""
        raise NotImplementedError

    def mock_api(self, mock: responses.RequestsMock) -> None:
        """Register responses for list_accounts, list_tax_types, list_items, search_contacts("a"),
        create_invoice, find_invoice(number=...) and fetch_payments({}) (one page, at least one payment)."""
        raise NotImplementedError

    def invoice_payload(self) -> dict:
        """A minimal valid payload for create_invoice."""
        raise NotImplementedError

    def serve_changed_payments(self, mock: responses.RequestsMock, count: int) -> None:
        """Serve `count` payments changed one after another (distinct change times), the way the provider serves
        them to fetch_payments: filtered by the cursor the request carries and paged at the provider's page size."""
        raise NotImplementedError

    # --- helpers ---------------------------------------------------------------------------------------------

    @property
    def provider(self) -> Provider:
        return registry.get(self.provider_key)

    def api(self, connection):
        return self.provider.api(connection)

    # --- registry and metadata -------------------------------------------------------------------------------

    def test_registry_entry(self, settings):
        provider = self.provider
        assert isinstance(provider, Provider)
        assert provider.key == self.provider_key
        assert any(path.endswith("." + type(provider).__name__) for path in settings.INTEGRATION_PROVIDERS)
        assert registry.get(self.provider_key) is provider  # one stateless instance

    def test_metadata_and_logo(self):
        provider = self.provider
        assert provider.name and provider.description
        assert provider.logo.startswith(f"integrations/{provider.key}/")
        assert finders.find(provider.logo), f"static file {provider.logo} is missing"
        assert provider.auth_kind in (OAUTH2, TOKEN)

    def test_capabilities_and_plans(self):
        provider = self.provider
        assert provider.capabilities and set(provider.capabilities) <= CAPABILITIES
        assert set(provider.upcoming_capabilities) <= CAPABILITIES
        assert not provider.capabilities & provider.upcoming_capabilities, "a capability is built or upcoming"
        assert set(provider.capability_plans) <= set(provider.capabilities | provider.upcoming_capabilities)
        assert {provider.minimum_plan, *provider.capability_plans.values()} <= set(Plan.values)

    def test_is_configured_follows_settings(self):
        with override_settings(**self.configured_settings):
            assert self.provider.is_configured()
            assert self.provider in registry.configured()
        with override_settings(**self.unconfigured_settings):
            assert not self.provider.is_configured()
            assert self.provider not in registry.configured()

    @pytest.mark.django_db
    def test_unconfigured_is_hidden_and_its_urls_404(self, admin_client, organization, subsidiary):
        connection = self.make_connection(organization=organization, subsidiary=subsidiary)
        urls = [
            reverse("integrations:connect", args=[self.provider_key]),
            reverse("integrations:callback", args=[self.provider_key]),
            reverse("integrations:connection-setup", args=[connection.pk]),
            reverse("integrations:connection-disconnect", args=[connection.pk]),
        ]
        with override_settings(**self.configured_settings):
            page = admin_client.get(reverse("integrations:marketplace")).content.decode()
            assert f'id="provider-{self.provider_key}"' in page
            assert admin_client.get(urls[-1]).status_code == 200  # the control: the same URL opens when configured
        with override_settings(**self.unconfigured_settings):
            page = admin_client.get(reverse("integrations:marketplace")).content.decode()
            assert f'id="provider-{self.provider_key}"' not in page
            for url in urls:
                assert admin_client.get(url).status_code == 404, url

    # --- the client --------------------------------------------------------------------------------------------

    @pytest.mark.django_db
    def test_api_is_an_accounting_api_on_the_shared_client(self):
        api = self.api(self.make_connection())
        assert isinstance(api, AccountingApi)
        assert isinstance(api, ApiClient)
        assert api.calls == 0

    @pytest.mark.django_db
    @pytest.mark.parametrize("fault", list(FAULTS))
    @override_settings(INTEGRATIONS_HTTP_RETRIES=0)
    def test_fault_matrix(self, fault):
        kwargs, expected = FAULTS[fault]
        api = self.api(self.make_connection())
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            mock.add(responses.GET, self.read_url, **kwargs)
            self.mock_refresh(mock)
            with pytest.raises(IntegrationError) as caught:
                getattr(api, self.read_method)()
        assert isinstance(caught.value, expected), f"{fault}: got {type(caught.value).__name__}"
        if expected is ThrottledError:
            assert caught.value.retry_after == 30

    def mock_refresh(self, mock: responses.RequestsMock) -> None:
        """Token refresh response for the 401 case (a refresh, then 401 again → terminal). Override if needed."""

    @pytest.mark.django_db
    def test_dto_shapes(self):
        api = self.api(self.make_connection())
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.mock_api(mock)
            for method in ("list_accounts", "list_tax_types", "list_items"):
                choices = getattr(api, method)()
                assert choices and all(isinstance(c, RemoteChoice) for c in choices), method
                assert all(c.code and isinstance(c.extra, dict) for c in choices), method
            contacts = api.search_contacts("a")
            assert contacts and all(isinstance(c, RemoteContact) and c.id for c in contacts)
            invoice = api.create_invoice(self.invoice_payload(), "contract-key")
            assert isinstance(invoice, RemoteInvoice) and invoice.id
            found = api.find_invoice(number="INV-1")
            assert found is None or isinstance(found, RemoteInvoice)
            pages = list(api.fetch_payments({}))
            assert pages and all(isinstance(p, PaymentsPage) and isinstance(p.next_cursor, dict) for p in pages)
            payments = [payment for page in pages for payment in page.payments]
            assert payments and all(isinstance(p, RemotePaymentRecord) for p in payments)
            assert all(isinstance(p.amount, Decimal) and p.id for p in payments)

    # --- the payments cursor -----------------------------------------------------------------------------------

    def _fetch_ids(self, connection, cursor: dict) -> tuple[set[str], int]:
        """The payment ids a poll from `cursor` returns, and its API calls (a separate client: a probe)."""
        api = self.api(connection)
        ids = {payment.id for page in api.fetch_payments(dict(cursor)) for payment in page.payments}
        return ids, api.calls

    @pytest.mark.django_db
    @pytest.mark.parametrize("changes", PAGE_BOUNDARY_COUNTS)
    def test_payments_cursor_only_moves_forward(self, changes):
        connection = self.make_connection()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.serve_changed_payments(mock, changes)
            stored: dict = {}  # what the service keeps between pages and runs
            reachable, _calls = self._fetch_ids(connection, stored)
            assert len(reachable) == changes, "a poll from the empty cursor returns every change"
            seen: set[str] = set()
            for page in self.api(connection).fetch_payments(dict(stored)):
                seen |= {payment.id for payment in page.payments}
                if not page.payments:
                    assert page.next_cursor == stored, "a page without payments must not move the cursor"
                ahead, _calls = self._fetch_ids(connection, page.next_cursor)
                assert ahead <= reachable, (
                    f"after {changes} changes a page's cursor went back: a poll from it returns "
                    f"{len(ahead - reachable)} payments the previous cursor had already covered"
                )
                stored, reachable = dict(page.next_cursor), ahead
            assert len(seen) == changes, "a run sees every change"
            _ids, idle_calls = self._fetch_ids(connection, stored)
            assert idle_calls == 1, f"the idle poll after {changes} changes took {idle_calls} API calls"
