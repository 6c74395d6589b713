"""``tabien init``: a new ledger with its key registry.

The first submission of a ledger registers the admin key and is signed by that key (the trust
anchor); the admin then registers the checkpoint key, the service key (the server's own, which
signs the access log and nothing else) and the demo area's registrar and authority keys. The
admin's key id is pinned in the key folder (``trust-root.txt``) so that ``tabien verify`` can
tell a ledger rebuilt around another admin key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime

from ledger.application import Ledger
from ledger.errors import Conflict, NotFound
from ledger.keys import KeyStore, Signer, SigningKey

__all__ = [
    "DEMO_AREA",
    "KeySet",
    "add_area",
    "admin_signer",
    "certificate_signer",
    "current_key_set",
    "initialise",
    "load_key_set",
    "register_keys",
    "trusted_root",
]

DEMO_AREA = "สพม.16"
TRUST_ROOT_FILE = "trust-root.txt"


@dataclass(frozen=True)
class KeySet:
    admin: Signer
    checkpoint: Signer
    registrar: Signer
    authority: Signer
    service: Signer  # the system's own writes (the access log), and nothing else


def _names(area_code: str) -> dict[str, str]:
    return {
        "admin": "tabien-admin",
        "checkpoint": "tabien-checkpoint",
        "registrar": f"registrar-{area_code}",
        "authority": f"authority-{area_code}",
        "service": "tabien-service",
    }


# Province names in area names have no ASCII letters; the key files of the demo's areas need
# distinct names, so the provinces of Node 3 get short Latin codes.
_PROVINCES = {"พัทลุง": "ptl", "นครศรีธรรมราช": "nst"}


def area_code(area: str) -> str:
    """A file-name-safe code for an area name (สพม.16 → spm16, สพป.พัทลุง เขต 1 → sppptl1)."""
    table = {"สพม.": "spm", "สพป.": "spp", **_PROVINCES}
    code = area
    for thai, latin in table.items():
        code = code.replace(thai, latin)
    return "".join(ch for ch in code if ch.isascii() and ch.isalnum()) or "area"


def initialise(ledger: Ledger, store: KeyStore, *, area: str = DEMO_AREA,
               development: bool = True) -> KeySet:
    """Create the keys, register them in the ledger, and pin the trust root."""
    if ledger.recorder.max_notification_id() is not None:
        raise Conflict("this ledger is already initialised", "สมุดทะเบียนนี้ถูกสร้างไว้แล้ว")
    if development:
        store.create_development_set()
    store.identity_secret(create=True)
    names = _names(area_code(area))
    for name in names.values():
        if not store.path_for(name).exists():
            store.generate(name)
    keys = KeySet(**{role: store.signer(name) for role, name in names.items()})
    register_keys(ledger, keys, area)
    (store.directory / TRUST_ROOT_FILE).write_text(keys.admin.key_id + "\n", encoding="utf-8")
    certificate_signer(ledger, store, area)
    return keys


def register_keys(ledger: Ledger, keys: KeySet, area: str) -> None:
    """The genesis submission (the admin key, self-signed), then the other keys."""
    now = datetime.now(UTC).replace(microsecond=0)
    admin = SigningKey.register(keys.admin.name, "admin", "", keys.admin.public_key, now)
    ledger.submit(keys.admin, admin, purpose="genesis: register the admin key")
    others = [
        SigningKey.register(keys.checkpoint.name, "checkpoint", "", keys.checkpoint.public_key,
                            now),
        SigningKey.register(keys.service.name, "service", "", keys.service.public_key, now),
        SigningKey.register(keys.registrar.name, "registrar", area, keys.registrar.public_key,
                            now),
        SigningKey.register(keys.authority.name, "authority", area, keys.authority.public_key,
                            now),
    ]
    ledger.submit(keys.admin, *others, purpose="register the area's keys")


def add_area(ledger: Ledger, store: KeyStore, admin: Signer, area: str) -> KeySet:
    """Keys for another area's registrar and authority, registered by the admin."""
    names = _names(area_code(area))
    now = datetime.now(UTC).replace(microsecond=0)
    keys = []
    for role in ("registrar", "authority"):
        if not store.path_for(names[role]).exists():
            store.generate(names[role])
            signer = store.signer(names[role])
            keys.append(SigningKey.register(signer.name, role, area, signer.public_key, now))
    if keys:
        ledger.submit(admin, *keys, purpose=f"register the keys of {area}")
    certificate_signer(ledger, store, area)
    return load_key_set(store, area)


def certificate_signer(ledger: Ledger, store: KeyStore, area: str) -> Signer:
    """The area's certificate key (it signs the credentials of the area's certified copies and
    certificates, and their issuance in the ledger), made and registered by the admin key the
    first time an area needs it: a ledger made before certificates existed gains one so."""
    name = f"certificate-{area_code(area)}"
    if not store.path_for(name).exists():
        store.generate(name)
    signer = store.signer(name)
    try:
        ledger.key(signer.key_id)
    except NotFound:
        now = datetime.now(UTC).replace(microsecond=0)
        ledger.submit(admin_signer(store),
                      SigningKey.register(name, "certificate", area, signer.public_key, now),
                      purpose=f"register the certificate key of {area}")
    return _current(ledger, store, signer)


def load_key_set(store: KeyStore, area: str = DEMO_AREA) -> KeySet:
    names = _names(area_code(area))
    if not store.path_for(names["service"]).exists() and store.path_for(names["admin"]).exists():
        # A key folder made before the service key existed: say how to add it.
        raise NotFound(
            f"no service key ({names['service']}) in {store.directory}: the access log is "
            f"signed by it; add it with 'tabien keys add {names['service']} --role service'",
            f"ไม่พบกุญแจของระบบ ({names['service']}) ซึ่งใช้ลงนามบันทึกการเข้าถึงข้อมูล: "
            f"เพิ่มด้วย 'tabien keys add {names['service']} --role service'")
    return KeySet(**{role: store.signer(name) for role, name in names.items()})


def admin_signer(store: KeyStore) -> Signer:
    """The admin key alone (what key administration needs, even in a folder that lacks
    another of the set's keys)."""
    return store.signer(_names("")["admin"])


def current_key_set(ledger: Ledger, store: KeyStore, area: str = DEMO_AREA) -> KeySet:
    """The area's keys, each followed through its rotations to the key that signs now (a
    rotated key's successor has a name of its own, so the fixed names alone would go on
    signing with a key the ledger refuses)."""
    keys = load_key_set(store, area)
    return KeySet(**{f.name: _current(ledger, store, getattr(keys, f.name))
                     for f in dataclasses.fields(keys)})


def _current(ledger: Ledger, store: KeyStore, signer: Signer) -> Signer:
    key, seen = ledger.key(signer.key_id), {signer.key_id}
    while key.successor_key_id is not None and key.successor_key_id not in seen:
        seen.add(key.successor_key_id)
        key = ledger.key(key.successor_key_id)
    return signer if key.key_id == signer.key_id else store.signer(key.name)


def trusted_root(store: KeyStore) -> str | None:
    path = store.directory / TRUST_ROOT_FILE
    return path.read_text(encoding="utf-8").strip() if path.exists() else None
