"""Xero's error bodies as kit replies (problem details, ValidationException, PostDataInvalid, QueryParse)."""

from ..kit.reply import JSON, Reply, json_reply  # noqa: F401 (the resources build their replies from here)
from . import shapes


def problem_reply(status: int, title: str, detail: str, headers: dict | None = None) -> Reply:
    return json_reply(shapes.problem(status, title, detail), status, headers)


def not_found() -> Reply:
    return problem_reply(404, "NotFound", "The resource you're looking for cannot be found")


def validation_reply(message: str) -> Reply:
    return json_reply(shapes.validation_error_body([{"ValidationErrors": [{"Message": message}]}]), 400)


def post_data_invalid(message: str) -> Reply:
    return json_reply({"ErrorNumber": 14, "Type": "PostDataInvalidException", "Message": message}, 400)


def query_parse_error(message: str) -> Reply:
    return json_reply({"ErrorNumber": 16, "Type": "QueryParseException", "Message": message}, 400)
