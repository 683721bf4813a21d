"""A small checker for JSON bodies against the official Xero OpenAPI schemas (read in place, never copied).

Reusable by the client tests:

    from tests.sandbox.openapi import xero_schemas
    schemas = xero_schemas()            # pytest.skip(...) when the spec folder is absent
    schemas.assert_valid(body, "Invoices")                  # a components/schemas name
    schemas.assert_valid(body, "#/components/schemas/Error")  # or a $ref
    schemas.assert_valid(payload, "Invoices", request=True)   # what a client sends (ISO dates allowed)
    xero_schemas("xero-identity.yaml").assert_valid(row, "Connection")

It resolves $ref (siblings of a $ref are merged in), allOf / oneOf / anyOf, and checks type, enum, required,
const, properties, items, format uuid / date-time, and Xero's x-is-msdate / x-is-msdate-time ("/Date(…)/") markers
(in request mode ISO dates are accepted there too, as Xero accepts "YYYY-MM-DD" on writes).
Unknown properties are allowed (the spec does not forbid them and Xero sends extras such as DateString).
`request_schema(path, method)` gives the requestBody schema of an operation, to check what a client sends.
"""

import functools
import re
import uuid

import pytest

from tests.provider_specs import PROVIDER_SPECS_DIR

SPEC_DIR = PROVIDER_SPECS_DIR
XERO_ACCOUNTING = SPEC_DIR / "xero" / "xero_accounting.yaml"

_MS_DATE = re.compile(r"^/Date\(-?\d+([+-]\d{4})?\)/$")
_ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$")
_TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


class SchemaChecker:
    def __init__(self, spec: dict):
        self.spec = spec
        self.request = False  # requests may send ISO dates where responses carry "/Date(…)/"

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            target = self.spec
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **{k: v for k, v in siblings.items() if k not in target}}
        return schema

    def schema(self, name: str) -> dict:
        ref = name if name.startswith("#/") else f"#/components/schemas/{name}"
        return self.resolve({"$ref": ref})

    def errors(self, value, schema: dict, where: str = "$") -> list[str]:
        schema = self.resolve(schema)
        found: list[str] = []
        for sub in schema.get("allOf", []):
            found += self.errors(value, sub, where)
        for key in ("oneOf", "anyOf"):
            if key in schema and all(self.errors(value, sub, where) for sub in schema[key]):
                found.append(f"{where}: matches none of {key}")
        if value is None:
            return found  # Xero omits or nulls optional values; the spec marks nothing nullable
        kind = schema.get("type")
        if kind and not _TYPES[kind](value):
            return [*found, f"{where}: expected {kind}, got {type(value).__name__} {value!r}"]
        if "const" in schema and value != schema["const"]:
            found.append(f"{where}: {value!r} is not {schema['const']!r}")
        if "enum" in schema and value not in schema["enum"]:
            found.append(f"{where}: {value!r} not in enum {schema['enum'][:8]}…")
        if isinstance(value, str):
            found += self._string_errors(value, schema, where)
        if isinstance(value, list) and "items" in schema:
            for index, item in enumerate(value):
                found += self.errors(item, schema["items"], f"{where}[{index}]")
        if isinstance(value, dict):
            for name in schema.get("required", []):
                if name not in value:
                    found.append(f"{where}: missing required property {name}")
            for name, sub in schema.get("properties", {}).items():
                if name in value:
                    found += self.errors(value[name], sub, f"{where}.{name}")
        return found

    def _string_errors(self, value: str, schema: dict, where: str) -> list[str]:
        if schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                return [f"{where}: {value!r} is not a uuid"]
        if schema.get("x-is-msdate") or schema.get("x-is-msdate-time"):
            if not _MS_DATE.match(value) and not (self.request and _ISO_DATE_TIME.match(value)):
                return [f"{where}: {value!r} is not a /Date(…)/ value"]
        if schema.get("format") == "date-time" and not _ISO_DATE_TIME.match(value):
            return [f"{where}: {value!r} is not an ISO date-time"]
        return []

    def assert_valid(self, value, name: str, *, request: bool = False) -> None:
        """Check a response body (or, with request=True, a body a client sends) against a named schema."""
        self.request = request
        try:
            problems = self.errors(value, self.schema(name))
        finally:
            self.request = False
        assert not problems, f"{len(problems)} deviation(s) from the Xero spec's {name}:\n" + "\n".join(problems[:30])

    def request_schema(self, path: str, method: str) -> dict:
        operation = self.spec["paths"][path][method.lower()]
        return self.resolve(operation["requestBody"]["content"]["application/json"]["schema"])


@functools.cache
def _load(path: str) -> dict:
    import yaml

    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def xero_schemas(spec: str = "xero_accounting.yaml") -> SchemaChecker:
    """The checker over an official Xero spec (xero_accounting.yaml or xero-identity.yaml), or a pytest skip
    saying why when the spec is not on this machine."""
    path = XERO_ACCOUNTING if spec == "xero_accounting.yaml" else XERO_ACCOUNTING.with_name(spec)
    if not path.exists():
        pytest.skip(f"Xero OpenAPI spec not found at {path} (set PROVIDER_SPECS_DIR); schema checks skipped")
    return SchemaChecker(_load(str(path)))


class _SpecAbsent:
    """Stands in for the checker when the spec is absent: behaviour tests still run, shape checks are skipped
    (and test_openapi_checker.py reports the skip with its reason)."""

    def assert_valid(self, value, name: str, *, request: bool = False) -> None:
        return None


def optional_schemas(spec: str = "xero_accounting.yaml"):
    """Like xero_schemas(), but without skipping the calling test when the spec is absent."""
    path = XERO_ACCOUNTING if spec == "xero_accounting.yaml" else XERO_ACCOUNTING.with_name(spec)
    return SchemaChecker(_load(str(path))) if path.exists() else _SpecAbsent()
