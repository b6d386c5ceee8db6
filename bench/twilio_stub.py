"""A stand-in for Twilio's REST API on loopback: accepts messages and calls, lists them.

Used by the worker tests (a real worker process points `TWILIO_API_URL` at it) and by
`bench/jobs.py`. It can hold each request it receives (`hold`: keep it, then answer only when
released) or swallow it (`swallow`: the request never "reached Twilio", nothing is kept), and
refuse to list (`list_fails`), to play a worker killed mid-send and a Twilio that cannot be asked.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


class StubTwilio:
    """Twilio's Messages and Calls resources, in memory, served on 127.0.0.1."""

    def __init__(self) -> None:
        self.kept: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.mode = "accept"  # accept | hold | swallow
        self.list_fails = False
        self.released = threading.Event()
        self.arrived = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        """Return the stub's origin, for TWILIO_API_URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StubTwilio:
        """Serve in a background thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and let any held request go."""
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> int:
        """Return how many messages and calls were accepted."""
        with self.lock:
            return len(self.kept)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def _answer(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client is gone (a worker killed while we held it)
                    self.close_connection = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                call = self.path.endswith("/Calls.json")
                item = {
                    "sid": ("CA" if call else "SM") + secrets.token_hex(16),
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "date_created": None,
                    "kind": "call" if call else "sms",
                }
                stub.arrived.set()
                if stub.mode == "swallow":
                    stub.released.wait(60)
                    self.close_connection = True
                    return
                with stub.lock:
                    stub.kept.append(item)
                if stub.mode == "hold":
                    stub.released.wait(60)
                self._answer(201, item)

            def do_GET(self) -> None:
                if stub.list_fails:
                    self._answer(503, {"code": 20503, "message": "Service unavailable"})
                    return
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                kind = "call" if parts.path.endswith("/Calls.json") else "sms"
                with stub.lock:
                    found = [
                        i
                        for i in stub.kept
                        if i["kind"] == kind
                        and i["to"] == query.get("To")
                        and i["from"] == query.get("From")
                    ]
                key = "calls" if kind == "call" else "messages"
                self._answer(
                    200,
                    {
                        key: found,
                        "next_page_uri": None,
                        "page": 0,
                        "page_size": 50,
                        "uri": parts.path,
                    },
                )

        return Handler
