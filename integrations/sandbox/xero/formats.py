"""Xero's wire formats: "/Date(ms+0000)/" dates with ISO twins, numbers, and request date parsing."""

import datetime as dt
import re
import uuid
from decimal import Decimal
from email.utils import parsedate_to_datetime

from ..kit.clock import now_ms  # noqa: F401 (Xero reports milliseconds; the services import it from here)

UTC = dt.UTC


def _epoch_ms(value: dt.datetime) -> int:
    return int(value.astimezone(UTC).timestamp() * 1000)


def ms_date(value: dt.date | dt.datetime | None, offset: bool = True) -> str | None:
    """A date or timestamp as Xero's "/Date(1552262400000+0000)/"."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    suffix = "+0000" if offset else ""
    return f"/Date({_epoch_ms(value)}{suffix})/"


def date_string(value: dt.date | None) -> str | None:
    """The ISO twin of a date, e.g. "2019-03-11T00:00:00"."""
    return None if value is None else f"{value.isoformat()}T00:00:00"


def utc_string(value: dt.datetime | None) -> str | None:
    """The ISO twin of a UTC timestamp, e.g. "2018-11-02T16:36:32Z"."""
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def number(value: Decimal | int | float | None) -> float | None:
    """JSON numbers, as Xero sends them (never strings)."""
    return None if value is None else float(value)


_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_date(value) -> dt.date | None:
    """A request date: "2019-03-11", "2019-03-11T00:00:00" or "/Date(…)/". Raises ValueError."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    match = _MS_DATE.match(text)
    if match:
        return dt.datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC).date()
    return dt.date.fromisoformat(text[:10])


def parse_if_modified_since(value: str) -> dt.datetime | None:
    """The If-Modified-Since header: ISO (with or without fraction/zone; naive means UTC) or an HTTP date."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# Properties named "…ID" that are not GUIDs in Xero's spec; every other one is (format: uuid).
_NOT_GUID_IDS = frozenset({"FieldID", "ReportID", "TaxID"})


def is_guid(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def malformed_guid(value) -> bool:
    """Whether a request body carries an id Xero cannot parse as a GUID anywhere (Contact.ContactID, a line's
    LineItemID…): Xero refuses the whole request then, before looking at any element."""
    if isinstance(value, list):
        return any(malformed_guid(item) for item in value)
    if not isinstance(value, dict):
        return False
    for key, item in value.items():
        if key.endswith("ID") and key not in _NOT_GUID_IDS:
            if item not in (None, "") and not is_guid(item):
                return True
        elif malformed_guid(item):
            return True
    return False
