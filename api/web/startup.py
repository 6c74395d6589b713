"""What a server process settles with its siblings, through PostgreSQL advisory locks: one
at a time through table creation, an access stream of its own, and one write at a time.

``tabien serve --workers N`` starts N processes at once over one database. Each runs the
library's table creation (``CREATE … IF NOT EXISTS``, ``CREATE OR REPLACE FUNCTION``); run at
the same moment, one of them can fail with "tuple concurrently updated". And each appends the
reads it serves to the access log: two processes appending to the same record's access
aggregate would conflict and retry, so each claims an access stream of its own
(``ledger.access.ACCESS_STREAMS``) and holds it while it runs. And a write that checks the
rules against what is recorded, then appends (issuing an order: the position numbers it
assigns must be free), must not interleave with another such write — in this process or a
sibling — so the writes take ``WriteLock``. On SQLite there is one process: nothing to settle
with anyone, it writes stream 0, and its write lock is a thread lock.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger.access import ACCESS_STREAMS
from ledger.config import database_env

__all__ = ["StreamClaim", "WriteLock", "claim_access_stream", "one_at_a_time"]


def _postgres(url: str) -> tuple[dict[str, Any], str] | None:
    """psycopg's connection parameters and the schema, for a PostgreSQL URL (else None)."""
    env = database_env(url)
    if "POSTGRES_DBNAME" not in env:
        return None
    return ({"dbname": env["POSTGRES_DBNAME"], "host": env["POSTGRES_HOST"],
             "port": env["POSTGRES_PORT"], "user": env["POSTGRES_USER"],
             "password": env["POSTGRES_PASSWORD"] or None, "autocommit": True},
            env["POSTGRES_SCHEMA"])


def _lock_class(purpose: str, schema: str) -> int:
    """An advisory-lock class for one purpose in one schema (a signed 32-bit integer)."""
    value = zlib.crc32(f"tabien:{purpose}:{schema}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@contextmanager
def one_at_a_time(url: str) -> Iterator[None]:
    """Hold the start-up lock of this database (PostgreSQL) while the body runs."""
    postgres = _postgres(url)
    if postgres is None:
        yield
        return
    import psycopg

    params, schema = postgres
    with psycopg.connect(**params) as conn:
        conn.execute("SELECT pg_advisory_lock(%s, 0)", (_lock_class("start", schema),))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, 0)", (_lock_class("start", schema),))


class StreamClaim:
    """An access stream held by this process until ``release`` (or the process ends: the
    lock belongs to the connection)."""

    def __init__(self, stream: int, connection: Any = None) -> None:
        self.stream = stream
        self._connection = connection

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def claim_access_stream(url: str) -> StreamClaim:
    """The first free access stream 1…15 on PostgreSQL, or 0 (shared with the command line:
    a conflict there is retried) on SQLite or when every stream is taken."""
    postgres = _postgres(url)
    if postgres is None:
        return StreamClaim(0)
    import psycopg

    params, schema = postgres
    conn = psycopg.connect(**params)
    for stream in range(1, ACCESS_STREAMS):
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                           (_lock_class("access-stream", schema), stream)).fetchone()
        if row is not None and row[0]:
            return StreamClaim(stream, conn)
    conn.close()
    return StreamClaim(0)


class WriteLock:
    """One write at a time across the processes of a server: a thread lock for this
    process's threads, then a PostgreSQL advisory lock (held on a connection of its own)
    for its siblings."""

    def __init__(self, url: str | None = None) -> None:
        self._threads = threading.Lock()
        postgres = _postgres(url) if url is not None else None
        self._params = postgres[0] if postgres is not None else None
        self._class = _lock_class("writes", postgres[1]) if postgres is not None else 0
        self._connection: Any = None

    def __enter__(self) -> WriteLock:
        self._threads.acquire()
        try:
            if self._params is not None:
                self._sql("SELECT pg_advisory_lock(%s, 1)")
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._params is not None:
                self._sql("SELECT pg_advisory_unlock(%s, 1)")
        finally:
            self._threads.release()

    def _sql(self, statement: str) -> None:
        import psycopg

        for attempt in range(2):  # a connection lost (a restarted server) is made again once
            if self._connection is None or self._connection.closed:
                self._connection = psycopg.connect(**self._params)  # type: ignore[arg-type]
            try:
                self._connection.execute(statement, (self._class,))
                return
            except psycopg.OperationalError:
                self._connection.close()
                if attempt == 1:
                    raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
