"""A transport-neutral response the API pipeline builds, stores for Idempotency-Key replay, and serves."""

import json
from dataclasses import dataclass, field

from django.http import HttpResponse

from . import shapes

JSON = "application/json; charset=utf-8"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = JSON
    headers: dict = field(default_factory=dict)

    def http(self) -> HttpResponse:
        response = HttpResponse(self.body, status=self.status, content_type=self.content_type)
        for name, value in self.headers.items():
            response[name] = value
        return response


def json_reply(body, status: int = 200, headers: dict | None = None) -> Reply:
    return Reply(status, json.dumps(body).encode(), JSON, headers or {})


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
