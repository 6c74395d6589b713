"""W3C Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite.

Standards:

- Data Integrity EdDSA Cryptosuites v1.0 §3.3 (eddsa-jcs-2022),
  https://www.w3.org/TR/vc-di-eddsa/#eddsa-jcs-2022 ;
- Verifiable Credential Data Integrity 1.0, https://www.w3.org/TR/vc-data-integrity/ ;
- RFC 8785 JSON Canonicalization Scheme (JCS), https://www.rfc-editor.org/rfc/rfc8785 , through the
  ``rfc8785`` package: orjson's sorted keys are not JCS (numbers and key order by UTF-16 differ).

The proof is made as §3.3.1 (Create Proof) says: the proof configuration is the proof options
with the document's ``@context``; the data signed is ``SHA-256(JCS(proof configuration)) ||
SHA-256(JCS(document without proof))``; the Ed25519 signature is written in multibase base58btc.
The verification method is a ``did:key``, so a verifier needs nothing but the document itself
(DESIGN.md decision 12); whether that key is one it trusts is the caller's question
(``expected_method_prefix``, or ``ProofCheck.did`` against a key registry).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.credentials.did_key import multibase_b58decode, multibase_b58encode, public_key_from
from ledger.errors import InvalidDate, InvalidInput

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "ProofCheck",
    "add_proof",
    "canonicalize",
    "credential_digest",
    "hash_data",
    "proof_configuration",
    "verify_proof",
    "xml_datetime",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
_SIGNATURE_LENGTH = 64
# XML Schema 1.1 dateTimeStamp: a dateTime that must carry its time zone (vc-data-integrity §2.1).
_DATETIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class ProofCheck:
    """What ``verify_proof`` found: ``valid``, or the reason it is not, in English and Thai."""

    valid: bool
    problem_en: str = ""
    problem_th: str = ""
    verification_method: str | None = None
    did: str | None = None
    public_key: Ed25519PublicKey | None = None
    created: str | None = None


class _Invalid(Exception):
    """A reason a proof does not verify; ``verify_proof`` turns it into a ``ProofCheck``."""

    def __init__(self, english: str, thai: str) -> None:
        super().__init__(english)
        self.english = english
        self.thai = thai


def xml_datetime(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC, as the W3C examples write ``created``."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidDate("a proof's time needs a time zone (a naive datetime is ambiguous)",
                          "เวลาของหลักฐานการลงนามต้องระบุเขตเวลา")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonicalize(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value; ``InvalidInput`` for what JSON cannot hold."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as error:
        raise InvalidInput(
            f"cannot canonicalize the document as JSON (RFC 8785): {error}",
            "ไม่สามารถจัดเอกสารให้อยู่ในรูปแบบ JSON มาตรฐาน (RFC 8785) ได้") from error


def credential_digest(credential: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a signed credential's RFC 8785 bytes: what binds a QR token and the
    ledger's issuance entry to one credential."""
    return hashlib.sha256(canonicalize(dict(credential))).hexdigest()


