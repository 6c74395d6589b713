"""``tabien copy issue``, ``tabien certificate issue|verify|revoke``: certified copies of the
ก.ค.ศ.16 and certificates, issued from the ledger and verifiable by anyone (e-services)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from api.cli_common import console_out, err, open_ledger, out, translate_errors
from ledger.errors import InvalidInput
from ledger.thaidate import format_thai_date, parse_date

copy_app = typer.Typer(help="Certified copies of the ก.ค.ศ.16 (สำเนาทะเบียนประวัติ รับรองสำเนาถูกต้อง).",
                       no_args_is_help=True)
certificate_app = typer.Typer(
    help="Certificates (หนังสือรับรอง): issue, verify, revoke.", no_args_is_help=True)

NationalId = Annotated[str, typer.Option("--national-id", help="the person's national ID")]
Purpose = Annotated[str, typer.Option(help="what the document is for (วัตถุประสงค์)")]
ThaiDigits = Annotated[bool, typer.Option(help="numbers and dates in Thai digits (เลขไทย)")]
OutDir = Annotated[Path, typer.Option("--out", help="folder to write the PDF and credential to")]


def _issue(kind: str, national_id: str, purpose: str, as_of: str, valid_days: int,
           out_dir: Path, thai_digits: bool) -> None:
    from api.certificates import CertificateDesk, IssueRequest
    from commands.access import current_reader
    from ledger.config import keys_dir, view_wait_seconds
    from ledger.keys import KeyStore
    from projections.record_projection import open_view

    with translate_errors():
        request = IssueRequest(kind=kind, national_id=national_id, purpose=purpose,
                               requested_by=current_reader(), channel="cli",
                               as_of=parse_date(as_of) if as_of else None,
                               valid_days=valid_days, thai_digits=thai_digits)
        ledger = open_ledger()
        desk = CertificateDesk(ledger, open_view(), KeyStore(keys_dir()),
                               wait=view_wait_seconds())
        issued = desk.issue(request)
    out_dir.mkdir(parents=True, exist_ok=True)
    pdf = out_dir / f"{issued.document_id}.pdf"
    credential = out_dir / f"{issued.document_id}.vc.json"
    pdf.write_bytes(issued.pdf)
    credential.write_bytes(issued.credential_json)
    out.print(f"[green]✓[/] {issued.kind} {issued.document_id} ({issued.area})")
    console_out(f"  PDF: {pdf}")
    console_out(f"  credential: {credential}")
    until = parse_date(issued.credential["validUntil"][:10])
    console_out(f"  ใช้ได้ถึง / valid until: {format_thai_date(until)}")
    console_out(issued.did)


@copy_app.command("issue")
def copy_issue(
    national_id: NationalId,
    purpose: Purpose,
    out_dir: OutDir = Path("."),
    as_of: Annotated[str, typer.Option(help="the record as it stood on this date")] = "",
    valid_days: Annotated[int, typer.Option(min=1, max=365, help="days it stays valid")] = 90,
    thai_digits: ThaiDigits = False,
) -> None:
    """Issue a certified copy of a person's ก.ค.ศ.16 (ออกสำเนาทะเบียนประวัติรับรองสำเนาถูกต้อง);
    prints the area certificate key's did:key."""
    _issue("copy", national_id, purpose, as_of, valid_days, out_dir, thai_digits)


@certificate_app.command("issue")
def certificate_issue(
    kind: Annotated[str, typer.Option(help="employment or salary")],
    national_id: NationalId,
    purpose: Purpose,
    out_dir: OutDir = Path("."),
    valid_days: Annotated[int, typer.Option(min=1, max=365, help="days it stays valid")] = 90,
    as_of: Annotated[str, typer.Option(help="the facts as they stood on this date")] = "",
    thai_digits: ThaiDigits = False,
) -> None:
    """Issue an employment or salary certificate (ออกหนังสือรับรอง); prints the area
    certificate key's did:key."""
    if kind not in ("employment", "salary"):
        with translate_errors():
            raise InvalidInput("--kind is employment or salary",
                               "--kind ต้องเป็น employment (รับรองการเป็นข้าราชการ) หรือ "
                               "salary (รับรองเงินเดือน)")
    _issue(kind, national_id, purpose, as_of, valid_days, out_dir, thai_digits)


@certificate_app.command("verify")
def certificate_verify(
    file: Annotated[Path, typer.Argument(help="a PDF, a credential (.vc.json) or a QR's text")],
    offline: Annotated[bool, typer.Option(help="do not consult the ledger")] = False,
) -> None:
    """Verify a certified copy or certificate (ตรวจสอบเอกสาร): exit 0 valid, 1 otherwise."""
    from audit.certificates import verify_bytes

    with translate_errors():
        if not file.is_file():
            raise InvalidInput(f"no such file: {file}", f"ไม่พบไฟล์ {file}")
        verdict = verify_bytes(file.read_bytes(), ledger=None if offline else open_ledger())
    colour = "green" if verdict.valid else "red"
    out.print(f"[bold {colour}]{verdict.status_th}[/] ({verdict.status})")
    if verdict.document_id:
        console_out(f"  {verdict.kind_th} เลขที่ {verdict.document_id}")
    for name in ("name", "position", "unit", "area", "salary", "asOf"):
        if verdict.subject.get(name):
            console_out(f"  {name}: {verdict.subject[name]}")
    if verdict.issuer:
        console_out(f"  issuer: {verdict.issuer}")
    for line in verdict.checked:
        console_out(f"  ✓ {line}")
    for english, thai in verdict.problems:
        err.print(f"  ✗ {thai}", markup=False, soft_wrap=True)
        err.print(f"    {english}", markup=False, soft_wrap=True)
    if not verdict.online:
        console_out("  (not checked against the ledger: revocation unknown / "
                    "ไม่ได้ตรวจกับบัญชีหลัก จึงไม่ทราบการเพิกถอน)")
    raise typer.Exit(0 if verdict.valid else 1)


@certificate_app.command("revoke")
def certificate_revoke(
    document_id: Annotated[str, typer.Argument(help="the document's id")],
    reason: Annotated[str, typer.Option(help="why it is revoked (เหตุผล)")],
) -> None:
    """Revoke a document with a reason, by the registrar of its area (เพิกถอนเอกสาร)."""
    from api.certificates import CertificateDesk
    from commands.access import current_reader
    from commands.bootstrap import current_key_set
    from ledger.config import keys_dir
    from ledger.document_index import index_of
    from ledger.keys import KeyStore
    from projections.record_projection import open_view

    with translate_errors():
        try:
            wanted = UUID(document_id)
        except ValueError:
            raise InvalidInput(f"{document_id!r} is not a document id",
                               f"{document_id!r} ไม่ใช่เลขที่เอกสาร") from None
        ledger = open_ledger()
        state = index_of(ledger).get(wanted)
        if state is None:
            from ledger.errors import NotFound

            raise NotFound(f"no document {wanted}", f"ไม่พบเอกสาร {wanted}")
        store = KeyStore(keys_dir())
        registrar = current_key_set(ledger, store, state.area).registrar
        CertificateDesk(ledger, open_view(), store).revoke(
            registrar, wanted, reason=reason, revoked_by=current_reader())
    out.print(f"[green]✓[/] revoked {wanted} / เพิกถอนแล้ว")
