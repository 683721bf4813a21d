"""What services call on one connection (AccountingApi, built on ApiClient by each provider's client) and the
provider's pure half of an export (DocumentMapper)."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from integrations.document_kinds import INVOICE
from integrations.exceptions import IntegrationError, TerminalError, ThrottledError

from .dtos import RemoteChoice, RemoteContact, RemoteDocumentState, RemoteInvoice
from .payment_feed import PaymentsPage, RemainderFall, RemainderQuery, RemoteRemainder

if TYPE_CHECKING:
    from billing.models import Company
    from integrations.models import Connection


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
    def mappings(self, *, connection: Connection, kind: str, service_type_codes: dict, tax_codes: dict, options: dict):
        """This connection's mappings for `kind` (an opaque object the other methods take): the connection's
        settings plus the mapping rows (service type id → code, tax rate id → code) of the kind's purpose, and
        `options`, what the copy prompt asked for this one copy (CopyPrompt.fields by name, already validated;
        {} for a bulk copy or a provider that asks nothing): they override the setup values they start from."""

    @abc.abstractmethod
    def preview(self, kind: str, document, lines: list, mappings) -> list:
        """What will be sent, line by line (for the copy prompt); ValidationError listing every mapping that is
        missing, before anything is saved or sent."""

    @abc.abstractmethod
    def payload(self, kind: str, document, lines: list, mappings, *, contact_id: str, number: str | None) -> dict:
        """The provider's document. `number`: the number to send (None: the document's own; "": none, the
        provider numbers it)."""

    def prompt_preview(self, kind: str, document, lines: list, mappings) -> list:
        """`preview` as the copy prompt shows it before the user chose the prompt's own fields (an Exact journal or
        ledger asked on every copy): it refuses only what no choice on the prompt can fix. The default is
        `preview`; sending always checks with `preview` and the chosen options."""
        return self.preview(kind, document, lines, mappings)

    def provider_numbers(self, connection: Connection, kind: str) -> bool:
        """Whether this connection's setup lets the provider number this kind of document: documents are then
        issued without a number of ours and take the provider's on their first export."""
        return False

    def lookup_keys(self, kind: str, document, *, number: str) -> LookupKeys:
        """What an attempt that may have reached the provider is looked up by before it is tried again: the
        number it sent, else (the provider numbers it) a reference the provider keeps and searches by."""
        return LookupKeys(number=number)

    def pdf_from_provider(self, connection: Connection, kind: str) -> bool:
        """Whether this connection's setup makes the provider the maker of the document's PDF: "Download PDF" on
        our document then fetches the provider's (AccountingApi.document_pdf) from its latest live copy."""
        return False

    def attaches_our_pdf(self, connection: Connection, kind: str) -> bool:
        """Whether our PDF of the document is attached to its copy after every export (AccountingApi.attach_file)."""
        return False


# Who numbers the invoices, as every provider's setup asks it ("numbering": "app" or "provider").
NUMBERING_SETTING = "numbering"
NUMBERING_APP = "app"
NUMBERING_PROVIDER = "provider"


class InvoiceMapper(DocumentMapper):
    """The mapper of a provider that exports invoices only: the kind checked, then its mapping module's pure
    functions (`build_preview`, `build_payload`, as staticmethods); the provider numbers the invoices when the
    connection's numbering setting says so."""

    kinds = frozenset({INVOICE})
    provider_name = ""  # "QuickBooks does not export bills yet."

    def check_kind(self, kind: str) -> None:
        if kind not in self.kinds:
            raise KindNotExported(f"{self.provider_name} does not export {kind}s yet.")

    def preview(self, kind, document, lines, mappings):
        self.check_kind(kind)
        return self.build_preview(document, lines, mappings)

    def payload(self, kind, document, lines, mappings, *, contact_id, number):
        self.check_kind(kind)
        return self.build_payload(document, lines, mappings, contact_id=contact_id, number=number)

    def provider_numbers(self, connection, kind) -> bool:
        return kind == INVOICE and (connection.settings or {}).get(NUMBERING_SETTING) == NUMBERING_PROVIDER


# --- Batches: several documents or contacts in one call ---------------------------------------------------


@dataclass(frozen=True)
class BatchLimits:
    """How many elements one call of the provider takes (1: it has no batch endpoint, the base sends one by one)."""

    documents: int = 1
    contacts: int = 1


@dataclass(frozen=True)
class DocumentWrite:
    """One element of a batched create: the attempt's idempotency key (unique within the batch) and its payload."""

    key: str
    payload: dict


@dataclass(frozen=True)
class WriteResult:
    """What became of one element of a batch, by its key: the provider's answer or its own error. `sent` is False
    when the element never reached the provider (a throttle or a dead grant stopped the batch before it), so
    it is simply tried again later; an element with an AmbiguousWriteError is looked up before any new try."""

    key: str
    answer: object = None  # RemoteInvoice for documents, RemoteContact for contacts
    error: IntegrationError | None = None
    sent: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


# --- What services call -------------------------------------------------------------------------------------


