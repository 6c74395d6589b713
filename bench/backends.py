"""Fresh, empty stores on each backend: the ledger, the plain baseline, and (PostgreSQL) a raw
COPY table.

Every scenario gets its own stores so that one scenario's rows never slow another's writes or
inflate its event count. PostgreSQL stores live in a throw-away schema ``bench_<random>``
that is dropped afterwards, whatever happens.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psycopg
from psycopg import sql

from ledger.application import Ledger
from ledger.config import database_env
from ledger.persistence.postgres import LedgerPostgresRecorder

from .plain import PlainApp

__all__ = [
    "PostgresBackend",
    "RawCopyTable",
    "SQLiteBackend",
    "Stores",
    "pg_server_url",
    "pg_unreachable_reason",
]

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"

RawRow = tuple[Any, ...]


def pg_server_url() -> str:
    return (os.environ.get("TABIEN_BENCH_PG") or os.environ.get("TABIEN_TEST_PG")
            or DEFAULT_PG_URL)


def pg_display(url: str) -> str:
    """The server without its credentials, fit to print."""
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port or 5432}{parsed.path}"


def pg_unreachable_reason(url: str) -> str | None:
    """Why the server cannot be used, or None when it can."""
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.Error as e:
        first_line = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return f"{pg_display(url)} is unreachable ({first_line})"


def _plain_env(ledger_url: str) -> dict[str, str]:
    # The same database settings as the ledger's, but the library's own recorder: an empty
    # topic makes the library fall back to its default recorder class.
    env = dict(database_env(ledger_url))
    env["APPLICATION_RECORDER_TOPIC"] = ""
    return env


class RawCopyTable:
    """A bare table shaped like ``ledger_events``, written by psycopg's binary COPY alone.

    Same columns, primary key and unique notification-id index as the ledger's table, so the
    database does the same index work; no lock, no id lookup, no submission row, no checks.
    """

    _TYPES = ("uuid", "int8", "text", "bytea", "int8", "bytea")

    def __init__(self, server_url: str, schema: str) -> None:
        self._conn = psycopg.connect(server_url)
        table = sql.Identifier(schema, "raw_copy")
        self._conn.execute(sql.SQL(
            "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigint NOT NULL, "
            "event_hash bytea NOT NULL, PRIMARY KEY (originator_id, originator_version))"
        ).format(table))
        self._conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id ASC)")
                           .format(table))
        self._conn.commit()
        self._copy = sql.SQL(
            "COPY {} (originator_id, originator_version, topic, state, notification_id, "
            "event_hash) FROM STDIN (FORMAT BINARY)").format(table)

    def copy(self, rows: Sequence[RawRow]) -> None:
        """Write the rows in one transaction."""
        with self._conn.transaction(), self._conn.cursor() as cursor, \
                cursor.copy(self._copy) as copy:
            copy.set_types(self._TYPES)
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        self._conn.close()


@dataclass
class Stores:
    ledger: Ledger
    plain: PlainApp
    url: str  # the ledger's database URL, for whatever opens it again (views, runners)
    raw: RawCopyTable | None = None


class SQLiteBackend:
    name = "SQLite"

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._opened = 0

    @contextmanager
    def stores(self) -> Iterator[Stores]:
        self._opened += 1
        folder = self._directory / f"sqlite-{self._opened}"
        folder.mkdir()
        url = f"sqlite:///{folder}/ledger.db"
        ledger = Ledger(url=url)
        plain = PlainApp(_plain_env(f"sqlite:///{folder}/plain.db"))
        try:
            yield Stores(ledger, plain, url)
        finally:
            ledger.close()
            plain.close()


class PostgresBackend:
    name = "PostgreSQL"

    def __init__(self, server_url: str) -> None:
        self._server_url = server_url

    @contextmanager
    def stores(self) -> Iterator[Stores]:
        with self._schema() as schema:
            url = f"{self._server_url}?schema={schema}"
            ledger = Ledger(url=url)
            plain = PlainApp(_plain_env(url))
            raw = RawCopyTable(self._server_url, schema)
            try:
                assert isinstance(ledger.recorder, LedgerPostgresRecorder)
                yield Stores(ledger, plain, url, raw)
            finally:
                raw.close()
                ledger.close()
                plain.close()

    @contextmanager
    def _schema(self) -> Iterator[str]:
        name = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
        try:
            yield name
        finally:
            with psycopg.connect(self._server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                             .format(sql.Identifier(name)))
