"""The payment feed: CDC since the stored cursor, a full query re-sync when CDC cannot reach back.

Cursor (Connection.sync_cursors, a dict): `{"changed_since": "<the previous answer's time>"}`, Intuit's own
clock, so no change between two answers is lost to clock skew. developer.intuit.com "Change data capture":
`GET /cdc?entities=Payment&changedSince=…` returns every payment changed since (full payloads, `status:
"Deleted"` stubs), at most 1,000 objects, and reaches back at most 30 days.

- No cursor: every payment by query (paged), then the cursor is the first page's time.
- Cursor older than 30 days: the payments changed since by query (paged), plus deletions found by diffing the
  ids this connection recorded against what QuickBooks still has (a query only returns live rows).
- A CDC answer of 1,000 payments may have left some out: the next call asks from its newest change (replays of
  that instant are harmless), until an answer holds fewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from integrations.exceptions import TransientError
from integrations.providers.base import PaymentsPage

from .payments import deleted_stub, parse_datetime, payment_from_json
from .queries import quote

CURSOR_KEY = "changed_since"
CDC_LOOK_BACK = timedelta(days=30)
CDC_SAFETY = timedelta(hours=1)  # fall back a little early: the 30 days are counted by Intuit's clock
CDC_MAX = 1000
ID_CHUNK = 100  # ids per `Id in (…)` query of the deletion diff


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class PaymentFeedMixin:
    def fetch_payments(self, cursor: dict) -> Iterator[PaymentsPage]:
        since_text = str((cursor or {}).get(CURSOR_KEY) or "")
        since = parse_datetime(since_text) if since_text else None
        if since is None:
            yield from self._query_payments("select * from Payment", dict(cursor or {}))
            return
        if since < datetime.now(UTC) - CDC_LOOK_BACK + CDC_SAFETY:
            yield from self._resync_payments(since, dict(cursor))
            return
        yield from self._cdc_payments(since_text, dict(cursor))

    def _cdc_payments(self, since_text: str, cursor: dict) -> Iterator[PaymentsPage]:
        while True:
            data = self.request(
                "GET",
                "cdc",
                params={"entities": "Payment", "changedSince": since_text},
                headers={"Accept": "application/json"},
            ).data
            rows, answer_time = _cdc_rows(data)
            records = [payment_from_json(row) for row in rows]
            full = len(rows) >= CDC_MAX
            if full:
                newest = max((r.updated_at for r in records if r.updated_at), default=None)
                next_text = format_time(newest) if newest else since_text
            else:
                next_text = answer_time or since_text
            if not records or parse_datetime(next_text) < parse_datetime(since_text):
                next_text = since_text  # the cursor only moves forward
            cursor = {**cursor, CURSOR_KEY: next_text}
            yield PaymentsPage(payments=records, next_cursor=dict(cursor), has_more=full and next_text != since_text)
            if not full or next_text == since_text:
                return
            since_text = next_text

    def _query_payments(
        self, statement: str, cursor: dict, *, extra=(), rebaseline: bool = False
    ) -> Iterator[PaymentsPage]:
        """Paged query. Once a page held payments, every page hands back the first page's time (what the next run
        asks CDC from); pages before that keep the cursor they were asked with (an empty answer moves nothing).
        A re-sync (`rebaseline`) read the whole state, so even an empty one moves the cursor to its time: a
        company without payment changes for 30 days falls back once, not on every poll after."""
        first_time, reached = "", dict(cursor)
        iterator = iter(self.query_pages("Payment", statement))
        rows, answer_time = next(iterator)
        while True:
            first_time = first_time or answer_time
            records = [payment_from_json(row) for row in rows]
            following = next(iterator, None)
            if following is None:
                records += list(extra)
            if (records or rebaseline) and first_time:
                reached = {**cursor, CURSOR_KEY: first_time}
            yield PaymentsPage(payments=records, next_cursor=dict(reached), has_more=following is not None)
            if following is None:
                return
            rows, answer_time = following

    def _resync_payments(self, since: datetime, cursor: dict) -> Iterator[PaymentsPage]:
        from integrations.selectors import recorded_remote_payment_ids

        recorded = sorted(recorded_remote_payment_ids(connection=self.connection))
        live: set[str] = set()
        for start in range(0, len(recorded), ID_CHUNK):
            chunk = recorded[start : start + ID_CHUNK]
            ids = ", ".join(quote(payment_id) for payment_id in chunk)
            live |= {str(row.get("Id")) for row in self.query("Payment", f"select * from Payment where Id in ({ids})")}
        gone = [deleted_stub(payment_id) for payment_id in recorded if payment_id not in live]
        statement = f"select * from Payment where MetaData.LastUpdatedTime > {quote(format_time(since))}"
        yield from self._query_payments(statement, cursor, extra=gone, rebaseline=True)


def _cdc_rows(data) -> tuple[list[dict], str]:
    """The Payment objects of a CDC answer and its time."""
    if not isinstance(data, dict) or not isinstance(data.get("CDCResponse"), list):
        raise TransientError("QuickBooks sent an unexpected answer to a change data capture request.")
    rows: list[dict] = []
    for response in data["CDCResponse"]:
        for query_response in (response or {}).get("QueryResponse") or []:
            rows += list((query_response or {}).get("Payment") or [])
    return rows, str(data.get("time") or "")
