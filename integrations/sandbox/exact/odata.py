"""Exact's OData v2 JSON: `{"d": {"results": [...], "__next": …}}`, `__metadata`, /Date(ms)/ dates, `$select`,
`$filter`, `$expand` of lines, `$orderby`, `$top`, `$skiptoken` paging (60 a page, 1000 on sync endpoints),
`$inlinecount`, `/$count`, and Exact's error body `{"error": {"code": "", "message": {"lang": "", "value": …}}}`.
"""

from decimal import Decimal
from urllib.parse import quote

from ..kit.reply import Reply, json_reply
from . import odata_filter
from .shapes import EntitySet


class ODataError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status

    def reply(self) -> Reply:
        return error(self.status, self.message)


def error(status: int, message: str, headers: dict | None = None) -> Reply:
    return json_reply({"error": {"code": "", "message": {"lang": "", "value": message}}}, status, headers)


def number(value) -> int | Decimal:
    """Amounts are JSON numbers on Exact's wire (9075, 6352.5); kept as decimal strings, sent as exact numbers
    without trailing zeros (the kit writes a Decimal as a JSON number, never through float)."""
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return int(amount)
    return amount.quantize(Decimal(1).scaleb(-len(str(amount).split(".")[1].rstrip("0"))))


def wire(kind: str, value):
    if value is None:
        return None
    if kind == "M":
        return number(value)
    if kind == "D":
        return f"/Date({int(value)})/"
    return value


def typed(kind: str, value):
    """A stored value as `$filter` compares it (money as Decimal, dates as epoch milliseconds)."""
    if value is None:
        return None
    return Decimal(str(value)) if kind == "M" else value


def key_literal(entity_set: EntitySet, key) -> str:
    if entity_set.key_type == "G":
        return f"guid'{key}'"
    return f"{key}L" if entity_set.key_type == "T" else str(key)


def entity_uri(base: str, division: int, entity_set: EntitySet, key, path: str = "") -> str:
    return f"{base}/{division}/{path or entity_set.path}({key_literal(entity_set, key)})"


class Query:
    """The query options of one read, parsed and checked against the entity set."""

    def __init__(self, params, entity_set: EntitySet, line_set: EntitySet | None = None):
        self.entity_set, self.line_set = entity_set, line_set
        properties = entity_set.properties
        self.expand = [name.strip() for name in params.get("$expand", "").split(",") if name.strip()]
        for name in self.expand:
            if name != entity_set.lines or not line_set:
                raise ODataError(f"Navigation property '{name}' is not defined on this entity set.")
        self.select, self.line_select = self._select(params.get("$select", ""), properties)
        text = params.get("$filter", "").strip()
        try:
            self.filter = odata_filter.parse(text, properties) if text else None
        except odata_filter.FilterError as exc:
            raise ODataError(str(exc)) from exc
        self.orderby = self._orderby(params.get("$orderby", ""), properties)
        self.top = self._int(params, "$top")
        self.skiptoken = params.get("$skiptoken", "").strip()
        self.inlinecount = params.get("$inlinecount", "") == "allpages"
        self.has_select = bool(params.get("$select", "").strip())

    @staticmethod
    def _int(params, name: str) -> int | None:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise ODataError(f"Invalid {name} value: '{raw}'.")
        return int(raw)

    def _select(self, raw: str, properties: dict) -> tuple[list[str] | None, list[str] | None]:
        names = [name.strip() for name in raw.split(",") if name.strip()]
        if not names or names == ["*"]:
            return None, None
        own, lines = [], []
        for name in names:
            head, _, tail = name.partition("/")
            if head not in properties:
                raise ODataError(f"No property '{head}' exists in type '{self.entity_set.type_name}'.")
            if tail:
                if properties[head] != "N" or tail not in self.line_set.properties:
                    raise ODataError(f"No property '{tail}' exists in type '{self.line_set.type_name}'.")
                lines.append(tail)
            if head not in own:
                own.append(head)
        return own, lines or None

    @staticmethod
    def _orderby(raw: str, properties: dict) -> list[tuple[str, bool]]:
        order = []
        for part in [p.strip() for p in raw.split(",") if p.strip()]:
            name, _, direction = part.partition(" ")
            if name not in properties or direction.strip() not in ("", "asc", "desc"):
                raise ODataError(f"Invalid $orderby: '{part}'.")
            order.append((name, direction.strip() == "desc"))
        return order


