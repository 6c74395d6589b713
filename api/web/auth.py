"""Signing in (OAuth2 password flow → bearer token), who is asking, and what they may do.

Every refusal of a signed-in user (wrong role, another area, another teacher's record) is a
403; a missing, bad, expired or revoked token, or a failed sign-in, is a 401. Each is a
``Denial`` in the accounts store.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from starlette.concurrency import run_in_threadpool

from api.web.accounts import ROLES_TH, Account
from api.web.problems import PROBLEM_JSON, Problem
from api.web.schemas import AccountOut, TokenOut
from api.web.services import Services
from ledger.errors import NotFound

__all__ = ["AREA_ROLES", "READERS", "Principal", "allow", "another_teachers_record",
           "auth_router", "current", "in_force", "outside_own_areas", "services_of"]

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/token", auto_error=False)
auth_router = APIRouter(tags=["sign-in / เข้าสู่ระบบ"])


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


@dataclass(frozen=True)
class Principal:
    account: Account
    request: Request
    services: Services

    @property
    def username(self) -> str:
        return str(self.account.username)

    @property
    def role(self) -> str:
        return str(self.account.role)

    def deny(self, reason: str, reason_th: str) -> Problem:
        """Log the refusal and return the 403 to raise."""
        self.services.accounts.record_denial(self.username, self.role, self.request.method,
                                             self.request.url.path, reason)
        return Problem(403, "forbidden", reason, reason_th)

    def require_role(self, *roles: str) -> None:
        if self.role not in roles:
            needed = ", ".join(ROLES_TH.get(r, r) for r in roles)
            raise self.deny(f"the {self.role} role may not do this (needs {', '.join(roles)})",
                            f"บทบาท{ROLES_TH.get(self.role, self.role)}ไม่มีสิทธิ์ทำรายการนี้ "
                            f"(ต้องเป็น{needed})")

    def require_area(self, area: str) -> None:
        """An area this ledger knows (else 400 unknown-area, nothing logged as a denial:
        it is a mistake, not a trespass), and one of the user's."""
        self.services.check_area(area)
        if area not in self.account.areas:
            raise self.deny(f"{self.username} does not act in area {area}",
                            f"{self.username} ไม่มีสิทธิ์ในเขตพื้นที่ {area}")


READERS = ("teacher", "registrar", "authority", "auditor", "payroll")  # who reads records
AREA_ROLES = ("registrar", "authority", "payroll")  # who reads only the records of their areas


def another_teachers_record(account: Account, national_id: str) -> bool:
    """A teacher asking for a record not their own."""
    return account.role == "teacher" and account.national_id != national_id


def outside_own_areas(account: Account, areas: Collection[str]) -> bool:
    """A registrar, authority or payroll officer asking for a record none of whose
    ``areas`` (``Kks16.areas_concerned``) is theirs."""
    return account.role in AREA_ROLES and not any(area in account.areas for area in areas)


NO_USER = "(ไม่ระบุตัวตน / anonymous)"


def _unauthorised(request: Request, username: str, message: str, message_th: str) -> Problem:
    """Log the refusal (a 401 is a denial too: who tried, where, and why) and return it; past
    ``DenialLimit.per_window`` a minute from one address, count it instead (its count is
    logged later in one entry)."""
    services = services_of(request)
    client = client_address(request)
    verdict = services.denial_limit.admit(client)
    if verdict.carried:
        services.accounts.record_denial(NO_USER, "", "*", "*", unlogged_reason(
            verdict.carried, client))
    if verdict.log:
        services.accounts.record_denial(username[:64] or NO_USER, "", request.method,
                                        request.url.path, message)
    return Problem(401, "unauthorised", message, message_th, {"WWW-Authenticate": "Bearer"})


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def unlogged_reason(count: int, client: str) -> str:
    """The summary denial of refusals not logged one by one."""
    return (f"{count} more refusal(s) of unauthenticated requests from {client or 'unknown'} "
            "were counted, not logged one by one (too many a minute)")


