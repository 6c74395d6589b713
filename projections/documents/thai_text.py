"""Thai text for the page: words (PyThaiNLP's newmm, with abbreviations, identifiers and
brackets kept whole), lines broken between words by measured width, Thai digits."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from pythainlp.tokenize import word_tokenize
from pythainlp.util import arabic_digit_to_thai_digit

__all__ = ["thai_digits_of", "wrap_words"]


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    # Cached: a form repeats the same labels and cell texts on every page and every record.
    words: list[str] = []
    for token in word_tokenize(text, engine="newmm", keep_whitespace=True):
        # newmm cuts identifiers at punctuation (did:key:z6Mk…); a run without Thai or
        # spaces is one word, broken only when it is wider than a line. It also cuts
        # abbreviations at their dots (มี.ค., พ.ศ., สพม.16), which are one word on paper.
        if words and ((_latin(token) and _latin(words[-1])) or _abbreviated(words[-1], token)):
            words[-1] += token
        else:
            words.append(token)
        if "." in token:
            _join_stem(words)
    return tuple(words)


_STEM = 6  # the longest abbreviation up to its dot (สพม., ผอ.)


def _join_stem(words: list[str]) -> None:
    """Join the short pieces newmm cut an unknown abbreviation into (ส|พม before .16)."""
    while (len(words) >= 2 and not words[-2].isspace() and not words[-2].endswith(".")
           and len(words[-2]) + len(words[-1]) <= _STEM):
        words[-2:] = [words[-2] + words[-1]]


def _abbreviated(before: str, token: str) -> bool:
    # Brackets stay with the words they enclose: "(ทดลอง", "ราชการ)", never "(" alone.
    return not token.isspace() and (token.startswith((".", ")")) or before.endswith((".", "(")))


def _latin(token: str) -> bool:
    return not token.isspace() and not any("\u0e00" <= char <= "\u0e7f" for char in token)


def thai_digits_of(text: str, thai_digits: bool) -> str:
    return str(arabic_digit_to_thai_digit(text)) if thai_digits and text else text


def _is_mark(char: str) -> bool:
    # Thai above/below vowels and tone marks attach to the character before them.
    return char in "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49" \
                   "\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"


def wrap_words(text: str, width: float, measure: Callable[[str], float], *,
               first_width: float | None = None) -> list[str]:
    """``text`` as lines no wider than ``width`` (the first ``first_width``, for a paragraph
    indented the Thai way), broken only between words; a word wider than a whole line, such
    as a long identifier, is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in _words(paragraph):
            room = first_width if first_width is not None and not lines else width
            pieces = _split_long(word, room, measure) if measure(word) > room else [word]
            for piece in pieces:
                size = measure(piece)
                if line and used + size > room:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                if line or not piece.isspace():  # a break eats the space it replaces
                    line += piece
                    used += size
        lines.append(line.rstrip())
    return lines


def _split_long(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    pieces, piece = [], ""
    for char in word:
        if piece and not _is_mark(char) and measure(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]

