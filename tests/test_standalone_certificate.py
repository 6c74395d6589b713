"""audit/standalone_certificate.py: a certificate checked offline with nothing of tabien.

Real credentials, tokens and status lists are made with ``ledger.credentials``, over a real
signed checkpoint note and a small real Merkle tree (``ledger.note``, ``ledger.merkle``),
shaped as docs/certificates.md says; the script runs as a subprocess, and every single
alteration is refused."""

from __future__ import annotations

import ast
import copy
import hashlib
import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.credentials import (
    StatusBits,
    add_proof,
    did_key,
    encode_token,
    status_entry,
    status_list_credential,
    verification_method,
)
from ledger.merkle import MerkleLevels, leaf_hash
from ledger.note import CheckpointBody, sign_note, verifier_key

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "audit" / "standalone_certificate.py"
VECTOR = ROOT / "tests" / "vectors" / "vc-di-eddsa" / "eddsa-jcs-2022" / "signedJCS.json"
LIST_URL = "https://tabien.example/api/v1/status-lists/spm16/1"
SLOT = 4242
ISSUED = datetime(2026, 1, 5, 3, 0, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 4, 5, 16, 59, 59, tzinfo=UTC)
NOW = "2026-02-01T00:00:00Z"
LATER = "2026-05-01T00:00:00Z"
STATED = (2, 5, 6)  # the leaves the credential states, of a tree of 7


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def _digest(credential: dict[str, Any]) -> str:
    return hashlib.sha256(rfc8785.dumps(credential)).hexdigest()


@dataclass
class Issued:
    key: Ed25519PrivateKey
    credential: dict[str, Any]
    unsigned: dict[str, Any]
    token: str
    status_list: dict[str, Any]
    revoked_list: dict[str, Any]
    dir: Path

    @property
    def did(self) -> str:
        return did_key(self.key.public_key())

    def sign(self, unsigned: dict[str, Any]) -> dict[str, Any]:
        return add_proof(unsigned, self.key,
                         verification_method=verification_method(self.key.public_key()),
                         created=ISSUED)

    def token_for(self, credential: dict[str, Any], key: Ed25519PrivateKey | None = None,
                  **changes: Any) -> str:
        key = key or self.key
        claims = {"id": "doc-1", "k": "salary", "n": "นางสาวทดสอบ ใจดี", "a": "สพม.16",
                  "d": "2026-01-05", "p": "ครู", "s": 30_000, "st": [1, SLOT],
                  "h": _digest(credential), **changes}
        return encode_token(claims, key, kid=_raw(key), issued_at=ISSUED, expires_at=EXPIRES,
                            issuer=did_key(key.public_key()))

    def write(self, name: str, value: Any) -> Path:
        path = self.dir / name
        if isinstance(value, bytes):
            path.write_bytes(value)
        elif isinstance(value, str):
            path.write_text(value, encoding="utf-8")
        else:
            path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
        return path


def _status_list(key: Ed25519PrivateKey, revoked: tuple[int, ...] = (),
                 url: str = LIST_URL) -> dict[str, Any]:
    bits = StatusBits()
    for slot in revoked:
        bits.set(slot)
    unsigned = status_list_credential(list_url=url, issuer_did=did_key(key.public_key()),
                                      bits=bits, valid_from=ISSUED)
    return add_proof(unsigned, key, verification_method=verification_method(key.public_key()),
                     created=ISSUED)


