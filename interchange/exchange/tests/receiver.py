"""A real webhook receiver for tests and the benchmark: an `http.server` on a free loopback
port in a thread. It verifies Standard Webhooks signatures with the `standardwebhooks`
package, answers as scripted (status codes, Retry-After, redirects, hanging), and applies
each event once by webhook-id, recording the order events were applied in."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (past the client's timeout: a hang)


@dataclass
class Received:
    message_id: str
    headers: dict[str, str]
    body: bytes
    verified_by: list[int]  # indexes of the secrets that verify it
    answered: int
    at: float


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Receiver:
    """Start with `with Receiver(secrets) as r:`; `r.url` is where to send."""

    def __init__(self, secrets: list[str] | None = None, path: str = "/hooks") -> None:
        self.secrets = list(secrets or [])
        self.path = path
        self.script: list[Reply] = []
        self.default = Reply()
        self.requests: list[Received] = []
        self.applied: dict[str, Any] = {}
        self.order: list[str] = []
        self.on_apply: Callable[[str, Any], None] | None = None
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{self.path}"

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.handle(self, body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()

    def handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self.lock:
            reply = self.script.pop(0) if self.script else self.default
        verified = []
        for index, secret in enumerate(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified.append(index)
        if reply.delay:
            time.sleep(reply.delay)
        message_id = headers.get("webhook-id", "")
        ok = 200 <= reply.status < 300 and (verified or not self.secrets)
        status = reply.status if (verified or not self.secrets) else 401
        with self.lock:
            self.requests.append(
                Received(message_id, headers, body, verified, status, time.monotonic())
            )
            if ok and message_id not in self.applied:
                payload = json.loads(body)
                self.applied[message_id] = payload
                self.order.append(message_id)
                if self.on_apply is not None:
                    self.on_apply(message_id, payload)
        try:
            request.send_response(status)
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", "0")
            request.end_headers()
        except OSError:
            pass  # the client gave up (a hang past its timeout)

    def applied_versions(self) -> dict[str, list[int]]:
        """Ticket reference → the versions applied, in the order they were applied."""
        out: dict[str, list[int]] = {}
        for message_id in self.order:
            payload = self.applied[message_id]
            if payload.get("ticket"):
                out.setdefault(payload["ticket"]["id"], []).append(payload["ticketVersion"])
        return out
