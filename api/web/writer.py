"""The writer process of a server with several workers: every write goes to one process that
serves nothing else.

Why: the workers answer reads on their event loops, and a busy loop holds the GIL. A write
runs in a worker thread and needs the GIL back after each database round trip; beside a loop
serving a thousand reads a second it waited for it every time, and held the write lock (and
the ledger's table lock) while it waited, so under a flood of reads an order took seconds to
issue. In a process of its own, a write competes for the CPU only through the operating
system, which runs a task that wakes from waiting at once.

So ``tabien serve --workers N`` starts, beside the N read workers, one writer: the same
application. A connection whose first request is a write is handed to the writer by the
front process (``api.web.dispatch``). A write arriving later on a read worker's connection is
passed on by the worker unchanged — headers, body, then the answer back — through
``ForwardWrites``, over a connection of its own to the writer's Unix socket — and so is every
request to the auditor's verification jobs, reads included: they live in the memory of the
writer, which started them (``api.web.verify_jobs``). The writer
checks the token and the role itself, as any worker would. With one worker (the default, and
SQLite's only mode) there is no writer: that process does both.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson

from api.web.problems import PROBLEM_JSON

__all__ = ["READ_METHODS", "WRITER_ONLY_PATHS", "WRITER_SOCKET_ENV", "ForwardWrites"]

WRITER_SOCKET_ENV = "TABIEN_WRITER_SOCKET"
# Requests that write nothing: every other method is the writer's.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Served by the writer whatever the method: the verification jobs live in the memory of the
# process that started them, which is the writer (``api.web.verify_jobs``).
WRITER_ONLY_PATHS = ("/api/v1/audit/verify",)
# Headers about one connection, not the message: each side sets its own.
_HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"transfer-encoding", b"te",
                         b"upgrade", b"proxy-connection", b"trailer"})

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

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (scope["method"] in READ_METHODS
                                       and not scope["path"].startswith(WRITER_ONLY_PATHS)):
            await self.app(scope, receive, send)
        else:
            await self._forward(scope, receive, send)

    async def _forward(self, scope: Scope, receive: Any, send: Any) -> None:
        """Pass the request on over a connection of its own (``Connection: close``), and the
        answer back as it comes. A plain HTTP/1.1 exchange on asyncio streams: an HTTP client
        library cost a busy worker a few milliseconds of CPU per write, and as many turns of
        its event loop."""
        try:
            reader, writer = await asyncio.open_unix_connection(self.socket_path)
        except OSError:
            await _unavailable(send)
            return
        started = False
        try:
            try:
                await _send_request(writer, scope, receive)
            except _ClientGone:
                return
            status, headers = await _read_head(reader)
            await send({"type": "http.response.start", "status": status, "headers": [
                (k, v) for k, v in headers if k not in _HOP_BY_HOP]})
            started = True
            async for chunk in _read_body(reader, headers):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except (OSError, ValueError, asyncio.IncompleteReadError):
            if started:  # the answer was cut short: the client sees the connection end
                raise
            await _unavailable(send)
        finally:
            writer.close()


async def _send_request(writer: asyncio.StreamWriter, scope: Scope, receive: Any) -> None:
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    headers = [(k, v) for k, v in scope["headers"]
               if k.lower() not in _HOP_BY_HOP and k.lower() != b"content-length"]
    body = await _whole_body(receive)
    head = [scope["method"].encode(), b" ", target, b" HTTP/1.1\r\n"]
    for name, value in headers:
        head += [name, b": ", value, b"\r\n"]
    head.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body))
    writer.write(b"".join(head) + body)
    await writer.drain()


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, list[tuple[bytes, bytes]]]:
    """The status and headers (names lower-cased) of the writer's answer."""
    status_line = await reader.readline()
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
    headers = []
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower(), value.strip()))
    return int(parts[1]), headers


async def _read_body(reader: asyncio.StreamReader,
                     headers: list[tuple[bytes, bytes]]) -> AsyncIterator[bytes]:
    """The answer's body, by its length, its chunks, or until the writer closes."""
    fields = dict(headers)
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
            yield await reader.readexactly(size)
            await reader.readline()  # the CRLF after each chunk
        return
    if b"content-length" in fields:
        remaining = int(fields[b"content-length"])
        while remaining > 0:
            chunk = await reader.read(min(remaining, 1 << 16))
            if not chunk:
                raise asyncio.IncompleteReadError(b"", remaining)
            remaining -= len(chunk)
            yield chunk
        return
    while chunk := await reader.read(1 << 16):
        yield chunk


class _ClientGone(Exception):
    """The client disconnected before its request body had arrived: nothing is passed on."""


async def _whole_body(receive: Any) -> bytes:
    chunks = []
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


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
