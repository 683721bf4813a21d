"""e-conomic's 2019 REST docs (e-conomic/slate) and recorded responses (traels-it/economic-rest), read from
shared/provider-specs/economic/ (never copied here): property tables per endpoint and fixture field paths."""

import json
import re
from functools import cache

import pytest

from tests.provider_specs import PROVIDER_SPECS_DIR

SPEC_DIR = PROVIDER_SPECS_DIR / "economic"
DOCS, FIXTURES = SPEC_DIR / "e-conomic-slate-docs", SPEC_DIR / "traels-economic-rest-fixtures"
JSON_TYPES = {"integer": (int,), "number": (int, float), "string": (str,), "Enum": (str,), "object": (dict,)}
JSON_TYPES.update({"boolean": (bool,), "array": (list,)})


def require_specs():
    if not DOCS.is_dir() or not FIXTURES.is_dir():
        pytest.skip(f"e-conomic docs/fixtures not found under {SPEC_DIR} (set PROVIDER_SPECS_DIR)")


@cache
def doc_properties(filename: str, method: str, endpoint: str) -> dict[str, str]:
    """{property path: documented type} from the Properties table under `### METHOD endpoint`."""
    text = (DOCS / filename).read_text()
    heading = re.search(rf"^### <span class='{method.lower()}'>{method}</span> {re.escape(endpoint)}\s*$", text, re.M)
    assert heading, f"{method} {endpoint} not in {filename}"
    section = text[heading.end() :]
    following = re.search(r"^### ", section, re.M)
    section = section[: following.start()] if following else section
    table = section.split("#### Properties", 1)[1]
    rows = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) > 2 and cells[0] not in ("Name", "") and not cells[0].startswith("-"):
            rows[cells[0].replace("<wbr>", "")] = cells[1]
    return rows


@cache
def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def paths(document, prefix: str = "") -> dict[str, type]:
    """{dotted path: JSON type} of every value (list items merge into the list's path)."""
    found = {}
    if isinstance(document, dict):
        for key, value in document.items():
            path = f"{prefix}{key}"
            found[path] = type(value)
            found.update(paths(value, f"{path}."))
    elif isinstance(document, list):
        for item in document:
            found.update(paths(item, prefix))
    return found


def shape_problems(document: dict, documented: dict[str, str], recorded: list) -> list[str]:
    """Fields neither documented nor recorded, and values whose type differs from the docs / recordings."""
    known = {}
    for sample in recorded:
        for path, kind in paths(sample).items():
            known.setdefault(path, set()).add(kind)
    problems = []
    for path, kind in paths(document).items():
        if path in documented and documented[path] in JSON_TYPES:
            allowed = JSON_TYPES[documented[path]]
            if documented[path] == "string" and kind is dict and path in known and dict in known[path]:
                allowed = (str, dict)  # the docs call some links strings that the recordings show as objects
            if not issubclass(kind, allowed) or (kind is bool and bool not in allowed):
                problems.append(f"{path}: {kind.__name__}, documented {documented[path]}")
        elif path in known:
            numeric = {int, float}
            if kind not in known[path] and not ({kind} | known[path]) <= numeric:
                problems.append(f"{path}: {kind.__name__}, recorded {sorted(k.__name__ for k in known[path])}")
        elif path not in documented:
            problems.append(f"{path}: neither documented nor recorded")
    return problems
