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
- webhooks (providers that declare a webhook key setting): the signature is its own (right key, the raw bytes;
  missing, wrong-key and tampered deliveries are refused by the route with a 401 and nothing stored), its sample
  deliveries parse into WebhookNotices with stable, distinct dedupe keys, a replayed delivery is stored once, an
  unknown tenant is acknowledged, and a burst of its payment hints about one copied document queues one sync.
- its payment feed (contract_feed.py), through the whole sync onto our invoices: a new payment, an edited one,
  one split over two invoices, a deleted one, the same changes replayed, the cursor only forward (or, for the
  remainder kind, what is owed followed both ways). Cases the provider cannot produce (Provider.payment_feed:
  Xero neither edits nor splits) skip with its reason. Hooks: `feed_server(mock)` / `remainder_server(mock)`
  and `feed_document_id()`.
- connect and refresh policy (contract_auth.AuthContract): a consent lands on a Grant, several tenants of one
  consent share it, and the provider's TokenPolicy is honoured (one refresh per grant, margin, minimum age,
  invalid_grant for every connection of the grant).
- export, through the engine (services.invoice_copy.document_export) against the provider's own HTTP shapes:
  create (one remote document, its number and version kept), update (the same remote document changes, nothing
  new is made), create new (a second remote document with a copy-suffixed number; the first is superseded) and
  the ambiguous write (the provider stored the document but the answer was lost: the attempt stays pending with
  its outcome unknown, and the next try looks the document up and adopts it instead of creating another).
