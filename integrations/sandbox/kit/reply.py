"""A transport-neutral response the kit builds, stores for idempotent replay, and serves."""

from dataclasses import dataclass, field

from django.http import HttpResponse

from integrations.http_wire import dumps_json  # Decimals as exact JSON numbers

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
    return Reply(status, dumps_json(body).encode(), JSON, headers or {})
