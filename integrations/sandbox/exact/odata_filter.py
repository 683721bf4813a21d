"""The OData v2 `$filter` language, as far as Exact's clients use it: comparisons (eq ne gt ge lt le), and / or /
not, parentheses, substringof / startswith / endswith / trim / tolower / toupper, and the typed literals
'text', guid'…', datetime'…', 123, 123L, 1.5M, true, false, null.

Typed like Exact: a GUID property compares only with guid'…', a date only with datetime'…' (a bare string is
"incompatible operand types", 400); text comparisons ignore case (SQL Server's collation).
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_TOKEN = re.compile(
    r"\s*(?:(?P<guid>guid'[0-9a-fA-F-]{36}')|(?P<datetime>datetime'[^']*')|(?P<string>'(?:[^']|'')*')"
    r"|(?P<number>-?\d+(?:\.\d+)?[LlMmDd]?)|(?P<punct>[(),])|(?P<word>[A-Za-z_][A-Za-z0-9_/]*))"
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS = {"substringof", "startswith", "endswith", "trim", "tolower", "toupper"}


class FilterError(Exception):
    pass


class Literal:
    def __init__(self, kind: str, value):
        self.kind, self.value = kind, value


def _literal(kind: str, text: str) -> Literal:
    if kind == "guid":
        return Literal("G", text[5:-1].lower())
    if kind == "datetime":
        raw = text[9:-1]
        try:
            moment = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise FilterError(f"Unrecognized 'Edm.DateTime' literal 'datetime'{raw}''.") from exc
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return Literal("D", int(moment.timestamp() * 1000))
    if kind == "string":
        return Literal("S", text[1:-1].replace("''", "'"))
    suffix = text[-1] if text[-1] in "LlMmDd" else ""
    digits = text[:-1] if suffix else text
    try:
        return Literal("M" if "." in digits or suffix in "MmDd" and suffix else "I", Decimal(digits))
    except InvalidOperation as exc:
        raise FilterError(f"Invalid number literal {text}.") from exc


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FilterError(f"Syntax error at position {position} in '{text}'.")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class Parser:
    """Recursive descent into a tree of tuples: ("or"|"and", a, b), ("not", a), (op, a, b), ("call", f, args)."""

    def __init__(self, text: str, properties: dict[str, str]):
        self.tokens, self.at, self.properties = tokenize(text), 0, properties

    def parse(self):
        tree = self._or()
        if self.at != len(self.tokens):
            raise FilterError(f"Syntax error near '{self.tokens[self.at][1]}'.")
        return tree

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("", "")

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if not token[0] or (value is not None and token[1] != value):
            raise FilterError(f"Expected '{value}'." if value else "Unexpected end of the filter.")
        self.at += 1
        return token

    def _or(self):
        left = self._and()
        while self._peek() == ("word", "or"):
            self._take()
            left = ("or", left, self._and())
        return left

    def _and(self):
        left = self._not()
        while self._peek() == ("word", "and"):
            self._take()
            left = ("and", left, self._not())
        return left

    def _not(self):
        if self._peek() == ("word", "not"):
            self._take()
            return ("not", self._not())
        left = self._operand()
        kind, word = self._peek()
        if kind == "word" and word in COMPARISONS:
            self._take()
            return self._typed(word, left, self._operand())
        return left

    def _operand(self):
        kind, text = self._take()
        if kind == "punct" and text == "(":
            inner = self._or()
            self._take(")")
            return inner
        if kind in ("guid", "datetime", "string", "number"):
            return _literal(kind, text)
        if kind == "word" and text in ("true", "false"):
            return Literal("B", text == "true")
        if kind == "word" and text == "null":
            return Literal("null", None)
        if kind == "word" and text in FUNCTIONS:
            self._take("(")
            args = [self._or()]
            while self._peek() == ("punct", ","):
                self._take()
                args.append(self._or())
            self._take(")")
            return ("call", text, args)
        if kind == "word":
            if text not in self.properties:
                raise FilterError(f"No property '{text}' exists in type of this entity set.")
            return ("prop", text)
        raise FilterError(f"Syntax error near '{text}'.")

    def _typed(self, op: str, left, right):
        for a, b in ((left, right), (right, left)):
            if isinstance(a, tuple) and a[0] == "prop" and isinstance(b, Literal) and b.kind != "null":
                declared = self.properties[a[1]]
                compatible = {
                    "G": {"G"},
                    "D": {"D"},
                    "S": {"S"},
                    "B": {"B"},
                    "I": {"I", "M"},
                    "M": {"I", "M"},
                    "T": {"I"},
                }.get(declared, {b.kind})
                if b.kind not in compatible:
                    raise FilterError(
                        f"Operator '{op}' incompatible with operand types '{_edm(declared)}' and '{_edm(b.kind)}'."
                    )
        return (op, left, right)


def _edm(kind: str) -> str:
    return {
        "G": "System.Guid",
        "D": "System.DateTime",
        "S": "System.String",
        "B": "System.Boolean",
        "I": "System.Int32",
        "M": "System.Double",
        "T": "System.Int64",
    }.get(kind, kind)


def parse(text: str, properties: dict[str, str]):
    return Parser(text, properties).parse()


def _value(node, row: dict):
    if isinstance(node, Literal):
        return node.value
    kind = node[0]
    if kind == "prop":
        value = row.get(node[1])
        return (
            Decimal(str(value)) if isinstance(value, int | float | Decimal) and not isinstance(value, bool) else value
        )
    if kind == "call":
        args = [_value(arg, row) for arg in node[2]]
        text = [a if isinstance(a, str) else ("" if a is None else str(a)) for a in args]
        name = node[1]
        if name == "substringof":
            return text[0].lower() in text[1].lower()
        if name == "startswith":
            return text[0].lower().startswith(text[1].lower())
        if name == "endswith":
            return text[0].lower().endswith(text[1].lower())
        if name == "trim":
            return text[0].strip()
        return text[0].lower() if name == "tolower" else text[0].upper()
    return matches(node, row)


def _compare(op: str, left, right) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        left, right = left.lower(), right.lower()
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    try:
        return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
    except TypeError:
        return False


def matches(tree, row: dict) -> bool:
    kind = tree[0] if isinstance(tree, tuple) else ""
    if kind == "or":
        return matches(tree[1], row) or matches(tree[2], row)
    if kind == "and":
        return matches(tree[1], row) and matches(tree[2], row)
    if kind == "not":
        return not matches(tree[1], row)
    if kind in COMPARISONS:
        return _compare(kind, _value(tree[1], row), _value(tree[2], row))
    return bool(_value(tree, row))
