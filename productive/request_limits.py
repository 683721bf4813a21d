"""Bounds on request bodies, enforced before any view (or DRF parser) runs.

- A body larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413. Django applies that setting only when `request.body`
  or `request.POST` is read; DRF's JSON and form parsers read the stream themselves and never saw it.
- A body nested deeper than JSON_MAX_DEPTH is a 400: Python's JSON decoder recurses per level, and a few
  thousand `[` (a few KB) exhaust the interpreter's recursion limit (a RecursionError, a 500). Every body that is
  not a form is checked, because some views json.loads() whatever they receive.

Multipart bodies (file uploads) are left to Django's own limits, which apply to their non-file fields. Paths in
RAW_BODY_PATHS (regexes) take a raw file as their body and bound it themselves (the Xero sandbox's attachment
uploads answer Xero's own 413 above Xero's 10 MB), so they are left alone too.
"""

import re
from array import array
from itertools import accumulate

from django.conf import settings
from django.http import JsonResponse

FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})

# A JSON string, escapes included; an unterminated one runs to the end, so every byte is scanned once.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_BRACKETS = b"[]{}"
# Openers become 1 and closers -1 (0xFF as a signed byte); every other byte is deleted.
_LEVELS = bytes.maketrans(_BRACKETS, b"\x01\xff\x01\xff")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)


def nesting_depth(body: bytes) -> int:
    """The deepest level of [ and { in a JSON text, brackets inside strings not counted (malformed text too)."""
    levels = _STRING.sub(b"", body).translate(_LEVELS, _NOT_BRACKETS)
    return max(accumulate(array("b", levels)), default=0)


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _raw_body_path(request) -> bool:
    return any(re.match(pattern, request.path_info) for pattern in settings.RAW_BODY_PATHS)


class RequestBodyLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        length = _content_length(request)
        if length and request.content_type != "multipart/form-data" and not _raw_body_path(request):
            cap = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if cap is not None and length > cap:
                return JsonResponse({"detail": f"The request body is larger than {cap} bytes."}, status=413)
            if request.content_type not in FORM_TYPES:
                limit = settings.JSON_MAX_DEPTH
                body = request.body
                # Most bodies have fewer brackets than the limit: no need to scan them.
                if body.count(b"[") + body.count(b"{") > limit and nesting_depth(body) > limit:
                    return JsonResponse(
                        {"detail": f"The JSON body is nested more than {limit} levels deep."}, status=400
                    )
        return self.get_response(request)
