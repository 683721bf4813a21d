"""Collections as e-conomic answers them: `filter=`, `sort=`, `skippages`/`pagesize` paging (20 by default, at
most 1000) and the `pagination` object with its first/next/previous/last page links and the `self` link."""

import math
from decimal import Decimal
from urllib.parse import urlencode

from ..kit.reply import Reply, json_reply
from . import filters
from .errors import bad_request

DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 1000


class CollectionError(Exception):
    pass


def _int_param(request, name: str, default: int) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise CollectionError(f"The query parameter {name} must be a whole number.") from exc


def _paging(request) -> tuple[int, int]:
    skip = _int_param(request, "skippages", 0)
    size = _int_param(request, "pagesize", DEFAULT_PAGE_SIZE)
    if skip < 0:
        raise CollectionError("skippages cannot be negative.")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise CollectionError(f"pagesize must be between 1 and {MAX_PAGE_SIZE}.")
    return skip, size


def _sorted(documents: list[dict], sort: str, sortable: dict[str, str], default_key: str) -> list[dict]:
    keys = [part.strip() for part in sort.split(",") if part.strip()] if sort else [default_key]
    ordered = list(documents)
    for key in reversed(keys):  # stable sorts, least significant key first
        descending, alphabetic = key.startswith("-"), "~" in key
        prop = key.lstrip("-~")
        kind = sortable.get(prop)
        if kind is None:
            raise CollectionError(f"The property {prop} is not sortable.")

        def value(document, prop=prop, kind=kind, alphabetic=alphabetic):
            found = filters.lookup(document, prop)
            if found is None:
                return (0, "")
            if kind in ("int", "num") and not alphabetic:
                return (1, Decimal(str(found)))
            return (1, str(found).casefold())

        ordered.sort(key=value, reverse=descending)
    return ordered


def _link(base: str, path: str, skip: int, size: int, extra: dict) -> str:
    return f"{base}/{path}?" + urlencode({"skippages": skip, "pagesize": size, **extra})


def answer(
    request,
    base: str,
    path: str,
    documents: list[dict],
    filterable: dict,
    sortable: dict,
    default_key: str,
    *,
    total: int | None = None,
) -> Reply:
    """The collection page the request asks for, or e-conomic's 400 for a bad filter, sort or page size.
    `total` is the collection's size when `documents` was already narrowed to the filter's numbers."""
    try:
        skip, size = _paging(request)
        text = request.GET.get("filter", "")
        tree = filters.parse(text, filterable) if text else None
        found = [doc for doc in documents if filters.matches(tree, doc, filterable)] if tree else documents
        found = _sorted(found, request.GET.get("sort", ""), sortable, default_key)
    except (filters.FilterError, CollectionError) as exc:
        return bad_request(str(exc), "See the filtering, sorting and pagination rules of the REST API.")
    extra = {name: request.GET[name] for name in ("filter", "sort") if request.GET.get(name)}
    last = max(math.ceil(len(found) / size) - 1, 0)
    pagination = {
        "maxPageSizeAllowed": MAX_PAGE_SIZE,
        "skipPages": skip,
        "pageSize": size,
        "results": len(found),
        "resultsWithoutFilter": len(documents) if total is None else total,
        "firstPage": _link(base, path, 0, size, extra),
    }
    if skip < last:
        pagination["nextPage"] = _link(base, path, skip + 1, size, extra)
    if skip > 0:
        pagination["previousPage"] = _link(base, path, min(skip - 1, last), size, extra)
    pagination["lastPage"] = _link(base, path, last, size, extra)
    body = {
        "collection": found[skip * size : (skip + 1) * size],
        "pagination": pagination,
        "self": _link(base, path, skip, size, extra),
    }
    return json_reply(body)