@pytest.fixture
def issued(tmp_path: Path) -> Issued:
    key, checkpoint_key = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    event_hashes = [hashlib.sha256(f"event {n}".encode()).digest() for n in range(7)]
    levels = MerkleLevels([leaf_hash(h) for h in event_hashes])
    body = CheckpointBody("tabien.example/ledger", 7, levels.root())
    note = sign_note(body.to_text(), "tabien-checkpoint", checkpoint_key)
    events = [{"recordVersion": n + 1, "position": 100 + index,
               "eventHash": event_hashes[index].hex(), "leafIndex": index,
               "inclusionProof": [h.hex() for h in levels.inclusion_proof(index)]}
              for n, index in enumerate(STATED)]
    unsigned: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:5f0c6a4e-8d1b-4c7e-9a57-3f2d1e0b9c88",
        "type": ["VerifiableCredential", "TabienSalaryCertificate"],
        "name": "หนังสือรับรองเงินเดือน",
        "issuer": {"id": did_key(key.public_key()), "name": "ทะเบียนประวัติ สพม.16"},
        "validFrom": "2026-01-05T03:00:00Z",
        "validUntil": "2026-04-05T16:59:59Z",
        "credentialSubject": {"id": "urn:uuid:0b8f2a8e-1c55-4a8e-8f3e-2a1e5d4c3b2a",
                              "name": "นางสาวทดสอบ ใจดี", "nationalId": "1-8002-xxxxx-34-2",
                              "area": "สพม.16", "asOf": "2026-01-05", "position": "ครู",
                              "salary": 30_000},
        "credentialStatus": status_entry(LIST_URL, SLOT),
        "evidence": [{"type": ["TabienLedgerInclusion"], "checkpoint": note,
                      "checkpointKey": verifier_key("tabien-checkpoint",
                                                    checkpoint_key.public_key()),
                      "treeSize": 7, "events": events}],
    }
    made = Issued(key, {}, unsigned, "", _status_list(key), _status_list(key, (SLOT,)), tmp_path)
    made.credential = made.sign(unsigned)
    made.token = made.token_for(made.credential)
    return made


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, check=False, cwd=cwd, timeout=60)
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


def _failed(done: subprocess.CompletedProcess[str], english: str) -> bool:
    return any(line.startswith("[ไม่ผ่าน / FAILED]") and english in line
               for line in done.stdout.splitlines())


# -- the whole credential ----------------------------------------------------------------------

