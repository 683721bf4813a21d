"""The provider contract: a stateless Provider (what the marketplace shows, how to authorise) and the
AccountingApi its client implements (what the services call), plus the DTOs every provider returns.

Services never see a provider's JSON: they get these dataclasses, with money as Decimal.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError

from billing.choices import Plan
from integrations.exceptions import IntegrationError

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

# Document kinds the export engine knows (integrations.models.DocumentKind has the same values, with labels).
INVOICE = "invoice"
BILL = "bill"
PURCHASE_ORDER = "purchase_order"
DOCUMENT_KINDS = (INVOICE, BILL, PURCHASE_ORDER)

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


@dataclass(frozen=True)
class RemotePaymentRecord:
    id: str
    invoice_remote_id: str
    amount: Decimal
    currency: str
    date: date | None
    reference: str = ""
    deleted: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class PaymentsPage:
    payments: list[RemotePaymentRecord]
    next_cursor: dict
    has_more: bool


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

    @abc.abstractmethod
    def fetch_payments(self, cursor: dict) -> Iterator[PaymentsPage]:
        """Pages of payments changed since the stored cursor; each page carries the cursor to store once it
        has been applied."""

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

    def setup_form(self, connection: Connection, *args, **kwargs):
        """The bound/unbound setup form of a connection; its `save()` applies it through the services.
        None: the provider has nothing to set up."""
        return

    @property
    def has_setup(self) -> bool:
        return type(self).setup_form is not Provider.setup_form

    def setup_is_complete(self, connection: Connection) -> bool:
        return not self.setup_missing(connection)

    def setup_missing(self, connection: Connection) -> list[str]:
        """What the setup still needs before invoices can be copied, one short phrase each; [] when ready."""
        return []

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
        """A new token set from the connection's refresh token (called under the refresh lock with the re-read
        row, so `connection.region` etc. are current). Raise TerminalError when the grant is gone."""
        raise NotImplementedError

    def tenant_details(self, connection: Connection) -> dict:
        """Facts about the remote tenant worth showing or using (e.g. base currency, deep-link code), refreshed
        with the pick lists and kept in connection.settings["tenant"]."""
        return {}

    def revoke(self, connection: Connection) -> None:
        """Withdraw this connection's grant at the provider (the caller treats failures as best effort). Only
        called when no other live connection uses the same remote tenant (services/revocation.py)."""
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
