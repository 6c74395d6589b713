"""A worker passes every write to the writer process unchanged, and its answer back
(``api.web.writer.ForwardWrites``): here against a real uvicorn on a Unix socket, with
answers of a known length, in chunks, and without a body; reads never leave the worker; and
with no writer listening, a write is a clear 503 and nothing else happens."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from starlette.responses import JSONResponse, Response, StreamingResponse

from api.web.writer import ForwardWrites


def writer_app() -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse({"method": request.method, "query": request.url.query,
                             "length": len(body), "text": body.decode(),
                             "key": request.headers.get("idempotency-key")},
                            status_code=201, headers={"x-writer": "yes"})

    @app.put("/chunks")
    async def chunks() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one,", b"two,", b"three"):
                yield part
        return StreamingResponse(parts(), media_type="text/plain")

    @app.delete("/nothing")
    async def nothing() -> Response:
        return Response(status_code=204)

    return app


@pytest.fixture
def writer_socket(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "writer.sock")
    server = uvicorn.Server(uvicorn.Config(writer_app(), uds=path, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the test writer did not start"
        time.sleep(0.02)
    yield path
    server.should_exit = True
    thread.join(timeout=15)


def worker(socket_path: str) -> TestClient:
    app = FastAPI()

    @app.get("/echo")
    async def read_here() -> dict[str, str]:
        return {"served": "by the worker"}

    app.add_middleware(ForwardWrites, socket_path=socket_path)
    return TestClient(app)


def test_a_write_and_its_answer_pass_through_unchanged(writer_socket: str) -> None:
    client = worker(writer_socket)
    body = "ครู ใจดี " * 2_000  # Thai text, larger than one read of a socket
    response = client.post("/echo?dry_run=true", content=body.encode(),
                           headers={"Idempotency-Key": "k-1", "content-type": "text/plain"})
    assert response.status_code == 201
    assert response.headers["x-writer"] == "yes"
    assert response.json() == {"method": "POST", "query": "dry_run=true",
                               "length": len(body.encode()), "text": body, "key": "k-1"}


def test_answers_in_chunks_and_without_a_body_pass_through(writer_socket: str) -> None:
    client = worker(writer_socket)
    chunked = client.put("/chunks")
    assert chunked.status_code == 200
    assert chunked.text == "one,two,three"
    empty = client.delete("/nothing")
    assert empty.status_code == 204
    assert empty.content == b""


def test_a_read_is_served_by_the_worker(writer_socket: str) -> None:
    assert worker(writer_socket).get("/echo").json() == {"served": "by the worker"}


def test_with_no_writer_a_write_is_a_clear_503(tmp_path: Path) -> None:
    response = worker(str(tmp_path / "no-writer.sock")).post("/echo", json={"a": 1})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "writer-unavailable"
    assert response.json()["detail_th"]
