"""Xero's official OpenAPI spec as test data: response examples to serve, schemas to check what we send.

The spec is read from the shared research folder (never copied into the project); tests using it skip with the
reason when the folder is absent.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from tests.provider_specs import PROVIDER_SPECS_DIR

SPEC_DIR = PROVIDER_SPECS_DIR / "xero"
ACCOUNTING = SPEC_DIR / "xero_accounting.yaml"
IDENTITY = SPEC_DIR / "xero-identity.yaml"
WEBHOOKS = SPEC_DIR / "xero-webhooks.yaml"


def require_spec():
    if not ACCOUNTING.is_file():
        pytest.skip(f"Xero OpenAPI spec not found at {ACCOUNTING} (shared provider specs are not mounted).")


@cache
def _load(path: Path) -> dict:
    import yaml

    class Loader(yaml.SafeLoader):
        """Keep timestamps as the strings Xero sends, not datetimes."""

    Loader.yaml_implicit_resolvers = {
        key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return yaml.load(path.read_text(), Loader=Loader)  # noqa: S506 - a SafeLoader subclass


def accounting() -> dict:
    require_spec()
    return _load(ACCOUNTING)


def identity() -> dict:
    require_spec()
    return _load(IDENTITY)


def webhooks() -> dict:
    if not WEBHOOKS.is_file():
        pytest.skip(f"Xero webhooks spec not found at {WEBHOOKS} (shared provider specs are not mounted).")
    return _load(WEBHOOKS)


def webhook_examples() -> list[dict]:
    """Every delivery the webhooks spec shows: the credit note example and the 200 response's (a contact)."""
    spec = webhooks()
    credit_note = spec["webhooks"]["creditNotes"]["post"]["requestBody"]["content"]["application/json"]
    received = spec["components"]["responses"]["200WebhookDataReceivedOk"]["content"]["application/json"]
    found = [example["value"] for example in credit_note["examples"].values()] + [received["schema"]["example"]]
    return copy.deepcopy(found)


def example(path: str, method: str, status: str = "200", spec: dict | None = None):
    """A deep copy of the JSON example of one response of the spec."""
    spec = spec or accounting()
    content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    value = content["example"]
    if isinstance(value, str):
        value = json.loads(value)
    return copy.deepcopy(value)


def request_example(path: str, method: str):
    spec = accounting()
    return copy.deepcopy(spec["paths"][path][method]["requestBody"]["content"]["application/json"]["example"])


# --- a small schema check: known properties, JSON types, enums, maxLength ------------------------------------

_TYPES = {
    "string": (str,),
    "number": (int, float, Decimal),
    "integer": (int,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _resolve(schema: dict) -> dict:
    spec = accounting()
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**spec["components"]["schemas"][name], **extra}
    return schema


def schema_errors(value, schema_name: str) -> list[str]:
    """What in `value` (parsed JSON) does not fit components.schemas[schema_name]; [] when it fits."""
    errors: list[str] = []
    _check(value, {"$ref": f"#/components/schemas/{schema_name}"}, schema_name, errors)
    return errors


def _check(value, schema: dict, where: str, errors: list[str]) -> None:
    schema = _resolve(schema)
    expected = schema.get("type") or ("object" if "properties" in schema else None)
    if expected:
        allowed = _TYPES[expected]
        if isinstance(value, bool) and expected != "boolean" or not isinstance(value, allowed):
            errors.append(f"{where}: expected {expected}, got {type(value).__name__} {value!r}")
            return
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{where}: longer than {schema['maxLength']}")
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key not in schema["properties"]:
                errors.append(f"{where}.{key}: not a property of the schema")
            else:
                _check(item, schema["properties"][key], f"{where}.{key}", errors)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{index}]", errors)


def parse_sent_json(body: bytes | str):
    """A request body as sent, numbers as Decimal (so 12.50 is checked as exactly 12.50)."""
    return json.loads(body, parse_float=Decimal)


# --- request parameters: a header's schema, and the string formats it names -------------------------------------

# RFC 3339 section 5.6 "date-time" (what OpenAPI's `format: date-time` means): a full date, a time and a zone.
_RFC3339_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parameter(path: str, method: str, name: str) -> dict:
    """The parameter `name` (case-insensitive) of one operation, its $ref resolved."""
    spec = accounting()
    for item in spec["paths"][path][method].get("parameters") or []:
        if "$ref" in item:
            item = spec["components"]["parameters"][item["$ref"].rsplit("/", 1)[-1]]
        if item["name"].lower() == name.lower():
            return item
    raise AssertionError(f"{method.upper()} {path} declares no parameter {name}")


def value_errors(value: str, schema: dict) -> list[str]:
    """What in a parameter value does not fit its schema: the JSON type, and the `date-time` format."""
    errors = []
    if schema.get("type") == "string" and not isinstance(value, str):
        errors.append(f"{value!r}: not a string")
    elif schema.get("format") == "date-time":
        if not _RFC3339_DATE_TIME.match(value):
            errors.append(f"{value!r}: not an RFC 3339 date-time (a date, a time and a zone: Z or ±hh:mm)")
        else:
            try:
                datetime.fromisoformat(value.replace("z", "Z"))
            except ValueError:
                errors.append(f"{value!r}: not a real date and time")
    return errors
