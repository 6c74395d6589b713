"""What a server process settles with its siblings when it starts, through PostgreSQL
advisory locks: one at a time through table creation, and an access stream of its own.

``tabien serve --workers N`` starts N processes at once over one database. Each runs the
library's table creation (``CREATE … IF NOT EXISTS``, ``CREATE OR REPLACE FUNCTION``); run at
the same moment, one of them can fail with "tuple concurrently updated". And each appends the
reads it serves to the access log: two processes appending to the same record's access
aggregate would conflict and retry, so each claims an access stream of its own
(``ledger.access.ACCESS_STREAMS``) and holds it while it runs. On SQLite there is one process:
nothing to settle, and it writes stream 0.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger.access import ACCESS_STREAMS
from ledger.config import database_env

__all__ = ["StreamClaim", "claim_access_stream", "one_at_a_time"]


def _postgres(url: str) -> dict[str, Any] | None:
    env = database_env(url)
    if "POSTGRES_DBNAME" not in env:
        return None
    return {"dbname": env["POSTGRES_DBNAME"], "host": env["POSTGRES_HOST"],
            "port": env["POSTGRES_PORT"], "user": env["POSTGRES_USER"],
            "password": env["POSTGRES_PASSWORD"] or None, "autocommit": True,
            "_schema": env["POSTGRES_SCHEMA"]}


def _lock_class(purpose: str, schema: str) -> int:
    """An advisory-lock class for one purpose in one schema (a signed 32-bit integer)."""
    value = zlib.crc32(f"tabien:{purpose}:{schema}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@contextmanager
def one_at_a_time(url: str) -> Iterator[None]:
    """Hold the start-up lock of this database (PostgreSQL) while the body runs."""
    params = _postgres(url)
    if params is None:
        yield
        return
    import psycopg

    schema = params.pop("_schema")
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
    params = _postgres(url)
    if params is None:
        return StreamClaim(0)
    import psycopg

    schema = params.pop("_schema")
    conn = psycopg.connect(**params)
    for stream in range(1, ACCESS_STREAMS):
        row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)",
                           (_lock_class("access-stream", schema), stream)).fetchone()
        if row is not None and row[0]:
            return StreamClaim(stream, conn)
    conn.close()
    return StreamClaim(0)
