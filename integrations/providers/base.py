"""The provider contract: a stateless Provider (what the marketplace shows, how to authorise, what it declares).

Its other halves live beside it and are re-exported here, so a provider imports its contract from one place:
`accounting_api` (AccountingApi, what services call; DocumentMapper, its pure export rules), `dtos` (what clients
answer), `payment_feed` (how payments come back), `webhook_notices` (what a webhook parser returns).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from billing.choices import Plan
from integrations.document_kinds import BILL, DOCUMENT_KINDS, INVOICE, PURCHASE_ORDER  # noqa: F401 - re-exported
from integrations.exceptions import IntegrationError
from integrations.setup_checks import setup_missing as schema_setup_missing
from integrations.setup_schema import CopyPrompt, PickList, SetupContext, SetupSchema, code_and_name

from .accounting_api import (  # noqa: F401
    NUMBERING_APP,
    NUMBERING_PROVIDER,
    NUMBERING_SETTING,
    AccountingApi,
    BatchLimits,
    DocumentMapper,
    DocumentWrite,
    InvoiceMapper,
    KindNotExported,
    LookupKeys,
    WriteResult,
)
from .dtos import (  # noqa: F401
    RemoteChoice,
    RemoteContact,
    RemoteDocumentAnswer,
    RemoteDocumentState,
    RemoteInvoice,
    RemoteTenant,
    TokenPolicy,
    TokenSet,
)
from .payment_feed import (  # noqa: F401
    FEED_CURSOR,
    FEED_KINDS,
    FEED_REMAINDER,
    PaymentAllocation,
    PaymentFeed,
    PaymentsPage,
    RemainderFall,
    RemainderQuery,
    RemotePaymentRecord,
    RemoteRemainder,
)
from .webhook_notices import (  # noqa: F401
    SYNC_IF_OUR_DOCUMENT,
    SYNC_NONE,
    SYNC_TENANT,
    WebhookNotice,
    WebhookPayloadError,
    hmac_sha256_base64,
    signatures_match,
)

if TYPE_CHECKING:
    from billing.models import Organization
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
    # Per-tenant call budget (calls, per seconds), e.g. Xero's 60 a minute: deferred copies are spread over it, and a
    # bulk copy without batch endpoints is paced under it.
    rate_limit: tuple[int, int] | None = None
    # What one remote tenant is called there, on the connect, choose, setup, marketplace and disconnect pages
    # ("organisation" in Xero, "company" in QuickBooks, "division" in Exact, "agreement" in e-conomic).
    tenant_noun: str = "organisation"
    tenant_noun_plural: str = "organisations"
    # Who an invoice is billed to there, on the copy prompt and its search ("contact" in Xero, "customer" in
    # QuickBooks).
    contact_noun: str = "contact"
    contact_noun_plural: str = "contacts"
    # The pick lists the setup offers, each fetched by an AccountingApi method and cached by "Refresh lists".
    pick_lists: tuple[PickList, ...] = (
        PickList("accounts", "accounts", "revenue account", "list_accounts", code_and_name),
        PickList("tax_types", "tax rates", "tax rate", "list_tax_types"),
        PickList("items", "items", "item", "list_items", code_and_name),
    )
    # How many invoices one bulk copy may take (one batch task per connection, in the client's batch_limits chunks;
    # a provider without batches is paced under `rate_limit`).
    bulk_copy_max: int = 100
    # Webhooks and scheduling: the setting holding the minutes between two polls of a connection's payments
    # (polling is the source of truth; a webhook only makes a connection due at once). Providers whose reads are
    # metered (QuickBooks) name their own, longer one.
    poll_interval_setting: str = "PAYMENTS_SYNC_INTERVAL_MINUTES"
    # The setting holding the webhook signing key; "" = the provider sends no webhooks we receive.
    webhook_key_setting: str = ""
    # The provider validates a new subscription with an empty, unsigned POST (Exact): answered 200, nothing read.
    webhook_validation_ping: bool = False
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

    def exports_enabled(self, connection: Connection, kind: str) -> bool:
        """Whether this connection's setup turns the export of that kind on (a provider may ask: Xero's "Send
        expenses to Xero" for bills). The default: every kind it exports."""
        return True

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
