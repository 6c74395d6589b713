"""Offline-verifiable certificates (DESIGN.md decision 12): pure functions, no database.

A certificate is a W3C Verifiable Credential 2.0 (https://www.w3.org/TR/vc-data-model-2.0/)
that carries everything its verifier needs:

- ``did_key``: the issuing key as a ``did:key`` (https://w3c-ccg.github.io/did-method-key/),
  so the key is read from the credential itself;
- ``data_integrity``: the ``eddsa-jcs-2022`` proof (https://www.w3.org/TR/vc-di-eddsa/) over
  the RFC 8785 canonical JSON;
- ``token``: the compact QR form, a COSE_Sign1 (RFC 9052) of CWT claims (RFC 8392) in zlib and
  Base45 (RFC 9285), as the EU Digital COVID Certificate is;
- ``status_list``: revocation by a W3C Bitstring Status List
  (https://www.w3.org/TR/vc-bitstring-status-list/).

Malformed input raises ``ledger.errors.InvalidInput`` (English and Thai); a token's bad
signature raises ``SignatureError``; ``verify_proof`` never raises, it returns a ``ProofCheck``.
"""

from __future__ import annotations

from ledger.credentials.data_integrity import (
    CRYPTOSUITE,
    PROOF_TYPE,
    ProofCheck,
    add_proof,
    canonicalize,
    credential_digest,
    hash_data,
    proof_configuration,
    verify_proof,
    xml_datetime,
)
from ledger.credentials.did_key import (
    did_key,
    public_key_from,
    public_key_from_multibase,
    public_key_multibase,
    verification_method,
)
from ledger.credentials.status_list import (
    MIN_LENGTH,
    STATUS_PURPOSES,
    StatusBits,
    check_status,
    status_entry,
    status_list_credential,
)
from ledger.credentials.token import (
    FACTS_CLAIM,
    TOKEN_PREFIX,
    TokenContents,
    decode_token,
    encode_token,
    verify_token,
)

__all__ = [
    "CRYPTOSUITE",
    "FACTS_CLAIM",
    "MIN_LENGTH",
    "PROOF_TYPE",
    "STATUS_PURPOSES",
    "TOKEN_PREFIX",
    "ProofCheck",
    "StatusBits",
    "TokenContents",
    "add_proof",
    "canonicalize",
    "check_status",
    "credential_digest",
    "decode_token",
    "did_key",
    "encode_token",
    "hash_data",
    "proof_configuration",
    "public_key_from",
    "public_key_from_multibase",
    "public_key_multibase",
    "status_entry",
    "status_list_credential",
    "verification_method",
    "verify_proof",
    "verify_token",
    "xml_datetime",
]