class AccountingApi(abc.ABC):
    """One connection's API. Every method raises the integrations.exceptions hierarchy, nothing else."""

    # The copy prompt's options of the export under way (CopyPrompt.fields by name; {} for a bulk copy), set by the
    # export engine before it sends: a provider whose new contacts need some of them (e-conomic: the customer's
    # group, VAT zone and payment terms) reads them in create_contact.
    copy_options: dict = {}

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

    def date_remainder_falls(self, falls: list[RemainderFall]) -> dict[str, date]:
        """Remainder feed: the date each fall was paid, by document id, where the provider can tell (the core asks
        only when something fell, all of a run's falls at once); a fall left out is dated the day it was seen.
        The default asks nothing."""
        return {}

    # Batches (BatchLimits): a provider with a batch endpoint overrides these; the default sends one by one.

    batch_limits: BatchLimits = BatchLimits()

    def create_documents(self, kind: str, writes: list[DocumentWrite]) -> list[WriteResult]:
        """Create several documents of one kind, at most `batch_limits.documents`; one result per write, in order,
        keyed by the write's key (its attempt's idempotency key). A failed element never fails its neighbours (its
        error carries the provider's words); a whole call whose answer is lost gives each element an
        AmbiguousWriteError (the engine looks each up before any new try); a throttle or a dead grant leaves what it
        stopped `sent=False`. A batch endpoint sends the batch with one idempotency key derived from its elements'
        keys, so the same elements retried are answered, not created twice."""
        return _one_by_one(writes, lambda write: self.create_document(kind, write.payload, write.key))

    def create_contacts(self, companies: list[tuple[str, Company]]) -> list[WriteResult]:
        """Create contacts from (key, company) pairs, at most `batch_limits.contacts`, with create_contact's
        name-clash rule per element; one result per pair, in order, keyed by the pair's key."""
        return _one_by_one(
            [DocumentWrite(key, {"company": company}) for key, company in companies],
            lambda write: self.create_contact(write.payload["company"]),
        )

    # Reconciliation: what the provider holds now for the documents we sent (services/reconciliation.py).

    # How many remote ids one documents_state call takes; the service hands them in chunks of this size. A provider
    # with a list read filtered by ids sets it (and overrides documents_state); 1 = none: the base reads each
    # document on its own through document_state.
    state_batch_size: int = 1

    def documents_state(self, kind: str, remote_ids: list[str]) -> list[RemoteDocumentState]:
        """The current state of these documents of one kind (at most `state_batch_size` ids), in any order. A
        document the provider no longer has is left out, or answered `deleted`. The default reads one by one."""
        states = []
        for remote_id in remote_ids:
            state = self.document_state(kind, remote_id)
            if state is not None:
                states.append(state)
        return states

    def document_state(self, kind: str, remote_id: str) -> RemoteDocumentState | None:
        """One document's current state (None: the provider no longer has it). Only the one-by-one default of
        documents_state calls it; a provider that reads neither cannot be reconciled."""
        raise KindNotExported(f"{getattr(self, 'service_name', type(self).__name__)} does not report {kind} states.")

    # Files: the provider's PDF of a document, and files attached to a document there.

    def document_pdf(self, kind: str, remote_id: str) -> bytes:
        """The provider's PDF of a document we exported (only asked when the mapper's pdf_from_provider says so)."""
        raise KindNotExported(f"{type(self).__name__} does not render {kind} PDFs.")

    def attach_file(
        self, kind: str, remote_id: str, *, filename: str, content: bytes, content_type: str, idempotency_key: str
    ) -> None:
        """Attach a file (our PDF, an expense's receipt) to a document we exported; a retried attachment with the
        same key is attached once."""
        raise KindNotExported(f"{type(self).__name__} does not attach files to {kind}s.")

    # Statuses: where the provider's own status of a document matters to us (a purchase order's DRAFT … BILLED).

    def read_document(self, kind: str, remote_id: str) -> RemoteInvoice:
        """One document we exported as the provider has it now (its status)."""
        raise KindNotExported(f"{type(self).__name__} does not read {kind}s back.")

    def document_changes(self, kind: str, since) -> list[RemoteInvoice]:
        """Every document of `kind` changed since `since` (an aware datetime; None: all), in as few calls as the
        provider allows (Xero: one call a page of 100), so reading statuses back is cheap and batched."""
        raise KindNotExported(f"{type(self).__name__} does not read {kind} changes.")

    @abc.abstractmethod
    def revoke(self) -> None:
        """Withdraw the grant at the provider (best effort is the caller's call)."""


def _one_by_one(writes: list[DocumentWrite], send) -> list[WriteResult]:
    """The batch methods' default: each write on its own; a throttle or a dead grant leaves the rest unsent."""
    results: list[WriteResult] = []
    stop: IntegrationError | None = None
    for write in writes:
        if stop is not None:
            results.append(WriteResult(write.key, error=stop, sent=False))
            continue
        try:
            results.append(WriteResult(write.key, answer=send(write)))
        except (ThrottledError, TerminalError) as exc:
            stop = exc
            results.append(WriteResult(write.key, error=exc, sent=False))
        except IntegrationError as exc:
            results.append(WriteResult(write.key, error=exc))
    return results
