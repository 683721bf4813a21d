"""Intuit's Fault envelope: {"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type": …}, "time"}."""

from ..kit.reply import Reply
from .models import QboCompany
from .store import envelope


def fault(
    status: int,
    code: str,
    message: str,
    detail: str,
    *,
    kind: str = "ValidationFault",
    element: str = "",
    company: QboCompany | None = None,
    headers: dict | None = None,
) -> Reply:
    error = {"Message": message, "Detail": detail, "code": code}
    if element:
        error["element"] = element
    return envelope(company, {"Fault": {"Error": [error], "type": kind}}, status, headers)


def fault_body(code: str, message: str, detail: str, element: str = "") -> dict:
    """A Fault as it appears inside a batch item."""
    error = {"Message": message, "Detail": detail, "code": code}
    if element:
        error["element"] = element
    return {"Error": [error], "type": "ValidationFault"}


class EntityInvalid(Exception):
    """A write Intuit refuses with a ValidationFault (400)."""

    def __init__(self, code: str, message: str, detail: str, element: str = ""):
        super().__init__(message)
        self.code, self.message, self.detail, self.element = code, message, detail, element

    def reply(self, company: QboCompany | None) -> Reply:
        return fault(400, self.code, self.message, self.detail, element=self.element, company=company)

    def body(self) -> dict:
        return fault_body(self.code, self.message, self.detail, self.element)


def required(element: str) -> EntityInvalid:
    return EntityInvalid(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_reference(element: str, value) -> EntityInvalid:
    return EntityInvalid(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {element} assigned is not valid or is inactive (Id={value})",
        element,
    )


def not_found(entity: str, entity_id) -> EntityInvalid:
    return EntityInvalid(
        "610",
        "Object Not Found",
        f"Object Not Found : Something you're trying to use has been made inactive. "
        f"Check the fields with accounts, customers, items, vendors or employees. ({entity} Id={entity_id})",
    )


def stale(entity: str) -> EntityInvalid:
    return EntityInvalid(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and root were working on this at the same time. root finished before you did, "
        "so your work was not saved.",
    )
