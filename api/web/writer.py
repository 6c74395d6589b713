"""The writer process of a server with several workers: every write goes to one process that
serves nothing else.

Why: the workers answer reads on their event loops, and a busy loop holds the GIL. A write
runs in a worker thread and needs the GIL back after each database round trip; beside a loop
serving a thousand reads a second it waited for it every time, and held the write lock (and
the ledger's table lock) while it waited, so under a flood of reads an order took seconds to
issue. In a process of its own, a write competes for the CPU only through the operating
system, which runs a task that wakes from waiting at once.

So ``tabien serve --workers N`` starts, beside the N workers, one writer: the same
application, served on a Unix socket. Each worker passes every request that is not a read
(any method but GET, HEAD and OPTIONS) to it unchanged — headers, body, then the answer back
— through ``ForwardWrites``. The writer checks the token and the role itself, as any worker
would. With one worker (the default, and SQLite's only mode) there is no writer: that process
does both.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from api.web.problems import PROBLEM_JSON

__all__ = ["WRITER_SOCKET_ENV", "ForwardWrites", "Writer"]

WRITER_SOCKET_ENV = "TABIEN_WRITER_SOCKET"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
# Headers about one connection, not the message: each side sets its own.
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te",
                         b"upgrade", b"proxy-connection", b"trailer"})
_START_SECONDS = 60.0

Scope = dict[str, Any]
Message = dict[str, Any]


class ForwardWrites:
    """ASGI middleware: reads are served here, every other request by the writer.

    (Limiting the reads served at once, so that a write passing through queues behind fewer
    ready steps of the event loop, was tried: with 16 at once a worker answered half as many
    reads — each waits several milliseconds for its access-log entry — and writes were no
    faster. So reads are not limited.)
    """

    def __init__(self, app: Any, socket_path: str) -> None:
        self.app = app
        self.socket_path = socket_path
        self._client: Any = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in _READS:
            await self.app(scope, receive, send)
        else:
            await self._forward(scope, receive, send)

    def _http(self) -> Any:
        import httpx

        if self._client is None:  # made in the worker's own event loop, on first use
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=self.socket_path),
                base_url="http://writer", timeout=httpx.Timeout(None, connect=10.0))
        return self._client

    async def _forward(self, scope: Scope, receive: Any, send: Any) -> None:
        import httpx

        client = self._http()
        target = scope["raw_path"].decode("latin-1") if scope.get("raw_path") else scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP_BY_HOP]
        request = client.build_request(scope["method"], target, headers=headers,
                                       content=_body(receive))
        try:
            response = await client.send(request, stream=True)
        except httpx.TransportError:
            await _unavailable(send)
            return
        try:
            await send({"type": "http.response.start", "status": response.status_code,
                        "headers": [(k, v) for k, v in response.headers.raw
                                    if k.lower() not in _HOP_BY_HOP]})
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()


async def _body(receive: Any) -> AsyncIterator[bytes]:
    """The request body as the client sends it, passed on as it arrives."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body"):
            return


async def _unavailable(send: Any) -> None:
    body = orjson.dumps({
        "type": "about:blank", "title": "Service Unavailable", "status": 503,
        "code": "writer-unavailable",
        "detail": "the server's writer process is not answering; nothing was written",
        "detail_th": "โปรเซสบันทึกข้อมูลของเครื่องแม่ข่ายไม่ตอบสนอง ยังไม่มีการบันทึก"})
    await send({"type": "http.response.start", "status": 503,
                "headers": [(b"content-type", PROBLEM_JSON.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _serve(factory: str, socket_path: str) -> None:
    import uvicorn

    uvicorn.run(factory, factory=True, uds=socket_path, log_level="warning")


class Writer:
    """The writer process: started with ``start`` (which waits until it answers), stopped
    with ``stop``."""

    def __init__(self, factory: str, socket_path: str) -> None:
        self.socket_path = socket_path
        self._process = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(factory, socket_path), name="tabien-writer")

    def start(self) -> None:
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        self._process.start()
        deadline = time.monotonic() + _START_SECONDS
        while not self._answers():
            if not self._process.is_alive():
                raise RuntimeError("the writer process stopped while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the writer process did not start in time")
            time.sleep(0.05)

    def _answers(self) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(self.socket_path)
            except OSError:
                return False
            return True

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()  # SIGTERM: uvicorn finishes what is under way
            self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
