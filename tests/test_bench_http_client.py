"""The bench's own HTTP/1.1 client (``bench.http_client``) and the load generators on it
(``bench.api_clients``), against real servers on loopback: a scripted responder written here
on ``asyncio.start_server`` (answers byte for byte as a test needs them: sized, chunked,
until close, without a body, cut short, none), and a real uvicorn serving a small app.

What must hold: every way of giving a body is read whole and the connection is left ready
for the next answer; a connection is kept and reused; a kept connection the server closed is
replaced, and a request is sent again only when it went out on a reused connection and
nothing of an answer came — once; time limits and refused connections are errors, and the
connection is closed after them."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from bench.api_clients import AREA, Orders, PythonReaders, Registrars, order_path
from bench.http_client import AnswerCutShort, Connection, ServerDisconnected, parse_base_url

# ---------------------------------------------------------------- a scripted responder


@dataclass(frozen=True)
class Seen:
    """A request as the responder read it, and on which of its connections (0, 1, …)."""

    connection: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Reply:
    data: bytes = b""
    then_close: bool = False  # close once written (an answer read until close, or cut short)
    reset: bool = False  # reset the connection (RST) instead of writing anything


CLOSE = Reply(then_close=True)  # the connection closed without a byte of answer
# As a server does when it closes a connection with a request in its unread input.
RESET = Reply(reset=True)

Script = Callable[[Seen], Reply | None]  # None: never answer (the client's time limit)


@dataclass
class Responder:
    """``asyncio.start_server`` on 127.0.0.1 answering each request as ``script`` says."""

    script: Script
    seen: list[Seen] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)  # connections the client closed
    connections: int = 0
    port: int = 0
    _handlers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self, client: Callable[[], Awaitable[None]]) -> None:
        """``client``, then wait until every connection has ended (the client's are closed by
        then: a connection left open fails the test here)."""
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        async with server:
            await client()
            await asyncio.wait_for(asyncio.gather(*self._handlers), 10)

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.append(task)
        number = self.connections
        self.connections += 1
        try:
            await self._answer(number, reader, writer)
        finally:
            writer.close()

    async def _answer(self, number: int, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        while (seen := await _read_request(reader, number)) is not None:
            self.seen.append(seen)
            reply = self.script(seen)
            if reply is None:
                await reader.read()  # until the client gives up and closes
                break
            if reply.reset:
                # SO_LINGER 0: close() sends RST, not FIN.
                writer.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            writer.write(reply.data)
            await writer.drain()
            if reply.then_close:
                return
        self.ended.append(number)


async def _read_request(reader: asyncio.StreamReader, connection: int) -> Seen | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed the connection
    request_line, *lines = head.decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ")
    headers = {}
    for line in filter(None, lines):
        name, _, value = line.partition(":")
        assert name.lower() not in headers, f"{name} sent twice"
        headers[name.lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Seen(connection, method, path, headers, body)


def ok(body: bytes = b"ok", *extra: str) -> Reply:
    head = "".join(f"{line}\r\n" for line in extra)
    return Reply(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s"
                 % (len(body), head.encode(), body))


def run(responder: Responder, client: Callable[[Connection], Awaitable[None]],
        timeout: float = 10.0) -> Connection:
    """``client`` with a connection to the responder; the connection, for its counts."""
    holder: list[Connection] = []

    async def main() -> None:
        async with Connection(responder.url, timeout) as connection:
            holder.append(connection)
            await client(connection)

    asyncio.run(responder.serve(main))
    return holder[0]


# ---------------------------------------------------------------- what requests carry


def test_a_request_carries_host_length_keep_alive_and_the_callers_headers() -> None:
    responder = Responder(lambda seen: ok())

    async def client(c: Connection) -> None:
        await c.request("POST", "/api/v1/orders/%E0%B8%AA/1/2569/check",
                        {"Authorization": "Bearer t", "Idempotency-Key": "k"}, b'{"a": 1}')
        await c.request("POST", "/empty", {"Content-Length": "99", "connection": "close"})
        await c.request("GET", "/read")

    run(responder, client)
    first, empty, read = responder.seen
    assert (first.method, first.path) == ("POST", "/api/v1/orders/%E0%B8%AA/1/2569/check")
    assert first.headers == {"host": f"127.0.0.1:{responder.port}", "authorization": "Bearer t",
                             "idempotency-key": "k", "content-length": "8",
                             "connection": "keep-alive"}
    assert first.body == b'{"a": 1}'
    # The client's own headers are not overridden (the responder fails on a repeated name).
    assert empty.headers["content-length"] == "0"
    assert empty.headers["connection"] == "keep-alive"
    assert (read.method, read.headers["content-length"], read.body) == ("GET", "0", b"")


def test_a_base_url_must_be_plain_http_host_and_port() -> None:
    assert parse_base_url("http://127.0.0.1:8123") == ("127.0.0.1", 8123, "127.0.0.1:8123")
    assert parse_base_url("http://localhost/") == ("localhost", 80, "localhost")
    for bad in ("https://127.0.0.1:8123", "http://127.0.0.1:8123/api", "127.0.0.1:8123",
                "http://:8123", "http://h:1?q=1"):
        with pytest.raises(ValueError, match="expected http://host"):
            parse_base_url(bad)


# ---------------------------------------------------------------- bodies


def test_a_sized_body_is_read_whole_and_the_headers_lower_cased() -> None:
    body = "ครูใจดี ".encode() * 20_000  # larger than a socket read, and than the head limit
    responder = Responder(lambda seen: ok(body, "X-Thing: a", "Set-Cookie: 1",
                                          "set-cookie: 2"))
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("GET", "/big"))
        answers.append(await c.request("GET", "/again"))

    connection = run(responder, client)
    first, second = answers
    assert (first.status, first.body) == (200, body)
    assert first.headers["x-thing"] == "a"
    assert first.headers["set-cookie"] == "1, 2"
    assert first.headers["content-length"] == str(len(body))
    assert second.body == body
    assert connection.opened == 1
    assert [s.connection for s in responder.seen] == [0, 0]


def test_a_chunked_body_with_extensions_and_trailers() -> None:
    chunked = Reply(b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"4\r\nWiki\r\n5;name=value\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n"
                    b"0\r\nX-Trailer: t\r\n\r\n")
    responder = Responder(lambda seen: chunked if seen.path == "/chunks" else ok(b"after"))
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("POST", "/chunks", body=b"x"))
        answers.append(await c.request("GET", "/next"))

    connection = run(responder, client)
    assert (answers[0].status, answers[0].body) == (201, b"Wikipedia in\r\n\r\nchunks.")
    # The trailers were read: the next answer on the same connection is whole.
    assert answers[1].body == b"after"
    assert connection.opened == 1


def test_a_body_until_close_and_the_connection_is_not_used_again() -> None:
    responder = Responder(lambda seen: Reply(b"HTTP/1.1 200 OK\r\n\r\nall of it, then the end",
                                             then_close=True)
                          if seen.path == "/until-close" else ok(b"new connection"))
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("GET", "/until-close"))
        answers.append(await c.request("GET", "/next"))

    connection = run(responder, client)
    assert answers[0].body == b"all of it, then the end"
    assert answers[1].body == b"new connection"
    assert connection.opened == 2
    assert [s.connection for s in responder.seen] == [0, 1]


def test_connection_close_in_an_answer_is_honoured() -> None:
    # The responder keeps its side open: only the client can decide to open another.
    responder = Responder(lambda seen: ok(b"bye", "Connection: close")
                          if seen.path == "/bye" else ok())
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("GET", "/bye"))
        assert not c.kept
        answers.append(await c.request("GET", "/next"))

    connection = run(responder, client)
    assert [a.body for a in answers] == [b"bye", b"ok"]
    assert connection.opened == 2
    assert [s.connection for s in responder.seen] == [0, 1]


def test_204_304_and_head_answers_have_no_body() -> None:
    # Each announces a length, as HEAD answers do; reading a body would swallow the next
    # answer (or wait for the time limit).
    replies = {
        "/nothing": Reply(b"HTTP/1.1 204 No Content\r\n\r\n"),
        "/unchanged": Reply(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n"),
        "/head": Reply(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"),
    }
    responder = Responder(lambda seen: replies.get(seen.path) or ok(b"next"))
    answers = []

    async def client(c: Connection) -> None:
        for method, path in (("DELETE", "/nothing"), ("GET", "/next"), ("GET", "/unchanged"),
                             ("GET", "/next"), ("HEAD", "/head"), ("GET", "/next")):
            answers.append(await c.request(method, path))

    connection = run(responder, client, timeout=5.0)
    assert [(a.status, a.body) for a in answers] == [
        (204, b""), (200, b"next"), (304, b""), (200, b"next"), (200, b""), (200, b"next")]
    assert connection.opened == 1


# ---------------------------------------------------------------- reconnecting, and not


def test_a_kept_connection_the_server_closed_while_idle_is_replaced() -> None:
    responder = Responder(lambda seen: Reply(ok().data, then_close=True)
                          if seen.path == "/first" else ok(b"second"))
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("GET", "/first"))
        answers.append(await c.request("POST", "/second", {"Idempotency-Key": "k"}, b"x"))

    connection = run(responder, client)
    assert answers[1].body == b"second"
    assert connection.opened == 2
    # Whether the client saw the close before sending or only after: sent once, on the new
    # connection (the first one was closed after its answer, never read again).
    assert [(s.connection, s.path) for s in responder.seen] == [(0, "/first"), (1, "/second")]


@pytest.mark.parametrize("ending", [CLOSE, RESET], ids=["closed", "reset"])
def test_a_request_unanswered_on_a_reused_connection_goes_again_once(ending: Reply) -> None:
    # The server reads the request on the kept connection and ends it without a byte of
    # answer, as when it closes an idle connection just as a request arrives.
    responder = Responder(lambda seen: ending if (seen.connection, seen.path)
                          == (0, "/second") else ok(b"answered"))
    answers = []

    async def client(c: Connection) -> None:
        answers.append(await c.request("GET", "/first"))
        answers.append(await c.request("POST", "/second", {"Idempotency-Key": "k"}, b"x"))

    connection = run(responder, client)
    assert answers[1].body == b"answered"
    assert connection.opened == 2
    assert [(s.connection, s.path) for s in responder.seen] == [
        (0, "/first"), (0, "/second"), (1, "/second")]


def test_a_request_is_sent_again_at_most_once() -> None:
    responder = Responder(lambda seen: ok() if seen.path == "/first" else CLOSE)

    async def client(c: Connection) -> None:
        await c.request("GET", "/first")
        with pytest.raises(ServerDisconnected):
            await c.request("POST", "/second", body=b"x")

    connection = run(responder, client)
    assert [(s.connection, s.path) for s in responder.seen] == [
        (0, "/first"), (0, "/second"), (1, "/second")]
    assert connection.opened == 2


def test_a_request_unanswered_on_a_new_connection_is_not_sent_again() -> None:
    responder = Responder(lambda seen: CLOSE)

    async def client(c: Connection) -> None:
        with pytest.raises(ServerDisconnected):
            await c.request("POST", "/orders", body=b"x")

    connection = run(responder, client)
    assert [(s.connection, s.path) for s in responder.seen] == [(0, "/orders")]
    assert connection.opened == 1


def test_a_request_on_the_connection_replacing_a_closed_one_is_not_sent_again() -> None:
    # The client has seen the server close its kept connection, so the request goes on a new
    # one at once: unanswered there, it is not repeated.
    responder = Responder(lambda seen: Reply(ok().data, then_close=True)
                          if seen.path == "/first" else CLOSE)

    async def client(c: Connection) -> None:
        await c.request("GET", "/first")
        for _ in range(1000):  # turns of the event loop until the close has arrived
            if not c.kept:
                break
            await asyncio.sleep(0.001)
        assert not c.kept
        with pytest.raises(ServerDisconnected):
            await c.request("POST", "/second", body=b"x")

    connection = run(responder, client)
    assert [(s.connection, s.path) for s in responder.seen] == [(0, "/first"), (1, "/second")]
    assert connection.opened == 2


@pytest.mark.parametrize("cut", [b"HTTP/1.1 200 OK\r\nContent-Le",
                                 b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf",
                                 b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nha"],
                         ids=["in the head", "in a sized body", "in a chunk"])
def test_an_answer_cut_short_on_a_reused_connection_is_not_sent_again(cut: bytes) -> None:
    responder = Responder(lambda seen: ok() if seen.path == "/first"
                          else Reply(cut, then_close=True))

    async def client(c: Connection) -> None:
        await c.request("GET", "/first")
        with pytest.raises(AnswerCutShort):
            await c.request("POST", "/second", body=b"x")
        assert not c.kept

    connection = run(responder, client)
    assert [(s.connection, s.path) for s in responder.seen] == [(0, "/first"), (0, "/second")]
    assert connection.opened == 1


# ---------------------------------------------------------------- errors


def test_a_request_past_its_time_limit_is_an_error_and_its_connection_closed() -> None:
    responder = Responder(lambda seen: None if seen.path == "/never" else ok(b"fresh"))
    answers = []

    async def client(c: Connection) -> None:
        with pytest.raises(TimeoutError):
            await c.request("GET", "/never")
        assert not c.kept
        answers.append(await c.request("GET", "/next"))

    connection = run(responder, client, timeout=0.3)
    assert answers[0].body == b"fresh"
    assert connection.opened == 2
    assert [(s.connection, s.path) for s in responder.seen] == [(0, "/never"), (1, "/next")]
    assert sorted(responder.ended) == [0, 1]  # the abandoned connection was closed too


def test_a_refused_connection_is_an_os_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def client() -> None:
        async with Connection(f"http://127.0.0.1:{port}", 5.0) as c:
            with pytest.raises(ConnectionRefusedError):
                await c.request("GET", "/")
            assert c.opened == 0
            assert not c.kept

    asyncio.run(client())


# ---------------------------------------------------------------- a real uvicorn


@dataclass
class Served:
    """What the app under uvicorn saw: each request's client port, path and headers."""

    url: str
    requests: list[tuple[int, str, dict[str, str]]]


