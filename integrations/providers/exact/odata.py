"""Exact Online's OData v2 REST conventions: the JSON envelope, paging, literals, dates, errors and rate headers.

Reference: start.exactonline.nl/docs/HlpRestAPIResources.aspx (and "REST API – Tips and tricks"); shapes as in
Exact's own .NET SDK fixtures (`{"d": {"results": [...], "__next": "…$skiptoken=…"}}` for a collection, `{"d":
{...}}` for one entity), `{"error": {"code": "", "message": {"lang": "", "value": "<text>"}}}` for a refusal.
Dates are WCF dates ("/Date(1382667906263)/", ms since the epoch, UTC); codes come space-padded ("02 ", "NL ",
Account Code "              1237"), so they are trimmed before use.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from integrations.exceptions import TransientError
from integrations.http_wire import RateWindow

_WCF_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
CRUD_PAGE = 60  # records per page of the standard endpoints
SYNC_PAGE = 1000  # records per page of sync/ and bulk/ endpoints


def envelope(data) -> dict:
    """The `d` of an answer; a body without it is not Exact's shape."""
    if not isinstance(data, dict) or not isinstance(data.get("d"), dict | list):
        raise TransientError("Exact Online sent an answer without its “d” envelope.")
    return data["d"] if isinstance(data["d"], dict) else {"results": data["d"]}


def results(data) -> tuple[list[dict], str]:
    """(the rows of a collection answer, its `__next` link or "")."""
    body = envelope(data)
    rows = body.get("results")
    if not isinstance(rows, list):
        raise TransientError("Exact Online sent a collection without “results”.")
    return [row for row in rows if isinstance(row, dict)], str(body.get("__next") or "")


def entity(data) -> dict:
    """The one entity of an answer to a POST with `Prefer: return=representation` (or a single read)."""
    body = envelope(data)
    if isinstance(body.get("results"), list):
        rows = [row for row in body["results"] if isinstance(row, dict)]
        if len(rows) == 1:
            return rows[0]
        raise TransientError("Exact Online sent several records where it should have sent one.")
    return body


def quote(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def guid(value: str) -> str:
    return f"guid'{value}'"


def any_of(field: str, values, literal=str) -> str:
    """`(field eq a or field eq b …)`: OData v2 has no `in`."""
    return "(" + " or ".join(f"{field} eq {literal(value)}" for value in values) + ")"


def trimmed(value) -> str:
    return str(value or "").strip()


def parse_date(value) -> date | None:
    moment = parse_datetime(value)
    return moment.date() if moment else None


def parse_datetime(value) -> datetime | None:
    if value in (None, ""):
        return None
    match = _WCF_DATE.match(str(value))
    if match:
        return datetime.fromtimestamp(int(match[1]) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise TransientError(f"Exact Online sent a date we cannot read: {value!r}.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def wcf_date(moment: datetime | date) -> str:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    return f"/Date({int(moment.timestamp() * 1000)})/"


def parse_amount(value) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except (InvalidOperation, TypeError, ValueError):
        raise TransientError(f"Exact Online sent an amount we cannot read: {value!r}.") from None


def error_messages(response) -> list[str]:
    """`error.message.value`, verbatim (the only documented error shape of the REST API)."""
    try:
        body = response.json()
    except ValueError:
        return []
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    value = message.get("value") if isinstance(message, dict) else message
    return [str(value)] if isinstance(value, str) and value.strip() else []


# X-RateLimit-* (every answer, per app and division): the daily budget and the minutely one, resets in epoch
# milliseconds. On a minutely 429 Exact sends only the minutely headers, so an absent header is unknown, not 0.
DAILY_HEADERS = ("X-RateLimit-Remaining", "X-RateLimit-Reset")
MINUTELY_HEADERS = ("X-RateLimit-Minutely-Remaining", "X-RateLimit-Minutely-Reset")


def rate_windows(headers) -> list[RateWindow]:
    windows = []
    for name, (remaining, reset) in (("minutely", MINUTELY_HEADERS), ("daily", DAILY_HEADERS)):
        if headers.get(remaining) in (None, "") or headers.get(reset) in (None, ""):
            continue
        windows.append(RateWindow(name, int(headers[remaining]), int(headers[reset]) / 1000))
    return windows
