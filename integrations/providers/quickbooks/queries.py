"""The query language (GET /query?query=select …): quoting and paging.

developer.intuit.com "Data queries": `=, <, >, IN, LIKE`, no OR, no projections; STARTPOSITION is 1-based,
MAXRESULTS defaults to 100 and is at most 1000. Answer: `{"QueryResponse": {"<Entity>": [...], "startPosition",
"maxResults"}, "time": ...}`; an empty result has no entity key at all.
"""

from __future__ import annotations

from integrations.exceptions import TransientError

PAGE_MAX = 1000


def quote(value: str) -> str:
    """A string literal of the query language: quotes and backslashes escaped with a backslash."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


class QueryMixin:
    def query_response(self, statement: str) -> dict:
        data = self.request("GET", "query", params={"query": statement}).data
        if not isinstance(data, dict) or not isinstance(data.get("QueryResponse"), dict):
            raise TransientError("QuickBooks sent an unexpected answer to a query.")
        return data

    def query(self, entity: str, statement: str) -> list[dict]:
        return list(self.query_response(statement)["QueryResponse"].get(entity) or [])

    def query_pages(self, entity: str, statement: str):
        """(rows, answer time) per page of at most 1000, until a short page."""
        start = 1
        while True:
            data = self.query_response(f"{statement} startposition {start} maxresults {PAGE_MAX}")
            rows = list(data["QueryResponse"].get(entity) or [])
            yield rows, str(data.get("time") or "")
            if len(rows) < PAGE_MAX:
                return
            start += PAGE_MAX

    def query_all(self, entity: str, statement: str) -> list[dict]:
        return [row for rows, _time in self.query_pages(entity, statement) for row in rows]