def proof_configuration(options: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """§3.3.5: the proof options with the document's ``@context`` (when it has one)."""
    config = dict(copy.deepcopy(options))
    config.pop("proofValue", None)
    if "@context" in document:
        config["@context"] = copy.deepcopy(document["@context"])
    return config


def hash_data(proof_config: Mapping[str, Any], unsecured: Mapping[str, Any]) -> bytes:
    """§3.3.6: SHA-256 of the canonical proof configuration, then of the canonical document."""
    return (hashlib.sha256(canonicalize(proof_config)).digest()
            + hashlib.sha256(canonicalize(unsecured)).digest())


def add_proof(document: Mapping[str, Any], private_key: Ed25519PrivateKey, *,
              verification_method: str, created: datetime,
              proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` proof (vc-di-eddsa §3.3.1).

    The proof carries the document's ``@context``, as the specification's own vectors do, so
    a verifier can tell which contexts were signed.
    """
    if not isinstance(document, Mapping):
        raise InvalidInput("a document to sign must be a JSON object",
                           "เอกสารที่จะลงนามต้องเป็นออบเจกต์ JSON")
    if "proof" in document:
        raise InvalidInput("the document already has a proof (proof sets are not supported)",
                           "เอกสารนี้มีหลักฐานการลงนามอยู่แล้ว (ไม่รองรับการลงนามหลายชั้น)")
    try:
        unsecured = copy.deepcopy(dict(document))
    except RecursionError as error:
        raise InvalidInput("the document is nested too deeply to sign",
                           "เอกสารซ้อนกันลึกเกินกว่าจะลงนามได้") from error
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": xml_datetime(created),
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    config = proof_configuration(proof, unsecured)
    signature = private_key.sign(hash_data(config, unsecured))
    return {**unsecured, "proof": {**config, "proofValue": multibase_b58encode(signature)}}


def verify_proof(secured: Any, *, expected_method_prefix: str | None = None,
                 proof_purpose: str = "assertionMethod") -> ProofCheck:
    """Check an ``eddsa-jcs-2022`` proof (vc-di-eddsa §3.3.2); never raises on bad input.

    ``expected_method_prefix`` (e.g. the issuer's ``did:key``) refuses a proof made by any
    other key. A document whose ``@context`` adds contexts after those the proof names still
    verifies, as §3.3.2 step 4 says: the added ones are not covered by the proof.
    """
    try:
        proof = _proof_of(secured)
        method = _method_of(proof, expected_method_prefix)
        _check_options(proof, proof_purpose)
        public_key = _key_of(method)
        signature = _signature_of(proof)
        _check_signature(secured, proof, public_key, signature)
    except _Invalid as invalid:
        return ProofCheck(False, invalid.english, invalid.thai)
    except RecursionError:  # copying a hostile proof nested thousands deep
        return ProofCheck(False, "the credential is nested too deeply to read",
                          "ข้อมูลรับรองซ้อนกันลึกเกินกว่าจะอ่านได้")
    return ProofCheck(True, verification_method=method, did=method.partition("#")[0],
                      public_key=public_key, created=proof.get("created"))


def _proof_of(secured: Any) -> dict[str, Any]:
    if not isinstance(secured, Mapping):
        raise _Invalid("the credential is not a JSON object", "ข้อมูลรับรองไม่ใช่ออบเจกต์ JSON")
    proof = secured.get("proof")
    if proof is None:
        raise _Invalid("the credential has no proof", "ข้อมูลรับรองไม่มีหลักฐานการลงนาม")
    if not isinstance(proof, Mapping):
        raise _Invalid("the proof must be one JSON object (proof sets are not supported)",
                       "หลักฐานการลงนามต้องเป็นออบเจกต์ JSON เดียว (ไม่รองรับหลายหลักฐาน)")
    return dict(proof)


def _text_field(proof: Mapping[str, Any], name: str) -> str:
    value = proof.get(name)
    if not isinstance(value, str) or not value:
        raise _Invalid(f"the proof has no {name}", f"หลักฐานการลงนามไม่มีช่อง {name}")
    return value


def _method_of(proof: Mapping[str, Any], expected_prefix: str | None) -> str:
    method = _text_field(proof, "verificationMethod")
    if expected_prefix is not None and not method.startswith(expected_prefix):
        raise _Invalid(
            f"the proof was made by {method}, not by the expected key {expected_prefix}",
            f"หลักฐานการลงนามทำโดยกุญแจ {method} ไม่ใช่กุญแจที่คาดไว้ {expected_prefix}")
    return method


def _check_options(proof: Mapping[str, Any], proof_purpose: str) -> None:
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise _Invalid(
            f"not a {PROOF_TYPE} with the {CRYPTOSUITE} cryptosuite",
            f"หลักฐานการลงนามไม่ใช่ชนิด {PROOF_TYPE} ด้วยชุดวิทยาการเข้ารหัส {CRYPTOSUITE}")
    if _text_field(proof, "proofPurpose") != proof_purpose:
        raise _Invalid(f"the proof's purpose is not {proof_purpose}",
                       f"วัตถุประสงค์ของหลักฐานการลงนามไม่ใช่ {proof_purpose}")
    created = proof.get("created")
    if created is not None and not _is_datetime_stamp(created):
        raise _Invalid("the proof's created time is not an XML Schema dateTimeStamp",
                       "เวลาที่สร้างหลักฐานการลงนามไม่อยู่ในรูปแบบวันเวลา XML Schema")


def _is_datetime_stamp(value: Any) -> bool:
    if not isinstance(value, str) or not _DATETIME_STAMP.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:  # e.g. month 13: the pattern checks the shape only
        return False
    return True


def _key_of(method: str) -> Ed25519PublicKey:
    try:
        return public_key_from(method)
    except InvalidInput as error:
        raise _Invalid(f"the verification method: {error.message}",
                       f"วิธีตรวจสอบ (verificationMethod): {error.message_th}") from error


def _signature_of(proof: Mapping[str, Any]) -> bytes:
    try:
        signature = multibase_b58decode(_text_field(proof, "proofValue"))
    except InvalidInput as error:
        raise _Invalid(f"the proofValue: {error.message}",
                       f"ค่าลายมือชื่อ (proofValue): {error.message_th}") from error
    if len(signature) != _SIGNATURE_LENGTH:
        raise _Invalid("the proofValue is not a 64-byte Ed25519 signature",
                       "ค่าลายมือชื่อ (proofValue) ไม่ใช่ลายมือชื่อ Ed25519 ขนาด 64 ไบต์")
    return signature


def _check_signature(secured: Mapping[str, Any], proof: Mapping[str, Any],
                     public_key: Ed25519PublicKey, signature: bytes) -> None:
    unsecured = {name: value for name, value in secured.items() if name != "proof"}
    if "@context" in proof:
        _check_context(unsecured.get("@context"), proof["@context"])
        unsecured["@context"] = proof["@context"]
    config = proof_configuration(proof, unsecured)
    try:
        public_key.verify(signature, hash_data(config, unsecured))
    except InvalidInput as error:
        raise _Invalid(error.message, error.message_th) from error
    except InvalidSignature as error:
        raise _Invalid("the signature does not match the credential: it was altered, "
                       "or signed by another key",
                       "ลายมือชื่อไม่ตรงกับข้อมูลรับรอง: ข้อมูลถูกแก้ไข หรือลงนามด้วยกุญแจอื่น") from error


def _check_context(document_context: Any, proof_context: Any) -> None:
    """§3.3.2 step 4: the document's ``@context`` must begin with the proof's, in order."""
    signed = proof_context if isinstance(proof_context, list) else [proof_context]
    present = document_context if isinstance(document_context, list) else [document_context]
    if document_context is None or present[:len(signed)] != signed:
        raise _Invalid("the credential's @context does not begin with the proof's @context",
                       "@context ของข้อมูลรับรองไม่ขึ้นต้นด้วย @context ของหลักฐานการลงนาม")
