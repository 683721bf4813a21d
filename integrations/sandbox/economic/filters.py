"""e-conomic's `filter=` language, parsed and applied to answered documents.

`prop$op:value` predicates with `$eq: $ne: $gt: $gte: $lt: $lte: $like: $in: $nin:`, chained by `$and:` /
`$or:` (AND binds tighter; parentheses set precedence), escapes `$$ $( $) $* $, $[ $]`, `$null:` for a missing
value. `$like:` without `*` means "contains"; strings compare case-insensitively. `$in:` / `$nin:` take
`[a,b,…]` of at most 200 values and only on numeric properties. A property outside the collection's filterable
list is refused (400), as e-conomic does.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

OPERATORS = ("$eq:", "$ne:", "$gte:", "$gt:", "$lte:", "$lt:", "$like:", "$nin:", "$in:")
ESCAPES = {"$": "$", "(": "(", ")": ")", "*": "\x01", ",": ",", "[": "[", "]": "]"}
WILDCARD, LITERAL_STAR = "\x00", "\x01"
MAX_IN = 200


class FilterError(Exception):
    pass


@dataclass
class Predicate:
    prop: str
    op: str
    value: object  # str | None ($null:) | list of those ($in:)


@dataclass
class Group:
    op: str  # "and" | "or"
    parts: list


class _Parser:
    def __init__(self, text: str):
        self.text, self.at = text, 0

    def starts(self, token: str) -> bool:
        return self.text.startswith(token, self.at)

    def expression(self):
        parts = [self.conjunction()]
        while self.starts("$or:"):
            self.at += 4
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Group("or", parts)

    def conjunction(self):
        parts = [self.term()]
        while self.starts("$and:"):
            self.at += 5
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Group("and", parts)

    def term(self):
        if self.starts("("):
            self.at += 1
            inner = self.expression()
            if not self.starts(")"):
                raise FilterError("A parenthesis is not closed.")
            self.at += 1
            return inner
        match = re.compile(r"[A-Za-z0-9_.]+").match(self.text, self.at)
        if match is None:
            raise FilterError(f"A property name is expected at position {self.at}.")
        self.at = match.end()
        op = next((o for o in OPERATORS if self.starts(o)), None)
        if op is None:
            raise FilterError(f"An operator is expected after {match.group()}.")
        self.at += len(op)
        value = self.values() if op in ("$in:", "$nin:") else self.value(stop=")")
        return Predicate(match.group(), op[1:-1], value)

    def values(self) -> list:
        if not self.starts("["):
            raise FilterError("$in: and $nin: take a list in brackets: [1,2,3].")
        self.at += 1
        items = []
        while True:
            items.append(self.value(stop=",]"))
            if self.starts(","):
                self.at += 1
                continue
            if self.starts("]"):
                self.at += 1
                return items
            raise FilterError("A list is not closed with ].")

    def value(self, stop: str):
        chars = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "$":
                if self.starts("$and:") or self.starts("$or:"):
                    break
                if self.starts("$null:"):
                    self.at += 6
                    return None
                escaped = self.text[self.at + 1 : self.at + 2]
                if escaped not in ESCAPES:
                    raise FilterError(f"Unknown escape sequence ${escaped}.")
                chars.append(ESCAPES[escaped])
                self.at += 2
                continue
            if char in stop:
                break
            chars.append(WILDCARD if char == "*" else char)
            self.at += 1
        return "".join(chars)


def parse(text: str, filterable: dict[str, str]):
    """The filter as a tree; `filterable` maps each filterable property to "int", "num", "str" or "bool"."""
    parser = _Parser(text)
    tree = parser.expression()
    if parser.at != len(parser.text):
        raise FilterError(f"Unexpected text at position {parser.at}.")
    _check(tree, filterable)
    return tree


def _check(node, filterable: dict[str, str]) -> None:
    if isinstance(node, Group):
        for part in node.parts:
            _check(part, filterable)
        return
    kind = filterable.get(node.prop)
    if kind is None:
        raise FilterError(f"The property {node.prop} is not filterable.")
    if node.op in ("in", "nin"):
        if kind not in ("int", "num"):
            raise FilterError("The $in: and $nin: operators are only allowed on numeric properties.")
        if len(node.value) > MAX_IN:
            raise FilterError(f"The max supported length of an array using $in: or $nin: is {MAX_IN}.")
        for item in node.value:
            _number(item) if item is not None else None
    elif node.value is not None and kind in ("int", "num") and node.op != "like":
        _number(node.value)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text.replace(LITERAL_STAR, "*").replace(WILDCARD, "*"))
    except InvalidOperation as exc:
        raise FilterError(f"{text} is not a number.") from exc


def lookup(document: dict, prop: str):
    value = document
    for key in prop.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def matches(node, document: dict, filterable: dict[str, str]) -> bool:
    if isinstance(node, Group):
        results = (matches(part, document, filterable) for part in node.parts)
        return all(results) if node.op == "and" else any(results)
    actual = lookup(document, node.prop)
    kind = filterable[node.prop]
    if node.op in ("in", "nin"):
        found = any(_equal(actual, item, kind) for item in node.value)
        return found if node.op == "in" else not found
    if node.op == "eq":
        return _equal(actual, node.value, kind)
    if node.op == "ne":
        return not _equal(actual, node.value, kind)
    if actual is None or node.value is None:
        return False
    if node.op == "like":
        return _like(str(actual), node.value)
    left, right = _comparable(actual, node.value, kind)
    return {"gt": left > right, "gte": left >= right, "lt": left < right, "lte": left <= right}[node.op]


def _plain(text: str) -> str:
    return text.replace(WILDCARD, "*").replace(LITERAL_STAR, "*")


def _comparable(actual, value: str, kind: str):
    if kind in ("int", "num"):
        return Decimal(str(actual)), _number(value)
    if kind == "bool":
        return str(bool(actual)).lower(), _plain(value).lower()
    return str(actual).casefold(), _plain(value).casefold()


def _equal(actual, value, kind: str) -> bool:
    if value is None or actual is None:
        # booleans are omitted when false, so `barred$eq:false` matches a missing property
        if kind == "bool" and actual is None and value is not None:
            return _plain(value).lower() == "false"
        return value is None and actual is None
    left, right = _comparable(actual, value, kind)
    return left == right


def _like(actual: str, pattern: str) -> bool:
    if WILDCARD not in pattern:
        return _plain(pattern).casefold() in actual.casefold()
    parts = [re.escape(_plain(piece)) for piece in pattern.split(WILDCARD)]
    return re.fullmatch(".*".join(parts), actual, flags=re.IGNORECASE | re.DOTALL) is not None


def numbers_named(tree, key: str) -> set[str] | None:
    """The values of `key` a matching document must have, when the filter says so at its top (`key$in:[…]` or
    `key$eq:n`, alone or in a top-level `$and:`); None when it does not. Lets a collection read only those rows."""
    parts = tree.parts if isinstance(tree, Group) and tree.op == "and" else [tree]
    for part in parts:
        if isinstance(part, Predicate) and part.prop == key:
            if part.op == "in":
                return {str(_number(value)) for value in part.value if value is not None}
            if part.op == "eq" and part.value is not None:
                return {str(_number(part.value))}
    return None
