"""Fixtures shared by the test modules: a ledger on each backend, initialised with keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from commands.bootstrap import KeySet, initialise
from ledger.application import Ledger
from ledger.keys import KeyStore
from tests.pg import database_url, fresh_schema
from tests.processes import become_subreaper, descendants, kill_all

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class LedgerEnv:
    """A ledger, its keys, and the environment the CLI needs to reach the same ledger."""

    backend: str
    url: str
    keys_dir: Path
    ledger: Ledger
    store: KeyStore
    keys: KeySet

    @property
    def cli_env(self) -> dict[str, str]:
        return {"TABIEN_DATABASE_URL": self.url, "TABIEN_KEYS_DIR": str(self.keys_dir),
                "TABIEN_KEY_PASSPHRASE": "test-passphrase"}

    def reopen(self) -> Ledger:
        return Ledger(url=self.url)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger_env(backend: str, tmp_path: Path) -> Iterator[LedgerEnv]:
    keys_dir = tmp_path / "keys"
    store = KeyStore(keys_dir, passphrase=b"test-passphrase")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/tabien.db"
        ledger = Ledger(url=url)
        yield LedgerEnv(backend, url, keys_dir, ledger, store,
                        initialise(ledger, store, development=False))
        ledger.close()
        return
    with fresh_schema() as schema:
        url = database_url(schema)
        ledger = Ledger(url=url)
        try:
            yield LedgerEnv(backend, url, keys_dir, ledger, store,
                            initialise(ledger, store, development=False))
        finally:
            ledger.close()


# ------------------------------------------------------------------ no process left behind


def pytest_configure(config: pytest.Config) -> None:
    become_subreaper()


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    """A test that leaves a process running fails, and the process is killed (a server left
    by one run was found still serving 13 minutes later: issue 15)."""
    before = set(descendants())
    yield
    left = kill_all([pid for pid in descendants() if pid not in before])
    if left:
        pytest.fail("processes left running (killed now): "
                    + "; ".join(f"{pid}: {cmd}" for pid, cmd in left.items()), pytrace=False)


# The HTTP API's fixture, for every API test module.
from tests.web import api  # noqa: E402, F401
