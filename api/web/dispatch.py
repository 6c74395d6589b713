"""Serving with several processes: one front process accepts every connection and hands it,
by the first request on it, to the process that serves such requests.

Why: with uvicorn's own workers the kernel hands each connection to whichever worker accepts
it first. A registrar's write then arrived on the event loop of a worker busy with hundreds
of reads, waited behind them, was passed on to the writer process and came back the same way:
under a flood of reads an order took 200 ms at the median to issue though the writer's work
was 4 ms. Here the front process reads nothing: it waits until the first bytes of a new
connection have arrived, looks at them without taking them (``MSG_PEEK``) and passes the
connection itself (its file descriptor, over a Unix socket) to

* the **writer** if the request is a write (any method but GET, HEAD and OPTIONS): a client
  that writes — a registrar's terminal, an import — is then served by the writer for as long
  as it keeps the connection, with no other process in the way;
* else a **read worker**, in turn. A write arriving later on a read worker's connection is
  still passed to the writer by that worker (``api.web.writer.ForwardWrites``), as before.

Each child runs uvicorn (``HandedConnectionsServer``) over connections handed to it, and
tells the front process it is ready by connecting to its hand-over socket. Read workers run
at a lower priority (``READER_NICENESS``): reads are many, cheap and repeated by their
clients; a write holds a person at a terminal, so when the cores are all busy the operating
system runs the writer first. A child that stops is started again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import multiprocessing
import os
import selectors
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from api.web.writer import READ_METHODS, WRITER_SOCKET_ENV
from ledger.config import POOL_ENV

__all__ = ["READER_NICENESS", "HandedConnectionsServer", "Supervisor", "role_of"]

WRITER = "writer"
READER = "reader"
# The longest method routed by ("OPTIONS") and the space after it.
_PEEK_BYTES = 8
# A connection that has sent no request line by then is closed, as uvicorn closes an idle one.
FIRST_BYTES_SECONDS = 10.0
# Read workers' niceness: a ready writer then gets about thirty times a read worker's share
# of a busy core (CFS weights 1024 : 36). Measured under the bench's load (200 readers, 50
# registrars): at niceness 5 the issue p99 was 300 ms, at 15 about 100 ms, reads/s alike.
READER_NICENESS = 15
# A read worker's pools (``ledger.config.POOL_ENV``): it reads from its caches, and writes
# only its access log, one batch at a time.
READER_POOL = "1,5"
_READY_SECONDS = 60.0
_RESTART_PAUSE = 1.0


def role_of(first_bytes: bytes) -> str | None:
    """Which process serves a connection whose first bytes are these: the writer for a write,
    a read worker for a read or for bytes that are not a request line (the worker answers them
    400), or None while too few bytes have come to tell."""
    method, space, _ = first_bytes.partition(b" ")
    if space:
        return READER if method.decode("latin-1") in READ_METHODS else WRITER
    return READER if len(first_bytes) >= _PEEK_BYTES else None


# ------------------------------------------------------------------ the children


class HandedConnectionsServer(uvicorn.Server):
    """uvicorn's server, serving connections handed to it over ``dispatch_path`` (and, for
    the writer, its own Unix socket for writes forwarded by read workers)."""

    def __init__(self, config: uvicorn.Config, dispatch_path: str, hello: bytes) -> None:
        super().__init__(config)
        self._dispatch_path = dispatch_path
        self._hello = hello
        self._channel: socket.socket | None = None
        self._handing: set[asyncio.Task[None]] = set()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            self._open_channel()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._close_channel()
        await super().shutdown(sockets=sockets)

    def _open_channel(self) -> None:
        loop = asyncio.get_running_loop()
        protocol = functools.partial(  # as uvicorn's own startup makes its protocols
            self.config.http_protocol_class, config=self.config,  # type: ignore[call-arg]
            server_state=self.server_state, app_state=self.lifespan.state)
        channel = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        channel.connect(self._dispatch_path)
        channel.sendall(self._hello)  # ready: the application has started
        channel.setblocking(False)
        self._channel = channel
        loop.add_reader(channel.fileno(), self._take, loop, protocol)

    def _take(self, loop: asyncio.AbstractEventLoop,
              protocol: Callable[[], asyncio.Protocol]) -> None:
        """Serve every connection handed over since the last call."""
        assert self._channel is not None
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self._channel, 256, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:  # the front process has gone: stop serving
                self._close_channel()
                self.should_exit = True
                return
            for fd in fds:
                task = loop.create_task(
                    _serve_connection(loop, protocol, socket.socket(fileno=fd)))
                self._handing.add(task)  # held until done: the loop keeps only weak ones
                task.add_done_callback(self._handing.discard)

    def _close_channel(self) -> None:
        if self._channel is not None:
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._channel.fileno())
            self._channel.close()
            self._channel = None


async def _serve_connection(loop: asyncio.AbstractEventLoop,
                            protocol: Callable[[], asyncio.Protocol], sock: socket.socket) -> None:
    try:
        await loop.connect_accepted_socket(protocol, sock)
    except OSError:  # the client left while it was handed over
        sock.close()


@dataclass(frozen=True)
class ChildSpec:
    """What a child process needs: picklable, as it is started with ``spawn``."""
    factory: str
    dispatch_path: str
    role: str
    index: int
    writer_socket: str
    uvicorn_options: dict[str, Any] = field(default_factory=dict)
    niceness: int = 0


def serve_child(spec: ChildSpec) -> None:
    """The body of a child process: uvicorn over the connections handed to it."""

    if spec.niceness:
        os.nice(spec.niceness)
    sockets: list[socket.socket] = []
    if spec.role == WRITER:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spec.writer_socket)
        forwarded = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        forwarded.bind(spec.writer_socket)
        forwarded.listen(2048)
        sockets.append(forwarded)
    else:  # a read worker passes the writes that reach it to the writer
        os.environ[WRITER_SOCKET_ENV] = spec.writer_socket
        os.environ.setdefault(POOL_ENV, READER_POOL)  # unless the operator chose sizes
    config = uvicorn.Config(spec.factory, factory=True, log_level="warning",
                            **spec.uvicorn_options)
    hello = f"{spec.role} {spec.index}\n".encode()
    HandedConnectionsServer(config, spec.dispatch_path, hello).run(sockets=sockets)


# ------------------------------------------------------------------ the front process


class _Channels:
    """The hand-over connection of each child, as it says hello; readers taken in turn."""

    def __init__(self, readers: int) -> None:
        self.writer: socket.socket | None = None
        self.readers: list[socket.socket | None] = [None] * readers
        self._turn = itertools.count()
        self.changed = threading.Condition()

    def add(self, hello: bytes, channel: socket.socket) -> None:
        role, _, index = hello.decode(errors="replace").strip().partition(" ")
        with self.changed:
            if role == WRITER:
                _close(self.writer)
                self.writer = channel
            elif role == READER and index.isdigit() and int(index) < len(self.readers):
                _close(self.readers[int(index)])
                self.readers[int(index)] = channel
            else:
                channel.close()
                return
            self.changed.notify_all()

    def ready(self) -> bool:
        return self.writer is not None and all(r is not None for r in self.readers)

    def choices(self, role: str) -> Iterator[socket.socket]:
        """The channels to try for a connection of this role, best first: the writer, or the
        next reader in turn; then the others (a write reaching a reader is forwarded)."""
        start = next(self._turn)
        n = len(self.readers)
        readers = [self.readers[(start + i) % n] for i in range(n)]
        ordered = [self.writer, *readers] if role == WRITER else [*readers, self.writer]
        return (c for c in ordered if c is not None)

    def drop(self, channel: socket.socket) -> None:
        with self.changed:
            if self.writer is channel:
                self.writer = None
            self.readers = [None if r is channel else r for r in self.readers]
        channel.close()

    def close(self) -> None:
        for channel in [self.writer, *self.readers]:
            _close(channel)


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()


class _Dispatcher:
    """The front process's thread: accepts connections, waits for their first bytes, hands
    each to a child; and takes the children's hellos on the hand-over socket."""

    def __init__(self, listener: socket.socket, hand_over: socket.socket,
                 channels: _Channels, first_bytes_seconds: float = FIRST_BYTES_SECONDS) -> None:
        self.listener = listener
        self.first_bytes_seconds = first_bytes_seconds
        self.hand_over = hand_over
        self.channels = channels
        self._selector = selectors.DefaultSelector()
        self._waiting: dict[socket.socket, float] = {}  # a new connection → its deadline
        self._partial: set[socket.socket] = set()  # a few bytes came, not yet a method
        self._stopping = threading.Event()
        self._accepting = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self.thread = threading.Thread(target=self._run, name="tabien-dispatch", daemon=True)

    def start(self) -> None:
        """Take the children's hellos; connections wait in the listener's backlog until
        ``accept_connections``."""
        self.listener.setblocking(False)
        for sock in (self.hand_over, self._wake_r):
            sock.setblocking(False)
            self._selector.register(sock, selectors.EVENT_READ)
        self.thread.start()

    def accept_connections(self) -> None:
        """Start handing out connections (registered by the dispatcher's own thread: the
        selector is not shared between threads)."""
        self._accepting.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        self.thread.join(timeout=10)

    def _run(self) -> None:
        listening = False
        try:
            while not self._stopping.is_set():
                if not listening and self._accepting.is_set():
                    self._selector.register(self.listener, selectors.EVENT_READ)
                    listening = True
                timeout = 0.01 if self._partial else 0.5
                for key, _ in self._selector.select(timeout):
                    self._ready(key.fileobj)  # type: ignore[arg-type]
                for conn in list(self._partial):
                    self._look(conn)
                self._expire()
        finally:
            for conn in list(self._waiting):
                self._forget(conn)
            self._selector.close()

    def _ready(self, sock: socket.socket) -> None:
        if sock is self.listener:
            self._accept()
        elif sock is self.hand_over:
            self._hello()
        elif sock is self._wake_r:
            with contextlib.suppress(OSError):
                sock.recv(64)
        else:
            self._look(sock)

    def _accept(self) -> None:
        for _ in range(256):  # at most so many per turn: the others wait in the backlog
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, or the listener closed: try again later
                return
            conn.setblocking(False)
            self._waiting[conn] = time.monotonic() + self.first_bytes_seconds
            self._selector.register(conn, selectors.EVENT_READ)

    def _hello(self) -> None:
        try:
            channel, _ = self.hand_over.accept()
        except OSError:
            return
        channel.settimeout(5.0)
        try:
            hello = channel.recv(64)
        except OSError:
            channel.close()
            return
        self.channels.add(hello, channel)

    def _look(self, conn: socket.socket) -> None:
        """Peek at a connection's first bytes; hand it over once they tell its role."""
        try:
            first = conn.recv(_PEEK_BYTES, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._forget(conn)
            return
        if not first:  # closed before sending anything
            self._forget(conn)
            return
        role = role_of(first)
        if role is None:
            # Level-triggered: unread bytes would wake the selector at once, again and
            # again; such a connection is looked at on a timer instead.
            if conn not in self._partial:
                self._selector.unregister(conn)
                self._partial.add(conn)
            return
        self._hand(conn, role)

    def _hand(self, conn: socket.socket, role: str) -> None:
        for channel in self.channels.choices(role):
            try:
                socket.send_fds(channel, [b"c"], [conn.fileno()])
                break
            except (BrokenPipeError, ConnectionResetError):
                self.channels.drop(channel)  # that child has gone; it is started again
            except OSError:  # alive but not taking connections (its queue full): the next
                continue
        self._forget(conn)  # handed over (the child holds its own descriptor), or no child

    def _forget(self, conn: socket.socket) -> None:
        self._waiting.pop(conn, None)
        if conn in self._partial:
            self._partial.discard(conn)
        else:
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(conn)
        conn.close()

    def _expire(self) -> None:
        now = time.monotonic()
        for conn in [c for c, deadline in self._waiting.items() if deadline < now]:
            self._forget(conn)


class Supervisor:
    """``tabien serve --workers N``: the front process. It listens on ``host:port``, starts
    the writer and N read workers (each its own application, ``factory``), hands them the
    connections, starts again a child that stops, and stops them all on ``stop``."""

    def __init__(self, factory: str, host: str, port: int, workers: int,
                 uvicorn_options: dict[str, Any] | None = None,
                 reader_niceness: int = READER_NICENESS) -> None:
        self._folder = tempfile.mkdtemp(prefix="tabien-")
        self._dispatch_path = os.path.join(self._folder, "dispatch.sock")
        self.writer_socket = os.path.join(self._folder, "writer.sock")
        self._specs = [ChildSpec(factory, self._dispatch_path, WRITER, 0, self.writer_socket,
                                 dict(uvicorn_options or {}))]
        self._specs += [ChildSpec(factory, self._dispatch_path, READER, i, self.writer_socket,
                                  dict(uvicorn_options or {}), reader_niceness)
                        for i in range(workers)]
        self.listener = _listen(host, port)
        hand_over = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        hand_over.bind(self._dispatch_path)
        hand_over.listen(64)
        self._hand_over = hand_over
        self._channels = _Channels(workers)
        self._dispatcher = _Dispatcher(self.listener, hand_over, self._channels)
        self._children: list[BaseProcess | None] = [None] * len(self._specs)
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def start(self) -> None:
        """Start the dispatcher, then the writer, then the read workers (each told where
        the writer is); once every child has said it is ready, take connections and return.

        Until then a client's connection waits in the listener's backlog: answered by the
        first child up, every read would have gone to it and the other would have started
        with nothing to do."""
        self._dispatcher.start()
        for i in range(len(self._specs)):
            self._children[i] = self._spawn(self._specs[i])
        deadline = time.monotonic() + _READY_SECONDS
        with self._channels.changed:
            while not self._channels.ready():
                if any(c is not None and not c.is_alive() for c in self._children):
                    raise RuntimeError("a server process stopped while starting")
                if time.monotonic() > deadline:
                    raise RuntimeError("the server processes did not start in time")
                self._channels.changed.wait(0.2)
        self._dispatcher.accept_connections()

    def watch(self) -> None:
        """Until ``stop``: start again any child that has stopped."""
        while not self._stopping.wait(0.5):
            for i, child in enumerate(self._children):
                if child is None or child.is_alive():
                    continue
                # A pause, so that a child failing at once does not spin; and none is
                # started again once stopping (Ctrl-C reaches the children first).
                if not self._stopping.wait(_RESTART_PAUSE):
                    self._children[i] = self._spawn(self._specs[i])

    def stop(self) -> None:
        """Stop taking connections, then stop every child (SIGTERM: uvicorn finishes the
        requests under way) and wait for it."""
        self._stopping.set()
        self._dispatcher.stop()
        self.listener.close()
        for child in self._children:
            if child is not None and child.is_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGTERM)  # type: ignore[arg-type]
        for child in self._children:
            if child is not None:
                child.join(timeout=30)
                if child.is_alive():
                    child.kill()
                    child.join()
        self._channels.close()
        self._hand_over.close()
        for path in (self._dispatch_path, self.writer_socket):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(self._folder)

    @staticmethod
    def _spawn(spec: ChildSpec) -> BaseProcess:
        process = multiprocessing.get_context("spawn").Process(
            target=serve_child, args=(spec,), name=f"tabien-{spec.role}-{spec.index}")
        process.start()
        return process


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)
