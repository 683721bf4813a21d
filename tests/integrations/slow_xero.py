"""A Xero stand-in over real HTTP that answers an idle GET /Payments after a delay (a normal round trip to Xero is
about 250 ms) and counts what it saw: calls, and the most calls in flight at once per organisation (Xero refuses a
sixth). For the poll-cycle tests and bench/poll_cycle.py; Xero's own shapes are checked by the sandbox's tests."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlowXero:
    def __init__(self, delay: float = 0.25):
        self.delay = delay
        self.calls = 0
        self.in_flight: Counter = Counter()
        self.most_in_flight: Counter = Counter()
        self.in_flight_total = 0
        self.most_in_flight_total = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def api_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api.xro/2.0"

    def __enter__(self) -> SlowXero:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _enter(self, tenant: str) -> None:
        with self._lock:
            self.calls += 1
            self.in_flight[tenant] += 1
            self.most_in_flight[tenant] = max(self.most_in_flight[tenant], self.in_flight[tenant])
            self.in_flight_total += 1
            self.most_in_flight_total = max(self.most_in_flight_total, self.in_flight_total)

    def _leave(self, tenant: str) -> None:
        with self._lock:
            self.in_flight[tenant] -= 1
            self.in_flight_total -= 1

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - http.server's naming
                tenant = self.headers.get("xero-tenant-id", "")
                stub._enter(tenant)
                try:
                    time.sleep(stub.delay)
                    if not self.path.startswith("/api.xro/2.0/Payments"):
                        self._reply(404, {"Type": "NotFound", "Message": "Not served by this stand-in"})
                        return
                    self._reply(200, {"Id": "idle", "Status": "OK", "Payments": []})
                finally:
                    stub._leave(tenant)

            def _reply(self, status: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        return Handler
