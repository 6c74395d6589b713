"""A lean HTTP/1.1 client on asyncio streams, for the load generators of ``bench.api_load``.

Why the bench has its own client: httpx's ``AsyncClient`` cost about 6 ms of CPU per request
in the bench's process (half a core for about 80 requests/s), and that process shares the
machine's two cores with the server under test — so the clients took CPU from the server
they were measuring, and their own slowness was counted in the latencies they reported. The
bench needs little of HTTP: requests to one server it started itself, on loopback, with
small bodies of known length. That is what this does, and no more:

* a ``Connection`` is one keep-alive connection to ``http://host:port``, opened when first
  needed, used by one coroutine at a time (each registrar or reader owns one; so the "pool"
  is one connection per concurrent user, as httpx's was with a limit of ``count``);
* a request is sent with ``Host``, ``Content-Length`` (also 0) and ``Connection: keep-alive``
  besides the caller's headers; no ``Expect``, so no interim (1xx) answer comes;
* an answer's body is read by its ``Content-Length``, its chunks, or until the server closes
  (then the connection is not used again); ``Connection: close`` is honoured; an answer to
  HEAD, or a 204 or 304, has no body;
* each request has a time limit (connecting, sending and reading together); when it is
  exceeded, or anything else goes wrong, the connection is closed and the error raised
  (``TimeoutError``; an ``OSError`` such as ``ConnectionRefusedError``, ``ServerDisconnected``
  or ``AnswerCutShort``; ``ProtocolError``);
* a request is sent again, once, on a new connection only when it went out on a reused
  connection and not one byte of an answer came back before the connection ended: the
  server closed that idle connection as the request went out (uvicorn closes idle
  connections after 5 s). Otherwise nothing is sent twice: a POST that may have been acted
  on is never repeated (the registrars' writes carry an ``Idempotency-Key`` besides).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import SupportsIndex
from urllib.parse import urlsplit

__all__ = ["AnswerCutShort", "Connection", "ProtocolError", "Response", "ServerDisconnected",
           "parse_base_url"]

_HEAD_LIMIT = 1 << 16  # the status line and headers (asyncio's default stream limit)
_CLIENT_HEADERS = frozenset({"host", "content-length", "connection"})


class ServerDisconnected(ConnectionError):
    """The server closed (or reset) the connection before any of its answer came."""


class AnswerCutShort(ConnectionError):
    """The server closed (or reset) the connection part-way through its answer."""


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.x as this client reads it."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: dict[str, str]  # names lower-cased; a repeated header's values joined by ", "
    body: bytes


def parse_base_url(base_url: str) -> tuple[str, int, str]:
    """``http://host:port`` → (host to connect to, port, ``Host`` header value)."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment:
        raise ValueError(f"expected http://host[:port], not {base_url!r}")
    return parts.hostname, parts.port or 80, parts.netloc


class Connection:
    """One keep-alive connection to the server at ``base_url``, for one coroutine at a time.

    ``async with Connection(url, timeout) as c: response = await c.request("POST", path)``.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        self.host, self.port, self._host_header = parse_base_url(base_url)
        self.timeout = timeout
        self.opened = 0  # connections made so far (the tests see reuse and reconnection)
        self._streams: tuple[_Reader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self.close()

    @property
    def kept(self) -> bool:
        """Whether the next request goes on a kept-alive connection: one was made, and the
        server has not been seen to close or reset it since (servers close idle ones)."""
        return self._streams is not None and not (self._streams[0].at_eof()
                                                  or self._streams[1].is_closing())

    def close(self) -> None:
        """Drop the connection (the socket is closed on the next turn of the event loop); the
        next request opens a new one."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None

    async def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                      body: bytes | None = None) -> Response:
        """Send a request and read the whole answer, within ``timeout`` seconds. ``path`` is
        sent as given (percent-encoded already where needed)."""
        message = self._encode(method, path, headers or {}, body or b"")
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, message)
        except BaseException:
            # Timed out, failed or cancelled part-way: what is still to come on this
            # connection cannot be told apart from the next answer.
            self.close()
            raise

    def _encode(self, method: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self._host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()
                  if name.lower() not in _CLIENT_HEADERS]
        lines += [f"Content-Length: {len(body)}", "Connection: keep-alive", "", ""]
        # latin-1: what HTTP/1.1 allows in a head; anything else is the caller's mistake.
        return "\r\n".join(lines).encode("latin-1") + body

    async def _exchange(self, method: str, message: bytes) -> Response:
        reused = self.kept  # so ``_open`` gives the kept connection, not a new one
        try:
            response, keep = await _send_and_read(*await self._open(), method, message)
        except ServerDisconnected:
            if not reused:
                raise
            # The server closed the kept-alive connection as the request went out, and
            # nothing of an answer came: it goes once more, on a new connection (no more).
            self.close()
            response, keep = await _send_and_read(*await self._open(), method, message)
        if not keep:
            self.close()
        return response

    async def _open(self) -> tuple[_Reader, asyncio.StreamWriter]:
        """The kept-alive connection, or a new one if there is none or the server closed or
        reset it while it was idle (seen already: no need to send anything to find out)."""
        if not self.kept:
            self.close()
        if self._streams is None:
            self._streams = await _connect(self.host, self.port)
            self.opened += 1
        return self._streams


