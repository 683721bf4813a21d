"""The provider contract: a stateless Provider (what the marketplace shows, how to authorise) and the
AccountingApi its client implements (what the services call), plus the DTOs every provider returns.

Services never see a provider's JSON: they get these dataclasses, with money as Decimal.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from billing.choices import Plan
from integrations.document_kinds import BILL, DOCUMENT_KINDS, INVOICE, PURCHASE_ORDER  # noqa: F401 - re-exported
from integrations.exceptions import IntegrationError
from integrations.setup_schema import CopyPrompt, PickList, SetupContext, SetupSchema, code_and_name
from integrations.setup_schema import setup_missing as schema_setup_missing

if TYPE_CHECKING:
    from billing.models import Company, Organization
    from integrations.models import Connection

COPY_INVOICE = "copy_invoice"
SYNC_PAYMENTS = "sync_payments"
EXPORT_EXPENSES = "export_expenses"
PURCHASE_ORDERS = "purchase_orders"
CAPABILITIES = frozenset({COPY_INVOICE, SYNC_PAYMENTS, EXPORT_EXPENSES, PURCHASE_ORDERS})
CAPABILITY_LABELS = {
    COPY_INVOICE: "Copy invoices",
    SYNC_PAYMENTS: "Sync payments back",
    EXPORT_EXPENSES: "Export expenses as bills",
    PURCHASE_ORDERS: "Copy purchase orders",
}


OAUTH2 = "oauth2"
TOKEN = "token"

PLAN_ORDER = [Plan.ESSENTIAL, Plan.PROFESSIONAL, Plan.ULTIMATE]
REMOTE_ID_MAX = 100  # ContactLink.remote_id, RemoteDocument.remote_id


def plan_allows(plan: str, minimum: str) -> bool:
    """Whether an organization on `plan` may use something that needs at least `minimum`."""
    try:
        return PLAN_ORDER.index(plan) >= PLAN_ORDER.index(minimum)
    except ValueError:
        return False


# --- DTOs ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str = ""
    expires_at: datetime | None = None

    def __repr__(self) -> str:  # never print credentials, not even in a traceback
        return f"TokenSet(expires_at={self.expires_at!r})"


@dataclass(frozen=True)
class TokenPolicy:
    """How a provider's tokens may be refreshed (integrations.tokens follows it). The defaults are Xero's.

    - `refresh_margin`: refresh this long before the access token expires;
    - `minimum_age`: no refresh before the access token is this old (Exact: 9.5 minutes); a refresh asked
      earlier uses the current token while it is still valid, else waits (ThrottledError);
    - `rotates` / `rotation_grace`: each refresh returns a new refresh token; the old one stays usable for the
      grace period (Xero: 30 minutes) or not at all (QuickBooks, Exact). Without a grace a refresh whose answer
      was lost cannot be repeated, so it is never retried;
    - `daily_token_calls`: token-endpoint calls allowed per grant and UTC day (Exact: about 200), refused before
      they would exceed it;
    - `refresh_after_401`: a 401 from the API means the access token died early: refresh once and retry.
    """

    refresh_margin: timedelta = timedelta(seconds=60)
    minimum_age: timedelta = timedelta(0)
    rotates: bool = True
    rotation_grace: timedelta = timedelta(minutes=30)
    daily_token_calls: int | None = None
    refresh_after_401: bool = True

    @property
    def refresh_is_retryable(self) -> bool:
        """Whether a refresh may be sent again after its answer was lost (the old refresh token still works)."""
        return not self.rotates or self.rotation_grace > timedelta(0)


@dataclass(frozen=True)
class RemoteTenant:
    """One remote organisation / company / division / agreement a grant gives access to."""

    id: str
    name: str
    connection_id: str = ""
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteContact:
    id: str
    name: str
    email: str = ""


@dataclass(frozen=True)
class RemoteChoice:
    """An account, tax type or item in the provider: what a setup pick list offers."""

    code: str
    name: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteInvoice:
    """A document as the provider answered a write or a lookup (an invoice, a bill, a purchase order)."""

    id: str
    number: str = ""
    url: str = ""
    status: str = ""  # the provider's own word (AUTHORISED, Booked...)
    amount_due: Decimal | None = None
    # The total as the provider computed it (its rounding), compared with ours after every copy; None: not said.
    total: Decimal | None = None
    # The version the next update must name (QuickBooks' SyncToken); "" where the provider has none.
    version: str = ""
    # Our reading of `status` (a RemoteState value: draft, open, booked, voided); "" when it does not matter.
    state: str = ""


# The same answer for any kind of document: the name the export engine uses.
RemoteDocumentAnswer = RemoteInvoice


# --- The payment change feed ------------------------------------------------------------------------------
# Two kinds (Provider.payment_feed.kind): `cursor`, pages of changed payments since a stored cursor (Xero's
# If-Modified-Since, QuickBooks' CDC, Exact's Modified filters), and `remainder`, for a provider with no payment
# feed (e-conomic): the core asks what is still owed on a bounded set of our open documents and derives the
# payments from the difference (integrations/services/payment_remainders.py).

FEED_CURSOR = "cursor"
FEED_REMAINDER = "remainder"
FEED_KINDS = (FEED_CURSOR, FEED_REMAINDER)


@dataclass(frozen=True)
class PaymentFeed:
    """What a provider's payment feed is like. The apply engine handles every case; these say which ones the
    provider can produce (the contract suite skips the others with `note` as the reason)."""

    kind: str = FEED_CURSOR
    # The provider changes a payment's amount or date in place (False: it deletes and recreates instead).
    edits: bool = True
    # One remote payment can be allocated over several documents (QuickBooks' Payment.Line[].LinkedTxn).
    splits: bool = True
    # Remainder kind: at most this many of our open documents are asked about per run.
    batch_size: int = 50
    note: str = ""

    def __post_init__(self):
        if self.kind not in FEED_KINDS:
            raise ValueError(f"Unknown payment feed kind {self.kind!r}; one of {FEED_KINDS}.")
        if self.batch_size < 1:
            raise ValueError("A payment feed asks about at least one document per run.")


@dataclass(frozen=True)
class PaymentAllocation:
    """The part of a remote payment allocated to one remote document: by its id, or only by its number where the
    provider gives no id (Exact's receivables carry the invoice number)."""

    amount: Decimal
    document_id: str = ""
    document_number: str = ""

    @property
    def key(self) -> str:
        """What keys this allocation among its payment's allocations (RemotePayment.allocation_key)."""
        return self.document_id or f"number:{self.document_number}"


@dataclass(frozen=True)
class RemotePaymentRecord:
    """One change of a remote payment. A deleted stub may carry only the id (QuickBooks CDC, Exact sync/Deleted):
    deletions apply by payment id alone, to every allocation seen before."""

    id: str
    allocations: tuple[PaymentAllocation, ...] = ()
    currency: str = ""
    date: date | None = None
    reference: str = ""
    deleted: bool = False
    updated_at: datetime | None = None

    @property
    def amount(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), Decimal("0"))


