"""The FastAPI application: ``create_app(url, keys_dir)`` for tests and ``tabien serve``."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from api.web.accounts import Accounts
from api.web.auth import auth_router
from api.web.problems import install_problem_handlers
from api.web.routes import router
from api.web.services import Services
from api.web.tokens import TokenSigner
from ledger.application import Ledger
from ledger.keys import KeyStore
from projections.record_projection import open_view

__all__ = ["create_app", "open_services"]

DESCRIPTION = """\
The ledger of teachers' personnel records (ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา,
ก.ค.ศ.16): records read from the record view, orders drafted, checked and issued as signed
submissions, and the auditor's tools.

Sign in at `/api/v1/token` (OAuth2 password flow) and send the token as
`Authorization: Bearer …`. Roles: registrar (นายทะเบียน), authority (ผู้มีอำนาจสั่งบรรจุ),
auditor (ผู้ตรวจสอบ), teacher (ครู), payroll (การเงิน), admin (ผู้ดูแลระบบ); registrars,
authorities and payroll officers act only in their own education areas. Errors are
`application/problem+json` (RFC 9457) with a stable `code` and the message in Thai
(`detail_th`) and English (`detail`). Writes accept an `Idempotency-Key` header.
"""


def open_services(url: str, keys_dir: Path) -> Services:
    key_store = KeyStore(keys_dir)
    return Services(url=url, ledger=Ledger(url=url), view=open_view(url),
                    accounts=Accounts(url), tokens=TokenSigner.from_key_store(key_store),
                    key_store=key_store)


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="tabien ทะเบียน", version="1", description=DESCRIPTION,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs",
                  redoc_url=None)
    app.state.services = services
    install_problem_handlers(app)
    app.include_router(auth_router, prefix="/api/v1")
    app.include_router(router, prefix="/api/v1")
    return app
