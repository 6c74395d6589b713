"""Key administration: list, add, rotate and revoke keys in the ledger's key registry.

Every change is a signed submission by the admin key, so the registry's own history is as
verifiable as the records it protects.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.errors import InvalidInput, NotFound
from ledger.keys import KeyStore, Signer, SigningKey, key_record_id

__all__ = ["add_key", "find_key", "list_keys", "revoke_key", "rotate_key"]

_PAGE = 1_000


def list_keys(ledger: Ledger) -> list[SigningKey]:
    """Every registered key, in order of registration."""
    topic = get_topic(SigningKey.Registered)
    keys: list[SigningKey] = []
    start: int | None = None
    while True:
        page = ledger.recorder.select_notifications(start, _PAGE, topics=[topic],
                                                    inclusive_of_start=False)
        keys.extend(ledger.key(_key_id(ledger, n.originator_id)) for n in page)
        if len(page) < _PAGE:
            return keys
        start = page[-1].id


def _key_id(ledger: Ledger, record_id: object) -> str:
    for event in ledger.events.get(record_id, limit=1):  # type: ignore[arg-type]
        return str(event.key_id)  # type: ignore[attr-defined]
    raise NotFound("key registration vanished", "ไม่พบการลงทะเบียนกุญแจ")


def find_key(ledger: Ledger, name: str) -> SigningKey:
    """The most recently registered key of that name."""
    matches = [k for k in list_keys(ledger) if k.name == name]
    if not matches:
        raise NotFound(f"no key named {name!r} in the registry",
                       f"ไม่พบกุญแจชื่อ {name!r} ในทะเบียนกุญแจ")
    return matches[-1]


def add_key(ledger: Ledger, store: KeyStore, admin: Signer, name: str, role: str, area: str,
            *, valid_days: int | None = None) -> SigningKey:
    """Generate an encrypted key file and register its public key."""
    if valid_days is not None and valid_days < 1:
        raise InvalidInput("a key must be valid for at least one day",
                           "อายุกุญแจต้องไม่น้อยกว่าหนึ่งวัน")
    now = datetime.now(UTC).replace(microsecond=0)
    until = now + timedelta(days=valid_days) if valid_days else None
    private_key = store.generate(name)
    key = SigningKey.register(name, role, area, private_key.public_key(), now, until)
    ledger.submit(admin, key, purpose=f"register key {key.key_id}")
    return key


def rotate_key(ledger: Ledger, store: KeyStore, admin: Signer, old_name: str,
               new_name: str) -> SigningKey:
    """Register a successor with the same role and area; the old key stops at once."""
    old = ledger.key(find_key(ledger, old_name).key_id)
    now = datetime.now(UTC).replace(microsecond=0)
    private_key = store.generate(new_name)
    new = SigningKey.register(new_name, old.role, old.area, private_key.public_key(), now,
                              old.valid_until)
    old.rotate(new.key_id, now)
    ledger.submit(admin, new, old, purpose=f"rotate key {old.key_id} to {new.key_id}")
    return new


def revoke_key(ledger: Ledger, admin: Signer, name: str, reason: str) -> SigningKey:
    """Revoke a key from now on; signatures it made before stay valid."""
    if not reason.strip():
        raise InvalidInput("a revocation needs a reason", "การเพิกถอนกุญแจต้องระบุเหตุผล")
    key = ledger.key(find_key(ledger, name).key_id)
    key.revoke(datetime.now(UTC), reason)
    ledger.submit(admin, key, purpose=f"revoke key {key.key_id}: {reason}")
    assert key_record_id(key.key_id) == key.id
    return key