def test_a_genuine_credential_verifies_with_every_check(issued: Issued, tmp_path: Path) -> None:
    path = issued.write("doc.vc.json", issued.credential)
    done = run(path, "--now", NOW, "--status-list", issued.write("list.json", issued.status_list),
               "--did", issued.did, cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    out = done.stdout
    assert "[ไม่ผ่าน" not in out
    for english in ("eddsa-jcs-2022 Data Integrity proof holds", "the issuer is the key",
                    "the ledger checkpoint is signed", "entry 1 (position 102)",
                    "entry 3 (position 106)", "has not expired", "status list's own proof",
                    "is not revoked", "the --did given"):
        assert english in out, english
    assert "ลายมือชื่ออิเล็กทรอนิกส์" in out
    assert "RESULT: VALID" in out


def test_without_a_status_list_it_says_revocation_was_not_checked(issued: Issued) -> None:
    done = run(issued.write("doc.vc.json", issued.credential), "--now", NOW)
    assert done.returncode == 0, done.stdout
    assert "revocation not checked" in done.stdout


def _alter_subject(c: dict[str, Any]) -> None:
    c["credentialSubject"]["salary"] = 90_000


def _alter_valid_until(c: dict[str, Any]) -> None:
    c["validUntil"] = "2027-04-05T16:59:59Z"


def _alter_event_hash(c: dict[str, Any]) -> None:
    c["evidence"][0]["events"][1]["eventHash"] = hashlib.sha256(b"forged").hexdigest()


def _alter_proof_hash(c: dict[str, Any]) -> None:
    path = c["evidence"][0]["events"][0]["inclusionProof"]
    path[0] = path[0][:-1] + ("0" if path[0][-1] != "0" else "1")


def _alter_checkpoint(c: dict[str, Any]) -> None:
    c["evidence"][0]["checkpoint"] = c["evidence"][0]["checkpoint"].replace("\n7\n", "\n8\n")


def _alter_proof_value(c: dict[str, Any]) -> None:
    value = c["proof"]["proofValue"]
    c["proof"]["proofValue"] = value[:10] + ("2" if value[10] != "2" else "3") + value[11:]


@pytest.mark.parametrize(("alter", "caught_by"), [
    (_alter_subject, "proof holds"),
    (_alter_valid_until, "proof holds"),
    (_alter_event_hash, "entry 2 (position 105)"),
    (_alter_proof_hash, "entry 1 (position 102)"),
    (_alter_checkpoint, "the ledger checkpoint is signed"),
    (_alter_proof_value, "proof holds"),
])
def test_each_single_alteration_is_refused(issued: Issued, alter: Callable[[dict[str, Any]], None],
                                           caught_by: str) -> None:
    altered = copy.deepcopy(issued.credential)
    alter(altered)
    done = run(issued.write("altered.vc.json", altered), "--now", NOW)
    assert done.returncode == 1, done.stdout
    assert _failed(done, caught_by), done.stdout
    assert "RESULT: NOT VALID" in done.stdout


@pytest.mark.parametrize(("alter", "caught_by"), [
    (_alter_event_hash, "entry 2 (position 105)"),
    (_alter_proof_hash, "entry 1 (position 102)"),
    (_alter_checkpoint, "the ledger checkpoint is signed"),
])
def test_the_ledger_evidence_is_checked_even_when_the_issuer_signs_it(
        issued: Issued, alter: Callable[[dict[str, Any]], None], caught_by: str) -> None:
    # The issuer's own signature over bad evidence does not make the evidence hold.
    unsigned = copy.deepcopy(issued.unsigned)
    alter(unsigned)
    done = run(issued.write("resigned.vc.json", issued.sign(unsigned)), "--now", NOW)
    assert done.returncode == 1, done.stdout
    assert _failed(done, caught_by), done.stdout
    assert not _failed(done, "proof holds")


def test_a_checkpoint_of_another_size_than_tree_size_is_refused(issued: Issued) -> None:
    unsigned = copy.deepcopy(issued.unsigned)
    unsigned["evidence"][0]["treeSize"] = 8
    done = run(issued.write("size.vc.json", issued.sign(unsigned)), "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "treeSize")


def test_an_issuer_other_than_the_signer_is_refused(issued: Issued) -> None:
    unsigned = copy.deepcopy(issued.unsigned)
    unsigned["issuer"]["id"] = did_key(Ed25519PrivateKey.generate().public_key())
    done = run(issued.write("issuer.vc.json", issued.sign(unsigned)), "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "the issuer is the key that signed")


def test_an_expired_credential_is_refused(issued: Issued) -> None:
    path = issued.write("doc.vc.json", issued.credential)
    done = run(path, "--now", LATER)
    assert done.returncode == 1
    assert _failed(done, "has not expired")
    assert "expired at 2026-04-05T16:59:59Z" in done.stdout


def test_a_revoked_credential_is_refused(issued: Issued) -> None:
    done = run(issued.write("doc.vc.json", issued.credential), "--now", NOW,
               "--status-list", issued.write("revoked.json", issued.revoked_list))
    assert done.returncode == 1
    assert _failed(done, "is not revoked")
    assert f"bit {SLOT} is set" in done.stdout


def test_a_status_list_by_another_key_or_of_another_url_is_refused(issued: Issued) -> None:
    credential = issued.write("doc.vc.json", issued.credential)
    other = _status_list(Ed25519PrivateKey.generate())
    done = run(credential, "--now", NOW, "--status-list", issued.write("other.json", other))
    assert done.returncode == 1
    assert _failed(done, "status list's own proof")
    elsewhere = _status_list(issued.key, url=LIST_URL.replace("/1", "/2"))
    done = run(credential, "--now", NOW, "--status-list", issued.write("else.json", elsewhere))
    assert done.returncode == 1
    assert _failed(done, "the one the credential names")
    forged = copy.deepcopy(issued.revoked_list)
    forged["credentialSubject"]["encodedList"] = issued.status_list["credentialSubject"][
        "encodedList"]
    done = run(credential, "--now", NOW, "--status-list", issued.write("forged.json", forged))
    assert done.returncode == 1
    assert _failed(done, "status list's own proof")


def test_a_wrong_did_is_refused(issued: Issued) -> None:
    other = did_key(Ed25519PrivateKey.generate().public_key())
    done = run(issued.write("doc.vc.json", issued.credential), "--now", NOW, "--did", other)
    assert done.returncode == 1
    assert _failed(done, "the --did given")


# -- the PDF and the QR ------------------------------------------------------------------------

def _pdf(attachments: dict[str, bytes]) -> bytes:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    for name, data in attachments.items():
        writer.add_attachment(name, data)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_of(issued: Issued, credential: dict[str, Any], token: str) -> Path:
    data = _pdf({"doc-1.vc.json": json.dumps(credential, ensure_ascii=False).encode(),
                 "doc-1.token.txt": token.encode()})
    return issued.write("doc-1.pdf", data)


def test_a_genuine_pdf_verifies_with_its_token(issued: Issued) -> None:
    done = run(_pdf_of(issued, issued.credential, issued.token), "--now", NOW,
               "--status-list", issued.write("list.json", issued.status_list))
    assert done.returncode == 0, done.stdout
    for english in ("COSE signature holds under its kid", "signed by the credential's issuer",
                    "names this very credential", "the token has not expired"):
        assert english in done.stdout, english


def test_a_pdf_whose_token_was_reencoded_with_another_key_is_refused(issued: Issued) -> None:
    forger = Ed25519PrivateKey.generate()
    # A changed claim, signed again by the forger: the signature holds under its own kid, but
    # the key is not the issuer's and h no longer names the credential.
    token = issued.token_for(issued.credential, forger, h="00" * 32)
    done = run(_pdf_of(issued, issued.credential, token), "--now", NOW)
    assert done.returncode == 1, done.stdout
    assert _failed(done, "signed by the credential's issuer")
    assert _failed(done, "names this very credential")
    # The same claims, signed by another key, are refused too.
    done = run(_pdf_of(issued, issued.credential, issued.token_for(issued.credential, forger)),
               "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "signed by the credential's issuer")


def test_a_pdf_whose_token_names_another_credential_is_refused(issued: Issued) -> None:
    token = issued.token_for(issued.credential, h=_digest(issued.unsigned))
    done = run(_pdf_of(issued, issued.credential, token), "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "names this very credential")


def test_a_pdf_with_an_altered_credential_is_refused(issued: Issued) -> None:
    altered = copy.deepcopy(issued.credential)
    _alter_subject(altered)
    done = run(_pdf_of(issued, altered, issued.token), "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "proof holds")
    assert _failed(done, "names this very credential")


def test_a_pdf_without_its_credential_is_unreadable(issued: Issued) -> None:
    path = issued.write("bare.pdf", _pdf({"doc-1.token.txt": issued.token.encode()}))
    assert run(path, "--now", NOW).returncode == 2


def test_the_qr_link_alone_verifies_its_signature_and_expiry(issued: Issued) -> None:
    link = f"https://tabien.example/verify#{quote(issued.token, safe=':$*+-./')}\n"
    path = issued.write("qr.txt", link)
    done = run(path, "--now", NOW, "--did", issued.did)
    assert done.returncode == 0, done.stdout
    assert "COSE signature holds" in done.stdout
    assert run(issued.write("token.txt", issued.token), "--now", NOW).returncode == 0
    done = run(path, "--now", LATER)
    assert done.returncode == 1
    assert _failed(done, "the token has not expired")
    done = run(path, "--now", NOW, "--status-list", issued.write("revoked.json",
                                                                  issued.revoked_list))
    assert done.returncode == 1
    assert _failed(done, "is not revoked")


def test_a_qr_token_reencoded_with_another_key_is_refused_against_the_did(
        issued: Issued) -> None:
    forged = issued.token_for(issued.credential, Ed25519PrivateKey.generate(), s=90_000)
    done = run(issued.write("qr.txt", forged), "--now", NOW, "--did", issued.did)
    assert done.returncode == 1
    assert _failed(done, "the --did given")


def test_a_tampered_qr_token_is_refused(issued: Issued) -> None:
    import zlib

    import base45
    import cbor2

    message = cbor2.loads(zlib.decompress(base45.b45decode(issued.token[4:])))
    protected, unprotected, payload, signature = message.value
    claims = cbor2.loads(payload)
    claims[-65537]["s"] = 90_000
    forged_message = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected,
                                                    cbor2.dumps(claims), signature]))
    forged = "TB1:" + base45.b45encode(zlib.compress(forged_message)).decode()
    done = run(issued.write("qr.txt", forged), "--now", NOW)
    assert done.returncode == 1
    assert _failed(done, "COSE signature holds")


# -- input that is no document -----------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"\x00\x01\x02garbage\xff\xfe",
    b"hello, this is not a certificate",
    b"[1, 2, 3]",
    b"{not json",
    b"TB1:NOT-BASE45!!",
    b"https://tabien.example/verify#TB1:%25%25%25",
    b"%PDF-1.7 then nothing",
    b"",
])
def test_garbage_is_unreadable(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.bin"
    path.write_bytes(content)
    done = run(path)
    assert done.returncode == 2, done.stdout
    assert "UNREADABLE" in done.stdout


def test_a_missing_file_or_a_bad_now_is_unreadable(issued: Issued, tmp_path: Path) -> None:
    assert run(tmp_path / "absent.json").returncode == 2
    path = issued.write("doc.vc.json", issued.credential)
    assert run(path, "--now", "yesterday").returncode == 2
    assert run(path, "--status-list", issued.write("bad.json", "{")).returncode == 2


@pytest.mark.parametrize("mangle", [
    lambda c: c.update(evidence="nothing"),
    lambda c: c.update(evidence=[{"checkpoint": 7, "checkpointKey": None}]),
    lambda c: c["evidence"][0].update(events=[1, None, {"leafIndex": 10**40}]),
    lambda c: c["evidence"][0].update(events=[{"eventHash": "zz", "leafIndex": True,
                                               "inclusionProof": "ab"}]),
    lambda c: c["evidence"][0].update(checkpointKey="a+b+c"),
    lambda c: c["evidence"][0].update(checkpoint="\u2014 x +++\n\n"),
    lambda c: c.update(proof={"proofValue": 5, "verificationMethod": ["did:key:z"]}),
    lambda c: c["proof"].update(verificationMethod="did:key:z0OIl"),
    lambda c: c["proof"].update(proofValue="z" + "1" * 300),
    lambda c: c.update(proof=[]),
    lambda c: c.update(issuer=None, validUntil=12, credentialStatus="x"),
    lambda c: c.update(validUntil="2026-13-45T99:00:00Z"),
])
def test_malformed_credentials_fail_without_a_traceback(
        issued: Issued, mangle: Callable[[dict[str, Any]], None]) -> None:
    mangled = copy.deepcopy(issued.credential)
    mangle(mangled)
    done = run(issued.write("mangled.vc.json", mangled), "--now", NOW,
               "--status-list", issued.write("list.json", issued.status_list))
    assert done.returncode == 1, done.stdout + done.stderr


def test_a_deeply_nested_credential_is_refused_without_a_traceback(issued: Issued) -> None:
    path = issued.write("deep.vc.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert run(path).returncode in (1, 2)


# -- what the script is ------------------------------------------------------------------------

def test_the_script_imports_nothing_of_tabien() -> None:
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "a relative import"
            imported.add((node.module or "").split(".")[0])
    allowed = {"cryptography", "rfc8785", "cbor2", "base45", "pypdf"}
    assert imported - allowed <= set(sys.stdlib_module_names), imported
    assert not imported & {"ledger", "commands", "projections", "api", "audit", "tests"}
    assert {"cryptography", "rfc8785", "cbor2", "base45", "pypdf"} <= imported


def test_the_w3c_eddsa_jcs_2022_vector_verifies(tmp_path: Path) -> None:
    done = run(VECTOR, "--proof-only", cwd=tmp_path)
    assert done.returncode == 0, done.stdout
    assert "eddsa-jcs-2022 Data Integrity proof holds" in done.stdout
    assert "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" in done.stdout
    # Without --proof-only it is no tabien certificate: it carries no ledger evidence.
    done = run(VECTOR, cwd=tmp_path)
    assert done.returncode == 1
    assert _failed(done, "no ledger evidence")
    assert not _failed(done, "proof holds")
    altered = json.loads(VECTOR.read_text(encoding="utf-8"))
    altered["credentialSubject"]["alumniOf"] = "Another School"
    (tmp_path / "altered.json").write_text(json.dumps(altered), encoding="utf-8")
    assert run(tmp_path / "altered.json", "--proof-only").returncode == 1
