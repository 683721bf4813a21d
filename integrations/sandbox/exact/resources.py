"""The reads: an entity set (regular: 60 a page by key; sync: 1000 a page by Timestamp, `sync/Deleted`), one
entity by key, `/$count`, `current/Me` and `system/Divisions`."""

import datetime as dt
from dataclasses import replace

from ..kit.reply import Reply
from . import odata
from .demo import LOCALES, user
from .models import ExactDivision, ExactEntity
from .shapes import (
    DELETED,
    DELETED_ENTITY_TYPES,
    DIVISION,
    ME,
    PAGE_SIZE,
    SETS,
    SYNC_PAGE_SIZE,
    SYNC_PATHS,
    EntitySet,
    line_set,
)
from .store import epoch_ms, live


def _lines_rows(division: ExactDivision, entity_set: EntitySet) -> list[dict]:
    """A lines set (SalesEntryLines, SalesInvoiceLines) is read from its parents' bodies."""
    parent = next(s for s in SETS.values() if s.line_entity == entity_set.entity)
    return [line for row in live(division, parent.entity) for line in row.body.get(parent.lines, [])]


def _rows(division: ExactDivision, entity_set: EntitySet, *, sync: bool) -> list[dict]:
    if entity_set.entity.endswith("Line") and entity_set.entity != "TransactionLine":
        return _lines_rows(division, entity_set)
    rows = live(division, entity_set.entity).order_by("timestamp")
    return [{**row.body, "Timestamp": row.timestamp} if sync else row.body for row in rows]


def entity_rows(division: ExactDivision, entity_set: EntitySet) -> list[dict]:
    return _rows(division, entity_set, sync=False)


def _render_rows(request, base: str, division, entity_set, query, rows, *, path: str = "") -> list[dict]:
    lines_of = line_set(entity_set)
    expanded = entity_set.lines in query.expand
    out = []
    for row in rows:
        lines = None
        if expanded:
            lines = [
                odata.render(
                    lines_of,
                    line,
                    uri=odata.entity_uri(base, division.code, lines_of, line["ID"]),
                    select=query.line_select,
                )
                for line in row.get(entity_set.lines, [])
            ]
        uri = odata.entity_uri(base, division.code, entity_set, row[entity_set.key], path)
        out.append(odata.render(entity_set, row, uri=uri, select=query.select, lines=lines))
    return out


def read_set(request, base: str, division: ExactDivision, entity_set: EntitySet, *, sync_path: str = "") -> Reply:
    sync = bool(sync_path)
    if sync:
        entity_set = _sync_view(entity_set)
    query = odata.Query(request.GET, entity_set, line_set(entity_set))
    if not query.has_select and query.top != 1:
        raise odata.ODataError("Please add a $select or a $top=1 statement to the query string.")
    if entity_set.mandatory_filter and not sync and query.filter is None:
        raise odata.ODataError("This endpoint requires a $filter (it has a Sync equivalent).")
    rows = [row for row in _rows(division, entity_set, sync=sync) if odata.row_matches(query, row)]
    key_of = (lambda row: row["Timestamp"]) if sync else (lambda row: row[entity_set.key])
    rows = odata.ordered(query, rows, key_of) if not sync else rows
    chunk, token = odata.page(query, rows, key_of, SYNC_PAGE_SIZE if sync else PAGE_SIZE)
    top_left = None if query.top is None else query.top - len(chunk)
    results = _render_rows(request, base, division, entity_set, query, chunk, path=sync_path)
    next_url = odata.next_link(request, token, top_left) if token else None
    return odata.collection(results, next_url, len(rows) if query.inlinecount else None)


def _sync_view(entity_set: EntitySet) -> EntitySet:
    """A sync endpoint's rows carry their Timestamp (Int64) and are ordered by it."""
    return replace(entity_set, properties={"Timestamp": "T", **entity_set.properties}, key="Timestamp", key_type="T")


def read_sync(request, base: str, division: ExactDivision, path: str, entity_set: EntitySet) -> Reply:
    return read_set(request, base, division, entity_set, sync_path=SYNC_PATHS[path])


