"""A fake PAC server on 127.0.0.1, with a control handle for the misbehaviour tests need.

Each fake PAC (`finkok`, `swsapien`, `diverza`) is a `FakePac`: it turns one HTTP request into one
`Reply` speaking that PAC's wire protocol. `serve(fake)` runs it on a free port in a background thread
and yields a `RunningFake` with `base_url` and `control`. The control makes the next requests of an
operation ("stamp", "stamped", "cancel", ...) misbehave the ways a real network does:

* `slow(op, seconds)`: do the work, then answer late (past the adapter's read timeout);
* `drop(op, after_work=True)`: read the request, do the work (or not), close without answering;
* `fail(op, status)`: answer an HTTP 5xx/429 before doing anything (`retry_after` optional);
* `reject(op, code, message)`: answer the PAC's rejection for `code` (its own wire format);
* `refuse()` / `accept()`: close / reopen the listening socket (connection refused meanwhile).

Every request is recorded (`control.requests`), so tests can assert what reached the PAC.
The same fakes serve the chaos tests: nothing here is specific to one test.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class FakePac(Protocol):
    def operation(self, request: Request) -> str:
        """The name of the operation a request asks for ("stamp", "stamped", "cancel", ...)."""
        ...

    def handle(self, request: Request) -> Reply:
        """Do the operation (stamp, cancel, ...) and build the PAC's answer."""
        ...

    def rejection(self, operation: str, code: str, message: str) -> Reply:
        """The PAC's wire answer for a rejection with `code` (used by `Control.reject`)."""
        ...


@dataclass(frozen=True)
class Fault:
    kind: str  # "slow" | "drop" | "fail" | "reject"
    seconds: float = 0.0
    after_work: bool = True
    status: int = 500
    retry_after: str | None = None
    code: str = ""
    message: str = ""


class Control:
    """What the next requests do. Faults are queued per operation and used once each, in order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, deque[Fault]] = {}
        self.requests: list[tuple[str, Request]] = []
        self._server: _Server | None = None

    def slow(self, operation: str, seconds: float, *, times: int = 1) -> None:
        self._add(operation, Fault("slow", seconds=seconds), times)

    def drop(self, operation: str, *, after_work: bool = True, times: int = 1) -> None:
        self._add(operation, Fault("drop", after_work=after_work), times)

    def fail(self, operation: str, status: int = 500, *, retry_after: str | None = None, times: int = 1) -> None:
        self._add(operation, Fault("fail", status=status, retry_after=retry_after), times)

    def reject(self, operation: str, code: str, message: str, *, times: int = 1) -> None:
        self._add(operation, Fault("reject", code=code, message=message), times)

    def refuse(self) -> None:
        """Close the listening socket: connections are refused until `accept()`."""
        assert self._server is not None
        self._server.stop_listening()

    def accept(self) -> None:
        assert self._server is not None
        self._server.listen_again()

    def calls(self, operation: str) -> list[Request]:
        with self._lock:
            return [request for op, request in self.requests if op == operation]

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self.requests.clear()

    def _add(self, operation: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(operation, deque()).extend([fault] * times)

    def _record(self, operation: str, request: Request) -> Fault | None:
        with self._lock:
            self.requests.append((operation, request))
            queue = self._faults.get(operation)
            return queue.popleft() if queue else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakePac, control: Control) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.control = control
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def stop_listening(self) -> None:
        self.shutdown()
        self.socket.close()

    def listen_again(self) -> None:
        host, port = self.server_address[:2]
        self.socket = socket.socket(self.address_family, self.socket_type)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind((host, port))
        self.socket.listen(self.request_queue_size)
        self.start()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet test output
        return

    def do_GET(self) -> None:  # noqa: N802
        self._serve()

    def do_POST(self) -> None:  # noqa: N802
        self._serve()

    def do_PUT(self) -> None:  # noqa: N802
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        fake, control = self.server.fake, self.server.control
        operation = fake.operation(request)
        fault = control._record(operation, request)
        if fault is not None and fault.kind == "fail":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(Reply(fault.status, b"<html><body>Service error</body></html>", "text/html", headers))
            return
        if fault is not None and fault.kind == "drop" and not fault.after_work:
            self._drop()
            return
        reply = (fake.rejection(operation, fault.code, fault.message) if fault is not None and fault.kind == "reject"
                 else fake.handle(request))
        if fault is not None and fault.kind == "drop":
            self._drop()
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        with contextlib.suppress(OSError):  # the client may have given up (the point of "slow")
            self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        # Close without a status line: the client sees the connection end after it sent everything.
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


@dataclass
class RunningFake:
    fake: FakePac
    control: Control
    base_url: str


@contextlib.contextmanager
def serve(fake: FakePac) -> Iterator[RunningFake]:
    """Run `fake` on 127.0.0.1 on a free port for the duration of the block."""
    control = Control()
    server = _Server(fake, control)
    control._server = server
    server.start()
    host, port = server.server_address[:2]
    try:
        yield RunningFake(fake, control, f"http://{host}:{port}")
    finally:
        with contextlib.suppress(OSError):
            server.stop()