@dataclass(frozen=True)
class PaymentsPage:
    payments: list[RemotePaymentRecord]
    next_cursor: dict
    has_more: bool


# What a webhook event asks of us (WebhookNotice.wants_sync): nothing; a payments sync of the tenant's connections
# that hold a copy of the resource (Xero: an INVOICE update, its only sign of a payment); or a payments sync of
# every connection of the tenant (a payment event of a provider that sends them).
SYNC_NONE = ""
SYNC_IF_OUR_DOCUMENT = "document"
SYNC_TENANT = "tenant"


@dataclass(frozen=True)
class WebhookNotice:
    """One event of a signed webhook delivery, in the provider's words. A hint that something changed, never data
    to apply: the payments sync it may queue reads the provider (polling stays the source of truth)."""

    key: str  # unique per provider for one real event, the same in every redelivery of it (the dedupe key)
    tenant_id: str  # the remote tenant: Connection.remote_tenant_id
    resource_kind: str  # e.g. "INVOICE", "Payment"
    resource_id: str
    event_type: str  # e.g. "UPDATE", "Delete"
    occurred_at: datetime | None = None
    wants_sync: str = SYNC_NONE
    # What support may read in the admin: a few of the event's own fields, never a secret or a signature.
    excerpt: dict = field(default_factory=dict)


class WebhookPayloadError(ValueError):
    """A correctly signed body that is not the provider's documented shape."""


