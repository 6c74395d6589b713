"""The one error tree of tabien.

Every error carries an English message and a Thai message, so that each boundary
(CLI exit code and text, HTTP problem details) can translate it once::

    TabienError
    ├── InvalidInput            malformed or impossible input: nothing was written
    │   ├── InvalidNationalID
    │   ├── InvalidDate
    │   └── UnknownArea         an education area this ledger has no keys for
    ├── NotFound
    ├── Conflict                another writer got there first, or a duplicate
    ├── AlreadyWritten          an earlier run of the same request wrote it already
    ├── RuleViolation           a rule of the domain refuses the command
    ├── SignatureError          unsigned, wrongly signed, or signed by an invalid key
    └── IntegrityError          stored history does not match its hashes, chain or proofs
"""

from __future__ import annotations

__all__ = [
    "AlreadyWritten",
    "Conflict",
    "IntegrityError",
    "InvalidDate",
    "InvalidInput",
    "InvalidNationalID",
    "NotFound",
    "RuleViolation",
    "SignatureError",
    "TabienError",
    "UnknownArea",
]


class TabienError(Exception):
    """Base of every error tabien raises on purpose."""

    code = "tabien-error"

    def __init__(self, message: str, message_th: str | None = None,
                 details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_th = message_th or message
        self.details = details or []

    def bilingual(self) -> str:
        """The Thai message, then the English one, as users see it."""
        if self.message_th == self.message:
            return self.message
        return f"{self.message_th} / {self.message}"


class InvalidInput(TabienError):
    code = "invalid-input"


class InvalidNationalID(InvalidInput):
    code = "invalid-national-id"


class InvalidDate(InvalidInput):
    code = "invalid-date"


class UnknownArea(InvalidInput):
    code = "unknown-area"


class NotFound(TabienError):
    code = "not-found"


class Conflict(TabienError):
    code = "conflict"


class AlreadyWritten(TabienError):
    """A write run again after its process died (its answer lost) finds a submission of its
    earlier run in the ledger: nothing is written a second time. Not a ``Conflict``: those
    are retried against the records as they are now, and this must never be."""

    code = "already-written"

    def __init__(self) -> None:
        super().__init__(
            "this request was carried out already, in whole or in part, by an earlier run "
            "whose answer was lost; nothing was written again (look at what it wrote, and "
            "send a new request if more is needed)",
            "คำขอนี้ได้บันทึกไว้แล้วทั้งหมดหรือบางส่วนโดยการส่งครั้งก่อนซึ่งไม่ได้รับคำตอบ ไม่มีการบันทึกซ้ำ "
            "(โปรดตรวจสอบสิ่งที่บันทึกไว้ และส่งคำขอใหม่หากยังต้องบันทึกเพิ่ม)")


class RuleViolation(TabienError):
    """A domain rule refused a command; ``rule`` names the rule."""

    code = "rule-violation"

    def __init__(self, rule: str, message: str, message_th: str | None = None) -> None:
        super().__init__(message, message_th, [f"rule / กฎ: {rule}"])
        self.rule = rule


class SignatureError(TabienError):
    code = "signature-error"


class IntegrityError(TabienError):
    code = "integrity-error"