def read_deleted(request, base: str, division: ExactDivision) -> Reply:
    query = odata.Query(request.GET, DELETED)
    if not query.has_select and query.top != 1:
        raise odata.ODataError("Please add a $select or a $top=1 statement to the query string.")
    gone = ExactEntity.objects.filter(
        division=division, deleted_at__isnull=False, entity__in=DELETED_ENTITY_TYPES
    ).order_by("timestamp")
    rows = [
        {
            "Timestamp": row.timestamp,
            "ID": row.key,
            "EntityKey": row.key,
            "EntityType": DELETED_ENTITY_TYPES[row.entity],
            "DeletedBy": user(division.locale)["UserID"],
            "DeletedDate": epoch_ms(row.deleted_at),
            "Division": division.code,
        }
        for row in gone
    ]
    rows = [row for row in rows if odata.row_matches(query, row)]
    chunk, token = odata.page(query, rows, lambda row: row["Timestamp"], SYNC_PAGE_SIZE)
    results = [
        odata.render(
            DELETED, row, uri=odata.entity_uri(base, division.code, DELETED, row["Timestamp"]), select=query.select
        )
        for row in chunk
    ]
    return odata.collection(results, odata.next_link(request, token, None) if token else None)


def read_one(request, base: str, division: ExactDivision, entity_set: EntitySet, key: str) -> Reply:
    query = odata.Query(request.GET, entity_set, line_set(entity_set))
    row = next((r for r in entity_rows(division, entity_set) if str(r[entity_set.key]).lower() == key.lower()), None)
    if row is None:
        raise odata.ODataError("Not found", 404)
    return odata.single(_render_rows(request, base, division, entity_set, query, [row])[0])


def count(division: ExactDivision, entity_set: EntitySet, params) -> Reply:
    query = odata.Query(params, entity_set, line_set(entity_set))
    total = sum(1 for row in entity_rows(division, entity_set) if odata.row_matches(query, row))
    return Reply(200, str(total).encode(), "text/plain; charset=utf-8")


def me(request, base: str, grant, current: ExactDivision) -> Reply:
    query = odata.Query(request.GET, ME)
    now = dt.datetime.now(dt.UTC)
    body = {
        **user(current.locale),
        "UserName": user(current.locale)["Email"],
        "Language": user(current.locale)["LanguageCode"][:2].upper(),
        "CurrentDivision": current.code,
        "AccountingDivision": current.code,
        "DivisionCustomerName": current.description,
        "Legislation": {"nl": 1, "be": 32, "de": 49}[current.locale] if current.locale in LOCALES else 0,
        "ServerTime": epoch_ms(now),
        "ServerUtcOffset": "3600",
    }
    uri = f"{base}/current/Me(guid'{body['UserID']}')"
    return odata.collection([odata.render(ME, body, uri=uri, select=query.select)])


def divisions(request, base: str, granted: list[ExactDivision], current: ExactDivision) -> Reply:
    """The user's divisions this consent covers (Exact: "only those which the user has granted permission to")."""
    query = odata.Query(request.GET, DIVISION)
    rows = [
        {
            "Code": d.code,
            "Description": d.description,
            "Country": d.country,
            "Currency": d.currency,
            "Current": d.code == current.code,
            "Legislation": d.country,
            "Status": 1,
            "IsMainDivision": d.code == granted[0].code,
            "CustomerName": d.description,
            "VATNumber": None,
            "StartDate": epoch_ms(d.created_at),
            "Created": epoch_ms(d.created_at),
            "Modified": epoch_ms(d.created_at),
        }
        for d in granted
    ]
    rows = [row for row in rows if odata.row_matches(query, row)]
    chunk, token = odata.page(query, rows, lambda row: row["Code"], PAGE_SIZE)
    results = [
        odata.render(
            DIVISION, row, uri=odata.entity_uri(base, current.code, DIVISION, row["Code"]), select=query.select
        )
        for row in chunk
    ]
    return odata.collection(results, odata.next_link(request, token, None) if token else None)