class _Reader(asyncio.StreamReader):
    """A stream reader that notes whether any bytes came since ``received`` was cleared.

    Why: a reset makes asyncio's reader raise at once, even with bytes that came just ahead
    of it still unread; this tells "nothing of the answer came" (the request may go again)
    from "an answer was begun" (it may have been acted on: never sent again)."""

    received = False

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        self.received = True
        super().feed_data(data)


async def _connect(host: str, port: int) -> tuple[_Reader, asyncio.StreamWriter]:
    """``asyncio.open_connection``, as it is made, with a ``_Reader``."""
    loop = asyncio.get_running_loop()
    reader = _Reader(limit=_HEAD_LIMIT, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(lambda: protocol, host, port)
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


async def _send_and_read(reader: _Reader, writer: asyncio.StreamWriter, method: str,
                         message: bytes) -> tuple[Response, bool]:
    """One exchange on the connection: the answer, and whether the connection may be used
    again. ``ServerDisconnected`` when it was closed or reset before any of the answer came
    (whether or not the request could be written)."""
    reader.received = False
    try:
        writer.write(message)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as e:
        if reader.received:
            raise AnswerCutShort(f"the connection ended in an answer's head: {e!r}") from e
        raise ServerDisconnected(f"the connection ended without an answer: {e!r}") from e
    except asyncio.LimitOverrunError as e:
        raise ProtocolError(f"an answer's head longer than {_HEAD_LIMIT} bytes") from e
    status, version, headers = _parse_head(head)
    body, until_close = await _read_body(reader, method, status, headers)
    connection = headers.get("connection", "").lower()
    # HTTP/1.1 keeps a connection unless told otherwise; HTTP/1.0 only when told to.
    keep = not until_close and "close" not in connection and (
        version != "HTTP/1.0" or "keep-alive" in connection)
    return Response(status, headers, body), keep


def _parse_head(head: bytes) -> tuple[int, str, dict[str, str]]:
    """The status code, the HTTP version and the headers (names lower-cased)."""
    status_line, *lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not _is_number(rest[:3]):
        raise ProtocolError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise ProtocolError(f"not a header line: {line[:80]!r}")
        name, value = name.strip().lower(), value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(rest[:3]), version, headers


async def _read_body(reader: asyncio.StreamReader, method: str, status: int,
                     headers: dict[str, str]) -> tuple[bytes, bool]:
    """The body, and whether it ran until the server closed the connection."""
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return b"", False
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return await _read_chunks(reader), False
        if "content-length" in headers:
            return await reader.readexactly(_length(headers["content-length"])), False
        return await reader.read(), True
    except (asyncio.IncompleteReadError, ConnectionResetError) as e:
        raise AnswerCutShort(f"the connection ended in an answer's body: {e!r}") from e


def _is_number(text: str) -> bool:
    return text.isascii() and text.isdigit()  # isdigit alone takes "²" and other digits


def _length(value: str) -> int:
    if not _is_number(value):
        raise ProtocolError(f"not a Content-Length: {value[:40]!r}")
    return int(value)


async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
    """A chunked body: each chunk's size in hex (extensions after ';' ignored), its bytes and a
    CRLF; then a chunk of size 0, any trailers, and an empty line."""
    parts = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0], 16)
        except ValueError as e:
            raise ProtocolError(f"not a chunk size: {size_line[:40]!r}") from e
        if size == 0:
            break
        chunk = await reader.readexactly(size + 2)
        if chunk[-2:] != b"\r\n":
            raise ProtocolError("a chunk not followed by CRLF")
        parts.append(chunk[:-2])
    while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, not needed here
        pass
    return b"".join(parts)
