"""``tabien audit …``: proofs and checkpoints for auditors and witnesses."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import console_out, log_access, open_ledger, out, translate_errors

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

audit_app = typer.Typer(help="The auditor's tools (เครื่องมือผู้ตรวจสอบ): proofs, checkpoints.",
                        no_args_is_help=True)
checkpoints_app = typer.Typer(help="Signed checkpoints for witnesses.", no_args_is_help=True)
audit_app.add_typer(checkpoints_app, name="checkpoints")


def _checkpoint_vkeys() -> list[str]:
    from commands.keys import list_keys
    from ledger.note import verifier_key

    return [verifier_key(k.name, k.public_key) for k in list_keys(open_ledger())
            if k.role == "checkpoint"]


@audit_app.command("proof")
def audit_proof(
    position: Annotated[int, typer.Option(help="the event's position (notification id)")],
    out: Annotated[Path, typer.Option(help="where to write the proof (JSON)")],
    checkpoint: Annotated[int | None, typer.Option(help="checkpoint size (default: latest)")]
    = None,
) -> None:
    """An inclusion proof of one event under a signed checkpoint (หลักฐานการอยู่ในสมุด)."""
    from audit.proofs import inclusion_file

    with translate_errors():
        ledger = open_ledger()
        out.write_bytes(inclusion_file(ledger.store, position, checkpoint_size=checkpoint))
    console_out(f"✓ inclusion proof written to {out}; check it with "
                "`python audit/standalone.py KEY.vkey FILE`")


@audit_app.command("consistency")
def audit_consistency(
    old: Annotated[int, typer.Option(help="size of the earlier checkpoint")],
    out: Annotated[Path, typer.Option(help="where to write the proof (JSON)")],
    new: Annotated[int | None, typer.Option(help="size of the later one (default: latest)")]
    = None,
) -> None:
    """A consistency proof between two signed checkpoints (หลักฐานความต่อเนื่อง)."""
    from audit.proofs import consistency_file

    with translate_errors():
        ledger = open_ledger()
        out.write_bytes(consistency_file(ledger.store, old, new))
    console_out(f"✓ consistency proof written to {out}")


@checkpoints_app.command("export")
def checkpoints_export(
    out: Annotated[Path, typer.Option(help="file for the witness (JSON lines)")],
) -> None:
    """Every signed checkpoint and the checkpoint key, for a witness to keep (ส่งออก)."""
    from audit.proofs import export_checkpoints

    with translate_errors():
        keys = _checkpoint_vkeys()
        ledger = open_ledger()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export_checkpoints(ledger.store, keys))
        for key in keys:
            out.with_suffix(".vkey").write_text(key + "\n", encoding="utf-8")
    console_out(f"✓ checkpoints written to {out} (verifier key: {out.with_suffix('.vkey')})")


def _record_id(national_id: str) -> object:
    from ledger.config import keys_dir
    from ledger.identity import normalise_national_id, record_id_for
    from ledger.keys import KeyStore

    return record_id_for(normalise_national_id(national_id),
                         KeyStore(keys_dir()).identity_secret())


_PURPOSE = "การตรวจสอบของผู้ตรวจสอบ (audit)"


@audit_app.command("timeline")
def audit_timeline(
    national_id: str,
    purpose: Annotated[str, typer.Option(help="why it is read (kept in the access log)")]
    = _PURPOSE,
) -> None:
    """Every event of a record: dates, position, order, signer and key (ลำดับเหตุการณ์)."""
    from rich.console import Console
    from rich.table import Table

    from audit.timeline import timeline
    from ledger.errors import NotFound
    from ledger.thaidate import format_thai_date, format_thai_datetime

    with translate_errors():
        ledger = open_ledger()
        record_id = _record_id(national_id)
        entries = timeline(ledger.store, ledger.mapper, record_id)  # type: ignore[arg-type]
        if not entries:
            raise NotFound("no record for this national ID",
                           "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้")
        log_access(ledger, record_id, purpose)
    table = Table("v", "รายการ", "มีผล", "บันทึกเมื่อ", "ตำแหน่งในสมุด", "คำสั่ง",
                  "ผู้ลงนาม (key)", "แก้ไข/ยกเลิก")
    for e in entries:
        links = (f"แก้ไขรายการที่ {e.amends}" if e.amends else "") + \
            (f"ถูกแก้ไขโดย {', '.join(map(str, e.amended_by))}" if e.amended_by else "")
        table.add_row(str(e.version), e.label_th, format_thai_date(e.effective_date),
                      format_thai_datetime(e.recorded_at), str(e.position), e.order, e.key_id,
                      links or "-")
    Console(width=max(out.width, 200)).print(table)


@audit_app.command("diff")
def audit_diff(
    national_id: str,
    from_: Annotated[str, typer.Option("--from", help="first point (date or ISO time)")],
    to: Annotated[str, typer.Option(help="second point")],
    axis: Annotated[str, typer.Option(help="effective (as of) or known (as known at)")]
    = "effective",
    purpose: Annotated[str, typer.Option(help="why it is read (kept in the access log)")]
    = _PURPOSE,
) -> None:
    """What changed in a record between two points, in either time axis (เปรียบเทียบ)."""
    from typing import Any, cast
    from uuid import UUID

    from api.cli_records import _known_at
    from ledger.errors import InvalidInput, NotFound
    from ledger.record import PersonnelRecord
    from ledger.thaidate import parse_date
    from projections.diff import diff_records
    from projections.kks16 import build_record

    with translate_errors():
        if axis not in ("effective", "known"):
            raise InvalidInput("--axis is effective or known", "--axis ต้องเป็น effective หรือ known")
        # Both points are read before anything is logged: a refused date writes nothing.
        if axis == "effective":
            points: list[dict[str, Any]] = [{"as_of": parse_date(p)} for p in (from_, to)]
        else:
            points = [{"known_at": _known_at(p)} for p in (from_, to)]
        ledger = open_ledger()
        record_id = cast(UUID, _record_id(national_id))
        events = cast(list[PersonnelRecord.Event], list(ledger.events.get(record_id)))
        if not events:
            raise NotFound("no record for this national ID",
                           "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้")
        log_access(ledger, record_id, purpose)
        before, after = (build_record(events, **point) for point in points)
    changes = diff_records(before, after)
    if not changes:
        out.print("no difference / ไม่มีความแตกต่าง")
    for name, old, new in changes:
        out.print(f"{name}: {old} → {new}", markup=False, soft_wrap=True)


@audit_app.command("access")
def audit_access(national_id: str) -> None:
    """Who read a record, when, through what, for what purpose (บันทึกการเข้าถึงข้อมูล)."""
    from typing import cast
    from uuid import UUID

    from commands.access import accesses_of
    from ledger.thaidate import format_thai_datetime

    with translate_errors():
        ledger = open_ledger()
        entries = accesses_of(ledger, cast(UUID, _record_id(national_id)))
    if not entries:
        out.print("no reads recorded / ยังไม่มีการเข้าถึง")
    for e in entries:
        out.print(f"{format_thai_datetime(e.read_at)} | {e.reader} | {e.channel} | {e.purpose}",
                  markup=False, soft_wrap=True)


def witness(
    state: Annotated[Path, typer.Option(help="the witness's own file of checkpoints seen "
                                        "(JSON lines; `tabien verify --against` reads it)")],
    key: Annotated[Path, typer.Option(help="the witness's Ed25519 private key (PEM, PKCS#8); "
                                      "made if missing")],
    name: Annotated[str, typer.Option(help="the witness's key name")] = "tabien-witness",
) -> None:
    """Witness the ledger's latest checkpoint: check that it extends the last one seen,
    cosign it and keep it; refuse a rollback or a fork (exit 1) (พยานจุดตรวจสอบ)."""
    from audit.proofs import latest_with_consistency
    from audit.witness import Refused, Witness, cosigner_key

    with translate_errors():
        private_key = _witness_key(key)
        kept = Witness(state, name, private_key)
        ledger = open_ledger()
        since = kept.last.size if kept.last is not None else 0
        note, proof = latest_with_consistency(ledger.store, since)
        try:
            kept.witness(note, proof, _checkpoint_vkeys())
        except Refused as e:
            from api.cli_common import exit_with

            raise exit_with(e, 1) from None
    last = kept.last
    assert last is not None
    console_out(f"✓ cosigned the checkpoint of size {last.size} "
                f"({cosigner_key(name, private_key.public_key())})")


def _witness_key(path: Path) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        load_pem_private_key,
    )

    if not path.exists():
        made = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(made.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    loaded = load_pem_private_key(path.read_bytes(), None)
    assert isinstance(loaded, Ed25519PrivateKey)
    return loaded