def small_app(requests: list[tuple[int, str, dict[str, str]]]) -> FastAPI:
    app = FastAPI()

    def note(request: Request) -> None:
        assert request.client is not None
        requests.append((request.client.port, request.url.path, dict(request.headers)))

    @app.post("/api/v1/orders", status_code=201)
    async def draft(request: Request) -> dict[str, Any]:
        note(request)
        return {"order_number": (await request.json())["order_number"]}

    @app.post("/api/v1/orders/{authority}/{number:path}/{action}")
    async def act(request: Request, authority: str, number: str, action: str) -> Response:
        note(request)
        return JSONResponse({"authority": authority, "number": number, "action": action})

    @app.get("/api/v1/records/{nid}")
    async def read(request: Request, nid: str) -> dict[str, str]:
        note(request)
        return {"national_id": nid}

    @app.get("/stream")
    async def stream(request: Request) -> StreamingResponse:
        note(request)

        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one,", b"two,", b"three"):
                yield part
        return StreamingResponse(parts(), media_type="text/plain")

    @app.delete("/nothing")
    async def nothing(request: Request) -> Response:
        note(request)
        return Response(status_code=204)

    return app


@contextmanager
def serve(app: FastAPI, **config: Any) -> Iterator[str]:
    """uvicorn in a thread on a socket bound here (a free port, no race for it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@pytest.fixture
def uvicorn_app() -> Iterator[Served]:
    requests: list[tuple[int, str, dict[str, str]]] = []
    with serve(small_app(requests)) as url:
        yield Served(url, requests)


@pytest.fixture
def uvicorn_closing_idle() -> Iterator[Served]:
    requests: list[tuple[int, str, dict[str, str]]] = []
    with serve(small_app(requests), timeout_keep_alive=1) as url:
        yield Served(url, requests)


def test_uvicorn_serves_several_requests_on_one_connection(uvicorn_app: Served) -> None:
    answers = []

    async def client() -> None:
        async with Connection(uvicorn_app.url, 10.0) as c:
            answers.append(await c.request("POST", "/api/v1/orders",
                                           {"content-type": "application/json"},
                                           b'{"order_number": "1/2569"}'))
            answers.append(await c.request("GET", "/stream"))
            answers.append(await c.request("DELETE", "/nothing"))
            answers.append(await c.request("POST", order_path("1/2569", "check")))
            assert c.opened == 1

    asyncio.run(client())
    assert [(a.status, a.body) for a in answers] == [
        (201, b'{"order_number":"1/2569"}'), (200, b"one,two,three"), (204, b""),
        (200, b'{"authority":"%s","number":"1/2569","action":"check"}' % AREA.encode())]
    assert answers[1].headers["transfer-encoding"] == "chunked"
    assert len({port for port, _path, _headers in uvicorn_app.requests}) == 1


def test_uvicorn_closing_an_idle_connection_is_replaced(uvicorn_closing_idle: Served) -> None:
    answers = []

    async def client() -> None:
        async with Connection(uvicorn_closing_idle.url, 10.0) as c:
            answers.append(await c.request("GET", "/api/v1/records/1"))
            deadline = time.monotonic() + 15  # uvicorn closes it after 1 s idle
            while c.kept:
                assert time.monotonic() < deadline, "uvicorn kept the idle connection"
                await asyncio.sleep(0.1)
            answers.append(await c.request("POST", "/api/v1/orders", {"Idempotency-Key": "k"},
                                           b'{"order_number": "2/2569"}'))
            assert c.opened == 2

    asyncio.run(client())
    assert [a.status for a in answers] == [200, 201]
    ports = [port for port, _path, _headers in uvicorn_closing_idle.requests]
    assert len(ports) == 2
    assert ports[0] != ports[1]


# ---------------------------------------------------------------- the load generators on it


def test_registrars_draft_check_and_issue_through_the_client(uvicorn_app: Served) -> None:
    tokens = {"registrar": ["r1", "r2"], "authority": ["a1"]}
    registrars = Registrars(uvicorn_app.url, tokens, Orders(set(), 1), count=3)
    asyncio.run(registrars.run(0.5))
    drafts, checks, issues = registrars.drafts, registrars.checks, registrars.issues
    assert set(drafts.statuses) == {"201"}
    assert set(checks.statuses) == set(issues.statuses) == {"200"}
    assert drafts.ok == checks.ok == issues.ok >= 3
    assert registrars.in_flight == 0
    seen = uvicorn_app.requests
    assert len(seen) == drafts.ok * 3
    assert len({port for port, _path, _headers in seen}) == 3  # a connection each
    keys = [headers["idempotency-key"] for _port, _path, headers in seen]
    assert len(set(keys)) == len(keys)  # nothing sent twice
    issued = [headers for _port, path, headers in seen if path.endswith("/issue")]
    assert {h["authorization"] for h in issued} == {"Bearer a1"}


def test_registrars_report_an_error_by_its_class_name() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    registrars = Registrars(f"http://127.0.0.1:{port}", {"registrar": ["r"],
                                                         "authority": ["a"]},
                            Orders(set(), 1), count=1)
    asyncio.run(registrars.run(0.2))
    assert set(registrars.drafts.statuses) == {"ConnectionRefusedError"}
    assert registrars.drafts.errors >= 1
    assert registrars.checks.statuses == registrars.issues.statuses == {}


def test_python_readers_read_through_the_client(uvicorn_app: Served) -> None:
    pools = [(["t1", "t2"], ["/api/v1/records/1", "/api/v1/records/2"])]
    result = asyncio.run(PythonReaders(uvicorn_app.url, pools, count=2).run(0.3))
    assert set(result.statuses) == {"200"}
    assert result.requests == result.ok == len(uvicorn_app.requests) > 0
    assert result.p50_ms <= result.p99_ms <= result.max_ms
    assert {headers["authorization"] for _port, _path, headers in uvicorn_app.requests} \
        <= {"Bearer t1", "Bearer t2"}
    assert len({port for port, _path, _headers in uvicorn_app.requests}) == 2
