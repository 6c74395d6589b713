"""ledger.credentials as a whole: its public surface, and one certificate's life offline.

The story: an education area's certificate key issues a teacher's certificate with a revocation
entry and prints its QR token; a verifier with no network checks both from what it was handed;
a correction later revokes the certificate and the republished list says so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import credentials
from ledger.credentials import (
    StatusBits,
    add_proof,
    check_status,
    decode_token,
    did_key,
    encode_token,
    public_key_from,
    status_entry,
    status_list_credential,
    verification_method,
    verify_proof,
    verify_token,
)

ISSUED = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
LIST_URL = "https://tabien.example/status/1001/1"


def test_the_public_surface_is_what_all_names() -> None:
    public = {name for name in dir(credentials) if not name.startswith("_")}
    modules = {"data_integrity", "status_list", "token", "annotations"}
    assert public - modules == set(credentials.__all__)
    # The package's ``did_key`` is the function; the module stays ``ledger.credentials.did_key``.
    assert callable(credentials.did_key)


def test_a_certificate_is_issued_verified_offline_and_later_revoked() -> None:
    area_key = Ed25519PrivateKey.generate()
    issuer = did_key(area_key.public_key())
    certificate = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:2f6e0e2c-3b7e-4c11-9a55-0d1c2b3a4f5e",
        "type": ["VerifiableCredential"],
        "issuer": issuer,
        "validFrom": "2025-10-01T09:00:00Z",
        "credentialSubject": {"name": "นางสาวสมศรี ใจดี", "position": "ครู คศ.2"},
        "credentialStatus": status_entry(LIST_URL, 1234),
    }
    signed = add_proof(certificate, area_key,
                       verification_method=verification_method(area_key.public_key()),
                       created=ISSUED)
    qr = encode_token({"name": "นางสาวสมศรี ใจดี", "id": certificate["id"]}, area_key,
                      kid=b"1001", issued_at=ISSUED, expires_at=ISSUED + timedelta(days=3650),
                      issuer=issuer)
    bits = StatusBits()

    def publish(when: datetime) -> dict[str, Any]:
        unsigned = status_list_credential(list_url=LIST_URL, issuer_did=issuer, bits=bits,
                                          valid_from=when)
        return add_proof(unsigned, area_key,
                         verification_method=verification_method(area_key.public_key()),
                         created=when)

    published = publish(ISSUED)

    # The verifier: the key comes from the credential's own did:key, the token's from its issuer.
    check = verify_proof(signed, expected_method_prefix=signed["issuer"])
    assert check.valid
    assert verify_proof(published, expected_method_prefix=signed["issuer"]).valid
    assert check_status(signed["credentialStatus"], published) is False
    token_key = public_key_from(decode_token(qr).issuer)
    assert verify_token(qr, token_key).claims["id"] == signed["id"]

    # A correction of a stated fact revokes the certificate: the area sets its bit.
    bits.set(1234)
    republished = publish(ISSUED + timedelta(days=1))
    assert verify_proof(republished, expected_method_prefix=issuer).valid
    assert check_status(signed["credentialStatus"], republished) is True
