"""Intuit's error answers → the one error hierarchy, with Intuit's words verbatim.

Shapes (IntuitRestServiceDef.xsd `Fault`/`Error`; developer.intuit.com "Handling common errors"):
`{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type": "ValidationFault"}, "time": ...}`; the
authentication faults come lower-cased (`{"fault": {"error": [{"message", "detail", "code"}], "type":
"AUTHENTICATION"}}`), and a throttle (code 3001) has been answered as XML even to a JSON request, sometimes with
HTTP 403 instead of 429: each is read defensively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DUPLICATE_NAME = "6240"  # DisplayName taken by a customer, vendor or employee
STALE_OBJECT = "5010"  # SyncToken no longer current
OBJECT_NOT_FOUND = "610"  # deleted or inactive
THROTTLE_EXCEEDED = "3001"
AUTHORIZATION_FAILURE = "120"  # the user is no longer an admin of the company: reconnect
AUTHENTICATION_CODES = {"100", AUTHORIZATION_FAILURE, "3100", "3200"}
THROTTLE_DEFAULT_SECONDS = 60  # Intuit's window is a minute; whether it sends Retry-After is not documented

_XML_ERROR = re.compile(
    r"<Error[^>]*code=\"(?P<code>\d+)\"[^>]*>.*?<Message>(?P<message>.*?)</Message>"
    r"(?:\s*<Detail>(?P<detail>.*?)</Detail>)?",
    re.S,
)


@dataclass(frozen=True)
class FaultError:
    code: str
    message: str
    detail: str = ""

    @property
    def words(self) -> str:
        """Intuit's Message and Detail as it wrote them (Detail names the field or the clashing record)."""
        if self.detail and self.detail != self.message:
            return f"{self.message}: {self.detail}" if self.message else self.detail
        return self.message or self.detail


@dataclass(frozen=True)
class Fault:
    type: str
    errors: tuple[FaultError, ...]

    @property
    def codes(self) -> set[str]:
        return {error.code for error in self.errors}

    @property
    def messages(self) -> list[str]:
        return [error.words for error in self.errors if error.words]


def _get(mapping: dict, name: str):
    """Intuit writes the same fields capitalised (`Fault`, `Message`) or not (`fault`, `message`)."""
    return mapping.get(name, mapping.get(name.lower(), mapping.get(name[0].lower() + name[1:])))


def fault_from_json(body) -> Fault | None:
    """The Fault of a JSON answer (a whole answer, or one batch element), None when it has none."""
    if not isinstance(body, dict):
        return None
    fault = _get(body, "Fault")
    if not isinstance(fault, dict):
        return None
    errors = []
    for error in _get(fault, "Error") or []:
        if isinstance(error, dict):
            errors.append(
                FaultError(
                    code=str(error.get("code") or error.get("Code") or ""),
                    message=str(_get(error, "Message") or ""),
                    detail=str(_get(error, "Detail") or ""),
                )
            )
    return Fault(type=str(fault.get("type") or ""), errors=tuple(errors))


def fault_from_text(text: str) -> Fault | None:
    """An XML Fault (`<Fault type="SERVICE"><Error code="3001"><Message>…`), as Intuit answers some throttles."""
    errors = tuple(
        FaultError(code=match["code"], message=match["message"].strip(), detail=(match["detail"] or "").strip())
        for match in _XML_ERROR.finditer(text or "")
    )
    if not errors:
        return None
    kind = re.search(r"<Fault[^>]*type=\"(?P<type>[^\"]+)\"", text)
    return Fault(type=kind["type"] if kind else "", errors=errors)


def fault_of(response) -> Fault | None:
    try:
        return fault_from_json(response.json())
    except ValueError:
        return fault_from_text(response.text)


def is_throttle(fault: Fault | None) -> bool:
    return bool(fault) and (THROTTLE_EXCEEDED in fault.codes or any("ThrottleExceeded" in m for m in fault.messages))


def is_authentication(fault: Fault | None) -> bool:
    return bool(fault) and (fault.type.upper().startswith("AUTHENTICATION") or bool(fault.codes & AUTHENTICATION_CODES))
