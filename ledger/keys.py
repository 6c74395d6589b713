"""Signing keys: the event-sourced key registry and the encrypted key files on disk.

A key is registered in the ledger itself (so its history is hashed, chained and signed like
every career event) with its holder's role, area and validity period; it can be rotated to a
successor or revoked. A signature counts only if its key was registered before, not yet
revoked, and inside its validity period when it signed.

Private keys never enter the database: each is a PKCS#8 PEM file encrypted with a passphrase
(``TABIEN_KEY_PASSPHRASE``). ``KeyStore.create_development_set`` writes a passphrase file beside
the keys and marks the whole directory as a development key set — fine for a demo, never for
real records.
"""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.domain import Aggregate

from ledger.errors import InvalidInput, NotFound, SignatureError
from ledger.note import key_hash
from ledger.thaidate import format_thai_datetime

__all__ = [
    "KEY_ROLES",
    "KeyStore",
    "Signer",
    "SigningKey",
    "key_id_for",
    "key_record_id",
]

KEY_ROLES = {
    "admin": "ผู้ดูแลระบบ (ลงทะเบียนกุญแจ)",
    "checkpoint": "กุญแจลงนามจุดตรวจสอบของสมุดทะเบียน",
    "registrar": "เจ้าหน้าที่ทะเบียนประวัติ",
    "authority": "ผู้มีอำนาจสั่งบรรจุและแต่งตั้ง",
    "service": "กุญแจของระบบ (ลงนามบันทึกการเข้าถึงข้อมูลเท่านั้น)",
    "certificate": "กุญแจรับรองเอกสารของเขตพื้นที่ (ลงนามสำเนาทะเบียนประวัติและหนังสือรับรองเท่านั้น)",
}

_KEY_NAMESPACE = uuid.UUID("5b0c3f0e-6f8a-4b7e-9d62-7a2f1e0c4d11")
DEVELOPMENT_MARKER = "DEVELOPMENT-KEY-SET.txt"


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(name: str, public_key: Ed25519PublicKey) -> str:
    """``name+hash`` as in a C2SP verifier key, so checkpoint notes name keys the same way."""
    return f"{name}+{key_hash(name, public_key).hex()}"


def key_record_id(key_id: str) -> uuid.UUID:
    """Key ids are public, so a name-based UUID is fine here (unlike personal records)."""
    return uuid.uuid5(_KEY_NAMESPACE, key_id)


class SigningKey(Aggregate):
    """One signing key's life in the registry."""

    class Registered(Aggregate.Created):
        key_id: str
        name: str
        role: str
        area: str
        public_key: str
        valid_from: datetime
        valid_until: datetime | None

    class Rotated(Aggregate.Event):
        successor_key_id: str
        rotated_at: datetime

    class Revoked(Aggregate.Event):
        revoked_at: datetime
        reason: str

    def __init__(self, key_id: str, name: str, role: str, area: str, public_key: str,
                 valid_from: datetime, valid_until: datetime | None) -> None:
        self.key_id = key_id
        self.name = name
        self.role = role
        self.area = area
        self.public_key_b64 = public_key
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.revoked_at: datetime | None = None
        self.successor_key_id: str | None = None
        self.rotated_at: datetime | None = None

    @classmethod
    def register(cls, name: str, role: str, area: str, public_key: Ed25519PublicKey,
                 valid_from: datetime, valid_until: datetime | None = None) -> SigningKey:
        if role not in KEY_ROLES:
            raise InvalidInput(f"unknown key role {role!r}; known: {', '.join(KEY_ROLES)}",
                               f"ไม่รู้จักบทบาทของกุญแจ {role!r}")
        if valid_until is not None and valid_until <= valid_from:
            raise InvalidInput("a key's validity must end after it begins",
                               "วันสิ้นสุดอายุกุญแจต้องอยู่หลังวันเริ่มใช้")
        key_id = key_id_for(name, public_key)
        return cls._create(
            cls.Registered, id=key_record_id(key_id), key_id=key_id, name=name, role=role,
            area=area, public_key=base64.b64encode(raw_public_key(public_key)).decode(),
            valid_from=valid_from, valid_until=valid_until)

    def rotate(self, successor_key_id: str, rotated_at: datetime) -> None:
        self.check_usable_at(rotated_at)
        self.trigger_event(self.Rotated, successor_key_id=successor_key_id,
                           rotated_at=rotated_at)

    def revoke(self, revoked_at: datetime, reason: str) -> None:
        if self.revoked_at is not None:
            raise InvalidInput(f"key {self.key_id} is already revoked",
                               f"กุญแจ {self.key_id} ถูกเพิกถอนไปแล้ว")
        self.trigger_event(self.Revoked, revoked_at=revoked_at, reason=reason)

    @property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key_b64))

    def check_usable_at(self, moment: datetime) -> None:
        """Refuse a signature made at ``moment`` by this key, saying why."""
        if moment < self.valid_from:
            raise SignatureError(
                f"key {self.key_id} is not valid yet at {moment.isoformat()} "
                f"(valid from {self.valid_from.isoformat()})",
                f"กุญแจ {self.key_id} ยังไม่เริ่มมีผล ณ {format_thai_datetime(moment)} "
                f"(เริ่มใช้ {format_thai_datetime(self.valid_from)})")
        if self.valid_until is not None and moment >= self.valid_until:
            raise SignatureError(
                f"key {self.key_id} expired at {self.valid_until.isoformat()}",
                f"กุญแจ {self.key_id} หมดอายุแล้วเมื่อ {format_thai_datetime(self.valid_until)}")
        if self.revoked_at is not None and moment >= self.revoked_at:
            raise SignatureError(
                f"key {self.key_id} was revoked at {self.revoked_at.isoformat()}",
                f"กุญแจ {self.key_id} ถูกเพิกถอนแล้วเมื่อ {format_thai_datetime(self.revoked_at)}")
        if self.rotated_at is not None and moment >= self.rotated_at:
            raise SignatureError(
                f"key {self.key_id} was rotated to {self.successor_key_id} at "
                f"{self.rotated_at.isoformat()}",
                f"กุญแจ {self.key_id} ถูกเปลี่ยนเป็น {self.successor_key_id} แล้วเมื่อ "
                f"{format_thai_datetime(self.rotated_at)}")