def hmac_sha256_base64(key: str, body: bytes) -> str:
    """base64(HMAC-SHA256(body, key)): how Xero (x-xero-signature) and Intuit (intuit-signature) sign the raw body."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode("ascii")


def signatures_match(expected: str, given: str) -> bool:
    """Constant-time comparison of two signatures (never ==: its timing tells an attacker how much matched)."""
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


@dataclass(frozen=True)
class RemainderQuery:
    """One of our open documents the core asks a remainder-kind provider about."""

    document_id: str
    document_number: str = ""


@dataclass(frozen=True)
class RemoteRemainder:
    """What the provider says of one remote document: its total and what is still owed (paid = total - remainder)."""

    document_id: str
    total: Decimal
    remainder: Decimal
    currency: str = ""

    @property
    def paid(self) -> Decimal:
        return self.total - self.remainder


# --- The provider's half of the export: its mapper ----------------------------------------------------------


class KindNotExported(LookupError):
    """A document kind this provider (or this app) does not export."""


@dataclass(frozen=True)
class LookupKeys:
    """What to look a document up by before a create is tried again after an ambiguous outcome."""

    number: str = ""
    reference: str = ""

    def __bool__(self) -> bool:
        return bool(self.number or self.reference)


class DocumentMapper(abc.ABC):
    """Our documents → the provider's payloads, and its rules about them. Pure: no queries of its own, no HTTP.

    The engine loads the document's lines and the connection's mapping rows of the document's purpose (sales for
    invoices, purchase for bills and purchase orders) and hands them in; the mapper alone reads the connection's
    provider-specific settings (its accounts, its numbering choice)."""

    kinds: frozenset[str] = frozenset()

    @abc.abstractmethod
    def mappings(self, *, connection: Connection, kind: str, service_type_codes: dict, tax_codes: dict):
        """This connection's mappings for `kind` (an opaque object the other methods take): the connection's
        settings plus the mapping rows (service type id → code, tax rate id → code) of the kind's purpose."""

    @abc.abstractmethod
    def preview(self, kind: str, document, lines: list, mappings) -> list:
        """What will be sent, line by line (for the copy prompt); ValidationError listing every mapping that is
        missing, before anything is saved or sent."""

    @abc.abstractmethod
    def payload(self, kind: str, document, lines: list, mappings, *, contact_id: str, number: str | None) -> dict:
        """The provider's document. `number`: the number to send (None: the document's own; "": none, the
        provider numbers it)."""

    def provider_numbers(self, connection: Connection, kind: str) -> bool:
        """Whether this connection's setup lets the provider number this kind of document: documents are then
        issued without a number of ours and take the provider's on their first export."""
        return False

    def lookup_keys(self, kind: str, document, *, number: str) -> LookupKeys:
        """What an attempt that may have reached the provider is looked up by before it is tried again: the
        number it sent, else (the provider numbers it) a reference the provider keeps and searches by."""
        return LookupKeys(number=number)


# --- What services call -------------------------------------------------------------------------------------


