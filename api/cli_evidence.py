"""``tabien evidence``: attach evidence files to records and read them back, checked.

Registered on the main app by ``api.cli``; the helpers it shares with the other command
modules come from ``api.cli_common``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from api.cli_common import (
    check_area,
    err,
    exit_with,
    log_access,
    open_ledger,
    out,
    translate_errors,
)
from commands.bootstrap import DEMO_AREA
from ledger.errors import InvalidInput, TabienError
from ledger.evidence import EvidenceStore

if TYPE_CHECKING:
    from ledger.application import Ledger

__all__ = ["evidence_app"]

evidence_app = typer.Typer(
    help="Evidence files (เอกสารหลักฐาน): attach a file to a record, store it, show it.",
    no_args_is_help=True,
)

_SIGNERS = ("registrar", "authority")


def _read_file(path: Path, store: EvidenceStore) -> bytes:
    """The file's bytes; its size is checked first so a huge file is never read."""
    try:
        store.check_size(path.stat().st_size)
        return path.read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror or e}",
                           f"อ่านไฟล์ {path} ไม่ได้: {e.strerror or e}") from None


def _check_signer(signer: str) -> None:
    if signer not in _SIGNERS:
        raise InvalidInput(f"unknown signer {signer!r}: use registrar or authority",
                           f"ไม่รู้จักผู้ลงนาม {signer!r}")


@evidence_app.command("attach")
def attach(
    national_id: Annotated[str, typer.Argument(help="เลขประจำตัวประชาชน of the record")],
    file: Annotated[Path, typer.Argument(help="the evidence file (PDF, image, …)")],
    to: Annotated[int, typer.Option("--to", help="version of the entry it documents; "
                                                 "0 = the record as a whole")],
    description: Annotated[str, typer.Option(help="what the document is")],
    order_authority: Annotated[str, typer.Option(help="authority of the order it belongs to")],
    order_number: Annotated[str, typer.Option(help="number of that order, e.g. 123/2567")],
    order_date: Annotated[str, typer.Option(help="date of that order (2024-04-01 or 1/4/2567)")],
    effective_date: Annotated[str | None, typer.Option(
        help="when the entry takes effect; default: the order's date")] = None,
    media_type: Annotated[str | None, typer.Option(
        help="e.g. application/pdf; default: guessed from the file name")] = None,
    signer: Annotated[str, typer.Option(help="registrar or authority")] = "registrar",
    area: Annotated[str, typer.Option(help="education area of the signing key")] = DEMO_AREA,
) -> None:
    """Store a file and append a signed entry referring to it (แนบเอกสารหลักฐาน)."""
    from commands.bootstrap import load_key_set
    from commands.evidence import Attachment, attach_evidence
    from ledger.config import evidence_dir, keys_dir
    from ledger.keys import KeyStore
    from ledger.thaidate import parse_date
    from ledger.vocabulary import OrderRef, check_cited_number

    with translate_errors():
        _check_signer(signer)
        evidence = EvidenceStore(evidence_dir())
        order = OrderRef(order_authority, check_cited_number(order_number),
                         parse_date(order_date))
        attachment = Attachment(
            national_id=national_id, data=_read_file(file, evidence), name=file.name,
            attached_to=to, description=description, order=order,
            effective_date=parse_date(effective_date) if effective_date else order.order_date,
            media_type=media_type)
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        check_area(ledger, area)
        keys = load_key_set(store, area)
        ref, position = attach_evidence(ledger, getattr(keys, signer),
                                        store.identity_secret(), evidence, attachment)
    target = f"entry {to}" if to else "the record"
    out.print(f"[green]✓[/] {ref.name} ({ref.media_type}, {ref.size:,} bytes) attached to "
              f"{target} at position {position}", soft_wrap=True)
    out.print(f"  sha256 {ref.sha256}", highlight=False)


@evidence_app.command("put")
def put(
    file: Annotated[Path, typer.Argument(help="the evidence file")],
    media_type: Annotated[str | None, typer.Option(
        help="e.g. application/pdf; default: guessed from the file name")] = None,
) -> None:
    """Store a file only, and print its reference as JSON for `tabien append` (เก็บไฟล์)."""
    from ledger.config import evidence_dir

    with translate_errors():
        evidence = EvidenceStore(evidence_dir())
        ref = evidence.put(_read_file(file, evidence), file.name, media_type)
    typer.echo(orjson.dumps(ref, option=orjson.OPT_SORT_KEYS).decode())


@evidence_app.command("show")
def show(
    sha256: Annotated[str, typer.Argument(help="the file's SHA-256 (64 hex digits)")],
    output: Annotated[Path | None, typer.Option(
        help="write the file here; default: standard output")] = None,
    purpose: Annotated[str, typer.Option(help="why it is read (kept in the access log)")]
    = "ดูเอกสารหลักฐาน",
) -> None:
    """Write a stored file out after re-checking its hash (แสดงเอกสารหลักฐาน).

    The read is logged against every record that refers to the file (PDPA). Exit 1 when the
    stored file no longer has that hash.
    """
    from ledger.config import evidence_dir
    from ledger.errors import IntegrityError

    with translate_errors():
        sha256 = sha256.strip().lower()
        try:
            data = EvidenceStore(evidence_dir()).read_sha256(sha256)
        except IntegrityError as e:
            raise exit_with(e, code=1) from None
        _log_evidence_read(open_ledger(), sha256, purpose)
        if output is None:
            typer.echo(data, nl=False)
            return
        _write_output(output, data)
    err.print(f"[green]✓[/] {len(data):,} bytes written to {output} (hash checked)",
              soft_wrap=True)


def _log_evidence_read(ledger: Ledger, sha256: str, purpose: str) -> None:
    """A file is personal data of the records that refer to it: one access entry for each.
    A file no record refers to yet (stored by ``put``, or the view not caught up) is logged
    as a read in the operator's area, naming the hash, so no read goes unrecorded."""
    from commands.access import log_area_export
    from commands.bootstrap import load_key_set
    from ledger.config import keys_dir
    from ledger.keys import KeyStore
    from projections.record_projection import open_view

    records = open_view().records_referring_to(sha256)
    for record_id in records:
        log_access(ledger, record_id, purpose)
    if not records:
        log_area_export(ledger, load_key_set(KeyStore(keys_dir())).service, DEMO_AREA,
                        purpose=purpose, records=0, detail=f"evidence {sha256}")


def _write_output(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as e:
        raise TabienError(f"cannot write {path}: {e.strerror or e}",
                          f"เขียนไฟล์ {path} ไม่ได้: {e.strerror or e}") from None
