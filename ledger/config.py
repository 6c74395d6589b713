"""Where the ledger lives: one setting, ``TABIEN_DATABASE_URL``, chooses the backend.

* unset → the embedded SQLite file ``./tabien.db``
* ``sqlite:///path/to/file.db``
* ``postgresql://user[:password]@host[:port]/dbname[?schema=name]``

Keys live in ``TABIEN_KEYS_DIR`` (default ``./tabien-keys``); evidence files in
``TABIEN_EVIDENCE_DIR`` (default ``./tabien-evidence``).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from ledger.errors import InvalidInput

__all__ = ["DEFAULT_CHECKPOINT_SECONDS", "DEFAULT_DATABASE_URL", "DEFAULT_PUBLIC_URL",
           "DEFAULT_VIEW_WAIT_SECONDS",
           "checkpoint_seconds", "database_env", "database_url", "evidence_dir", "keys_dir",
           "public_url", "view_wait_seconds"]

DEFAULT_DATABASE_URL = "sqlite:///tabien.db"


def database_url() -> str:
    return os.environ.get("TABIEN_DATABASE_URL") or DEFAULT_DATABASE_URL


DEFAULT_CHECKPOINT_SECONDS = 60.0


def checkpoint_seconds() -> float:
    """How often the server signs a checkpoint when the log has grown
    (``TABIEN_CHECKPOINT_SECONDS``, default 60); ``tabien verify`` fails a log whose events
    have waited more than twice that for one."""
    text = os.environ.get("TABIEN_CHECKPOINT_SECONDS", "").strip()
    if not text:
        return DEFAULT_CHECKPOINT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 10**7:
        raise InvalidInput(f"TABIEN_CHECKPOINT_SECONDS={text!r}: give a number of seconds "
                           "greater than 0, e.g. 60",
                           "TABIEN_CHECKPOINT_SECONDS ต้องเป็นจำนวนวินาทีที่มากกว่า 0 เช่น 60")
    return seconds


DEFAULT_VIEW_WAIT_SECONDS = 10.0
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_url() -> str:
    """Where the public verification page and the status lists are served
    (``TABIEN_PUBLIC_URL``, default http://127.0.0.1:8000): certificates name it in their QR
    and their status entries, so set it before issuing any."""
    text = os.environ.get("TABIEN_PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL
    if not text.startswith(("https://", "http://")) or any(ch in text for ch in " #?\"\\"):
        raise InvalidInput(f"TABIEN_PUBLIC_URL={text!r}: give an http(s) address with no "
                           "query or fragment, e.g. https://tabien.example.go.th",
                           "TABIEN_PUBLIC_URL ต้องเป็นที่อยู่ http(s) ที่ไม่มี ? หรือ # "
                           "เช่น https://tabien.example.go.th")
    return text.rstrip("/")


def view_wait_seconds() -> float:
    """How long a payroll feed or a document waits for the record view to catch up with the
    ledger's head before it is refused (``TABIEN_VIEW_WAIT_SECONDS``, default 10; 0 does not
    wait)."""
    text = os.environ.get("TABIEN_VIEW_WAIT_SECONDS", "").strip()
    if not text:
        return DEFAULT_VIEW_WAIT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise InvalidInput(f"TABIEN_VIEW_WAIT_SECONDS={text!r}: give a number of seconds from 0 "
                           "to 3600, e.g. 10",
                           "TABIEN_VIEW_WAIT_SECONDS ต้องเป็นจำนวนวินาทีตั้งแต่ 0 ถึง 3600 เช่น 10")
    return seconds


def keys_dir() -> Path:
    return Path(os.environ.get("TABIEN_KEYS_DIR") or "tabien-keys")


def evidence_dir() -> Path:
    return Path(os.environ.get("TABIEN_EVIDENCE_DIR") or "tabien-evidence")


# Set by ``tabien serve`` once it has created every table, for the processes it then starts:
# the library's table creation (DDL) run beside the projection runner's writes can deadlock.
TABLES_READY_ENV = "TABIEN_TABLES_READY"
# Connections each pool of this process keeps open and may open at most ("2,8"). A process
# opens a pool per application (the ledger, the record view, the accounts); ``tabien serve
# --workers N`` gives its read workers small ones, so that the whole server stays under
# PostgreSQL's default limit of 100 connections.
POOL_ENV = "TABIEN_PG_POOL"
DEFAULT_POOL = (2, 8)


def database_env(url: str) -> dict[str, str]:
    """The library's environment variables for a database URL."""
    env = _database_env(url)
    if os.environ.get(TABLES_READY_ENV) == "1":
        env["CREATE_TABLE"] = "no"
    return env


def pool_sizes() -> tuple[int, int]:
    """(connections kept open, most connections) for each pool, from ``TABIEN_PG_POOL``."""
    text = os.environ.get(POOL_ENV, "").strip()
    if not text:
        return DEFAULT_POOL
    kept, _, most = text.partition(",")
    try:
        sizes = int(kept), int(most)
    except ValueError:
        sizes = (-1, -1)
    if not 1 <= sizes[0] <= sizes[1]:
        raise InvalidInput(f"{POOL_ENV}={text!r}: give two whole numbers KEPT,MOST with "
                           "1 <= KEPT <= MOST, e.g. 2,8",
                           f"{POOL_ENV} ต้องเป็นจำนวนเต็มสองจำนวน เช่น 2,8")
    return sizes


def pool_env(sizes: tuple[int, int] | None = None) -> dict[str, str]:
    """The library's settings for a pool of ``sizes`` (kept, most; default: the configured
    ones)."""
    kept, most = sizes or pool_sizes()
    return {"POSTGRES_POOL_SIZE": str(kept), "POSTGRES_MAX_OVERFLOW": str(most - kept)}


def _database_env(url: str) -> dict[str, str]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative.db parses to "/relative.db"; four slashes mean absolute.
        path = unquote(parsed.path)[1:]
        if not path:
            raise InvalidInput(f"no file in SQLite URL {url!r}", "ไม่ได้ระบุไฟล์ฐานข้อมูล SQLite")
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "APPLICATION_RECORDER_TOPIC": "ledger.persistence.sqlite:LedgerSQLiteRecorder",
        }
    if parsed.scheme in ("postgresql", "postgres"):
        schema = parse_qs(parsed.query).get("schema", [""])[0]
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_SCHEMA": schema,
            **pool_env(),
            "POSTGRES_LOCK_TIMEOUT": "10",
            "APPLICATION_RECORDER_TOPIC": "ledger.persistence.postgres:LedgerPostgresRecorder",
        }
    raise InvalidInput(
        f"unsupported database URL {url!r}: use sqlite:///FILE or postgresql://…",
        f"ไม่รองรับที่อยู่ฐานข้อมูล {url!r}: ใช้ sqlite:///ไฟล์ หรือ postgresql://…")
