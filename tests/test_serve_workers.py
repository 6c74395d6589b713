"""``tabien serve --workers 2`` on PostgreSQL, as an operator runs it: two read workers and
the writer start together over one database, all accept the same tokens, each logs the reads
it serves in an access stream of its own, and every read is in the log; a connection whose
first request is a write is served by the writer, reads by the read workers in turn; writes
are done by the writer process, and what they change reaches the workers; a read worker that
dies is started again while the other serves. On SQLite several workers are refused with a
clear message."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.web.accounts import Accounts
from api.web.dispatch import READER_NICENESS
from commands.access import accesses_of
from commands.bootstrap import initialise
from ledger.application import Ledger
from ledger.keys import KeyStore
from projections.record_projection import open_view, rebuild
from tests.factories import national_id, record_id_for, small_ledger
from tests.pg import database_url, fresh_schema
from tests.processes import running, stop

PASSWORD = "correct horse battery staple"
READS = 24


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server stopped while starting"
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start within 60 s")


@pytest.mark.postgres
def test_two_workers_share_tokens_and_log_every_read(tmp_path: Path) -> None:
    with fresh_schema() as schema:
        url = database_url(schema)
        # Given a ledger with four people, its view, and an auditor,
        keys_dir = tmp_path / "keys"
        store = KeyStore(keys_dir, passphrase=b"test-passphrase")
        ledger = Ledger(url=url)
        keys = initialise(ledger, store, development=False)
        small_ledger(ledger, keys.authority, secret=store.identity_secret())
        view = open_view(url)
        rebuild(ledger, view)
        view.datastore.close()  # type: ignore[attr-defined]
        accounts = Accounts(url)
        accounts.add_user("aud", PASSWORD, role="auditor", areas=[])
        accounts.add_user("adm", PASSWORD, role="admin", areas=[])
        accounts.close()
        # when the server is started with two workers,
        port = free_port()
        env = {**os.environ, "TABIEN_DATABASE_URL": url, "TABIEN_KEYS_DIR": str(keys_dir),
               "TABIEN_KEY_PASSPHRASE": "test-passphrase"}
        base = f"http://127.0.0.1:{port}"
        with running([sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port",
                      str(port), "--stop-after", "600"], env=env, stdout=subprocess.PIPE,
                     stderr=subprocess.STDOUT, grace=60) as server:
            wait_until_up(base, server)
            token = httpx.post(f"{base}/api/v1/token", data={
                "username": "aud", "password": PASSWORD}).json()["access_token"]
            # then a token signed by one worker is taken by both: every read, each on a
            # connection of its own (either worker may accept it), is answered,
            nid = national_id(1)
            statuses = [httpx.get(f"{base}/api/v1/records/{nid}", timeout=30,
                                  headers={"Authorization": f"Bearer {token}"}).status_code
                        for _ in range(READS)]
            assert statuses == [200] * READS
            # shared by the two read workers in turn (an answer waits for its access-log
            # entry: they are all in the log now),
            record_id = record_id_for(nid, store.identity_secret())
            streams = Counter(entry.stream for entry in accesses_of(ledger, record_id))
            assert sorted(streams.values()) == [READS // 2, READS // 2]
            # a connection whose first request is a write (signing in) is the writer's, and
            # so are the reads that follow on it (logged in a third stream),
            with httpx.Client(base_url=base, timeout=30) as keep_alive:
                assert keep_alive.post("/api/v1/token", data={
                    "username": "aud", "password": PASSWORD}).status_code == 200
                for _ in range(2):
                    assert keep_alive.get(f"/api/v1/records/{nid}", headers={
                        "Authorization": f"Bearer {token}"}).status_code == 200
            now = Counter(entry.stream for entry in accesses_of(ledger, record_id))
            assert now - streams == Counter({next(iter(now.keys() - streams.keys())): 2})
            # the auditor's verification job runs in the writer, and is followed on fresh
            # connections, which the read workers pass on to it,
            started = httpx.post(f"{base}/api/v1/audit/verify", timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})
            assert started.status_code == 202, started.text
            deadline = time.monotonic() + 120
            while True:
                job = httpx.get(f"{base}{started.headers['location']}", timeout=30,
                                headers={"Authorization": f"Bearer {token}"})
                assert job.status_code == 200, job.text
                if job.json()["status"] != "running":
                    break
                assert time.monotonic() < deadline, job.text
                time.sleep(0.1)
            assert job.json()["status"] == "done", job.text
            assert job.json()["report"]["covered"]["views_checked"]
            # a read worker killed is started again, and meanwhile the other serves every
            # read,
            readers = read_workers(server.pid)
            assert len(readers) == 2
            os.kill(readers[0], signal.SIGKILL)
            # (once it has exited its hand-over socket is closed, so the front process finds
            # it gone; a connection handed to it in the moment before is lost with it, as a
            # client of a dying process would find)
            exited(readers[0])
            statuses = [httpx.get(f"{base}/api/v1/records/{nid}", timeout=30,
                                  headers={"Authorization": f"Bearer {token}"}).status_code
                        for _ in range(6)]
            assert statuses == [200] * 6
            deadline = time.monotonic() + 30
            while len(read_workers(server.pid)) < 2 or readers[0] in read_workers(server.pid):
                assert time.monotonic() < deadline, "the killed read worker was not restarted"
                time.sleep(0.2)
            # a write with an Idempotency-Key is done once by the writer process, and sent
            # again it is answered from the kept reply,
            admin = {"Authorization": "Bearer " + httpx.post(f"{base}/api/v1/token", data={
                "username": "adm", "password": PASSWORD}).json()["access_token"],
                "Idempotency-Key": "add-reg-1"}
            new_user = {"username": "reg1", "password": PASSWORD, "role": "auditor"}
            first = httpx.post(f"{base}/api/v1/users", headers=admin, json=new_user)
            again = httpx.post(f"{base}/api/v1/users", headers=admin, json=new_user)
            assert (first.status_code, again.status_code) == (201, 201)
            assert again.headers["idempotent-replay"] == "true"
            assert again.json() == first.json()
            # a write (signing out everywhere) is done by the writer process, and the
            # workers, which answer reads, learn of it by polling: the token soon stops
            # working on every connection.
            bearer = {"Authorization": f"Bearer {token}"}
            assert httpx.post(f"{base}/api/v1/logout", headers=bearer).status_code == 204
            deadline = time.monotonic() + 20
            refused = 0
            while refused < 6:  # six fresh connections in a row, whichever worker takes them
                assert time.monotonic() < deadline, "a revoked token still worked after 20 s"
                status = httpx.get(f"{base}/api/v1/me", headers=bearer).status_code
                refused = refused + 1 if status == 401 else 0
                time.sleep(0.05)
            # Stopped with Ctrl-C, it stops every process in time, with no error.
            output = stop(server, signal.SIGINT, grace=60)[0].decode(errors="replace")
            assert server.returncode == 0, output
        assert "Traceback" not in output, output
        # and every read is in the access log, in streams claimed by the workers (never the
        # command line's stream 0).
        logged = accesses_of(ledger, record_id_for(nid, store.identity_secret()))
        assert len(logged) == READS + 2 + 6
        assert 0 not in {entry.stream for entry in logged}
        ledger.close()


def exited(pid: int, seconds: float = 30) -> None:
    """Wait until ``pid`` has exited (gone, or a zombie whose descriptors are closed)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} did not exit within {seconds} s")


def read_workers(server_pid: int) -> list[int]:
    """The server's read workers: its child processes at a lower priority (the writer runs
    at the server's own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parent, niceness = int(fields[1]), int(fields[16])
        if parent == server_pid and niceness == READER_NICENESS:
            found.append(int(entry.name))
    return sorted(found)


def test_several_workers_on_sqlite_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--workers", "2", "--stop-after", "1"], env={
        "TABIEN_DATABASE_URL": f"sqlite:///{tmp_path}/t.db",
        "TABIEN_KEYS_DIR": str(tmp_path / "keys"), "TABIEN_KEY_PASSPHRASE": "x"})
    assert result.exit_code != 0
    assert "PostgreSQL" in result.output
