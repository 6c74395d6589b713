"""A finding: one thing verification found wrong, said so that an auditor can find it.

Shared by the ledger's verification (``audit``) and the record view's (``projections.
view_check``), which does not import ``audit``: both report in the one form.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Finding"]


@dataclass(frozen=True)
class Finding:
    """One thing that is wrong: which check, where, and what."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"