def row_matches(query: Query, row: dict) -> bool:
    if query.filter is None:
        return True
    properties = query.entity_set.properties
    return odata_filter.matches(query.filter, {name: typed(properties[name], row.get(name)) for name in properties})


def _sort_key(value):
    # None first, then numbers, then text (case-insensitive), so mixed columns never compare across types
    if value is None:
        return (0, 0, "")
    if isinstance(value, bool):
        return (1, int(value), "")
    if isinstance(value, int | float | Decimal):
        return (1, Decimal(str(value)), "")
    return (2, 0, str(value).lower())


def ordered(query: Query, rows: list[dict], key_of) -> list[dict]:
    properties = query.entity_set.properties
    rows = sorted(rows, key=lambda row: _sort_key(key_of(row)))
    for name, descending in reversed(query.orderby):
        rows.sort(key=lambda row, n=name: _sort_key(typed(properties[n], row.get(n))), reverse=descending)
    return rows


def page(query: Query, rows: list[dict], key_of, size: int) -> tuple[list[dict], str | None]:
    """One page after the `$skiptoken` (the key of the previous page's last row) and the next page's token."""
    start = 0
    if query.skiptoken:
        token = query.skiptoken.removeprefix("guid'").removesuffix("'").removesuffix("L").lower()
        keys = [str(key_of(row)).lower() for row in rows]
        if token in keys:
            start = keys.index(token) + 1
        else:  # the row was deleted meanwhile: resume after where it stood
            after = _sort_key(int(token)) if token.isdigit() else _sort_key(token)
            start = next(
                (i for i, key in enumerate(keys) if _sort_key(int(key) if key.isdigit() else key) > after), len(keys)
            )
    limit = size if query.top is None else min(size, query.top)
    chunk = rows[start : start + limit]
    more = start + limit < len(rows) and (query.top is None or query.top > limit)
    return chunk, (key_literal(query.entity_set, key_of(chunk[-1])) if more and chunk else None)


def next_link(request, skiptoken: str, top_left: int | None) -> str:
    params = [(k, v) for k, v in request.GET.items() if k not in ("$skiptoken", "$top")]
    if top_left is not None:
        params.append(("$top", str(top_left)))
    params.append(("$skiptoken", skiptoken))
    query = "&".join(f"{k}={quote(v, safe=chr(39) + '$(),/:')}" for k, v in params)
    return f"{request.build_absolute_uri(request.path)}?{query}"


def render(entity_set: EntitySet, body: dict, *, uri: str, select: list[str] | None, lines=None) -> dict:
    """One entity as Exact answers it: `__metadata`, then its (selected) properties in wire form.

    `lines`: for the navigation collection, the rendered lines when expanded, else a `__deferred` link."""
    out = {"__metadata": {"uri": uri, "type": entity_set.type_name}}
    for name in select or entity_set.properties:
        kind = entity_set.properties[name]
        if kind == "N":
            out[name] = {"results": lines} if lines is not None else {"__deferred": {"uri": f"{uri}/{name}"}}
        else:
            out[name] = wire(kind, body.get(name))
    return out


def collection(results: list[dict], next_url: str | None = None, count: int | None = None) -> Reply:
    d = {"results": results}
    if count is not None:
        d["__count"] = str(count)
    if next_url:
        d["__next"] = next_url
    return json_reply({"d": d})


def single(entity: dict, status: int = 200) -> Reply:
    return json_reply({"d": entity}, status)
