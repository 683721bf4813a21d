"""Shared by the sandbox services: the per-element error and Xero's field checks."""

import datetime as dt

from ..formats import parse_date


class ElementInvalid(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


NOT_FOUND = "The document with the supplied id was not found for this endpoint."
INVOICE_TYPES = ("ACCREC", "ACCPAY")
CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
PO_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED", "BILLED", "DELETED")


def text_field(data: dict, key: str, max_length: int, errors: list[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    value = str(value)
    if len(value) > max_length:
        errors.append(f"{key} must not be more than {max_length} characters long.")
    return value


def date_field(data: dict, key: str, errors: list[str]) -> dt.date | None:
    try:
        return parse_date(data.get(key))
    except ValueError:
        errors.append(f"{key} '{data.get(key)}' is not a valid date.")
        return None
