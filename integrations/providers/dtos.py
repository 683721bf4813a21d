"""What every provider's client answers with: plain frozen dataclasses, money as Decimal. Services never see a
provider's JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal


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


@dataclass(frozen=True)
class RemoteDocumentState:
    """What the provider holds now for a document we sent, for reconciliation (services/reconciliation.py): its
    number, total, currency, amount paid (None where the provider does not say) and state (a RemoteState value:
    draft, open, booked, voided). A document the provider deleted is `deleted` (or simply left out of the answer)."""

    id: str
    number: str = ""
    status: str = ""  # the provider's own word (AUTHORISED, VOIDED, ...)
    state: str = ""
    total: Decimal | None = None
    currency: str = ""
    amount_paid: Decimal | None = None
    deleted: bool = False
