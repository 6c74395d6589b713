"""File names for clients that read only ASCII (a Content-Disposition's ``filename``, beside
the Thai ``filename*``): the ASCII words of a name, joined by underscores."""

from __future__ import annotations

import re

__all__ = ["ascii_words"]

_WORD = re.compile(r"[A-Za-z0-9]+")


def ascii_words(text: str, limit: int) -> str:
    """The ASCII letters and digits of ``text``, word by word joined with ``_``, cut to
    ``limit`` characters (``"scan 1"`` → ``"scan_1"``, ``"สพม.16"`` → ``"16"``; "" if none)."""
    return "_".join(_WORD.findall(text))[:limit]
