"""e-conomic's error document: message, developerHint, logId, httpStatusCode, annotated `errors`, logTime.

Validation errors are annotated like the request payload: `{"<property>": {"errors": [{errorCode, message,
value, developerHint}]}}`, lines as `{"lines": [{"arrayIndex": i, "<property>": {...}}]}`. The four codes the
docs show are used where they fit (E06000 referenced resource missing, E04740 scale, E04500 no product
identifier, E04730 quantity required); codes for the other rules are the sandbox's own (E9xxxx).
"""

import secrets

from django.utils import timezone

from ..kit.reply import Reply, json_reply

NOT_FOUND_HINT = (
    "The API tries to provide all the resource urls you need. If you have hard coded urls yourself, then try to "
    "look at the enclosing collection for hypermedia information on where the resource you are looking for could be."
)

MISSING = "E90001"  # a required property is absent
NUMBER_USED = "E90002"  # a number that must be unique is taken
NOT_VALID = "E90003"  # a value e-conomic refuses (format, range, state)
MISSING_REFERENCE = "E06000"
SCALE = "E04740"
NO_PRODUCT_ID = "E04500"
QUANTITY_REQUIRED = "E04730"


def log_id() -> str:
    return f"{secrets.token_hex(8)}-SBX"


def error(status: int, message: str, hint: str = "", errors: dict | None = None, headers=None) -> Reply:
    body = {"message": message}
    if hint:
        body["developerHint"] = hint
    body["logId"] = log_id()
    body["httpStatusCode"] = status
    if errors:
        body["errors"] = errors
    body["logTime"] = timezone.now().strftime("%Y-%m-%dT%H:%M:%S")
    return json_reply(body, status, headers)


def not_found() -> Reply:
    return error(404, "Resource not found.", NOT_FOUND_HINT)


def unauthorized() -> Reply:
    """Bad or missing tokens, or a grant the agreement revoked (e-conomic answers 401 for both)."""
    return error(
        401,
        "Unauthorized.",
        "Send a valid X-AppSecretToken and X-AgreementGrantToken header; a grant token stops working when the "
        "agreement removes the app. To browse the demo agreement instead, append ?demo=true to the URL.",
    )


def bad_request(message: str, hint: str = "Inspect your request and correct it.") -> Reply:
    return error(400, message, hint)


def method_not_allowed(method: str) -> Reply:
    return error(405, f"The HTTP method {method} is not allowed on this resource.", "See the allowed methods.")


def unsupported_media_type() -> Reply:
    return error(415, "Unsupported media type.", "The API is a JSON API: send Content-Type: application/json.")


def throttled() -> Reply:
    return error(429, "Too many requests.", "The agreement has used its API calls for now; back off and retry.")


def server_error() -> Reply:
    return error(500, "An unexpected error occurred.", "The sandbox was told to fail this call; try again.")


class Invalid(Exception):
    """A write e-conomic refuses with 400 "Validation error." and the annotated errors."""

    def __init__(self):
        super().__init__("Validation error.")
        self.errors: dict = {}

    def add(self, prop: str, code: str, message: str, *, value=None, hint: str = "", line: int | None = None):
        entry = {"errorCode": code, "message": message}
        if value is not None:
            entry["value"] = value
        entry["developerHint"] = hint or "Please check your request data."
        target = self.errors
        if line is not None:
            lines = self.errors.setdefault("lines", [])
            target = next((item for item in lines if item["arrayIndex"] == line), None)
            if target is None:
                target = {"arrayIndex": line}
                lines.append(target)
        *parents, leaf = prop.split(".")  # "recipient.vatZone" nests like the payload
        for parent in parents:
            target = target.setdefault(parent, {})
        target.setdefault(leaf, {"errors": []})["errors"].append(entry)
        return self

    def __bool__(self) -> bool:
        return bool(self.errors)

    def reply(self) -> Reply:
        return error(400, "Validation error.", "Inspect validation errors and correct your request.", self.errors)


def invalid(prop: str, code: str, message: str, **kwargs) -> Invalid:
    return Invalid().add(prop, code, message, **kwargs)
