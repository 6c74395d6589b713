"""Users of the HTTP API: who they are, their role, the education areas they act in, and
their password — kept in their own event-sourced store, apart from the signed ledger.

A password is kept only as an Argon2id hash (``argon2-cffi``). There is no default user and
no default password. Revoking a user's tokens is an event: every token issued before it stops
working at once. Failed sign-ins are slowed down per user name. Denials (a signed-in user
asking for what the role or area does not allow) are appended here too, one aggregate each,
so that concurrent denials never conflict.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, cast
from urllib.parse import urlparse

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError as RecordConflictError
from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.utils import get_topic, strtobool
from psycopg.rows import tuple_row

from api.web.kept import Kept
from ledger.config import database_env
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.identity import normalise_national_id

__all__ = ["ROLES", "Account", "Accounts", "Claimed", "Denial", "KeptReply", "LoginThrottle",
           "Reply", "ReplyStore", "accounts_url"]

ROLES = ("registrar", "authority", "auditor", "teacher", "payroll", "admin")
ROLES_TH = {"registrar": "นายทะเบียน", "authority": "ผู้มีอำนาจสั่งบรรจุและแต่งตั้ง",
            "auditor": "ผู้ตรวจสอบ", "teacher": "ครู", "payroll": "เจ้าหน้าที่การเงิน",
            "admin": "ผู้ดูแลระบบ"}
_NAMESPACE = uuid.UUID("6f1d3c1e-7a55-4c1c-9a43-5b8f3c0e2a10")
_MIN_PASSWORD = 12
_PAGE = 1_000
_KEPT_ACCOUNTS = 10_000
_hasher = PasswordHasher()  # Argon2id with the library's current parameters


def account_id(username: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"account:{username}")


class Account(Aggregate):
    """One user: role, areas, the teacher's own national ID, and the password hash."""

    @event("Created")
    def __init__(self, username: str, display_name: str, role: str, areas: list[str],
                 national_id: str, password_hash: str) -> None:
        self.username = username
        self.display_name = display_name
        self.role = role
        self.areas = areas
        self.national_id = national_id
        self.password_hash = password_hash
        self.tokens_valid_after: datetime | None = None
        self.disabled = False

    @staticmethod
    def create_id(username: str, **_: Any) -> uuid.UUID:
        return account_id(username)

    @event("PasswordChanged")
    def change_password(self, password_hash: str) -> None:
        self.password_hash = password_hash

    @event("TokensRevoked")
    def revoke_tokens(self, revoked_at: datetime) -> None:
        self.tokens_valid_after = revoked_at

    @event("Disabled")
    def disable(self, reason: str) -> None:
        self.disabled = True

    def summary(self) -> dict[str, Any]:
        return {"username": self.username, "display_name": self.display_name,
                "role": self.role, "role_th": ROLES_TH[self.role], "areas": self.areas,
                "national_id": self.national_id or None, "disabled": self.disabled}


# The event classes the @event decorators made (mypy cannot see them as attributes).
_ACCOUNT_TOPICS = [get_topic(getattr(Account, name)) for name in (
    "Created", "PasswordChanged", "TokensRevoked", "Disabled")]


class Denial(Aggregate):
    """One refused request: who, what they asked for, and why it was refused."""

    @event("Recorded")
    def __init__(self, username: str, role: str, method: str, path: str, reason: str,
                 at: datetime) -> None:
        self.username = username
        self.role = role
        self.method = method
        self.path = path
        self.reason = reason
        self.at = at


def accounts_url(ledger_url: str) -> str:
    """The accounts store beside the ledger: a sibling SQLite file, or the same PostgreSQL
    schema (its own ``accounts_events`` table)."""
    parsed = urlparse(ledger_url)
    if parsed.scheme == "sqlite":
        path = parsed.path
        stem = path[:-3] if path.endswith(".db") else path
        return f"sqlite://{stem}-accounts.db"
    return ledger_url


