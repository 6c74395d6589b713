"""The front process of ``tabien serve --workers N`` (``api.web.dispatch``): which child each
new connection is handed to, by its first bytes, and what happens to connections that never
say anything, close at once or find a child gone. The children here are plain sockets that
say hello as a real child does and receive the connection's descriptor; the whole server,
with real children, is tested in ``tests/test_serve_workers.py``."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.cli_web import _lower_priority
from api.web.dispatch import READER, WRITER, _Channels, _Dispatcher, role_of


@pytest.mark.parametrize(("first", "role"), [
    (b"GET /api/v1/records/1 HTTP/1.1", READER),
    (b"HEAD / HT", READER),
    (b"OPTIONS ", READER),
    (b"POST /api/v1/orders", WRITER),
    (b"PUT /x", WRITER),
    (b"DELETE /", WRITER),
    (b"PATCH /", WRITER),
    (b"BREW /pot", WRITER),  # any method not known to be a read is the writer's to refuse
    (b"\x16\x03\x01\x02\x00\x01\x00\x01", READER),  # not a request line: a worker says 400
    (b"GETTING_", READER),
    (b"PO", None),  # too few bytes yet
    (b"GET", None),
    (b"", None),
])
def test_the_first_bytes_decide_who_serves_a_connection(first: bytes, role: str | None) -> None:
    assert role_of(first) == role


@dataclass
class FakeChild:
    """One end of a hand-over connection, as a child holds it."""
    channel: socket.socket

    def take(self, timeout: float = 5.0) -> socket.socket:
        """The next connection handed over."""
        self.channel.settimeout(timeout)
        _, fds, _, _ = socket.recv_fds(self.channel, 16, 4)
        assert len(fds) == 1
        return socket.socket(fileno=fds[0])

    def has_nothing(self) -> bool:
        self.channel.settimeout(0.2)
        try:
            socket.recv_fds(self.channel, 16, 4)
        except TimeoutError:
            return True
        return False


@dataclass
class Front:
    port: int
    writer: FakeChild
    readers: list[FakeChild]
    dispatcher: _Dispatcher

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


def say_hello(path: str, hello: bytes) -> FakeChild:
    channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    channel.connect(path)
    channel.sendall(hello)
    return FakeChild(channel)


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Front]:
    listener = socket.create_server(("127.0.0.1", 0))
    path = str(tmp_path / "dispatch.sock")
    hand_over = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hand_over.bind(path)
    hand_over.listen(8)
    channels = _Channels(readers=2)
    dispatcher = _Dispatcher(listener, hand_over, channels, first_bytes_seconds=0.5)
    dispatcher.start()
    writer = say_hello(path, b"writer 0\n")
    readers = [say_hello(path, f"reader {i}\n".encode()) for i in range(2)]
    deadline = time.monotonic() + 5
    while not channels.ready():
        assert time.monotonic() < deadline, "the children's hellos were not taken"
        time.sleep(0.01)
    dispatcher.accept_connections()
    yield Front(listener.getsockname()[1], writer, readers, dispatcher)
    dispatcher.stop()
    channels.close()
    listener.close()
    hand_over.close()


def test_no_connection_is_handed_out_before_the_server_takes_connections(
        tmp_path: Path) -> None:
    """A read answered by the first child up took every later read with it: the two-worker
    test saw all 24 reads in one stream on a loaded machine (issue 15)."""
    listener = socket.create_server(("127.0.0.1", 0))
    path = str(tmp_path / "dispatch.sock")
    hand_over = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    hand_over.bind(path)
    hand_over.listen(8)
    dispatcher = _Dispatcher(listener, hand_over, _Channels(readers=1))
    dispatcher.start()
    try:
        # Given a read worker that has said hello, while the server is still starting,
        reader = say_hello(path, b"reader 0\n")
        client = socket.create_connection(listener.getsockname(), timeout=5)
        client.sendall(b"GET /a HTTP/1.1\r\n\r\n")
        # a connection waits in the backlog,
        assert reader.has_nothing()
        # and is handed over once the server takes connections.
        dispatcher.accept_connections()
        served = reader.take()
        assert served.recv(64).startswith(b"GET /a ")
        served.close()
        client.close()
    finally:
        dispatcher.stop()
        listener.close()
        hand_over.close()


def test_a_write_goes_to_the_writer_with_its_bytes_unread(front: Front) -> None:
    # Given a client whose first request is a write,
    request = b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
    client = front.connect()
    client.sendall(request)
    # then the writer is handed the connection, with every byte still there to read,
    served = front.writer.take()
    assert served.recv(len(request), socket.MSG_WAITALL) == request
    # and an answer it writes reaches the client.
    served.sendall(b"HTTP/1.1 201 Created\r\n\r\n")
    assert client.recv(64).startswith(b"HTTP/1.1 201")
    assert all(reader.has_nothing() for reader in front.readers)
    served.close()
    client.close()


def test_reads_go_to_the_read_workers_in_turn(front: Front) -> None:
    clients = [front.connect() for _ in range(4)]
    for i, client in enumerate(clients):
        client.sendall(f"GET /api/v1/records/{i} HTTP/1.1\r\n\r\n".encode())
        # one at a time, so that the turn order is the order sent
        served = front.readers[i % 2].take()
        assert served.recv(64).startswith(f"GET /api/v1/records/{i} ".encode())
        served.close()
    assert front.writer.has_nothing()
    for client in clients:
        client.close()


def test_a_method_sent_a_byte_at_a_time_is_waited_for(front: Front) -> None:
    client = front.connect()
    for byte in b"POST":
        client.send(bytes([byte]))
        time.sleep(0.03)
    assert front.writer.has_nothing()  # "POST" without its space could still be "POSTX…"
    client.sendall(b" /api/v1/token HTTP/1.1\r\n\r\n")
    served = front.writer.take()
    assert served.recv(64).startswith(b"POST /api/v1/token")
    served.close()
    client.close()


def test_a_connection_that_sends_nothing_is_closed_and_never_handed(front: Front) -> None:
    client = front.connect()
    client.settimeout(5)
    assert client.recv(1) == b""  # closed by the front, after first_bytes_seconds (0.5 s)
    assert front.writer.has_nothing()
    assert all(reader.has_nothing() for reader in front.readers)
    client.close()


def test_a_connection_closed_before_its_request_is_forgotten(front: Front) -> None:
    front.connect().close()
    assert front.writer.has_nothing()
    assert all(reader.has_nothing() for reader in front.readers)
    # and the front still serves the next one
    client = front.connect()
    client.sendall(b"GET / HTTP/1.1\r\n\r\n")
    assert any(not reader.has_nothing() for reader in front.readers)
    client.close()


def test_a_read_worker_gone_leaves_the_reads_to_the_others(front: Front) -> None:
    # Given a read worker that has stopped (its end of the hand-over closed),
    front.readers[0].channel.close()
    # then every read still reaches a read worker: the one left.
    for i in range(3):
        client = front.connect()
        client.sendall(f"GET /{i} HTTP/1.1\r\n\r\n".encode())
        served = front.readers[1].take()
        assert served.recv(64).startswith(f"GET /{i} ".encode())
        served.close()
        client.close()


def test_with_the_writer_gone_a_write_reaches_a_read_worker(front: Front) -> None:
    # A read worker passes it on to the writer's socket, or answers 503 writer-unavailable:
    # the client gets an answer either way, rather than a reset connection.
    front.writer.channel.close()
    client = front.connect()
    client.sendall(b"POST /api/v1/orders HTTP/1.1\r\n\r\n")
    served = front.readers[0].take()  # the first reader in turn
    assert served.recv(64).startswith(b"POST /api/v1/orders")
    served.close()
    client.close()


def test_an_unknown_hello_is_refused(tmp_path: Path, front: Front) -> None:
    channels = front.dispatcher.channels
    before = (channels.writer, list(channels.readers))
    stranger = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stranger.connect(front.dispatcher.hand_over.getsockname())
    stranger.sendall(b"reader 7\n")  # only readers 0 and 1 exist
    stranger.settimeout(5)
    assert stranger.recv(1) == b""  # closed by the front
    assert (channels.writer, list(channels.readers)) == before
    stranger.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_the_projection_runners_threads_alone_run_at_a_lower_priority() -> None:
    # (tabien serve lowers the runner's threads this way: RUNNER_NICENESS)
    started, finish = threading.Event(), threading.Event()

    def runner_thread() -> None:
        started.set()
        finish.wait(10)

    thread = threading.Thread(target=runner_thread)
    thread.start()
    try:
        assert started.wait(10)
        own = _niceness(threading.get_native_id())
        _lower_priority({thread}, own + 3)
        assert thread.native_id is not None
        assert _niceness(thread.native_id) == own + 3
        assert _niceness(threading.get_native_id()) == own  # this thread is untouched
    finally:
        finish.set()
        thread.join()


def _niceness(thread_id: int) -> int:
    stat = Path(f"/proc/self/task/{thread_id}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_a_read_worker_too_busy_to_take_connections_keeps_its_place(front: Front) -> None:
    # Given a read worker whose hand-over queue is full (it takes nothing for a while),
    channels = front.dispatcher.channels
    busy = channels.readers[0]
    assert busy is not None
    busy.settimeout(0.05)  # the front's send to it then times out instead of waiting 5 s
    filler = socket.socket()
    try:
        while True:
            socket.send_fds(busy, [b"c"], [filler.fileno()])
    except TimeoutError:
        pass
    # then a read meant for it goes to the other read worker,
    client = front.connect()
    client.sendall(b"GET /a HTTP/1.1\r\n\r\n")
    served = front.readers[1].take()
    assert served.recv(64).startswith(b"GET /a ")
    served.close()
    client.close()
    filler.close()
    # and it is still one of the read workers, served again once it catches up.
    assert channels.readers[0] is busy