"""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

import pytest
import requests
import responses
from django.contrib.staticfiles import finders
from django.test import Client, override_settings
from django.urls import reverse

from billing.choices import Plan
from integrations import registry
from integrations.exceptions import (
    AmbiguousWriteError,
    IntegrationError,
    ProviderValidationError,
    TerminalError,
    ThrottledError,
    TransientError,
)
from integrations.http import ApiClient
from integrations.models import CopyStatus, RemoteDocument, SyncKind, SyncLogEntry, SyncRun, WebhookEvent, WebhookResult
from integrations.providers.base import (
    CAPABILITIES,
    FEED_CURSOR,
    FEED_REMAINDER,
    INVOICE,
    OAUTH2,
    TOKEN,
    AccountingApi,
    PaymentsPage,
    Provider,
    RemainderQuery,
    RemoteChoice,
    RemoteContact,
    RemoteInvoice,
    RemotePaymentRecord,
    RemoteRemainder,
    WebhookNotice,
)
from tests.factories import make_invoice

from .contract_auth import AuthContract
from .contract_feed import PaymentFeedContract, RemainderFeedContract

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


class ProviderContract(AuthContract, PaymentFeedContract, RemainderFeedContract):
    """Hooks to fill in per provider (and those of AuthContract: connect and refresh policy; of the feed
    contracts: payments)."""

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
        create_invoice, find_invoice(number=...) and fetch_payments({}) (one page, at least one payment), or for a
        remainder feed fetch_remainders of `remainder_document_id()`."""
        raise NotImplementedError

    def remainder_document_id(self) -> str:
        """Remainder feeds: a remote document `mock_api` serves what is still owed on."""
        raise NotImplementedError

    def invoice_payload(self) -> dict:
        """A minimal valid payload for create_invoice."""
        raise NotImplementedError

    def serve_changed_payments(self, mock: responses.RequestsMock, count: int) -> None:
        """Serve `count` payments changed one after another (distinct change times), the way the provider serves
        them to fetch_payments: filtered by the cursor the request carries and paged at the provider's page size."""
        raise NotImplementedError

    # Webhooks (only for providers with `webhook_key_setting`).

    def sign_webhook(self, body: bytes, key: str) -> dict:
        """The signature headers the provider sends with `body` when its webhook key is `key`."""
        raise NotImplementedError

    def signed_delivery(self, body: bytes, key: str) -> tuple[bytes, dict]:
        """(the body, the headers) of `body` delivered signed with `key`. Most providers sign in a header; one that
        signs inside the body (Exact's HashCode) returns the re-signed body and no header."""
        return body, self.sign_webhook(body, key)

    def unsigned_delivery(self, body: bytes) -> tuple[bytes, dict]:
        """`body` delivered without any signature."""
        return body, {}

    def webhook_samples(self, tenant_id: str) -> list[bytes]:
        """The provider's own example deliveries (from its spec or docs), their events re-pointed at `tenant_id`."""
        raise NotImplementedError

    def webhook_payment_hint(self, tenant_id: str, resource_id: str, sequence: int) -> bytes:
        """A delivery of the event that tells us a payment may have changed on the copied document `resource_id`
        (Xero: an INVOICE update; a provider with payment events: one of those); `sequence` makes it distinct."""
        raise NotImplementedError

    # Export hooks: the engine exports a document of `export_kind` through the provider's HTTP shapes.
    export_kind: str = INVOICE

    def serve_export(self, mock: responses.RequestsMock):
        """Serve the provider's document and contact endpoints statefully (create, update, look up by number or
        reference, contacts) and return that server: the hooks below read it."""
        raise NotImplementedError

    def export_setup(self, organization, subsidiary):
        """(connection, document): a connection whose setup is complete and a document of `export_kind` (with a
        number of ours) that it can export."""
        raise NotImplementedError

    def remote_documents(self, server) -> dict:
        """The documents the provider holds: remote id → its stored document."""
        raise NotImplementedError

    def lose_write_answers(self, server, count: int) -> None:
        """The next `count` creates reach the provider and are stored, but their answers never arrive."""
        raise NotImplementedError

    def remote_version(self, server, remote_id: str) -> str:
        """The version the provider holds for a document (QuickBooks' SyncToken); "" where it keeps none."""
        return ""

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
            if self.provider.payment_feed.kind == FEED_REMAINDER:
                answers = api.fetch_remainders([RemainderQuery(self.remainder_document_id())])
                assert answers and all(isinstance(a, RemoteRemainder) for a in answers)
                assert all(isinstance(a.total, Decimal) and isinstance(a.remainder, Decimal) for a in answers)
                return
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
        if self.provider.payment_feed.kind != FEED_CURSOR:
            pytest.skip(f"{self.provider_key} has a {self.provider.payment_feed.kind} feed: no payments cursor")
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

    # --- webhooks ------------------------------------------------------------------------------------------------

    WEBHOOK_KEY = "contract-webhook-key-7f3a9c"

    @pytest.fixture
    def webhooks_on(self, settings):
        if not self.provider.has_webhooks:
            pytest.skip(f"{self.provider_key} declares no webhooks")
        setattr(settings, self.provider.webhook_key_setting, self.WEBHOOK_KEY)
        assert self.provider.webhooks_on()
        return reverse("integrations:webhooks", args=[self.provider_key])

    def _post_webhook(self, url: str, body: bytes, headers: dict):
        meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
        return Client(enforce_csrf_checks=True).post(url, body, content_type="application/json", **meta)

    def test_webhook_signature_is_the_providers(self, webhooks_on):
        provider = self.provider
        for body in self.webhook_samples("tenant-signature"):
            signed, headers = self.signed_delivery(body, self.WEBHOOK_KEY)
            assert provider.verify_webhook(headers, signed)
            other, other_headers = self.signed_delivery(body, self.WEBHOOK_KEY + "-other")
            assert not provider.verify_webhook(other_headers, other)
            assert not provider.verify_webhook(headers, signed + b" ")
            assert not provider.verify_webhook(*reversed(self.unsigned_delivery(body)))

    def test_webhook_samples_parse_with_stable_distinct_keys(self, webhooks_on):
        samples = self.webhook_samples("tenant-parse")
        assert samples, "no sample delivery"
        keys = []
        for body in samples:
            notices = self.provider.parse_webhook(body)
            assert notices and all(isinstance(notice, WebhookNotice) for notice in notices)
            assert all(notice.key and notice.tenant_id == "tenant-parse" and notice.resource_id for notice in notices)
            assert [n.key for n in self.provider.parse_webhook(body)] == [n.key for n in notices], "keys are stable"
            keys += [notice.key for notice in notices]
        assert len(set(keys)) == len(keys), "distinct events share a dedupe key"

    @pytest.mark.django_db
    def test_webhook_route_stores_once_and_refuses_bad_signatures(self, webhooks_on):
        url = webhooks_on
        body = self.webhook_samples("tenant-nobody-connected")[0]
        signed, good = self.signed_delivery(body, self.WEBHOOK_KEY)
        for refused_body, refused in (
            self.unsigned_delivery(body),
            self.signed_delivery(body, "wrong-key"),
            (signed + b"x", good),  # changed after signing
        ):
            assert self._post_webhook(url, refused_body, refused).status_code == 401
        assert not WebhookEvent.objects.exists()
        for _replay in range(3):
            response = self._post_webhook(url, signed, good)
            assert response.status_code == 200 and response.content == b""
        stored = WebhookEvent.objects.filter(provider=self.provider_key)
        assert stored.count() == len(self.provider.parse_webhook(body))
        assert {event.result for event in stored} == {WebhookResult.UNKNOWN_TENANT}  # acknowledged, not an error

    @pytest.mark.django_db
    def test_webhook_burst_about_a_copied_document_queues_one_sync(
        self, webhooks_on, organization, subsidiary, monkeypatch
    ):
        """A burst that arrives while its sync waits in the queue is covered by that one run."""
        from integrations import tasks

        broker = []
        monkeypatch.setattr(tasks, "async_task", lambda func, ids, **kwargs: broker.append(ids))
        connection = self.make_connection(
            organization=organization,
            subsidiary=subsidiary,
            payment_sync_enabled_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
            settings={"sync_payments": True},
        )
        invoice = make_invoice(organization=organization, subsidiary=subsidiary, finalize=True)
        remote_id = str(uuid.uuid4())
        RemoteDocument.objects.create(
            organization=organization,
            invoice=invoice,
            connection=connection,
            idempotency_key=str(uuid.uuid4()),
            status=CopyStatus.SUCCEEDED,
            remote_id=remote_id,
            is_latest=True,
        )
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            self.serve_changed_payments(mock, 0)
            for sequence in range(1, 6):
                body = self.webhook_payment_hint(connection.remote_tenant_id, remote_id, sequence)
                response = self._post_webhook(webhooks_on, *self.signed_delivery(body, self.WEBHOOK_KEY))
                assert response.status_code == 200
            assert broker == [[connection.pk]]
            tasks.payments_sync_connections(broker.pop())
        assert WebhookEvent.objects.filter(connection=connection).count() == 5
        assert SyncRun.objects.filter(connection=connection, kind=SyncKind.PAYMENTS).count() == 1
        assert broker == []  # nothing arrived during the run: no trailing one

    # --- export ------------------------------------------------------------------------------------------------

    def _export(self, connection, document, **kwargs):
        from integrations.services.invoice_copy import document_export

        return document_export(document=document, connection=connection, **kwargs)

    @pytest.mark.django_db
    def test_export_kind_is_declared_by_the_provider_and_its_client(self):
        assert self.export_kind in self.provider.export_kinds
        assert self.export_kind in self.api(self.make_connection()).export_kinds

    @pytest.mark.django_db
    def test_export_creates_one_remote_document(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.serve_export(mock)
            connection, document = self.export_setup(organization, subsidiary)
            copy = self._export(connection, document)
        held = self.remote_documents(server)
        assert copy.status == CopyStatus.SUCCEEDED and copy.is_latest and copy.kind == self.export_kind
        assert copy.document == document and list(held) == [copy.remote_id]
        assert copy.remote_number == document.number
        assert copy.remote_version == self.remote_version(server, copy.remote_id)
        assert SyncLogEntry.objects.filter(action=f"{self.export_kind}.created", remote_id=copy.remote_id).exists()

    @pytest.mark.django_db
    def test_export_update_changes_the_same_remote_document(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.serve_export(mock)
            connection, document = self.export_setup(organization, subsidiary)
            first = self._export(connection, document)
            again = self._export(connection, document, mode="update")
        first.refresh_from_db()
        assert again.pk != first.pk and again.remote_id == first.remote_id
        assert again.is_latest and not first.is_latest and first.superseded_at is None
        assert list(self.remote_documents(server)) == [first.remote_id], "an update makes no new remote document"
        assert again.remote_version == self.remote_version(server, again.remote_id)
        assert SyncLogEntry.objects.filter(action=f"{self.export_kind}.updated", remote_id=again.remote_id).exists()

    @pytest.mark.django_db
    def test_export_create_new_makes_a_second_document_and_supersedes_the_first(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.serve_export(mock)
            connection, document = self.export_setup(organization, subsidiary)
            first = self._export(connection, document)
            second = self._export(connection, document, mode="new")
        first.refresh_from_db()
        assert set(self.remote_documents(server)) == {first.remote_id, second.remote_id}
        assert second.remote_id != first.remote_id and second.remote_number == f"{document.number}-2"
        assert second.is_latest and not first.is_latest and first.superseded_at is not None

    @pytest.mark.django_db
    @override_settings(INTEGRATIONS_HTTP_RETRIES=0)
    def test_an_ambiguous_write_is_looked_up_before_it_is_tried_again(self, organization, subsidiary):
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            server = self.serve_export(mock)
            connection, document = self.export_setup(organization, subsidiary)
            self.lose_write_answers(server, 1)
            with pytest.raises(AmbiguousWriteError):
                self._export(connection, document)
            attempt = document.copies.get()
            assert attempt.status == CopyStatus.PENDING and attempt.outcome_unknown
            assert len(self.remote_documents(server)) == 1, "the provider stored it: only the answer was lost"

            copy = self._export(connection, document)
        assert copy.pk == attempt.pk and copy.status == CopyStatus.SUCCEEDED
        assert list(self.remote_documents(server)) == [copy.remote_id], "the retry adopted it, it made no other"
        assert SyncLogEntry.objects.filter(action=f"{self.export_kind}.adopted", remote_id=copy.remote_id).exists()
