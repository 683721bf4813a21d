"""Xero's `where` filter, applied to the JSON objects the sandbox is about to return.

Supported: `Path == value`, `!=`, `>`, `>=`, `<`, `<=`, `Path.Contains("x")`, `.StartsWith`, `.EndsWith`,
joined with AND / OR (or && / ||; AND binds tighter). Values: "text" (backslash escapes), numbers, true/false,
null, guid("…"), DateTime(2020, 1, 31). Paths may be dotted (Contact.ContactID). String comparison ignores case.
"""

import datetime as dt
import re

from .formats import parse_date


class WhereError(ValueError):
    pass


_METHOD = re.compile(r"^\s*([A-Za-z][\w.]*)\.(Contains|StartsWith|EndsWith)\(\s*\"(.*)\"\s*\)\s*$", re.IGNORECASE)
_COMPARE = re.compile(r"^\s*([A-Za-z][\w.]*)\s*(==|!=|>=|<=|>|<)\s*(.+?)\s*$")
_DATETIME = re.compile(r"^DateTime\(\s*(\d{4})\s*,\s*(\d{1,2})\s*,\s*(\d{1,2})\s*\)$", re.IGNORECASE)
_GUID = re.compile(r"^(?:guid|Guid)\(\s*\"([0-9a-fA-F-]{36})\"\s*\)$")


def _split(text: str, words: tuple[str, str]) -> list[str]:
    """Split on a boolean operator outside quotes."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        char = text[i]
        if quoted and char == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])  # an escaped character inside a string literal
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        if not quoted:
            matched = next(
                (w for w in words if text[i : i + len(w)].upper() == w and (w in ("&&", "||") or _bounded(text, i, w))),
                None,
            )
            if matched:
                parts.append("".join(current))
                current = []
                i += len(matched)
                continue
        current.append(char)
        i += 1
    parts.append("".join(current))
    return parts


def _bounded(text: str, i: int, word: str) -> bool:
    before = text[i - 1] if i > 0 else " "
    after = text[i + len(word)] if i + len(word) < len(text) else " "
    return before.isspace() and after.isspace()


def _value(raw: str):
    raw = raw.strip()
    if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
        return _unescape(raw[1:-1])
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    if raw.lower() == "null":
        return None
    match = _GUID.match(raw)
    if match:
        return match.group(1).lower()
    match = _DATETIME.match(raw)
    if match:
        return dt.date(*(int(part) for part in match.groups()))
    try:
        return float(raw)
    except ValueError as exc:
        raise WhereError(f"Unknown value {raw!r}") from exc


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _lookup(obj: dict, path: str):
    value = obj
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        key = next((k for k in value if k.lower() == part.lower()), None)
        if key is None:
            return None
        value = value[key]
    return value


def _comparable(left, right):
    if isinstance(right, dt.date) and isinstance(left, str):
        try:
            return parse_date(left), right
        except ValueError:
            return None, right
    if isinstance(left, str) and isinstance(right, str):
        return left.lower(), right.lower()
    if isinstance(left, bool) or isinstance(right, bool):
        return left, right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return float(left), float(right)
    return left, right


def _clause(text: str):
    match = _METHOD.match(text)
    if match:
        path, method, needle = match.groups()
        method, needle = method.lower(), _unescape(needle)

        def test(obj):
            value = _lookup(obj, path)
            if not isinstance(value, str):
                return False
            value, lowered = value.lower(), needle.lower()
            if method == "contains":
                return lowered in value
            return value.startswith(lowered) if method == "startswith" else value.endswith(lowered)

        return test
    match = _COMPARE.match(text)
    if not match:
        raise WhereError(f"Cannot parse {text.strip()!r}")
    path, op, raw = match.groups()
    expected = _value(raw)

    def test(obj):
        left, right = _comparable(_lookup(obj, path), expected)
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if left is None or right is None:
            return False
        try:
            return {">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}[op]
        except TypeError:
            return False

    return test


def compile_where(text: str):
    """A predicate over JSON objects, or None for an empty filter. Raises WhereError."""
    if not text or not text.strip():
        return None
    alternatives = []
    for alternative in _split(text, ("OR", "||")):
        clauses = [_clause(part) for part in _split(alternative, ("AND", "&&"))]
        alternatives.append(clauses)
    return lambda obj: any(all(test(obj) for test in clauses) for clauses in alternatives)
