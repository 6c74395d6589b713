"""The FastAPI application: ``create_app(url, keys_dir)`` for tests and ``tabien serve``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.web.accounts import ROLES_TH, Accounts
from api.web.auth import auth_router
from api.web.docs import OPENAPI_URL, install_docs
from api.web.fast_reads import FastReads
from api.web.problems import PROBLEM_JSON, install_problem_handlers
from api.web.routes import router
from api.web.routes_admin import admin_router
from api.web.routes_certificates import certificates_router, public_router
from api.web.routes_self_service import self_service_router
from api.web.routes_work import work_router
from api.web.schemas import ProblemOut
from api.web.services import Services
from api.web.startup import WriteLock, claim_access_stream, one_at_a_time
from api.web.tokens import TokenSigner
from api.web.verify_page import verify_page_router
from ledger.application import Ledger
from ledger.evidence import EvidenceStore
from ledger.keys import KeyStore
from projections.record_projection import open_view

__all__ = ["app_from_env", "create_app", "open_services", "prepare_database"]

DESCRIPTION = """\
The ledger of teachers' personnel records (ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา,
ก.ค.ศ.16): records read from the record view, orders drafted, checked and issued as signed
submissions, and the auditor's tools.

Sign in at `/api/v1/token` (OAuth2 password flow) and send the token as
`Authorization: Bearer …`. Roles: {roles}; registrars,
authorities and payroll officers act only in their own education areas. Errors are
`application/problem+json` (RFC 9457) with a stable `code` and the message in Thai
(`detail_th`) and English (`detail`). Writes accept an `Idempotency-Key` header.
National IDs are sent and answered as 13 digits (`1800214415342`); input may also group them
with dashes or spaces (`1-8002-14415-34-2`).
""".format(roles=", ".join(f"{role} ({thai})" for role, thai in ROLES_TH.items()))


# The ledger's pool of the process that writes: every write of the server runs there, each
# holding a connection through its reads and its append (which may wait for the table lock);
# with the default 8, issues under the bench's load spent a fifth of their time waiting for a
# connection.
WRITER_LEDGER_POOL = (4, 20)


def open_services(url: str, keys_dir: Path, evidence_dir: Path | None = None, *,
                  ledger_pool: tuple[int, int] | None = None) -> Services:
    """Everything the routes use; evidence files go to ``evidence_dir`` (default: the
    configured folder, ``TABIEN_EVIDENCE_DIR``); ``ledger_pool``: (kept, most) connections of
    the ledger's pool, if not the configured sizes."""
    from ledger.config import evidence_dir as configured_evidence_dir
    from ledger.config import pool_env

    key_store = KeyStore(keys_dir)
    # The processes of one server create the tables, and the token key, in turn: all of
    # them must sign with the one key.
    with one_at_a_time(url):
        pool = {} if ledger_pool is None else pool_env(ledger_pool)
        ledger, view, accounts = Ledger(pool, url=url), open_view(url), Accounts(url)
        tokens = TokenSigner.from_key_store(key_store)
    return Services(url=url, ledger=ledger, view=view, accounts=accounts,
                    tokens=tokens, key_store=key_store,
                    evidence=EvidenceStore(evidence_dir or configured_evidence_dir()),
                    access_stream=claim_access_stream(url), write_lock=WriteLock(url))


def prepare_database(url: str, keys_dir: Path) -> None:
    """Create every table and the token key, once, before a server starts its projection
    runner and its workers (which then only open them: ``ledger.config.TABLES_READY_ENV``)."""
    with one_at_a_time(url):
        Ledger(url=url).close()
        view = open_view(url)
        view.datastore.close()  # type: ignore[attr-defined]
        accounts = Accounts(url)
        accounts.replies  # its table  # noqa: B018
        accounts.close()
        TokenSigner.from_key_store(KeyStore(keys_dir))


# Every operation may refuse with these; each refusal is application/problem+json.
_PROBLEMS = {
    "400": "malformed input; nothing was written / ข้อมูลไม่ถูกต้อง",
    "401": "not signed in, or the token is invalid, expired or revoked / ยังไม่ได้เข้าสู่ระบบ",
    "403": "the role or area does not allow it; the denial is logged / ไม่มีสิทธิ์",
    "404": "not found / ไม่พบ",
    "409": "conflicts with what is recorded (duplicate, reused key, the key's first request "
           "still under way, already written by a run whose answer was lost) / "
           "ขัดแย้งกับข้อมูลที่มีอยู่",
    "422": "refused by a rule / ขัดหลักเกณฑ์",
}


def _document_problems(app: FastAPI) -> dict[str, Any]:
    """The generated document, with FastAPI's validation answer (a 422 we never send: bad
    input is a 400 problem here) replaced by the problem answers every route can give."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description,
                         routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = ProblemOut.model_json_schema(ref_template="#/components/schemas/"
                                                                      "{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            responses = operation["responses"]
            responses.pop("422", None)
            for status, text in _PROBLEMS.items():
                responses.setdefault(status, {"description": text, "content": problem})
    app.openapi_schema = schema
    return schema


def create_app(services: Services, *, close_at_shutdown: bool = False,
               fast_reads: bool = True) -> FastAPI:
    """The API over ``services``; with ``close_at_shutdown`` the server's shutdown closes
    them (a worker process that opened its own). ``fast_reads``: the common read of a kept
    record answered ahead of FastAPI (``api.web.fast_reads``; off only to compare)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if close_at_shutdown:
                services.close()

    # The docs pages are the app's own (``api.web.docs``): FastAPI's load from a CDN.
    app = FastAPI(title="tabien ทะเบียน", version="1", description=DESCRIPTION,
                  openapi_url=OPENAPI_URL, docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(auth_router, prefix="/api/v1")
    app.include_router(router, prefix="/api/v1")
    app.include_router(work_router, prefix="/api/v1")
    app.include_router(admin_router, prefix="/api/v1")
    app.include_router(self_service_router, prefix="/api/v1")
    app.include_router(certificates_router, prefix="/api/v1")
    app.include_router(public_router, prefix="/api/v1")
    app.include_router(verify_page_router)
    install_docs(app)
    app.openapi = lambda: _document_problems(app)  # type: ignore[method-assign]
    if fast_reads:
        app.add_middleware(FastReads, services=services)
    return app


def app_from_env() -> FastAPI:
    """The application over ``TABIEN_DATABASE_URL`` and ``TABIEN_KEYS_DIR``: uvicorn's
    factory, called once in each worker process of ``tabien serve --workers N``."""
    import os

    from api.web.writer import WRITER_SOCKET_ENV, ForwardWrites
    from ledger.config import database_url, keys_dir

    writer_socket = os.environ.get(WRITER_SOCKET_ENV)  # set in a read worker
    services = open_services(database_url(), keys_dir(),
                             ledger_pool=None if writer_socket else WRITER_LEDGER_POOL)
    app = create_app(services, close_at_shutdown=True)
    if writer_socket:  # a worker beside a writer process: every write is the writer's
        app.add_middleware(ForwardWrites, socket_path=writer_socket)
    return app
