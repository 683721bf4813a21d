"""The subset of Intuit's query language the app uses, parsed and run over the company's entities.

`select * | count(*) from <Entity> [where <field> <op> <value> [and …]] [orderby <field> [asc|desc]]
[startposition n] [maxresults n]`, ops `= != < > <= >= like in`; no OR, joins or projections (as Intuit).
Default 100 rows, at most 1000. Anything else is a clear QueryParserError fault.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from .company import company_info, preferences
from .models import QboCompany
from .store import live, render

ENTITIES = {
    name.lower(): name
    for name in (
        "Customer",
        "Item",
        "TaxCode",
        "TaxRate",
        "Term",
        "Invoice",
        "Payment",
        "Attachable",
        "Vendor",
        "Employee",
        "Preferences",
        "CompanyInfo",
    )
}
ACTIVE_BY_DEFAULT = {"Customer", "Item", "Vendor", "Employee", "Term"}  # inactive ones need `Active = false`
MAX_RESULTS, DEFAULT_RESULTS = 1000, 100

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|=|<|>|\(|\)|,|\*)|(?P<word>[\w.:+-]+))")


class QueryError(Exception):
    """A bad query: ValidationFault code 4000 (QueryParserError) or 4001 (QueryValidationError)."""

    def __init__(self, detail: str, code: str = "4000"):
        super().__init__(detail)
        self.detail, self.code = detail, code


@dataclass
class Condition:
    field: str
    op: str
    value: object


@dataclass
class Query:
    entity: str
    count: bool = False
    conditions: list[Condition] = field(default_factory=list)
    order: tuple[str, bool] | None = None  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_RESULTS


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f'QueryParserError: Encountered " {text[pos : pos + 10]!r} " at position {pos}')
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _literal(kind: str, raw: str):
    if kind == "str":
        return raw[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise QueryError(f'QueryParserError: Encountered " {raw} " where a value was expected') from exc


def parse(text: str) -> Query:
    tokens = _tokens(text)
    words = [(k, v.lower() if k != "str" else v) for k, v in tokens]
    i = 0

    def expect(value: str):
        nonlocal i
        if i >= len(words) or words[i][1] != value:
            got = tokens[i][1] if i < len(tokens) else "<EOF>"
            raise QueryError(f'QueryParserError: Encountered " {got} " but expected "{value}"')
        i += 1

    expect("select")
    count = False
    if i < len(words) and words[i][1] == "count":
        i += 1
        expect("(")
        expect("*")
        expect(")")
        count = True
    else:
        if i < len(words) and words[i][1] != "*":
            raise QueryError("QueryParserError: projections are not supported by the sandbox; use select *")
        expect("*")
    expect("from")
    if i >= len(words) or words[i][1] not in ENTITIES:
        got = tokens[i][1] if i < len(tokens) else "<EOF>"
        raise QueryError(f"QueryValidationError: Property '{got}' is not queryable", "4001")
    query = Query(entity=ENTITIES[words[i][1]], count=count)
    i += 1
    if i < len(words) and words[i][1] == "where":
        i += 1
        while True:
            if i + 2 >= len(words) + 0 and i + 2 > len(words):
                raise QueryError("QueryParserError: incomplete where clause")
            name, op = tokens[i][1], words[i + 1][1]
            if op not in ("=", "!=", "<", ">", "<=", ">=", "like", "in"):
                raise QueryError(f'QueryParserError: Encountered " {tokens[i + 1][1]} " where an operator was expected')
            i += 2
            if op == "in":
                expect("(")
                values = []
                while i < len(tokens) and tokens[i][1] != ")":
                    if tokens[i][1] != ",":
                        values.append(_literal(*tokens[i]))
                    i += 1
                expect(")")
                value = values
            else:
                if i >= len(tokens):
                    raise QueryError("QueryParserError: incomplete where clause")
                value = _literal(*tokens[i])
                i += 1
            query.conditions.append(Condition(name, op, value))
            if i < len(words) and words[i][1] == "and":
                i += 1
                continue
            if i < len(words) and words[i][1] == "or":
                raise QueryError('QueryParserError: Encountered " OR " (the query language has no OR)')
            break
    if i < len(words) and words[i][1] in ("orderby", "order"):
        i += 1
        if words[i - 1][1] == "order":
            expect("by")
        name = tokens[i][1]
        i += 1
        descending = False
        if i < len(words) and words[i][1] in ("asc", "desc"):
            descending = words[i][1] == "desc"
            i += 1
        query.order = (name, descending)
    for keyword in ("startposition", "maxresults"):
        if i < len(words) and words[i][1] == keyword:
            try:
                number = int(tokens[i + 1][1])
            except (IndexError, ValueError) as exc:
                raise QueryError(f"QueryParserError: {keyword.upper()} needs a number") from exc
            i += 2
            if keyword == "startposition":
                query.start = max(number, 1)
            else:
                if number > MAX_RESULTS:
                    raise QueryError(
                        f"QueryValidationError: value {number} is too large. Max allowed value is {MAX_RESULTS}",
                        "4001",
                    )
                query.max_results = number
    if i < len(tokens):
        raise QueryError(f'QueryParserError: Encountered " {tokens[i][1]} " at the end of the query')
    return query


def _value_at(entity: dict, path: str):
    value = entity
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict) and "value" in value:  # CustomerRef = '58' compares the reference's value
        value = value["value"]
    return value


def _comparable(left, right):
    if isinstance(right, Decimal):
        try:
            return Decimal(str(left)), right
        except InvalidOperation:
            return None, None
    if isinstance(right, bool):
        return bool(left), right
    if isinstance(left, str) and isinstance(right, str) and "T" in right and len(right) > 10:
        try:
            return dt.datetime.fromisoformat(left), dt.datetime.fromisoformat(right.replace("Z", "+00:00"))
        except ValueError:
            pass
    return ("" if left is None else str(left)), right


def _matches(entity: dict, condition: Condition) -> bool:
    actual = _value_at(entity, condition.field)
    if condition.op == "in":
        return any(_comparable(actual, v)[0] == _comparable(actual, v)[1] for v in condition.value)
    if condition.op == "like":
        pattern = "^" + ".*".join(re.escape(p) for p in str(condition.value).split("%")) + "$"
        return actual is not None and re.match(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    left, right = _comparable(actual, condition.value)
    if left is None:
        return False
    try:
        return {
            "=": left == right,
            "!=": left != right,
            "<": left < right,
            ">": left > right,
            "<=": left <= right,
            ">=": left >= right,
        }[condition.op]
    except TypeError:
        return False


def rows(company: QboCompany, query: Query) -> list[dict]:
    if query.entity == "Preferences":
        candidates = [preferences(company)]
    elif query.entity == "CompanyInfo":
        candidates = [company_info(company)]
    else:
        candidates = [render(row) for row in live(company, query.entity).select_related("company")]
    conditions = list(query.conditions)
    if query.entity in ACTIVE_BY_DEFAULT and not any(c.field.lower() == "active" for c in conditions):
        conditions.append(Condition("Active", "=", True))
    found = [entity for entity in candidates if all(_matches(entity, c) for c in conditions)]
    if query.order:
        name, descending = query.order
        found.sort(key=lambda e: _sort_key(_value_at(e, name)), reverse=descending)
    return found


def _sort_key(value):
    try:
        return (0, Decimal(str(value)), "")
    except InvalidOperation:
        return (1, Decimal(0), str(value))


def answer(company: QboCompany, text: str) -> dict:
    """The QueryResponse body for a query (raises QueryError)."""
    query = parse(text)
    found = rows(company, query)
    if query.count:
        return {"totalCount": len(found)}
    page = found[query.start - 1 : query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
