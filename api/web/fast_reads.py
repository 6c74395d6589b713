"""The common read of a current record, answered before FastAPI's machinery.

Most requests a busy server gets are ``GET /api/v1/records/{national_id}`` by a user whose
token was seen before, for a record kept unchanged in memory (``api.web.record_cache``). For
those, the route's own work is a few dictionary look-ups and the access-log entry; FastAPI's
routing, dependency solving and query validation cost several times as much CPU as that,
and on a two-core server that CPU is what reads and writes share.

``FastReads`` is an ASGI middleware in front of the application that answers exactly those
requests itself, with the same rules, the same access-log entry (the answer waits for it to
be committed, as the route's does) and the same bytes as the route. Everything else — any
other path or method, a query other than one plain ``purpose``, a missing, unknown, expired or
revoked token, an account not kept, a refusal of any kind, a record not kept or changed, a
failure to log — goes to the application untouched, which answers it (and logs any denial)
as before. So the fast path never refuses anything: it only answers what the route would
answer with a 200.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from api.web.accounts import Account
from api.web.auth import READERS, another_teachers_record, in_force, outside_own_areas
from api.web.services import Services
from ledger.errors import TabienError
from ledger.identity import normalise_national_id

__all__ = ["DEFAULT_PURPOSE", "FastReads"]

DEFAULT_PURPOSE = "ตรวจสอบทะเบียนประวัติ"  # the route's default, when none is given

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# The route's path and its parameter's constraints (13 to 17 of digits, spaces, dashes).
_RECORD_PATH = re.compile(r"/api/v1/records/([0-9 -]{13,17})")
# The route's ``Purpose``: 1 to 200 characters of plain text (routes.PLAIN_TEXT).
# (and none of the bidirectional controls the route refuses: ledger.entries.BIDI_CONTROLS).
_PLAIN_PURPOSE = re.compile(r"[^\x00-\x1f\x7f-\x9f<>\ufffd\u202a-\u202e\u2066-\u2069]{1,200}")
_HEADERS = [(b"content-type", b"application/json")]


class FastReads:
    """ASGI middleware: the current-record read answered from memory when it can be."""

    def __init__(self, app: Any, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            answer = self._kept_answer(scope)
            if answer is not None and await self._logged(*answer):
                record_json = answer[0]
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-length", str(len(record_json)).encode()), *_HEADERS]})
                await send({"type": "http.response.body", "body": record_json})
                return
        await self.app(scope, receive, send)

    def _kept_answer(self, scope: Scope) -> tuple[bytes, Any, str, str] | None:
        """The record's JSON, its id, the reader and the purpose, when the route would
        answer 200 from memory; None for anything else (no I/O)."""
        match = _RECORD_PATH.fullmatch(scope["path"])
        if match is None:  # any other GET: nothing more is looked at
            return None
        purpose = _purpose(scope.get("query_string", b""))
        token = _bearer_token(scope["headers"])
        if purpose is None or token is None:
            return None
        account = self._kept_reader(token)
        try:
            national_id = normalise_national_id(match.group(1))
        except TabienError:
            return None
        if account is None or another_teachers_record(account, national_id):
            return None
        cached = self.services.records.lookup(national_id)
        if cached is None or outside_own_areas(account, cached.areas):
            return None
        return cached.json, cached.record_id, str(account.username), purpose

    def _kept_reader(self, token: str) -> Account | None:
        """The kept account of a valid token's user, if that user may read records."""
        claims = self.services.tokens.read(token)
        account = self.services.accounts.signed_in(claims.username) if claims else None
        if claims is None or account is None or not in_force(account, claims.issued_at):
            return None
        return account if account.role in READERS else None

    async def _logged(self, record_json: bytes, record_id: Any, reader: str,
                      purpose: str) -> bool:
        """Append the read to the access log and wait for it to be committed. When it
        cannot be, the application takes the request and answers it (a second attempt
        there logs it or says why not): a read is never shown unlogged."""
        try:
            await self.services.access_log.log_async(record_id, reader=reader,
                                                     purpose=purpose)
        except Exception:
            return False
        return True


def _purpose(query_string: bytes) -> str | None:
    """The purpose of a query that holds nothing but (at most) one valid ``purpose``."""
    if not query_string:
        return DEFAULT_PURPOSE
    try:
        pairs = parse_qsl(query_string.decode("ascii"), keep_blank_values=True,
                          strict_parsing=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    if len(pairs) != 1 or pairs[0][0] != "purpose":
        return None
    purpose = pairs[0][1]
    return purpose if _PLAIN_PURPOSE.fullmatch(purpose) else None


def _bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The token of the one ``Authorization: Bearer …`` header, as FastAPI's OAuth2 scheme
    reads it; None for none, several or another scheme."""
    values = [value for name, value in headers if name == b"authorization"]
    if len(values) != 1:
        return None
    scheme, _, token = values[0].decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token
