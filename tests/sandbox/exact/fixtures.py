"""A small checker of the sandbox's OData JSON against Exact's own .NET SDK fixtures (shared/provider-specs/exact,
read in place, never copied): the `d` / `d.results` / `__next` envelope, and per entity type that every property
the sandbox answers exists in Exact's fixture of that type with the same JSON kind (null either way allowed;
dates as /Date(ms)/). Skips with a reason when the fixtures are absent."""

import json
import re
from functools import cache

import pytest

from tests.provider_specs import PROVIDER_SPECS_DIR

FIXTURES = PROVIDER_SPECS_DIR / "exact" / "exactonline-api-dotnet-client-fixtures"
FILES = [
    "APIResponse_Json_Array.txt",
    "Response_Json_Array_Account_WithLinkedEntities.txt",
    "Response_Json_Array_GLAccount.txt",
    "Response_Json_Array_SalesInvoice_WithLinkedEntities.txt",
    "Response_Json_Object_SalesInvoice.txt",
]
_DATE = re.compile(r"^/Date\(-?\d+\)/$")


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "date" if _DATE.match(value) else "string"
    return "object" if isinstance(value, dict) else "array"


def _collect(entity: dict, into: dict) -> None:
    type_name = entity.get("__metadata", {}).get("type")
    if not type_name:
        return
    props = into.setdefault(type_name, {})
    for name, value in entity.items():
        if name == "__metadata":
            continue
        if isinstance(value, dict) and "results" in value:
            for line in value["results"]:
                _collect(line, into)
        props.setdefault(name, set()).add(_kind(value))


@cache
def fixture_types() -> dict[str, dict[str, set]]:
    """Property name → JSON kinds seen, per __metadata.type, over the SDK's fixtures."""
    if not FIXTURES.is_dir():
        pytest.skip(f"Exact's SDK fixtures are not at {FIXTURES} (shared/provider-specs absent)")
    types: dict = {}
    for name in FILES:
        body = json.loads((FIXTURES / name).read_text(encoding="utf-8-sig"))["d"]
        for entity in body.get("results", [body]):
            _collect(entity, types)
    return types


def fixture_envelope(name: str) -> dict:
    if not FIXTURES.is_dir():
        pytest.skip(f"Exact's SDK fixtures are not at {FIXTURES} (shared/provider-specs absent)")
    return json.loads((FIXTURES / name).read_text(encoding="utf-8-sig"))


def assert_entity(entity: dict) -> int:
    """Checks one answered entity (and its expanded lines); returns how many properties were compared."""
    types = fixture_types()
    metadata = entity["__metadata"]
    assert metadata["uri"].startswith("http") and metadata["type"].startswith("Exact.Web.Api.Models.")
    known = types.get(metadata["type"])
    compared = 0
    for name, value in entity.items():
        if name == "__metadata":
            continue
        if isinstance(value, dict) and "results" in value:
            compared += sum(assert_entity(line) for line in value["results"])
            continue
        if isinstance(value, dict) and "__deferred" in value:
            assert value["__deferred"]["uri"].startswith(metadata["uri"]), value
            continue
        if known is None:
            continue
        assert name in known, f"{metadata['type']}.{name} is not a property in Exact's fixtures"
        kind = _kind(value)
        if kind != "null" and known[name] != {"null"}:
            assert kind in known[name], f"{metadata['type']}.{name}: {kind} here, {known[name]} in the fixtures"
        compared += 1
    return compared


def assert_collection(body: dict) -> list[dict]:
    assert set(body) == {"d"}, body
    assert isinstance(body["d"]["results"], list)
    assert set(body["d"]) <= {"results", "__next", "__count"}
    if "__next" in body["d"]:
        assert "$skiptoken=" in body["d"]["__next"]
    for entity in body["d"]["results"]:
        assert_entity(entity)
    return body["d"]["results"]


SCHEMAS = PROVIDER_SPECS_DIR / "exact" / "skylence-exactonline-laravel-api" / "schemas"
_SCHEMA_TYPES = {
    "G": {"guid"},
    "S": {"string"},
    "I": {"int16", "int32", "int64", "byte"},
    "M": {"double", "decimal"},
    "D": {"datetime"},
    "B": {"boolean", "bool"},
    "N": {"collection"},
}


def schema_fields(entity: str) -> dict:
    """A third-party field list (skylence, generated from Exact's REST reference; unverified)."""
    path = SCHEMAS / f"{entity}.json"
    if not path.is_file():
        pytest.skip(f"The skylence field lists are not at {SCHEMAS} (shared/provider-specs absent)")
    return json.loads(path.read_text())["fields"]


def assert_properties_known(entity_set) -> None:
    """Each property the sandbox declares is in the field list (same type) or in Exact's SDK fixture of its type."""
    fields, fixture = schema_fields(entity_set.entity), fixture_types().get(entity_set.type_name, {})
    for name, kind in entity_set.properties.items():
        if name in fields:
            assert fields[name]["type"] in _SCHEMA_TYPES[kind], f"{entity_set.entity}.{name}: {fields[name]} vs {kind}"
        else:
            assert name in fixture, f"{entity_set.entity}.{name} is in neither the field list nor the SDK fixtures"
