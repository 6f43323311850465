"""A real HTTP server on 127.0.0.1 that serves scripted responses, for provider and GUI tests.

Each test queues ``Reply`` objects (status, headers, body chunks, pacing, faults); the server
answers requests in order and records what it received. Real sockets, real bytes: the client
under test cannot tell it from a provider.
"""

from __future__ import annotations

import gzip as gzip_module
import json
import select
import selectors
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    # Seconds to wait before each chunk (slow drip) and before the status line (slow start).
    delay: float = 0.0
    first_delay: float = 0.0
    # Close the socket abruptly after this many chunks (disconnect mid-stream).
    disconnect_after: int | None = None
    # Go quiet for ``stall`` seconds before chunk ``stall_before`` (an idle stream); with
    # ``until``, only until the test sets it (at most ``stall`` seconds): a stream that is
    # mid-way exactly as long as the test needs, and no longer.
    stall_before: int | None = None
    stall: float = 0.0
    until: threading.Event | None = None
    gzip: bool = False

    @classmethod
    def sse(cls, body: str | bytes, **kw: Any) -> Reply:
        """A streamed body split on event boundaries, so the client sees real chunking."""
        raw = body.encode() if isinstance(body, str) else body
        chunks = [c + b"\n\n" for c in raw.split(b"\n\n") if c.strip()] or [raw]
        headers = {"Content-Type": "text/event-stream", **kw.pop("headers", {})}
        return cls(chunks=chunks, headers=headers, **kw)

    @classmethod
    def json(cls, value: Any, status: int = 200, **kw: Any) -> Reply:
        headers = {"Content-Type": "application/json", **kw.pop("headers", {})}
        return cls(status=status, chunks=[json.dumps(value).encode()], headers=headers, **kw)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    # Server-side clock (time.monotonic()): when the request was read, and when the last byte
    # of its reply was about to go (None: not yet, or the client went away); for overlaps.
    started: float = 0.0
    ended: float | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class StoppableServer(ThreadingHTTPServer):
    """A threading HTTP server on a thread of its own whose ``stop`` returns as soon as its loop
    has ended: socketserver's ``shutdown`` waits for the loop's next poll, up to its interval
    (about 20 ms of idle for every test that stops a server, hundreds of them a run), where a
    byte on a socket pair wakes this loop at once."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler)
        self._wake_reader, self._waker = socket.socketpair()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                ready = {key.fileobj for key, _events in selector.select()}
                if self._wake_reader in ready:
                    return
                self._handle_request_noblock()  # what serve_forever does with a connection

    def stop(self) -> None:
        """Stop accepting (connections being served go on in their own threads), close."""
        self._waker.send(b"\0")
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.server_close()
        self._wake_reader.close()
        self._waker.close()


class _QuietServer(StoppableServer):
    """A request that dies in its handler (a client gone mid-request: cancellations, refused
    redirects) is recorded, not printed: printed, it landed in an in-process CLI test's
    captured stderr and failed its one-line check now and then."""

    handler_errors: list[BaseException]
    serving = 0  # connections accepted and not yet closed
    changed: threading.Condition

    def handle_error(self, request: Any, client_address: Any) -> None:
        self.handler_errors.append(sys.exc_info()[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.changed:
            self.serving += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        try:
            super().shutdown_request(request)
        finally:
            with self.changed:
                self.serving -= 1
                self.changed.notify_all()


class LoopbackServer:
    def __init__(self, port: int = 0) -> None:
        self.replies: deque[Reply] = deque()
        self.received: list[Received] = []
        # Set when a write finds the client gone: the client closed the connection mid-reply.
        self.client_went_away = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Each write goes out at once, as a provider's server sends it. With Nagle on, a
            # write behind an unacknowledged one waited for the client's delayed ACK: about
            # 40 ms for each reply on a kept-alive connection, and chunks lumped together.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(self.command, self.path, dict(self.headers.items()), body,
                                    started=time.monotonic())
                with server._lock:
                    server.received.append(received)
                    reply = server.replies.popleft() if server.replies else Reply.json(
                        {"error": {"message": "loopback: no reply queued"}}, status=500)
                if reply.first_delay:
                    time.sleep(reply.first_delay)
                chunks = reply.chunks
                if reply.gzip:
                    chunks = [gzip_module.compress(b"".join(chunks))]
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for i, chunk in enumerate(chunks):
                        if reply.disconnect_after is not None and i >= reply.disconnect_after:
                            self.connection.shutdown(socket.SHUT_RDWR)
                            self.close_connection = True
                            return
                        if reply.delay:
                            time.sleep(reply.delay)
                        if i == reply.stall_before:
                            if reply.until is not None:
                                reply.until.wait(reply.stall)
                            else:
                                time.sleep(reply.stall)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        self.wfile.flush()
                    received.ended = time.monotonic()  # before the client can see the end
                    self.wfile.write(b"0\r\n\r\n")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError, OSError):
                    server.client_went_away.set()
                    self.close_connection = True

            do_GET = do_POST = _serve

        self._server = _QuietServer(("127.0.0.1", port), Handler)
        self._server.handler_errors = []
        self._server.changed = threading.Condition()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no connection is waiting to be accepted or being served: once its client
        is gone (killed, say), every request that reached the server is in ``received``."""
        deadline = time.monotonic() + timeout
        with self._server.changed:
            while self._server.serving or select.select([self._server.socket], [], [], 0)[0]:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the loopback server still serves after {timeout} s")
                self._server.changed.wait(0.01)

    def start(self) -> LoopbackServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