def _apply_rotated(self: SigningKey.Rotated, key: SigningKey) -> None:
    key.successor_key_id = self.successor_key_id
    key.rotated_at = self.rotated_at


def _apply_revoked(self: SigningKey.Revoked, key: SigningKey) -> None:
    key.revoked_at = self.revoked_at


SigningKey.Rotated.apply = _apply_rotated  # type: ignore[method-assign,assignment]
SigningKey.Revoked.apply = _apply_revoked  # type: ignore[method-assign,assignment]


@dataclass(frozen=True)
class Signer:
    """A private key in hand, with the id it is registered under."""

    key_id: str
    name: str
    private_key: Ed25519PrivateKey

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()


class KeyStore:
    """Encrypted private-key files, and the identity secret, in one directory."""

    def __init__(self, directory: Path | str, passphrase: bytes | None = None) -> None:
        self.directory = Path(directory)
        self._passphrase = passphrase

    # --------------------------------------------------------------- passphrase

    @property
    def is_development_set(self) -> bool:
        return (self.directory / DEVELOPMENT_MARKER).exists()

    def passphrase(self) -> bytes:
        if self._passphrase is not None:
            return self._passphrase
        from_env = os.environ.get("TABIEN_KEY_PASSPHRASE")
        if from_env:
            return from_env.encode()
        marker = self.directory / DEVELOPMENT_MARKER
        if marker.exists():
            for line in marker.read_text(encoding="utf-8").splitlines():
                if line.startswith("passphrase: "):
                    return line.removeprefix("passphrase: ").encode()
        raise SignatureError(
            "no key passphrase: set TABIEN_KEY_PASSPHRASE",
            "ไม่พบรหัสผ่านของกุญแจ: กรุณากำหนด TABIEN_KEY_PASSPHRASE")

    def create_development_set(self) -> None:
        """Mark this directory as holding a development key set, with its passphrase."""
        self.directory.mkdir(parents=True, exist_ok=True)
        marker = self.directory / DEVELOPMENT_MARKER
        if not marker.exists():
            marker.write_text(
                "THIS IS A DEVELOPMENT KEY SET. Its passphrase is stored beside the keys, so "
                "anyone who can read this folder can sign as any of its keys.\n"
                "ชุดกุญแจนี้ใช้สำหรับการพัฒนาและสาธิตเท่านั้น ห้ามใช้กับข้อมูลจริง\n"
                f"passphrase: {secrets.token_urlsafe(24)}\n", encoding="utf-8")
            marker.chmod(0o600)

    # --------------------------------------------------------------- key files

    def path_for(self, name: str) -> Path:
        if not name or "/" in name or name.startswith(".") or "\\" in name:
            raise InvalidInput(f"invalid key name {name!r}", f"ชื่อกุญแจไม่ถูกต้อง {name!r}")
        return self.directory / f"{name}.key.pem"

    def generate(self, name: str) -> Ed25519PrivateKey:
        path = self.path_for(name)
        if path.exists():
            raise InvalidInput(f"a key named {name!r} already exists",
                               f"มีกุญแจชื่อ {name!r} อยู่แล้ว")
        private_key = Ed25519PrivateKey.generate()
        self.directory.mkdir(parents=True, exist_ok=True)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self.passphrase()))
        path.write_bytes(pem)
        path.chmod(0o600)
        return private_key

    def load(self, name: str) -> Ed25519PrivateKey:
        path = self.path_for(name)
        if not path.exists():
            raise NotFound(f"no key file for {name!r} in {self.directory}",
                           f"ไม่พบไฟล์กุญแจ {name!r} ใน {self.directory}")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), self.passphrase())
        except ValueError as e:
            raise SignatureError(f"cannot open key {name!r}: wrong passphrase or damaged file",
                                 f"เปิดกุญแจ {name!r} ไม่ได้: รหัสผ่านผิดหรือไฟล์เสียหาย") from e
        if not isinstance(key, Ed25519PrivateKey):
            raise SignatureError(f"key {name!r} is not an Ed25519 key",
                                 f"กุญแจ {name!r} ไม่ใช่ Ed25519")
        return key

    def signer(self, name: str) -> Signer:
        private_key = self.load(name)
        return Signer(key_id_for(name, private_key.public_key()), name, private_key)

    def names(self) -> list[str]:
        return sorted(p.name.removesuffix(".key.pem") for p in self.directory.glob("*.key.pem"))

    # ---------------------------------------------------------- identity secret

    def identity_secret(self, *, create: bool = False) -> bytes:
        """The secret behind record ids (``ledger.identity.record_id_for``)."""
        path = self.directory / "identity.secret"
        if not path.exists():
            if not create:
                raise NotFound(f"no identity secret in {self.directory}: run 'tabien init'",
                               f"ไม่พบความลับสำหรับรหัสทะเบียนใน {self.directory}")
            self.directory.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
            path.chmod(0o600)
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
