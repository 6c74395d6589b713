"""Access to the test PostgreSQL server: one throw-away schema per test.

``TABIEN_TEST_PG`` names the server (default: the local trust-auth one). Where ``CI`` is set an
unreachable server is an error, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import psycopg
import pytest

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    return os.environ.get("TABIEN_TEST_PG", DEFAULT_URL)


def require_postgres() -> None:
    """Skip (locally) or fail (in CI) when the server cannot be reached."""
    try:
        with psycopg.connect(pg_url(), connect_timeout=3):
            pass
    except psycopg.OperationalError as e:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {pg_url()} is unreachable in CI: {e}")
        pytest.skip(f"PostgreSQL at {pg_url()} is unreachable: {e}")


@contextmanager
def fresh_schema() -> Iterator[str]:
    """Create an empty schema and drop it afterwards."""
    require_postgres()
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_url(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(pg_url(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def database_url(schema: str) -> str:
    """A TABIEN_DATABASE_URL pointing at the test server, with the schema as a query option."""
    return f"{pg_url()}?schema={schema}"


def url_parts() -> dict[str, str]:
    parsed = urlparse(pg_url())
    return {
        "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_PASSWORD": parsed.password or "",
    }
