"""e-conomic's error answers → the one error hierarchy, with e-conomic's words verbatim.

The documented shape (restdocs "Annotated errors"; recorded `404.json`):
`{"message", "developerHint", "logId", "httpStatusCode", "logTime", "errors": {<property>: {"errors": [{"errorCode",
"message", "value", "developerHint"}]}, "lines": [{"arrayIndex": 0, <property>: {"errors": [...]}}]}}`: the
request's own document with each failing property replaced by its errors. Each becomes one message naming the
property it is about ("lines[0].unitNetPrice: unitNetPrice scale cannot be greater then two decimal places."); the
developer hint and the log id (what e-conomic's support asks for) close the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EconomicError:
    message: str = ""
    developer_hint: str = ""
    log_id: str = ""
    details: tuple[str, ...] = ()
    codes: frozenset[str] = field(default_factory=frozenset)

    @property
    def messages(self) -> list[str]:
        words = [self.message] if self.message else []
        words += [detail for detail in self.details if detail != self.message]
        if self.developer_hint:
            words.append(f"Developer hint: {self.developer_hint}")
        if self.log_id:
            words.append(f"e-conomic log id: {self.log_id}")
        return words


def _walk(node, path: str, details: list[str], codes: set[str]) -> None:
    """The annotated document: {"errors": [...]} at a failing property, dicts and arrays (with arrayIndex) around."""
    if isinstance(node, list):
        for position, element in enumerate(node):
            index = element.get("arrayIndex", position) if isinstance(element, dict) else position
            _walk(element, f"{path}[{index}]", details, codes)
        return
    if not isinstance(node, dict):
        return
    errors = node.get("errors")
    if isinstance(errors, list):  # a failing property
        for error in errors:
            if isinstance(error, dict) and error.get("message"):
                details.append(f"{path}: {error['message']}" if path else str(error["message"]))
                if error.get("errorCode"):
                    codes.add(str(error["errorCode"]))
    for name, child in node.items():
        if name == "arrayIndex" or (name == "errors" and isinstance(errors, list)):
            continue
        _walk(child, f"{path}.{name}" if path else name, details, codes)


def error_from_json(body) -> EconomicError | None:
    """The error of a JSON answer in e-conomic's shape; None for anything else."""
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return None
    details: list[str] = []
    codes: set[str] = set()
    _walk(body.get("errors"), "", details, codes)
    if body.get("errorCode"):
        codes.add(str(body["errorCode"]))
    return EconomicError(
        message=body["message"].strip(),
        developer_hint=str(body.get("developerHint") or "").strip(),
        log_id=str(body.get("logId") or ""),
        details=tuple(details),
        codes=frozenset(codes),
    )


def error_of(response) -> EconomicError | None:
    try:
        return error_from_json(response.json())
    except ValueError:
        return None
