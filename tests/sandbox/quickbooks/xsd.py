"""A small checker of the sandbox's JSON against Intuit's XSDs (provider-specs/quickbooks/), stdlib only.

Intuit's JSON mirrors the XSDs: element and attribute names are the keys, repeated elements are arrays, a simple
content's text is `value` (ReferenceType → {"value", "name"}). The checker reports keys the schema does not know,
arrays where one value belongs (and back), wrong primitive types and values outside an enumeration.
"""

import xml.etree.ElementTree as ET
from functools import cache

import pytest

from tests.provider_specs import PROVIDER_SPECS_DIR

XS = "{http://www.w3.org/2001/XMLSchema}"
SPECS = PROVIDER_SPECS_DIR / "quickbooks"
NUMBERS = {"decimal", "int", "integer", "long", "double", "float", "short", "positiveInteger", "nonNegativeInteger"}


def _local(name: str) -> str:
    return (name or "").split(":")[-1]


@cache
def schema() -> dict:
    if not (SPECS / "IntuitRestServiceDef.xsd").is_file():
        pytest.skip(f"Intuit's XSDs are not in {SPECS} (shared/provider-specs/quickbooks is absent)")
    found = {"complex": {}, "simple": {}, "group": {}, "element": {}}
    for path in sorted(SPECS.glob("*.xsd")):
        root = ET.parse(path).getroot()
        for node in root:
            kind = {"complexType": "complex", "simpleType": "simple", "group": "group", "element": "element"}.get(
                node.tag.removeprefix(XS)
            )
            if kind and node.get("name"):
                found[kind][node.get("name")] = node
    return found


def _substitutes(head: str) -> dict:
    """Top-level elements standing in for `head` (IntuitObject → Invoice, Customer, …), transitively."""
    out = {}
    for name, node in schema()["element"].items():
        group = _local(node.get("substitutionGroup", ""))
        if group == head:
            out[name] = (_local(node.get("type", "")), False)
        elif group:
            if head in _chain(name):
                out[name] = (_local(node.get("type", "")), False)
    return out


def _chain(name: str) -> list[str]:
    seen, node = [], schema()["element"].get(name)
    while node is not None and node.get("substitutionGroup"):
        parent = _local(node.get("substitutionGroup"))
        seen.append(parent)
        node = schema()["element"].get(parent)
    return seen


def _walk(node, out: dict) -> None:
    for child in node:
        tag = child.tag.removeprefix(XS)
        if tag in ("sequence", "choice", "all", "complexContent", "simpleContent"):
            _walk(child, out)
        elif tag in ("extension", "restriction"):
            base = _local(child.get("base", ""))
            if node.tag.removeprefix(XS) == "simpleContent":
                out["value"] = (base, False)
            elif base in schema()["complex"]:
                out.update(members(base))
            _walk(child, out)
        elif tag == "group":
            _walk(schema()["group"][_local(child.get("ref"))], out)
        elif tag == "element":
            many = child.get("maxOccurs", "1") not in ("0", "1")
            if child.get("ref"):
                ref = _local(child.get("ref"))
                top = schema()["element"][ref]
                if top.get("abstract") == "true":
                    out.update({name: (t, many) for name, (t, _) in _substitutes(ref).items()})
                else:
                    out[ref] = (_local(top.get("type", "")), many)
            else:
                out[child.get("name")] = (_local(child.get("type", "")) or "anyType", many)
        elif tag == "attribute":
            out[child.get("name")] = (_local(child.get("type", "string")), False)


@cache
def members(type_name: str) -> dict:
    out: dict = {}
    _walk(schema()["complex"][type_name], out)
    return out


def _enumeration(type_name: str):
    node = schema()["simple"][type_name]
    restriction = node.find(f"{XS}restriction")
    if restriction is None:
        return None, "string"
    values = [e.get("value") for e in restriction.findall(f"{XS}enumeration")]
    return values or None, _local(restriction.get("base", "string"))


def _primitive(value, type_name: str, path: str) -> list[str]:
    if type_name in NUMBERS:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif type_name == "boolean":
        ok = isinstance(value, bool)
    elif type_name == "anyType":
        ok = True
    else:
        ok = isinstance(value, str)
    return [] if ok else [f"{path}: {value!r} is not xs:{type_name}"]


def errors(value, type_name: str, path: str = "$") -> list[str]:
    if type_name in schema()["simple"]:
        allowed, base = _enumeration(type_name)
        if allowed is not None and value not in allowed:
            return [f"{path}: {value!r} is not one of {type_name}"]
        return errors(value, base, path)
    if type_name not in schema()["complex"]:
        return _primitive(value, type_name, path)
    if not isinstance(value, dict):
        return [f"{path}: expected an object of {type_name}"]
    known, found = members(type_name), []
    for key, item in value.items():
        if key not in known:
            found.append(f"{path}.{key}: not in {type_name}")
            continue
        child_type, many = known[key]
        if many:
            if not isinstance(item, list):
                found.append(f"{path}.{key}: expected an array")
                continue
            for index, element in enumerate(item):
                found += errors(element, child_type, f"{path}.{key}[{index}]")
        elif isinstance(item, list):
            found.append(f"{path}.{key}: expected one value, not an array")
        else:
            found += errors(item, child_type, f"{path}.{key}")
    return found


def assert_response(body: dict) -> None:
    """A whole answer is an IntuitResponse (Invoice / QueryResponse / Fault / BatchItemResponse / … and time)."""
    found = errors(body, "IntuitResponse")
    assert not found, "\n".join(found)