# Every Accounts of this process hears at once of an account another one saved (the CLI's
# `tabien user …` beside a server in tests); other processes' saves are found by polling.
_open_accounts: weakref.WeakSet[Accounts] = weakref.WeakSet()


class Accounts(Application[uuid.UUID]):
    """The accounts store. ``signed_in`` gives the account a request acts as without a read
    of the database while the account is unchanged (``api.web.kept``): a change saved in
    this process is heard at once, one saved by another process within the server's poll
    interval (``refresh``)."""

    name = "Accounts"

    def __init__(self, ledger_url: str) -> None:
        env = dict(database_env(accounts_url(ledger_url)))
        env["APPLICATION_RECORDER_TOPIC"] = ""  # the library's own recorder: nothing to sign
        super().__init__(env)
        self.kept: Kept[Account] = Kept(_KEPT_ACCOUNTS)
        self._polled = self.recorder.max_notification_id() or 0
        _open_accounts.add(self)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        recordings = super().save(*objs, **kwargs)
        for recording in recordings:
            event = recording.domain_event
            if isinstance(event, Account.Event):
                for accounts in list(_open_accounts):
                    accounts.kept.changed(event.originator_id, event.originator_version)
        return recordings

    def signed_in(self, username: str) -> Account | None:
        """The kept account of a user, if it is unchanged since it was read (no I/O). The
        same object is given to every request: read it, never change it."""
        return self.kept.get(username)

    def load_signed_in(self, username: str) -> Account:
        """Read the account (NotFound if there is none) and keep it for ``signed_in``."""
        account = self.get(username)
        self.kept.put(username, account, account.id, account.version)
        return account

    def refresh(self) -> None:
        """Learn of account changes other processes saved since the last call."""
        highest = self.recorder.max_notification_id() or 0
        start = self._polled + 1
        while start <= highest:
            page = self.recorder.select_notifications(start, _PAGE, stop=highest,
                                                      topics=_ACCOUNT_TOPICS)
            for notification in page:
                self.kept.changed(notification.originator_id, notification.originator_version)
            if len(page) < _PAGE:
                break
            start = page[-1].id + 1
        self._polled = max(self._polled, highest)

    def add_user(self, username: str, password: str, *, role: str, areas: list[str],
                 display_name: str = "", national_id: str = "") -> Account:
        _check_new_user(username, password, role, areas, national_id)
        account = Account(username=username, display_name=display_name or username, role=role,
                          areas=areas,
                          national_id=normalise_national_id(national_id) if national_id else "",
                          password_hash=_hasher.hash(password))
        try:
            self.save(account)
        except RecordConflictError:  # the account's id comes from the name: it is taken
            raise Conflict(f"user {username!r} already exists",
                           f"มีผู้ใช้ {username!r} อยู่แล้ว") from None
        return account

    def exists(self, username: str) -> bool:
        try:
            self.repository.get(account_id(username))
        except AggregateNotFoundError:
            return False
        return True

    def get(self, username: str) -> Account:
        try:
            return cast(Account, self.repository.get(account_id(username)))
        except AggregateNotFoundError:
            raise NotFound(f"no user {username!r}", f"ไม่พบผู้ใช้ {username!r}") from None

    def users(self) -> list[Account]:
        """Every account as it stands now, by user name."""
        accounts = [cast(Account, self.repository.get(event.originator_id))
                    for event in self._events_of(Account.Created)]
        return sorted(accounts, key=lambda a: a.username)

    def _events_of(self, kind: type[Any]) -> Iterator[Any]:
        """The stored events of one kind, oldest first, decoded from the notification log."""
        topic = get_topic(kind)
        start = 1
        while page := self.recorder.select_notifications(start, _PAGE, topics=[topic]):
            yield from (self.mapper.to_domain_event(n) for n in page)
            start = page[-1].id + 1

    def authenticate(self, username: str, password: str) -> Account | None:
        """The account if the password is right and the account is in use, else None.

        An unknown user costs the same hashing as a known one, so timing does not tell
        which user names exist.
        """
        try:
            account = self.get(username)
        except NotFound:
            _hasher.hash(password)
            return None
        try:
            _hasher.verify(account.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        if account.disabled:
            return None
        if _hasher.check_needs_rehash(account.password_hash):
            account.change_password(_hasher.hash(password))
            self.save(account)
        return account

    def revoke_tokens(self, username: str) -> None:
        account = self.get(username)
        account.revoke_tokens(datetime.now(UTC))
        self.save(account)

    def record_denial(self, username: str, role: str, method: str, path: str,
                      reason: str) -> None:
        self.save(Denial(username=username, role=role, method=method, path=path[:500],
                         reason=reason, at=datetime.now(UTC)))

    @cached_property
    def replies(self) -> ReplyStore:
        # Made with the store's other tables, unless those are made elsewhere (CREATE_TABLE:
        # ``tabien serve`` makes them before it starts its processes).
        return ReplyStore(self.recorder.datastore,  # type: ignore[attr-defined]
                          create=strtobool(self.env.get("CREATE_TABLE") or "yes"))

    def denials(self, limit: int = 1000) -> list[dict[str, Any]]:
        """The latest refused requests, oldest first (the events hold all there is)."""
        rows = [{"username": d.username, "role": d.role, "method": d.method, "path": d.path,
                 "reason": d.reason, "at": d.at.isoformat()}
                for d in self._events_of(Denial.Recorded)]  # type: ignore[attr-defined]
        return rows[-limit:]


def _check_new_user(username: str, password: str, role: str, areas: list[str],
                    national_id: str) -> None:
    problems = []
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
        problems.append("user name: 3 to 64 letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        problems.append(f"role must be one of {', '.join(ROLES)}")
    if len(password) < _MIN_PASSWORD:
        problems.append(f"password: at least {_MIN_PASSWORD} characters")
    if role == "teacher" and not national_id:
        problems.append("a teacher's account needs the teacher's national ID")
    if role in ("registrar", "authority", "payroll") and not areas:
        problems.append(f"a {role} acts in at least one education area")
    if problems:
        raise InvalidInput("the user cannot be added", "เพิ่มผู้ใช้ไม่ได้", problems)
    if national_id:
        normalise_national_id(national_id)  # raises InvalidNationalID


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginThrottle:
    """Slows down repeated failed sign-ins of one user name from one client address: after
    ``free`` failures each further attempt must wait twice as long as the one before (up to
    ``ceiling`` seconds).

    ``attempt`` checks and counts an attempt in one step, under the lock, before the password
    is checked: an attempt counts as failed until ``succeeded`` says otherwise, so however
    many wrong passwords arrive at once, at most ``free`` are checked before the waits start.
    The key is the user name *and* the client's address: failures from one address never make
    the user wait at another, so nobody can lock a user out by failing on purpose.
    """

    # Past this many keys, those whose wait is long over are dropped.
    _PRUNE_AT = 10_000

    def __init__(self, free: int = 3, base: float = 1.0, ceiling: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.free, self.base, self.ceiling, self.clock = free, base, ceiling, clock
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    def _wait(self, failures: _Failures | None, now: float) -> float:
        if failures is None or failures.count < self.free:
            return 0.0
        delay = float(min(self.ceiling, self.base * 2 ** (failures.count - self.free)))
        return max(0.0, failures.last + delay - now)

    def wait_needed(self, username: str, client: str = "") -> float:
        """How long ``username`` must wait at ``client`` before another attempt."""
        with self._lock:
            return self._wait(self._failures.get((username, client)), float(self.clock()))

    def attempt(self, username: str, client: str = "") -> float:
        """0 and the attempt counted (as failed until ``succeeded``), or the seconds to wait
        and nothing counted."""
        with self._lock:
            now = float(self.clock())
            key = (username, client)
            wait = self._wait(self._failures.get(key), now)
            if wait > 0:
                return wait
            if len(self._failures) >= self._PRUNE_AT:
                self._prune(now)
            failures = self._failures.setdefault(key, _Failures())
            failures.count += 1
            failures.last = now
            return 0.0

    def failed(self, username: str, client: str = "") -> None:
        """Count a failure not counted by ``attempt``."""
        with self._lock:
            failures = self._failures.setdefault((username, client), _Failures())
            failures.count += 1
            failures.last = self.clock()

    def succeeded(self, username: str, client: str = "") -> None:
        with self._lock:
            self._failures.pop((username, client), None)

    def _prune(self, now: float) -> None:
        for key in [k for k, f in self._failures.items() if f.last + self.ceiling < now]:
            del self._failures[key]


@dataclass(frozen=True)
class KeptReply:
    """The first response to a write sent with an Idempotency-Key."""

    username: str
    key: str
    fingerprint: str  # SHA-256 of the request, so the key cannot be reused for another
    status: int
    body: str


@dataclass(frozen=True)
class Claimed:
    """A key claimed for a write about to run, and the attempt that write runs as: a fresh
    one, or — for a claim taken over from a process that died under way — that process's
    own, so that the ledger knows the submissions it may already have made."""

    attempt: uuid.UUID
    taken_over: bool = False  # from a process that died under way: it may have written


class ReplyStore:
    """Idempotency replies, in a table of their own beside the accounts' events.

    A reply is bookkeeping of the API — the answer to send again if a client retries — not an
    event of anyone's history, so it is one row rather than an aggregate; keeping it as an
    event cost a write of the accounts store, with its table lock, on every write of the API.
    Replies kept as ``Reply`` events by earlier versions are not looked up: a retry that old
    is answered as a new request.

    A key is claimed before its write runs (a row with status 0, "under way") and the row
    takes the reply when the write is done, or goes if the write is refused. So two requests
    with one key, through any process of any server, never both write, without holding a
    lock over the write itself. A claim left by a process that died with the write under way
    is taken over after ``STALE_SECONDS``.
    """

    UNDER_WAY = 0
    STALE_SECONDS = 120.0

    def __init__(self, datastore: Any, *, create: bool,
                 clock: Callable[[], float] = time.time) -> None:
        self._datastore = datastore
        self._clock = clock
        self._postgres = isinstance(datastore, PostgresDatastore)
        if self._postgres:
            schema = str(datastore.schema).replace('"', '""')
            self._table = f'"{schema}".api_replies' if schema else "api_replies"
        else:
            self._table = "api_replies"
        if create:
            self._create()
        values = "VALUES (?, ?, ?, ?, '', ?, ?)"
        if self._postgres:
            # The claim's commit need not wait for the disk: the write it guards commits
            # after it, and PostgreSQL's log is flushed in order, so by the time the write is
            # durable the claim is too; a claim lost in a crash had no write after it. (In
            # one statement, so that it stays one round trip; the setting lasts for this
            # statement's transaction only.)
            values = ("SELECT ?, ?, ?, ?, '', ?, ? FROM "
                      "(SELECT set_config('synchronous_commit', 'off', true)) AS setting")
        self._claim_statement = (f"INSERT INTO {self._table} (username, key, fingerprint, "
                                 f"status, body, claimed_at, attempt) {values} "
                                 "ON CONFLICT (username, key) DO NOTHING")

    def _create(self) -> None:
        real = "double precision" if self._postgres else "REAL"
        self._run(f"CREATE TABLE IF NOT EXISTS {self._table} (username text NOT NULL, "
                  "key text NOT NULL, fingerprint text NOT NULL, status integer NOT NULL, "
                  f"body text NOT NULL, claimed_at {real} NOT NULL DEFAULT 0, "
                  "attempt text NOT NULL DEFAULT '', PRIMARY KEY (username, key))", ())
        # A table made before claims (or before attempts) gains the column; every row in
        # it is a finished reply, or a claim whose attempt is unknown ('').
        self._add_column("claimed_at", f"{real} NOT NULL DEFAULT 0")
        self._add_column("attempt", "text NOT NULL DEFAULT ''")

    def _add_column(self, name: str, definition: str) -> None:
        if self._postgres:
            self._run(f"ALTER TABLE {self._table} ADD COLUMN IF NOT EXISTS {name} "
                      f"{definition}", ())
            return
        try:  # (a query, not PRAGMA table_info, which may answer from a stale schema)
            self._run(f"SELECT {name} FROM {self._table} LIMIT 0", ())
        except OperationalError:
            self._run(f"ALTER TABLE {self._table} ADD COLUMN {name} {definition}", ())

    def _run(self, statement: str, params: tuple[Any, ...]) -> list[Any]:
        return self._run_counted(statement, params)[0]

    def _run_counted(self, statement: str, params: tuple[Any, ...]) -> tuple[list[Any], int]:
        """The rows a statement returns and the number of rows it changed."""
        if self._postgres:
            with self._datastore.get_connection() as conn, conn.cursor(
                    row_factory=tuple_row) as cursor:
                cursor.execute(statement.replace("?", "%s"), params)
                return (cursor.fetchall() if cursor.description else []), cursor.rowcount
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(statement, params)
            return list(cursor.fetchall()), cursor.sqlite_cursor.rowcount

    def get(self, username: str, key: str) -> KeptReply | None:
        rows = self._run(f"SELECT fingerprint, status, body FROM {self._table} "
                         "WHERE username = ? AND key = ?", (username, key))
        if not rows:
            return None
        fingerprint, status, body = rows[0]
        return KeptReply(username, key, str(fingerprint), int(status), str(body))

    def claim(self, username: str, key: str, fingerprint: str) -> KeptReply | Claimed:
        """Claim the key for a write about to run: ``Claimed`` when this caller holds it now,
        else what the row holds (a finished reply, or ``UNDER_WAY``: another request is
        writing)."""
        now, attempt = self._clock(), uuid.uuid4()
        _rows, added = self._run_counted(self._claim_statement, (
            username, key, fingerprint, self.UNDER_WAY, now, str(attempt)))
        if added:
            return Claimed(attempt)
        taken = self._run(  # a claim its process left behind, long ago: its attempt goes on
            f"UPDATE {self._table} SET fingerprint = ?, claimed_at = ?, attempt = CASE "
            "WHEN attempt = '' THEN ? ELSE attempt END WHERE username = ? AND key = ? "
            "AND status = ? AND claimed_at < ? RETURNING attempt",
            (fingerprint, now, str(attempt), username, key, self.UNDER_WAY,
             now - self.STALE_SECONDS))
        if taken:
            return Claimed(uuid.UUID(str(taken[0][0])), taken_over=True)
        held = self.get(username, key)
        if held is None:  # released between the two statements: try once more
            return self.claim(username, key, fingerprint)
        return held

    def keep(self, reply: KeptReply) -> None:
        """The claimed key's reply, kept to be sent again on a retry."""
        self._run(f"UPDATE {self._table} SET status = ?, body = ? WHERE username = ? AND "
                  "key = ? AND status = ?",
                  (reply.status, reply.body, reply.username, reply.key, self.UNDER_WAY))

    def release(self, username: str, key: str) -> None:
        """Give up a claim whose write was refused or failed: a retry runs afresh."""
        self._run(f"DELETE FROM {self._table} WHERE username = ? AND key = ? AND status = ?",
                  (username, key, self.UNDER_WAY))


class Reply(Aggregate):
    """How earlier versions kept a reply (as an event): still defined so that their stored
    events can be read; no longer written."""

    @event("Kept")
    def __init__(self, username: str, key: str, fingerprint: str, status: int,
                 body: str) -> None:
        self.username = username
        self.key = key
        self.fingerprint = fingerprint
        self.status = status
        self.body = body

    @staticmethod
    def create_id(username: str, key: str, **_: Any) -> uuid.UUID:
        return reply_id(username, key)


def reply_id(username: str, key: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"reply:{username}\x00{key}")
