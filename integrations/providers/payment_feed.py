"""The payment change feed as providers describe it and their clients answer it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

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
    # What the provider needs to find this document's payments again when its remainder falls (e-conomic: the
    # booked invoice and customer numbers); never stored.
    lookup: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def paid(self) -> Decimal:
        return self.total - self.remainder


@dataclass(frozen=True)
class RemainderFall:
    """A remainder that fell since the last run: `amount` more is paid than the payments derived so far."""

    remainder: RemoteRemainder
    amount: Decimal
