"""What the routes share: the ledger, the record view, the accounts, the token signer, the
signing keys of each area, what is kept in memory, and the one lock that keeps the server's
exclusive writes in order (across its processes: ``api.web.startup.WriteLock``)."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import orjson
from starlette.responses import Response

from api.verification import Progress, Verification
from api.web.access_log import AccessLogWriter
from api.web.accounts import Accounts, KeptReply, LoginThrottle, ReplyStore
from api.web.denial_limit import DenialLimit
from api.web.problems import PROBLEM_JSON, Problem, problem_response
from api.web.record_cache import RecordCache
from api.web.startup import StreamClaim, WriteLock
from api.web.tokens import TokenSigner
from api.web.verify_jobs import VerifyJobs
from commands.bootstrap import DEMO_AREA, KeySet, current_key_set
from commands.orders import OrderDesk
from ledger.application import Ledger, submissions_of_attempt
from ledger.errors import AlreadyWritten, NotFound
from ledger.evidence import EvidenceStore
from ledger.keys import KeyStore
from projections.store import RecordView

if TYPE_CHECKING:
    from api.certificates import CertificateDesk

__all__ = ["Services", "json_response", "to_json"]

_log = logging.getLogger(__name__)
POLL_SECONDS = 0.1  # how soon another process's change to a record or an account is seen


@dataclass
class Services:
    url: str
    ledger: Ledger
    view: RecordView
    accounts: Accounts
    tokens: TokenSigner
    key_store: KeyStore
    evidence: EvidenceStore
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    denial_limit: DenialLimit = field(default_factory=DenialLimit)
    write_lock: WriteLock = field(default_factory=WriteLock)
    poll_seconds: float = POLL_SECONDS
    access_stream: StreamClaim = field(default_factory=lambda: StreamClaim(0))
    _key_sets: dict[str, KeySet] = field(default_factory=dict)
    _stop_polling: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        # Current records as JSON, kept until their rows change; made before the poller,
        # which refreshes it.
        self.records = RecordCache(self.view, self.ledger.mapper, to_json)
        # The auditor's verifications, each run in a thread of its own (POST /audit/verify).
        self.verify_jobs = VerifyJobs(self._verify)
        self._poller = threading.Thread(target=self._poll, name="api-poll", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        """Learn, a few times a second, of records and accounts other processes changed (this
        process's own changes are heard at once)."""
        failing = False
        while not self._stop_polling.wait(self.poll_seconds):
            try:
                self.records.refresh()
                self.accounts.refresh()
            except Exception as e:  # a database gone for a moment: say so once, keep trying
                if not failing:
                    _log.warning("cannot poll for changes (%s); trying again", e)
                failing = True
            else:
                failing = False

    def close(self) -> None:
        """Stop polling, write the queued access entries, then give back the database
        connections of the ledger, the view and the accounts."""
        self._stop_polling.set()
        self._poller.join(timeout=10)
        self.verify_jobs.close()  # a running verification ends at its next batch
        if "access_log" in self.__dict__:
            self.access_log.close()
        self.access_stream.release()
        self.write_lock.close()
        self.ledger.close()
        self.accounts.close()
        datastore = getattr(self.view, "datastore", None)  # the view's own connection pool
        if datastore is not None:
            datastore.close()

    @cached_property
    def access_log(self) -> AccessLogWriter:
        """Reads of records, appended in batches and signed by the server's service key."""
        return AccessLogWriter(self.ledger, lambda: self.operator_keys().service,
                               self.access_stream.stream)

    def _verify(self, scope: str, progress: Progress) -> Verification:
        """What ``tabien verify`` runs (``--since`` for that scope), over this server's
        ledger, evidence files and record view."""
        from api.verification import SINCE_CHECKPOINT, run_verification
        from commands.bootstrap import trusted_root

        return run_verification(
            self.ledger, url=self.url, trusted_root=trusted_root(self.key_store),
            checkpoint_key_id=self.operator_keys().checkpoint.key_id,
            since=scope == SINCE_CHECKPOINT, evidence=self.evidence, view=self.view,
            progress=progress)

    @cached_property
    def certificates(self) -> CertificateDesk:
        """Certified copies and certificates (``api.certificates``)."""
        from api.certificates import CertificateDesk
        from ledger.config import view_wait_seconds

        return CertificateDesk(self.ledger, self.view, self.key_store, wait=view_wait_seconds())

    @cached_property
    def desk(self) -> OrderDesk:
        return OrderDesk(self.ledger, self.key_store.identity_secret())

    def keys_for(self, area: str) -> KeySet:
        """The signing keys this server holds for an education area."""
        if area not in self._key_sets:
            try:
                self._key_sets[area] = current_key_set(self.ledger, self.key_store, area)
            except NotFound:
                raise Problem(409, "no-signing-key",
                              f"this server holds no signing keys for area {area}",
                              f"เครื่องแม่ข่ายนี้ไม่มีกุญแจลงนามของเขตพื้นที่ {area}") from None
        return self._key_sets[area]

    def check_area(self, area: str) -> None:
        """Refuse an education area this ledger has no keys for (``commands.areas``)."""
        self.desk.areas.check(area)

    def forget_keys(self) -> None:
        """After a key is rotated or revoked: the next write looks its area's keys up again."""
        self._key_sets.clear()

    def operator_keys(self) -> KeySet:
        """The keys of the demo area's operator; its service key signs the access log."""
        return self.keys_for(DEMO_AREA)

    def once(self, username: str, key: str | None, fingerprint: bytes, write: Any, *,
             exclusive: bool = True) -> Response:
        """Run ``write`` (returning status and body) once per idempotency key and user.

        The same key again with the same request returns the first response and writes
        nothing; with a different request, or while the first is still under way, it is
        refused (409). ``exclusive`` writes run one at a time across the server's processes
        (the write lock); the order routes pass False: their rules read only the records
        their submission writes, and the ledger refuses a submission if any of those records
        changed since it was read (a 409), so they need no lock.

        A write whose process died under way is run again by a retry once its claim is
        stale — unless the ledger holds a submission of that run (``Claimed.attempt``): the
        answer is then 409 ``already-written``, kept for the key, and nothing is written twice.
        """
        if key is not None and len(key) > 200:
            raise Problem(400, "invalid-idempotency-key",
                          "Idempotency-Key must be at most 200 characters",
                          "Idempotency-Key ยาวได้ไม่เกิน 200 ตัวอักษร")
        if not key:
            status, body = self._write(write, exclusive)
            return json_response(body, status)
        digest = hashlib.sha256(fingerprint).hexdigest()
        replies = self.accounts.replies
        claim = replies.claim(username, key, digest)
        if isinstance(claim, KeptReply):
            return _replay(claim, digest)
        try:
            if claim.taken_over and self.ledger.attempt_wrote(claim.attempt):
                raise AlreadyWritten
            with submissions_of_attempt(claim.attempt):
                status, body = self._write(write, exclusive)
        except AlreadyWritten as e:
            # A run of this attempt wrote before its process died, answer unkept: this answer
            # is kept in its place, so that no later retry runs the write again.
            replies.keep(KeptReply(username, key, digest, 409, _problem_body(e)))
            raise
        except BaseException:
            replies.release(username, key)
            raise
        if status < 400:
            replies.keep(KeptReply(username, key, digest, status, to_json(body).decode()))
        else:
            replies.release(username, key)
        return json_response(body, status)

    def _write(self, write: Any, exclusive: bool) -> tuple[int, Any]:
        if not exclusive:
            return cast(tuple[int, Any], write())
        with self.write_lock:
            return cast(tuple[int, Any], write())


def _replay(first: KeptReply, digest: str) -> Response:
    """The answer to a repeated key: the first reply, or why there is none to give."""
    if first.fingerprint != digest:
        raise Problem(409, "idempotency-key-reused",
                      "this Idempotency-Key was used for a different request",
                      "Idempotency-Key นี้ถูกใช้กับคำขออื่นไปแล้ว")
    if first.status == ReplyStore.UNDER_WAY:
        raise Problem(409, "idempotency-key-in-use",
                      "a request with this Idempotency-Key is still under way; ask again "
                      "shortly for its answer",
                      "คำขอที่ใช้ Idempotency-Key นี้กำลังดำเนินการอยู่ โปรดลองใหม่อีกครั้ง",
                      headers={"Retry-After": "1"})
    media_type = PROBLEM_JSON if first.status >= 400 else "application/json"
    return Response(first.body, status_code=first.status, media_type=media_type,
                    headers={"Idempotent-Replay": "true"})


def _problem_body(error: AlreadyWritten) -> str:
    response = problem_response(409, error.code, "Conflict", error.message, error.message_th)
    return bytes(response.body).decode()


def to_json(body: Any) -> bytes:
    """JSON of route results: dataclasses, dates and UUIDs as orjson gives them, amounts kept
    exact (a Decimal as its string), year keys as strings."""
    return orjson.dumps(body, default=_exact, option=orjson.OPT_NON_STR_KEYS)


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_response(body: Any, status: int = 200) -> Response:
    return Response(to_json(body), status_code=status, media_type="application/json")
