"""``tabien audit …``: proofs and checkpoints for auditors and witnesses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

audit_app = typer.Typer(help="The auditor's tools (เครื่องมือผู้ตรวจสอบ): proofs, checkpoints.",
                        no_args_is_help=True)
checkpoints_app = typer.Typer(help="Signed checkpoints for witnesses.", no_args_is_help=True)
audit_app.add_typer(checkpoints_app, name="checkpoints")


def _checkpoint_vkeys() -> list[str]:
    from api.cli import _open_ledger
    from commands.keys import list_keys
    from ledger.note import verifier_key

    return [verifier_key(k.name, k.public_key) for k in list_keys(_open_ledger())
            if k.role == "checkpoint"]


@audit_app.command("proof")
def audit_proof(
    position: Annotated[int, typer.Option(help="the event's position (notification id)")],
    out: Annotated[Path, typer.Option(help="where to write the proof (JSON)")],
    checkpoint: Annotated[int | None, typer.Option(help="checkpoint size (default: latest)")]
    = None,
) -> None:
    """An inclusion proof of one event under a signed checkpoint (หลักฐานการอยู่ในสมุด)."""
    from api.cli import _errors, _open_ledger, console_out
    from audit.proofs import inclusion_file

    with _errors():
        ledger = _open_ledger()
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
    from api.cli import _errors, _open_ledger, console_out
    from audit.proofs import consistency_file

    with _errors():
        ledger = _open_ledger()
        out.write_bytes(consistency_file(ledger.store, old, new))
    console_out(f"✓ consistency proof written to {out}")


@checkpoints_app.command("export")
def checkpoints_export(
    out: Annotated[Path, typer.Option(help="file for the witness (JSON lines)")],
) -> None:
    """Every signed checkpoint and the checkpoint key, for a witness to keep (ส่งออก)."""
    from api.cli import _errors, _open_ledger, console_out
    from audit.proofs import export_checkpoints

    with _errors():
        keys = _checkpoint_vkeys()
        ledger = _open_ledger()
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(export_checkpoints(ledger.store, keys))
        for key in keys:
            out.with_suffix(".vkey").write_text(key + "\n", encoding="utf-8")
    console_out(f"✓ checkpoints written to {out} (verifier key: {out.with_suffix('.vkey')})")