class AccountingApi(abc.ABC):
    """One connection's API. Every method raises the integrations.exceptions hierarchy, nothing else."""

    @abc.abstractmethod
    def search_contacts(self, term: str) -> list[RemoteContact]: ...

    @abc.abstractmethod
    def create_contact(self, company: Company) -> RemoteContact:
        """Create a contact from our company. A name clash is not an error: return the existing contact of
        that name, or create "Name (2)"."""

    @abc.abstractmethod
    def list_accounts(self) -> list[RemoteChoice]:
        """Active revenue accounts; extra carries what validation needs (e.g. the account's tax type)."""

    @abc.abstractmethod
    def list_tax_types(self) -> list[RemoteChoice]:
        """Active tax types; extra carries e.g. `rate` and `can_apply_to_revenue`."""

    @abc.abstractmethod
    def list_items(self) -> list[RemoteChoice]: ...

    # Export: one set of write methods for every kind of document. A provider's client lists the kinds it exports
    # in `export_kinds` and refuses others (KindNotExported); the payload is its mapper's (DocumentMapper.payload).

    export_kinds: frozenset[str] = frozenset()

    @abc.abstractmethod
    def create_document(self, kind: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        """Create the document; `idempotency_key` is the attempt's (a retried attempt sends the same one). A
        provider without idempotency (Exact) must never retry it blindly: the engine looks it up first
        (`find_document`) after an ambiguous outcome."""

    @abc.abstractmethod
    def update_document(
        self, kind: str, remote_id: str, payload: dict, idempotency_key: str, *, version: str = ""
    ) -> RemoteInvoice:
        """Change the remote document in place. `version` is the one the last answer carried (QuickBooks'
        SyncToken; "" where there is none). A booked document that cannot change is refused
        (ProviderValidationError)."""

    @abc.abstractmethod
    def find_document(self, kind: str, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        """The live (not voided or deleted) document this app made with that number, else that reference; None."""

    @abc.abstractmethod
    def void_document(self, kind: str, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        """Void (or, where the provider wants that for an unapproved document, delete) a document we exported.
        Already voided or deleted is success. A document with payments is refused by the provider: raise
        ProviderValidationError with its words (Provider.refusal_action says what the user can do)."""

    def check_export_kind(self, kind: str) -> None:
        if kind not in self.export_kinds:
            raise KindNotExported(f"{getattr(self, 'service_name', type(self).__name__)} does not export {kind}s.")

    # The invoice kind by its old names (the invoice copy is what most callers and tests know).

    def create_invoice(self, payload: dict, idempotency_key: str) -> RemoteInvoice:
        return self.create_document(INVOICE, payload, idempotency_key)

    def update_invoice(self, remote_id: str, payload: dict, idempotency_key: str) -> RemoteInvoice:
        return self.update_document(INVOICE, remote_id, payload, idempotency_key)

    def find_invoice(self, *, number: str = "", reference: str = "") -> RemoteInvoice | None:
        return self.find_document(INVOICE, number=number, reference=reference)

    def void_invoice(self, remote_id: str, idempotency_key: str) -> RemoteInvoice:
        return self.void_document(INVOICE, remote_id, idempotency_key)

    def fetch_payments(self, cursor: dict) -> Iterator[PaymentsPage]:
        """Cursor feed: pages of payments changed since the stored cursor; each page carries the cursor to store
        once it has been applied, and never one that reaches back before the cursor it was asked with."""
        raise NotImplementedError

    def fetch_remainders(self, documents: list[RemainderQuery]) -> list[RemoteRemainder]:
        """Remainder feed: what is still owed on each of these remote documents (at most the feed's batch_size).
        A document the provider does not know is left out of the answer."""
        raise NotImplementedError

    @abc.abstractmethod
    def revoke(self) -> None:
        """Withdraw the grant at the provider (best effort is the caller's call)."""


# --- What the marketplace and the connect flow use ---------------------------------------------------------


class Provider:
    """A stateless description of one accounting tool. Subclasses set the class attributes and implement the
    auth methods of their `auth_kind`."""

    key: str = ""
    name: str = ""
    description: str = ""
    logo: str = ""  # static path, e.g. "integrations/xero/logo.svg"
    auth_kind: str = OAUTH2
    capabilities: frozenset[str] = frozenset()
    # Announced but not built yet: listed on the marketplace card as "coming soon", never offered as working.
    upcoming_capabilities: frozenset[str] = frozenset()
    # The lowest plan for the whole provider, and for single capabilities beyond that.
    minimum_plan: str = Plan.ESSENTIAL
    capability_plans: dict[str, str] = {}
    # Settings that must all be non-empty for the provider to be offered (the rest of its URLs 404 without them).
    required_settings: tuple[str, ...] = ()
    # Per-tenant call budget (calls, per seconds), e.g. Xero's 60 a minute: deferred bulk copies are spread over it.
    rate_limit: tuple[int, int] | None = None
    # What one remote tenant is called there, on the connect, choose, setup, marketplace and disconnect pages
    # ("organisation" in Xero, "company" in QuickBooks, "division" in Exact, "agreement" in e-conomic).
    tenant_noun: str = "organisation"
    tenant_noun_plural: str = "organisations"
    # The pick lists the setup offers, each fetched by an AccountingApi method and cached by "Refresh lists".
    pick_lists: tuple[PickList, ...] = (
        PickList("accounts", "accounts", "revenue account", "list_accounts", code_and_name),
        PickList("tax_types", "tax rates", "tax rate", "list_tax_types"),
        PickList("items", "items", "item", "list_items", code_and_name),
    )
    # How many invoices one bulk copy may take (each is one task, spread over `rate_limit`).
    bulk_copy_max: int = 100
    # Webhooks and scheduling: the setting holding the minutes between two polls of a connection's payments
    # (polling is the source of truth; a webhook only makes a connection due at once). Providers whose reads are
    # metered (QuickBooks) name their own, longer one.
    poll_interval_setting: str = "PAYMENTS_SYNC_INTERVAL_MINUTES"
    # The setting holding the webhook signing key; "" = the provider sends no webhooks we receive.
    webhook_key_setting: str = ""
    # How payments come back (services/payments_sync.py): a cursor feed unless the provider says otherwise.
    payment_feed: PaymentFeed = PaymentFeed()
    # How its tokens are refreshed (margin, minimum age, rotation, daily cap, 401 rule).
    token_policy: TokenPolicy = TokenPolicy()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key}>"

    # Configuration and plans

    def is_configured(self) -> bool:
        return all(getattr(settings, name, "") for name in self.required_settings)

    def required_plan(self, capability: str | None = None) -> str:
        plans = [self.minimum_plan]
        if capability:
            plans.append(self.capability_plans.get(capability, Plan.ESSENTIAL))
        return max(plans, key=PLAN_ORDER.index)

    def allows(self, organization: Organization, capability: str | None = None) -> bool:
        return plan_allows(organization.plan, self.required_plan(capability))

    def is_sandbox(self) -> bool:
        """Whether new connections talk to the built-in sandbox instead of the real provider."""
        return False

    # Setup (editable any time from the marketplace card's pencil)

    def initial_settings(self) -> dict:
        """Connection.settings of a new connection."""
        return {}

    def setup_schema(self) -> SetupSchema | None:
        """The setup page's sections and fields (integrations.setup_schema), rendered and saved by the core.
        None: the provider has nothing to set up (no pencil, no setup page)."""
        return None

    def setup_form(self, connection: Connection, *args, **kwargs):
        """The bound/unbound setup form of a connection, built from `setup_schema()`; its `save()` applies it
        through the setup service."""
        from integrations.forms import SetupForm

        return SetupForm(connection, *args, provider=self, **kwargs)

    @property
    def has_setup(self) -> bool:
        return self.setup_schema() is not None

    def setup_is_complete(self, connection: Connection) -> bool:
        return not self.setup_missing(connection)

    def setup_missing(self, connection: Connection) -> list[str]:
        """What the setup still needs before invoices can be copied, one short phrase each; [] when ready. By
        default what the schema marks as needed and is not saved yet."""
        schema = self.setup_schema()
        return schema_setup_missing(schema, SetupContext(connection, self)) if schema is not None else []

    def copy_prompt(self, kind: str = INVOICE) -> CopyPrompt | None:
        """What the copy prompt asks for a document of `kind` (None: that kind is not copied to this provider)."""
        return CopyPrompt(kind=kind) if kind == INVOICE and COPY_INVOICE in self.capabilities else None

    # Export: the provider's mapper declares the kinds it maps and its numbering and lookup rules.

    def mapper(self) -> DocumentMapper | None:
        """This provider's DocumentMapper (None: it exports nothing)."""
        return None

    @property
    def export_kinds(self) -> frozenset[str]:
        mapper = self.mapper()
        return frozenset(mapper.kinds) if mapper else frozenset()

    def numbers_documents(self, connection: Connection, kind: str) -> bool:
        mapper = self.mapper()
        return bool(mapper and kind in mapper.kinds and mapper.provider_numbers(connection, kind))

    def numbers_invoices(self, connection: Connection) -> bool:
        """Whether this connection's setup gives the provider the subsidiary's invoice numbering: invoices are then
        finalized without a number and take the provider's on their first copy (issued numbers never change)."""
        return self.numbers_documents(connection, INVOICE)

    def refusal_action(self, messages: list[str], operation: str) -> str:
        """What the user can do about a refusal the provider worded in `messages` ("" when nothing specific).
        `operation` is "copy", "update" (a re-copy over an existing remote invoice) or "void"."""
        return ""

    # Ids the provider issues

    def clean_contact_id(self, value: str) -> str:
        """A contact id someone names (the copy form, the API's contact_id) in this provider's form, normalised;
        "" for none. ValidationError (one message) when it cannot be one of the provider's ids. The core knows no
        form, so the default only bounds the length; a provider whose ids have one (Xero: GUIDs) overrides this."""
        value = (value or "").strip()
        if len(value) > REMOTE_ID_MAX:
            raise ValidationError(f"A {self.name} contact id has at most {REMOTE_ID_MAX} characters.")
        return value

    # Runtime

    def api(self, connection: Connection) -> AccountingApi:
        raise NotImplementedError

    def refresh_tokens(self, connection: Connection) -> TokenSet:
        """A new token set from `connection.grant.refresh_token` (called under the grant's refresh lock with the
        re-read grant on `connection.grant`; `connection.region` etc. are the connection's). Raise TerminalError
        when the grant is gone."""
        raise NotImplementedError

    def tenant_details(self, connection: Connection) -> dict:
        """Facts about the remote tenant worth showing or using (e.g. base currency, deep-link code), refreshed
        with the pick lists and kept in connection.settings["tenant"]."""
        return {}

    def revoke(self, connection: Connection) -> None:
        """Withdraw this connection's grant at the provider (the caller treats failures as best effort). Only
        called when no other live connection uses the same remote tenant nor the same grant
        (services/revocation.py); a grant still shared gets `revoke_tenant` for this tenant instead."""
        raise NotImplementedError

    # Withdrawing the grant of a connect round trip that connected nothing (services/revocation.py decides what
    # may go: never what another live connection still uses; the caller treats failures as best effort).

    def revoke_grant(self, tokens: TokenSet) -> None:
        """Withdraw a whole grant no connection holds, with every tenant it reaches."""
        raise NotImplementedError

    def revoke_tenant(self, tokens: TokenSet, tenant: RemoteTenant) -> None:
        """Withdraw one tenant of such a grant and leave the grant itself (it also reaches a tenant another
        connection uses, and revoking it would cut that connection off)."""
        raise NotImplementedError

    def pending_tenant_details(self, access_token: str, tenant: RemoteTenant, *, options: dict) -> dict:
        """`tenant_details` of a granted tenant before a connection exists (for the warnings on the choose
        page, e.g. a base currency other than the subsidiary's)."""
        return {}

    # Connecting: the round trip through the provider (OAuth 2.0 or an installation URL)

    def connect_fields(self) -> dict:
        """Extra form fields asked before leaving for the provider (e.g. Exact Online's region); their cleaned
        values arrive as `options` below and are kept on the AuthorizationState."""
        return {}

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str, options: dict) -> str:
        """Where to send the admin: the OAuth authorize URL (with `state` and the PKCE S256 challenge of
        `code_verifier`) or an installation URL that comes back to `redirect_uri` with `state`."""
        raise NotImplementedError

    def complete_authorization(
        self, *, params: dict, code_verifier: str, redirect_uri: str, options: dict
    ) -> tuple[TokenSet, list[RemoteTenant]]:
        """From the callback's query parameters to the credentials and the tenants they grant. The default is
        the OAuth 2.0 code flow: exchange `code`, then list the tenants with the new access token. Providers that
        learn the tenant from the callback (QuickBooks' realmId) or get a token instead of a code (e-conomic's
        agreement grant token) override this."""
        code = params.get("code", "")
        if not code:
            raise IntegrationError(f"{self.name} sent no authorisation code.")
        tokens = self.exchange_code(code=code, code_verifier=code_verifier, redirect_uri=redirect_uri, options=options)
        return tokens, self.list_tenants(tokens.access_token, options=options)

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str, options: dict) -> TokenSet:
        raise NotImplementedError

    def list_tenants(self, access_token: str, *, options: dict) -> list[RemoteTenant]:
        raise NotImplementedError

    # Webhooks and scheduling (POST /integrations/<key>/webhooks/: views/webhooks.py, services/webhooks.py)

    @property
    def poll_interval(self) -> timedelta:
        """How often the schedule polls one connection's payments (integrations.tasks.payments_sync_all)."""
        minutes = getattr(settings, self.poll_interval_setting, None)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
            raise ImproperlyConfigured(f"{self.poll_interval_setting} must be a whole number of minutes (1 or more).")
        return timedelta(minutes=minutes)

    @property
    def poll_interval_minutes(self) -> int:
        return int(self.poll_interval.total_seconds() // 60)

    @property
    def has_webhooks(self) -> bool:
        """The provider sends webhooks we receive (it names its key setting and implements the two hooks below)."""
        return bool(self.webhook_key_setting)

    def webhook_key(self) -> str:
        return str(getattr(settings, self.webhook_key_setting, "") or "") if self.has_webhooks else ""

    def webhooks_on(self) -> bool:
        """Configured and with a webhook key: its webhook URL answers (otherwise 404) and the card says so."""
        return self.is_configured() and bool(self.webhook_key())

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether `body` (the raw bytes, never a re-serialised copy) carries the provider's valid signature.
        Called before anything reads the body; compare with signatures_match (constant time)."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes) -> list[WebhookNotice]:
        """The events of a verified delivery ([] for a validation ping); WebhookPayloadError when it is not the
        provider's documented shape."""
        raise NotImplementedError
