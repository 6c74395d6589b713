"""RFC 9457 problem details: every refusal is ``application/problem+json`` with a stable
``code`` and the message in Thai and English, and nothing unexpected becomes a bare 500."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ledger.errors import (
    AlreadyWritten,
    Conflict,
    InvalidInput,
    NotFound,
    RuleViolation,
    SignatureError,
    TabienError,
)

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"

_STATUS_OF: list[tuple[type[TabienError], int]] = [
    (NotFound, 404),
    (Conflict, 409),
    (AlreadyWritten, 409),
    (RuleViolation, 422),
    (InvalidInput, 400),
    (SignatureError, 409),
]


class Problem(TabienError):
    """A refusal that belongs to HTTP itself (401, 403, 429 …), with its status."""

    def __init__(self, status: int, code: str, message: str, message_th: str,
                 headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message, message_th)
        self.status = status
        self.code = code
        self.headers = headers or {}
        self.extra = extra or {}  # further members of the problem body (RFC 9457 extensions)


def status_of(error: TabienError) -> int:
    if isinstance(error, Problem):
        return error.status
    return next((status for kind, status in _STATUS_OF if isinstance(error, kind)), 400)


def problem_response(status: int, code: str, title: str, detail: str, detail_th: str,
                     instance: str = "", extra: dict[str, Any] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": f"https://tabien.example/problems/{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "detail_th": detail_th,
    }
    if instance:
        body["instance"] = instance
    body.update(extra or {})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON,
                    headers=headers)


_TITLES = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed", 409: "Conflict", 422: "Refused by a rule",
           429: "Too many attempts", 500: "Internal error", 503: "Not ready"}


def _from_tabien(request: Request, error: TabienError) -> Response:
    status = status_of(error)
    extra: dict[str, Any] = {"errors": error.details} if error.details else {}
    if isinstance(error, RuleViolation):
        extra["rule"] = error.rule
    headers = error.headers if isinstance(error, Problem) else None
    if isinstance(error, Problem):
        extra.update(error.extra)
    return problem_response(status, error.code, _TITLES.get(status, "Error"), error.message,
                            error.message_th, request.url.path, extra, headers)


def _from_validation(request: Request, error: RequestValidationError) -> Response:
    # Pydantic's own messages name the field and what was wrong; the input itself is left
    # out, since it may be hostile or personal. A field whose reader gives its own message
    # in both languages (a date: ``api.web.dates``) says it in the detail too.
    problems, problems_th, own_en, own_th = [], [], [], []
    for e in error.errors():
        place = ".".join(str(p) for p in e.get("loc", ()))
        context = e.get("ctx") or {}
        problems.append(f"{place}: {e.get('msg', '')}")
        if isinstance(context.get("th"), str):
            problems_th.append(f"{place}: {context['th']}")
            own_en.append(problems[-1])
            own_th.append(problems_th[-1])
        else:
            problems_th.append(f"{place}: ข้อมูลไม่ถูกต้อง ({e.get('msg', '')})")
    return problem_response(400, "invalid-input", _TITLES[400],
                            "; ".join(["the request is malformed; nothing was written",
                                       *own_en]),
                            "; ".join(["คำขอไม่ถูกต้อง ไม่มีการบันทึกใด ๆ", *own_th]),
                            request.url.path, {"errors": problems, "errors_th": problems_th})


# What the framework itself refuses (no such route, wrong method …), in Thai.
_HTTP_TH = {404: "ไม่พบสิ่งที่ร้องขอ", 405: "ไม่รองรับวิธีการร้องขอนี้", 401: "กรุณาเข้าสู่ระบบก่อน",
            413: "คำขอมีขนาดใหญ่เกินไป", 415: "ไม่รองรับชนิดของข้อมูลนี้"}


def _from_http(request: Request, error: StarletteHTTPException) -> Response:
    status = error.status_code
    code = {404: "not-found", 405: "method-not-allowed", 401: "unauthorised"}.get(
        status, f"http-{status}")
    return problem_response(status, code, _TITLES.get(status, "Error"), str(error.detail),
                            _HTTP_TH.get(status, "คำขอไม่สำเร็จ"), request.url.path,
                            headers=dict(error.headers or {}))


def _from_anything(request: Request, error: Exception) -> Response:
    return problem_response(500, "internal-error", _TITLES[500],
                            "something went wrong on the server; nothing was written",
                            "เกิดข้อผิดพลาดที่เครื่องแม่ข่าย ไม่มีการบันทึกใด ๆ",
                            request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TabienError, _from_tabien)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _from_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _from_http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _from_anything)
