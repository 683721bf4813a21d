"""What travels on the wire between our HTTP client base (integrations/http.py) and a provider: the answer, how a
provider deduplicates writes, the call budgets it announces, exact JSON numbers, Retry-After, and what a failed
call leaves for support. Provider clients import their declarations (IdempotencyStyle, RateWindow, BYTES) from
here."""

from __future__ import annotations

import hashlib
import json as jsonlib
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal
from email.utils import parsedate_to_datetime
from http import HTTPStatus

import requests
from django.utils import timezone

RAW_BODY_MAX = 2000  # characters of a failed call's raw body kept for support

JSON, TEXT, BYTES = "json", "text", "bytes"  # what a request expects back (`request(..., expect=)`)


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    headers: dict
    data: object  # decoded JSON (None for an empty body), or the text / bytes a request asked for


@dataclass(frozen=True)
class IdempotencyStyle:
    """How a provider deduplicates a repeated write: the key travels in a header (Xero's `Idempotency-Key`, 128
    characters), in a query parameter (QuickBooks' `requestid`, 50) or not at all (Exact, e-conomic). A key
    longer than `max_length` is replaced by a digest of it, so every retry of one attempt still sends the same
    value."""

    where: str = "none"  # "header", "query" or "none"
    name: str = ""
    max_length: int = 0

    @classmethod
    def header(cls, name: str, max_length: int) -> IdempotencyStyle:
        return cls("header", name, max_length)

    @classmethod
    def query(cls, name: str, max_length: int) -> IdempotencyStyle:
        return cls("query", name, max_length)

    @property
    def supported(self) -> bool:
        return self.where in ("header", "query")

    def value(self, key: str) -> str:
        if len(key) <= self.max_length:
            return key
        return hashlib.sha256(key.encode()).hexdigest()[: self.max_length]


NO_IDEMPOTENCY = IdempotencyStyle()


@dataclass(frozen=True)
class RateWindow:
    """One call budget a provider announced on an answer: `remaining` calls until `resets_at` (epoch seconds)."""

    name: str  # which limit: "minutely", "daily"
    remaining: int
    resets_at: float


# A per-process random marker, so no text a user typed can ever be mistaken for a number.
_MARK = secrets.token_hex(8)
_DECIMAL_MARK = re.compile(rf'"{_MARK}:(-?[0-9]+(?:\.[0-9]+)?)"')


def _decimal_marker(value):
    if isinstance(value, Decimal):
        return f"{_MARK}:{value:f}"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps_json(body) -> str:
    """JSON with Decimals written as exact numbers ("12.50" stays 12.50: never through float)."""
    return _DECIMAL_MARK.sub(r"\1", jsonlib.dumps(body, default=_decimal_marker, ensure_ascii=False))


def parse_retry_after(value: str | None) -> int | None:
    """Retry-After as whole seconds (it is either seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0, int((moment - timezone.now()).total_seconds()))


def status_text(status: int) -> str:
    """ "HTTP 502 Bad Gateway": the status and its reason phrase, for messages that have nothing better."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def raw_body_excerpt(response: requests.Response) -> str:
    """The start of a response body for the support log: whitespace runs collapsed, cut to RAW_BODY_MAX."""
    try:
        text = response.text or ""
    except (UnicodeDecodeError, LookupError):
        text = repr(response.content[:RAW_BODY_MAX])
    return " ".join(text.split())[:RAW_BODY_MAX]
