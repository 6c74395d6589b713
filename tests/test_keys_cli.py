"""Key administration through the CLI: add, rotate, revoke — and what each does to signing."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.keys import find_key
from ledger.errors import SignatureError
from tests.conftest import LedgerEnv
from tests.factories import draft_order


def tabien(env: LedgerEnv, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env.cli_env)
    return result.exit_code, result.output


def test_a_new_key_can_sign_once_registered(ledger_env: LedgerEnv) -> None:
    code, output = tabien(ledger_env, "keys", "add", "registrar-spm16-2", "--role", "registrar",
                          "--area", "สพม.16", "--valid-days", "365")
    assert code == 0, output
    signer = ledger_env.store.signer("registrar-spm16-2")
    assert find_key(ledger_env.ledger, "registrar-spm16-2").valid_until is not None
    ledger_env.reopen().submit(signer, draft_order(1), purpose="signed by the new key")
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output


def test_a_rotated_key_stops_signing_and_its_successor_starts(ledger_env: LedgerEnv) -> None:
    old = ledger_env.keys.registrar
    code, output = tabien(ledger_env, "keys", "rotate", old.name, "registrar-spm16-next")
    assert code == 0, output
    ledger = ledger_env.reopen()
    with pytest.raises(SignatureError, match="rotated"):
        ledger.submit(old, draft_order(2), purpose="old key")
    ledger.submit(ledger_env.store.signer("registrar-spm16-next"), draft_order(2),
                  purpose="new key")
    code, output = tabien(ledger_env, "keys", "list")
    assert "rotated to" in output
    assert "registrar-spm16-next" in output
    assert tabien(ledger_env, "verify")[0] == 0


def test_a_revoked_key_stops_signing_but_its_history_stays_valid(ledger_env: LedgerEnv) -> None:
    ledger_env.ledger.submit(ledger_env.keys.registrar, draft_order(3), purpose="before")
    code, output = tabien(ledger_env, "keys", "revoke", ledger_env.keys.registrar.name,
                          "--reason", "ผู้ถือกุญแจย้ายไปเขตอื่น")
    assert code == 0, output
    with pytest.raises(SignatureError, match="revoked"):
        ledger_env.reopen().submit(ledger_env.keys.registrar, draft_order(4), purpose="after")
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output


@pytest.mark.parametrize(("args", "message"), [
    (["keys", "add", "x", "--role", "emperor"], "unknown key role"),
    (["keys", "add", "x", "--role", "registrar", "--valid-days", "0"], "at least one day"),
    (["keys", "revoke", "registrar-spm16", "--reason", " "], "needs a reason"),
    (["keys", "revoke", "nobody", "--reason", "x"], "no key named"),
    (["keys", "add", "../escape", "--role", "registrar"], "invalid key name"),
])
def test_bad_key_commands_are_refused_and_nothing_is_written(
        ledger_env: LedgerEnv, args: list[str], message: str) -> None:
    before = ledger_env.ledger.store.count_events()
    code, output = tabien(ledger_env, *args)
    assert code == 2, output
    assert message in output
    assert ledger_env.ledger.store.count_events() == before