async def current(request: Request,
                  token: Annotated[str | None, Depends(bearer)]) -> Principal:
    """Who is asking. On the event loop when the token was seen before and the account is
    kept unchanged (no I/O: most requests); otherwise in a worker thread, which reads the
    account and logs a refusal."""
    services = services_of(request)
    claims = services.tokens.read(token) if token else None
    account = services.accounts.signed_in(claims.username) if claims is not None else None
    if claims is not None and account is not None and in_force(account, claims.issued_at):
        return Principal(account, request, services)
    return await run_in_threadpool(_current, request, token)


def in_force(account: Account, issued_at: datetime) -> bool:
    """The account is enabled and its tokens issued at ``issued_at`` are not revoked."""
    revoked = account.tokens_valid_after
    return not account.disabled and (revoked is None or issued_at > revoked)


def _current(request: Request, token: str | None) -> Principal:
    services = services_of(request)
    if not token:
        raise _unauthorised(request, "", "sign in first: send a bearer token",
                            "กรุณาเข้าสู่ระบบก่อน")
    claims = services.tokens.read(token)
    if claims is None:
        raise _unauthorised(request, "", "the token is invalid or has expired",
                            "โทเค็นไม่ถูกต้องหรือหมดอายุแล้ว")
    try:
        account = services.accounts.load_signed_in(claims.username)
    except NotFound:
        raise _unauthorised(request, claims.username, "the token's user no longer exists",
                            "ไม่พบผู้ใช้ของโทเค็นนี้") from None
    if not in_force(account, claims.issued_at):
        raise _unauthorised(request, claims.username, "the token was revoked",
                            "โทเค็นถูกเพิกถอนแล้ว")
    return Principal(account, request, services)


def allow(*roles: str) -> Any:
    """A dependency: the signed-in user, who must hold one of ``roles``. (It reads the token
    itself rather than through ``current``: one level of dependencies less on every
    request.)"""

    async def dependency(request: Request,
                         token: Annotated[str | None, Depends(bearer)]) -> Principal:
        principal = await current(request, token)
        if principal.role not in roles:
            await run_in_threadpool(principal.require_role, *roles)  # logs, then raises
        return principal

    return Depends(dependency)


@auth_router.post("/token", summary="Sign in / เข้าสู่ระบบ", response_model=TokenOut,
                  responses={429: {"description": "too many failed attempts: wait / "
                                                  "เข้าสู่ระบบผิดหลายครั้ง กรุณารอ",
                                   "content": {PROBLEM_JSON: {"schema": {
                                       "$ref": "#/components/schemas/Problem"}}}}})
def sign_in(request: Request,
            form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, Any]:
    """OAuth2 password flow: a bearer token for the user (valid for one hour)."""
    services = services_of(request)
    username = form.username[:64]
    client = client_address(request)
    # Counted before the password is checked, so parallel guesses cannot all slip through.
    wait = services.throttle.attempt(username, client)
    if wait > 0:
        raise Problem(429, "too-many-attempts",
                      f"too many failed sign-ins for this user from this address: try again "
                      f"in {wait:.0f} s",
                      f"เข้าสู่ระบบผิดหลายครั้งจากที่อยู่นี้ กรุณารอ {wait:.0f} วินาที",
                      {"Retry-After": str(max(1, round(wait)))})
    account = services.accounts.authenticate(username, form.password)
    if account is None:
        raise _unauthorised(request, username, "wrong user name or password",
                            "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")
    services.throttle.succeeded(username, client)
    token, claims = services.tokens.issue(account.username)
    return {"access_token": token, "token_type": "bearer",
            "expires_in": int((claims.expires_at - claims.issued_at).total_seconds())}


@auth_router.post("/logout", summary="Sign out everywhere / ออกจากระบบทุกเครื่อง",
                  status_code=204)
def sign_out(principal: Annotated[Principal, Depends(current)]) -> None:
    """Revoke every token of the signed-in user."""
    principal.services.accounts.revoke_tokens(principal.username)


@auth_router.get("/me", summary="Who am I / ผู้ใช้ปัจจุบัน", response_model=AccountOut)
async def me(principal: Annotated[Principal, Depends(current)]) -> dict[str, Any]:
    """The signed-in user. ผู้ใช้ที่เข้าสู่ระบบอยู่"""
    return principal.account.summary()
