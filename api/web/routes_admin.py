"""The administrator's routes: users of the API and the ledger's signing keys.

A key added or rotated here is generated in this server's key folder and registered in the
ledger by a submission the admin key signs, exactly as ``tabien keys`` does it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.web.auth import Principal, allow
from api.web.routes import PLAIN_TEXT, IdempotencyKey, PlainText, fingerprint
from api.web.schemas import AccountOut, KeyOut
from api.web.services import json_response
from ledger.entries import AREA_PATTERN
from ledger.errors import Conflict
from ledger.keys import SigningKey

__all__ = ["admin_router"]

admin_router = APIRouter()

_USERNAME = r"^[A-Za-z0-9._-]{3,64}$"
_KEY_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
KeyNamePath = Annotated[str, PathParam(pattern=_KEY_NAME, examples=["registrar-spm16"],
                                       description="key name / ชื่อกุญแจ")]


# ---------------------------------------------------------------- users


class NewUser(BaseModel):
    username: str = Field(pattern=_USERNAME, examples=["somchai.r"],
                          description="3–64 letters, digits, '.', '_' or '-' / ชื่อผู้ใช้")
    password: str = Field(min_length=12, max_length=256,
                          description="at least 12 characters / รหัสผ่านอย่างน้อย 12 ตัวอักษร")
    role: str = Field(examples=["registrar"], pattern=r"^[a-z]{1,20}$",
                      description="registrar, authority, auditor, teacher, payroll or admin")
    areas: list[Annotated[str, Field(pattern=AREA_PATTERN)]] = Field(
        default=[], max_length=50, examples=[["สพม.16"]],
        description="education areas the user acts in / เขตพื้นที่ที่ปฏิบัติงาน")
    display_name: PlainText = Field(default="", max_length=200, pattern=PLAIN_TEXT,
                              examples=["นายสมชาย รักเรียน"])
    national_id: str = Field(default="", pattern=r"^[0-9 -]{0,17}$",
                             description="a teacher's own เลขประจำตัวประชาชน")


@admin_router.get("/users", tags=["users / ผู้ใช้"], response_model=list[AccountOut],
                  summary="Users / ผู้ใช้")
def list_users(principal: Annotated[Principal, allow("admin")]) -> Response:
    """Every user with role and areas; never a password. ผู้ใช้ทั้งหมด พร้อมบทบาทและเขตพื้นที่"""
    return json_response([a.summary() for a in principal.services.accounts.users()])


@admin_router.post("/users", tags=["users / ผู้ใช้"], status_code=201, response_model=AccountOut,
                   summary="Add a user / เพิ่มผู้ใช้")
def add_user(user: NewUser, request: Request, principal: Annotated[Principal, allow("admin")],
             idempotency_key: IdempotencyKey = None) -> Response:
    """The password is kept only as an Argon2id hash. รหัสผ่านเก็บเป็นค่าแฮช Argon2id เท่านั้น"""
    services = principal.services
    for area in user.areas:
        services.check_area(area)

    def write() -> tuple[int, Any]:
        account = services.accounts.add_user(
            user.username, user.password, role=user.role, areas=user.areas,
            display_name=user.display_name, national_id=user.national_id)
        return 201, account.summary()

    digest = fingerprint(request, user.model_dump(mode="json", exclude={"password"}))
    return services.once(principal.username, idempotency_key, digest, write)


@admin_router.post("/users/{username}/revoke-tokens", tags=["users / ผู้ใช้"], status_code=204,
                   summary="Revoke a user's tokens / เพิกถอนโทเค็นของผู้ใช้")
def revoke_tokens(username: Annotated[str, PathParam(pattern=_USERNAME,
                                                     description="user name / ชื่อผู้ใช้")],
                  principal: Annotated[Principal, allow("admin")]) -> None:
    """Every token the user holds stops working at once. โทเค็นทั้งหมดของผู้ใช้ใช้ไม่ได้ทันที"""
    principal.services.accounts.revoke_tokens(username)


# ---------------------------------------------------------------- keys


def _key_out(key: SigningKey) -> dict[str, Any]:
    return {"key_id": key.key_id, "name": key.name, "role": key.role, "area": key.area,
            "valid_from": key.valid_from, "valid_until": key.valid_until,
            "revoked_at": key.revoked_at}


@admin_router.get("/keys", tags=["keys / กุญแจ"], response_model=list[KeyOut],
                  summary="Signing keys / กุญแจลงนาม")
def keys(principal: Annotated[Principal, allow("admin", "auditor")]) -> Response:
    """The key registry: every key, its role, area, validity and revocation.
    ทะเบียนกุญแจลงนาม"""
    from commands.keys import list_keys

    return json_response([_key_out(k) for k in list_keys(principal.services.ledger)])


class NewKey(BaseModel):
    name: str = Field(pattern=_KEY_NAME, examples=["registrar-spm16-2"],
                      description="key name / ชื่อกุญแจ")
    role: str = Field(pattern=r"^[a-z]{1,20}$", examples=["registrar"],
                      description="registrar, authority, checkpoint or admin")
    area: str = Field(default="", pattern=r"^$|" + AREA_PATTERN, examples=["สพม.16"])
    valid_days: int | None = Field(default=None, ge=1, le=36_500,
                                   description="days until it expires / อายุ (วัน)")


class Rotation(BaseModel):
    new_name: str = Field(pattern=_KEY_NAME, examples=["registrar-spm16-3"],
                          description="name of the successor / ชื่อกุญแจใหม่")


class Revocation(BaseModel):
    reason: PlainText = Field(min_length=1, max_length=300, pattern=PLAIN_TEXT,
                        examples=["เครื่องที่เก็บกุญแจสูญหาย"], description="why / เหตุผล")


def _refuse_taken(principal: Principal, name: str) -> None:
    if principal.services.key_store.path_for(name).exists():
        raise Conflict(f"a key named {name!r} already exists", f"มีกุญแจชื่อ {name!r} อยู่แล้ว")


@admin_router.post("/keys", tags=["keys / กุญแจ"], status_code=201, response_model=KeyOut,
                   summary="Add a signing key / เพิ่มกุญแจลงนาม")
def add_key(new: NewKey, request: Request, principal: Annotated[Principal, allow("admin")],
            idempotency_key: IdempotencyKey = None) -> Response:
    """Generate a key in this server's key folder and register it, signed by the admin key.
    สร้างกุญแจใหม่และลงทะเบียนในสมุดทะเบียน ลงนามด้วยกุญแจผู้ดูแลระบบ"""
    from commands.keys import add_key as register

    services = principal.services

    def write() -> tuple[int, Any]:
        _refuse_taken(principal, new.name)
        key = register(services.ledger, services.key_store, services.operator_keys().admin,
                       new.name, new.role, new.area, valid_days=new.valid_days)
        return 201, _key_out(key)

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, new.model_dump(mode="json")), write)


@admin_router.post("/keys/{name}/rotate", tags=["keys / กุญแจ"], response_model=KeyOut,
                   summary="Rotate a key / เปลี่ยนกุญแจ")
def rotate_key(name: KeyNamePath, rotation: Rotation, request: Request,
               principal: Annotated[Principal, allow("admin")],
               idempotency_key: IdempotencyKey = None) -> Response:
    """A successor with the same role and area; the old key stops signing at once.
    กุญแจใหม่บทบาทและเขตเดิม กุญแจเดิมหยุดใช้ทันที"""
    from commands.keys import rotate_key as rotate

    services = principal.services

    def write() -> tuple[int, Any]:
        _refuse_taken(principal, rotation.new_name)
        key = rotate(services.ledger, services.key_store, services.operator_keys().admin,
                     name, rotation.new_name)
        services.forget_keys()
        return 200, _key_out(key)

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, rotation.model_dump(mode="json")), write)


@admin_router.post("/keys/{name}/revoke", tags=["keys / กุญแจ"], response_model=KeyOut,
                   summary="Revoke a key / เพิกถอนกุญแจ")
def revoke_key(name: KeyNamePath, revocation: Revocation, request: Request,
               principal: Annotated[Principal, allow("admin")],
               idempotency_key: IdempotencyKey = None) -> Response:
    """Revoked from now on; what it signed before stays valid. เพิกถอนตั้งแต่บัดนี้"""
    from commands.keys import revoke_key as revoke

    services = principal.services

    def write() -> tuple[int, Any]:
        key = revoke(services.ledger, services.operator_keys().admin, name,
                     revocation.reason)
        services.forget_keys()
        return 200, _key_out(key)

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, revocation.model_dump(mode="json")), write)
