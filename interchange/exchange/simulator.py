"""A supplier's system, simulated: it receives Interchange's webhooks and works its tickets
through the supplier API, as a real supplier's works management system would.

- The receiver (`http.server`, one thread per connection) verifies each message's Standard
  Webhooks signature with the `standardwebhooks` package (missing headers: 400; a bad
  signature, or a timestamp more than five minutes off: 401), answers 202 at once and queues
  the work. An event id (webhook-id) already accepted is answered 202 again and applied no
  more, so Interchange's at-least-once delivery is applied exactly once. With
  `failure_rate`, a share of messages gets 500 instead (nothing is accepted, so Interchange
  retries them).
- The worker thread takes each assigned ticket through the API after the configured delays:
  acknowledge, set the supplier's own reference (`SIM-…`), start work; later add a public
  note and resolve it. With `handback_rate`, a share is handed back to the integrator
  instead. Writes carry an Idempotency-Key (kept across retries of the same step) and the
  ticket's ETag as If-Match; a stale ETag (412) is read again and the step retried.
- Every action is logged, one line each.

Used by `manage.py simulate_supplier`, by `make demo`, and by the tests (which pause the
worker while they write to the same SQLite database).
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

logger = logging.getLogger("interchange.exchange.simulator")

# Event ids remembered for deduplication; Interchange retries for hours, not for ever.
REMEMBERED_EVENTS = 100_000
MAX_BODY_BYTES = 5 * 1024 * 1024
# Attempts of one API call that fails for a passing reason (5xx, 429, a lost connection).
CALL_ATTEMPTS = 5
NOTE = (
    "Our crew has been out and the work is done. Thank you for reporting it. "
    "(Reply from a simulated supplier system.)"
)
HANDBACK_REASON = "Not ours to fix: this is outside our contract area (simulated hand-back)."


class Abandon(Exception):
    """The ticket cannot be worked any further (no longer ours, or in another state)."""


@dataclass
class Config:
    supplier: str
    api_url: str  # e.g. http://127.0.0.1:8000/api/v1
    api_key: str
    secrets: list[str]
    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port
    ack_delay: float = 2.0
    work_delay: float = 10.0
    failure_rate: float = 0.0
    handback_rate: float = 0.0
    seed: int | None = None
    path: str = "/hooks"


@dataclass(order=True)
class _Task:
    due: float
    order: int
    step: str = field(compare=False)
    reference: str = field(compare=False)


class Simulator:
    """Start with `with Simulator(config) as sim:` (or `start()`/`stop()`); `sim.url` is the
    receiver's address for the supplier's endpoint."""

    def __init__(self, config: Config, *, log: Callable[[str], None] | None = None) -> None:
        self.config = config
        self.secrets = list(config.secrets)
        self.log = log or logger.info
        # Reproducible choices of what fails and what is handed back; nothing secret.
        self.random = random.Random(config.seed)  # noqa: S311
        self.lock = threading.Lock()
        self.wake = threading.Condition(self.lock)
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.tasks: list[_Task] = []
        self.counter = itertools.count()
        self.working = False
        self.running = threading.Event()  # cleared while paused
        self.running.set()
        self.stopping = False
        # What happened, for tests and the final summary.
        self.accepted: list[str] = []
        self.rejected: list[tuple[int, str]] = []
        self.done: dict[str, str] = {}  # ticket reference -> how it ended
        self._etags: dict[str, str] = {}  # ticket reference -> its ETag as last read
        self.active: set[str] = set()  # tickets being worked
        self.server: ThreadingHTTPServer | None = None
        self.threads: list[threading.Thread] = []
        self.client = httpx.Client(
            base_url=config.api_url.rstrip("/"),
            headers={"Authorization": f"Bearer {config.api_key}", "Accept": "application/json"},
            timeout=httpx.Timeout(10.0),
        )

    # --- life --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{self.config.path}"

    def start(self) -> Simulator:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "SupplierSimulator/1"

            def do_POST(self) -> None:
                simulator._receive(self)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((self.config.host, self.config.port), Handler)
        self.server.daemon_threads = True
        self.threads = [
            threading.Thread(target=self.server.serve_forever, name="sim-receiver", daemon=True),
            threading.Thread(target=self._work, name="sim-worker", daemon=True),
        ]
        for thread in self.threads:
            thread.start()
        self.log(f"listening on {self.url} for {self.config.supplier}'s webhooks")
        return self

    def stop(self) -> None:
        with self.wake:
            self.stopping = True
            self.wake.notify_all()
        self.running.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        for thread in self.threads:
            thread.join(timeout=15)
        self.client.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def pause(self) -> None:
        """Hold the worker after the step it is on (tests writing to the same database)."""
        self.running.clear()
        self.wait_idle(due_only=False, timeout=30)

    def resume(self) -> None:
        self.running.set()
        with self.wake:
            self.wake.notify_all()

    def wait_idle(self, *, timeout: float = 30, due_only: bool = True) -> bool:
        """Wait until no step is running and (with `due_only`) none is due; True if so."""
        deadline = time.monotonic() + timeout
        with self.wake:
            while True:
                due = bool(self.tasks) and self.tasks[0].due <= time.monotonic()
                if not self.working and not (due_only and due):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.wake.wait(min(left, 0.05))

    # --- the receiver ------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, text: str) -> None:
        body = json.dumps({"status": status, "detail": text}).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _receive(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(handler, 413, "too large")
            return
        body = handler.rfile.read(length)
        status, text = self.receive(body, {k.lower(): v for k, v in handler.headers.items()})
        self._answer(handler, status, text)

    def receive(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """Judge one webhook: verify, deduplicate, queue; returns the status and a reason."""
        event_id = headers.get("webhook-id", "")
        if not (event_id and headers.get("webhook-timestamp") and headers.get("webhook-signature")):
            return self._reject(400, event_id, "missing Standard Webhooks headers")
        try:
            payload = self._verify(body, headers)
        except WebhookVerificationError as refused:
            return self._reject(401, event_id, f"not verified: {refused}")
        with self.lock:
            duplicate = event_id in self.seen
            fail = not duplicate and self.random.random() < self.config.failure_rate
        if fail:
            self.log(f"{event_id}: answering 500 on purpose (failure rate)")
            return 500, "simulated failure"
        if duplicate:
            self.log(f"{event_id}: duplicate, already applied; ignored")
            return 202, "duplicate"
        self._accept(event_id, payload)
        return 202, "accepted"

    def _reject(self, status: int, event_id: str, reason: str) -> tuple[int, str]:
        with self.lock:
            self.rejected.append((status, event_id))
        self.log(f"{event_id or '(no id)'}: rejected with {status}: {reason}")
        return status, reason

    def _verify(self, body: bytes, headers: dict[str, str]) -> Any:
        for secret in self.secrets:
            try:
                return Webhook(secret).verify(body, headers)
            except WebhookVerificationError as refused:
                # A stale timestamp fails with every secret; say so rather than "no match".
                if "timestamp" in str(refused).lower():
                    raise
            except ValueError:
                raise WebhookVerificationError("malformed signature header") from None
        raise WebhookVerificationError("no signature matches a known secret")

    def _accept(self, event_id: str, payload: Any) -> None:
        kind = payload.get("type", "?") if isinstance(payload, dict) else "?"
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        reference = ticket.get("id", "") if isinstance(ticket, dict) else ""
        with self.wake:
            self.seen[event_id] = None
            while len(self.seen) > REMEMBERED_EVENTS:
                self.seen.popitem(last=False)
            self.accepted.append(event_id)
            queue = kind == "ticket.assigned" and bool(reference) and reference not in self.active
            if queue:
                self.active.add(reference)
                self._schedule("acknowledge", reference, self.config.ack_delay)
        what = f"{kind} for {reference}" if reference else kind
        self.log(f"{event_id}: accepted {what}" + (", work queued" if queue else ""))

    def _schedule(self, step: str, reference: str, delay: float) -> None:
        # Called with the lock held.
        heapq.heappush(
            self.tasks, _Task(time.monotonic() + delay, next(self.counter), step, reference)
        )
        self.wake.notify_all()

    # --- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            self.running.wait()
            with self.wake:
                if self.stopping:
                    return
                now = time.monotonic()
                if not self.tasks or self.tasks[0].due > now or not self.running.is_set():
                    wait = self.tasks[0].due - now if self.tasks else 1.0
                    self.wake.wait(max(0.01, min(wait, 1.0)))
                    continue
                task = heapq.heappop(self.tasks)
                self.working = True
            try:
                self._run(task)
            except Abandon as reason:
                self._finish(task.reference, f"left alone: {reason}")
            except Exception as failure:  # a simulator must keep going whatever happens
                self._finish(task.reference, f"{task.step} failed: {failure!r}")
            finally:
                with self.wake:
                    self.working = False
                    self.wake.notify_all()

    def _finish(self, reference: str, outcome: str) -> None:
        with self.lock:
            self.done[reference] = outcome
            self.active.discard(reference)
        self.log(f"{reference}: {outcome}")

    def _run(self, task: _Task) -> None:
        ref = task.reference
        if task.step == "acknowledge":
            ticket = self._read(ref)
            if not ticket.get("yours"):
                raise Abandon("no longer ours")
            self._write("POST", f"/tickets/{ref}/acknowledge", ref, "ack", None)
            self.log(f"{ref}: acknowledged")
            own = f"SIM-{self.random.randint(1000, 99999)}"
            self._write(
                "PUT", f"/tickets/{ref}/supplier-reference", ref, "ref", {"supplierReference": own}
            )
            self.log(f"{ref}: our reference set to {own}")
            if self.random.random() < self.config.handback_rate:
                self._write(
                    "POST", f"/tickets/{ref}/handback", ref, "back", {"reason": HANDBACK_REASON}
                )
                self._finish(ref, "handed back to the integrator")
                return
            if ticket.get("interchangeStatus") not in ("in_progress",):
                self._write(
                    "POST", f"/tickets/{ref}/status", ref, "start", {"status": "in_progress"}
                )
                self.log(f"{ref}: moved to in progress")
            with self.wake:
                self._schedule("resolve", ref, self.config.work_delay)
        elif task.step == "resolve":
            self._write(
                "POST", f"/tickets/{ref}/notes", ref, "note", {"text": NOTE, "public": True}
            )
            self.log(f"{ref}: public note added")
            self._write(
                "POST",
                f"/tickets/{ref}/status",
                ref,
                "resolve",
                {"status": "resolved", "resolutionCode": "fixed", "note": ""},
            )
            self._finish(ref, "resolved (fixed)")

    # --- the API -----------------------------------------------------------------------------

    def _read(self, ref: str) -> dict[str, Any]:
        response = self._call("GET", f"/tickets/{ref}", headers={})
        if response.status_code == 404:
            raise Abandon("not found (not ours)")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        data["_etag"] = response.headers.get("ETag", "")
        with self.lock:
            self._etags[ref] = data["_etag"]
        return data

    def _write(self, method: str, path: str, ref: str, step: str, body: Any) -> httpx.Response:
        # One key per step of one ticket, kept across retries, so a retry never applies twice.
        key = f"sim-{self.config.supplier}-{ref}-{step}-{uuid.uuid4().hex[:12]}"
        for _stale in range(3):
            with self.lock:
                etag = self._etags.get(ref) or "*"
            headers = {"Idempotency-Key": key, "If-Match": etag}
            response = self._call(method, path, headers=headers, json_body=body)
            if response.status_code == 412:
                self.log(f"{ref}: ticket changed since we read it; reading again")
                self._read(ref)
                continue
            if response.status_code in (403, 404):
                raise Abandon(f"{method} {path} answered {response.status_code}")
            if response.status_code == 409:
                raise Abandon(f"{step}: not allowed in the ticket's state ({_detail(response)})")
            if response.status_code >= 400:
                raise RuntimeError(f"{method} {path}: {response.status_code} {_detail(response)}")
            with self.lock:
                self._etags[ref] = response.headers.get("ETag", etag)
            return response
        raise Abandon("the ticket keeps changing under us")

    def _call(
        self, method: str, path: str, *, headers: dict[str, str], json_body: Any = None
    ) -> httpx.Response:
        """One API call, retried with the same headers after a passing failure."""
        for attempt in range(1, CALL_ATTEMPTS + 1):
            pause = 0.5 * attempt
            try:
                response = self.client.request(method, path, headers=headers, json=json_body)
            except httpx.TransportError as lost:
                if attempt == CALL_ATTEMPTS:
                    raise
                self.log(f"{method} {path}: {type(lost).__name__}; trying again")
            else:
                busy = response.status_code == 429 or response.status_code >= 500
                in_progress = response.status_code == 409 and "in-progress" in response.text
                if not (busy or in_progress) or attempt == CALL_ATTEMPTS:
                    return response
                after = response.headers.get("Retry-After", "")
                pause = float(after) if after.isdigit() else pause
                self.log(f"{method} {path}: {response.status_code}; trying again")
            time.sleep(min(pause, 10.0))
        raise AssertionError("unreachable")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:200]
    except ValueError:
        return response.text[:200]
