"""Evidence files (เอกสารหลักฐาน): scanned orders, certificates, photos, kept by their SHA-256.

A file is stored once under its own hash (``<dir>/sha256/<first 2 hex>/<other 62 hex>``), and
an event refers to it by an ``EvidenceRef`` holding that hash. The reference sits inside the
signed event, so the signature covers the file too: ``tabien verify`` recomputes each
referenced file's hash and reports a file that is missing or no longer matches.

The store never changes a file in place: a new file is written beside its final name and
renamed over it, so a crash leaves either no file or the whole file, never a partial one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import mimetypes
import os
import re
import tempfile
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.errors import IntegrityError, InvalidInput, NotFound, TabienError
from ledger.transcoder import register_value_class

__all__ = ["DEFAULT_MAX_BYTES", "REFERENCE_MARK", "EvidenceRef", "EvidenceStore",
           "can_hold_evidence", "files_referred_to"]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
"""Largest file the store accepts by default: a scanned multi-page order fits well within it."""

MAX_NAME_LENGTH = 255
_SHA256 = re.compile(r"[0-9a-f]{64}")
# RFC 6838 type/subtype names, in the lower case the canonical bytes of an event need.
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_FALLBACK_MEDIA_TYPE = "application/octet-stream"

REFERENCE_MARK = b'"sha256":"'
"""Every stored EvidenceRef has this key. Inside a string value a quote is escaped, so no text
can fake it."""
_REFERENCE = re.compile(rb'"sha256":"([0-9a-f]{64})"')


def check_sha256(sha256: object) -> str:
    """``sha256`` if it is 64 lowercase hex digits; refuse anything else (it becomes a path)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidInput(
            f"an evidence hash must be 64 lowercase hexadecimal digits (SHA-256), got "
            f"{str(sha256)[:80]!r}",
            f"รหัสแฮชของเอกสารหลักฐานต้องเป็นเลขฐานสิบหกตัวพิมพ์เล็ก 64 หลัก (SHA-256) "
            f"แต่ได้รับ {str(sha256)[:80]!r}")
    return sha256


def files_referred_to(state: bytes) -> set[str]:
    """The hash of every file an event's stored (canonical JSON) state refers to."""
    if REFERENCE_MARK not in state:
        return set()
    return {found.decode() for found in _REFERENCE.findall(state)}


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            f"an evidence file needs a name of 1 to {MAX_NAME_LENGTH} characters",
            f"ชื่อไฟล์เอกสารหลักฐานต้องยาว 1 ถึง {MAX_NAME_LENGTH} ตัวอักษร")
    # The name is only shown to people; refusing separators and control characters keeps
    # anyone from mistaking it for a path or spoofing a terminal line with it.
    if any(ch in "/\\" or not ch.isprintable() for ch in name):
        raise InvalidInput(
            f"evidence file name {name!r} contains a path separator or a control character",
            f"ชื่อไฟล์เอกสารหลักฐาน {name!r} มีตัวคั่นเส้นทางหรืออักขระควบคุม")


def _check_media_type(media_type: object) -> None:
    if not isinstance(media_type, str) or not _MEDIA_TYPE.fullmatch(media_type):
        raise InvalidInput(
            f"evidence media type {media_type!r} is not a lowercase type/subtype such as "
            "application/pdf",
            f"ชนิดสื่อของเอกสารหลักฐาน {media_type!r} ไม่ถูกต้อง (เช่น application/pdf)")


def _check_size(size: object) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise InvalidInput(f"evidence size must be a positive number of bytes, got {size!r}",
                           f"ขนาดของเอกสารหลักฐานต้องเป็นจำนวนไบต์ที่มากกว่าศูนย์ ได้รับ {size!r}")


@register_value_class
@dataclass(frozen=True)
class EvidenceRef:
    """A reference to one stored file, as it is written inside a signed event."""

    sha256: str
    name: str  # the original file name, for display only: the hash is what identifies it
    media_type: str
    size: int

    def __post_init__(self) -> None:
        check_sha256(self.sha256)
        _check_name(self.name)
        _check_media_type(self.media_type)
        _check_size(self.size)


def can_hold_evidence(cls: type[Any]) -> bool:
    """Whether a class (an event class, say) has a field that decodes to an ``EvidenceRef``.

    Decided from annotations as the transcoder reads them: it restores ``EvidenceRef``,
    ``EvidenceRef | None``, ``list[EvidenceRef]`` and value classes holding those, while a
    field typed ``dict``, ``tuple`` or ``Any`` comes back as plain JSON. A class whose
    annotations cannot be resolved is assumed to hold one, so nothing is skipped.
    """
    return _class_holds_evidence(cls, {cls})


def _class_holds_evidence(cls: type[Any], seen: set[type[Any]]) -> bool:
    try:
        hints = typing.get_type_hints(cls)
    except Exception:
        return True
    return any(_annotation_holds_evidence(hint, seen) for hint in hints.values())


def _annotation_holds_evidence(annotation: Any, seen: set[type[Any]]) -> bool:
    if annotation is EvidenceRef:
        return True
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is list:
        return any(_annotation_holds_evidence(arg, seen) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation) \
            and annotation not in seen:
        seen.add(annotation)  # value classes may refer to each other
        return _class_holds_evidence(annotation, seen)
    return False


def display_name(name: str) -> str:
    """The last component of a path as given (either separator), for ``EvidenceRef.name``."""
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _file_sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


class EvidenceStore:
    """A content-addressed folder of evidence files."""

    def __init__(self, directory: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes

    def path_for(self, sha256: str) -> Path:
        """Where the file with this hash lives; only a well-formed hash can name a path."""
        digest = check_sha256(sha256)
        return self.directory / "sha256" / digest[:2] / digest[2:]

    # ---------------------------------------------------------------- writing

    def describe(self, data: bytes, name: str, media_type: str | None = None) -> EvidenceRef:
        """The reference ``put`` would return, without writing anything (to check first)."""
        self.check_size(len(data))
        shown = display_name(name)
        guessed = media_type or mimetypes.guess_type(shown)[0] or _FALLBACK_MEDIA_TYPE
        return EvidenceRef(hashlib.sha256(data).hexdigest(), shown, guessed.strip().lower(),
                           len(data))

    def put(self, data: bytes, name: str, media_type: str | None = None) -> EvidenceRef:
        """Store ``data`` (once: the same bytes again are not written twice)."""
        ref = self.describe(data, name, media_type)
        # A file already there under its hash is kept only if it is intact; otherwise these
        # bytes, which are by definition the right ones for the hash, repair it.
        if self.problem(ref) is not None:
            try:
                self._write_atomically(self.path_for(ref.sha256), data)
            except OSError as e:
                raise TabienError(
                    f"cannot store the evidence file in {self.directory}: {e.strerror or e}",
                    f"จัดเก็บไฟล์เอกสารหลักฐานใน {self.directory} ไม่ได้: {e.strerror or e}",
                ) from e
        return ref

    def check_size(self, size: int) -> None:
        """Refuse an empty file or one over the limit (callers can ask before reading it)."""
        if size <= 0:
            raise InvalidInput("the evidence file is empty", "ไฟล์เอกสารหลักฐานว่างเปล่า")
        if size > self.max_bytes:
            raise InvalidInput(
                f"the evidence file is {size:,} bytes; the limit is {self.max_bytes:,}",
                f"ไฟล์เอกสารหลักฐานมีขนาด {size:,} ไบต์ เกินขนาดที่รับได้ "
                f"{self.max_bytes:,} ไบต์")

    @staticmethod
    def _write_atomically(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Same directory as the target, so os.replace is a rename on one file system.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o440)  # stored evidence is never edited in place
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        _sync_directory(path.parent)

    # ---------------------------------------------------------------- reading

    def read(self, ref: EvidenceRef) -> bytes:
        """The file's bytes, after checking them against the reference."""
        data = self.read_sha256(ref.sha256)
        if len(data) != ref.size:
            raise IntegrityError(
                f"evidence file {ref.sha256} is {len(data):,} bytes, the reference says "
                f"{ref.size:,}",
                f"ไฟล์เอกสารหลักฐาน {ref.sha256} มีขนาด {len(data):,} ไบต์ "
                f"แต่รายการอ้างอิงระบุ {ref.size:,} ไบต์")
        return data

    def read_sha256(self, sha256: str) -> bytes:
        """The bytes stored under a hash, after checking that they still have that hash."""
        path = self.path_for(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no evidence file {sha256} in {self.directory}",
                           f"ไม่พบไฟล์เอกสารหลักฐาน {sha256} ใน {self.directory}") from None
        except OSError as e:
            raise TabienError(f"cannot read evidence file {sha256}: {e.strerror or e}",
                              f"อ่านไฟล์เอกสารหลักฐาน {sha256} ไม่ได้: {e.strerror or e}") from e
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IntegrityError(
                f"evidence file {sha256} was altered: its bytes no longer have that hash",
                f"ไฟล์เอกสารหลักฐาน {sha256} ถูกแก้ไข: ค่าแฮชไม่ตรงกับที่บันทึกไว้")
        return data

    def problem(self, ref: EvidenceRef) -> str | None:
        """None when the file is present and intact; otherwise what is wrong, in a few words."""
        path = self.path_for(ref.sha256)
        try:
            size = path.stat().st_size
            if size != ref.size:
                # Cheaper than hashing, and a different size means different bytes anyway.
                return f"altered: size differs ({size:,} bytes, expected {ref.size:,})"
            if _file_sha256(path) != ref.sha256:
                return "altered: hash differs"
        except FileNotFoundError:
            return "missing"
        except OSError as e:
            return f"unreadable: {e.strerror or e}"
        return None


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable; not every platform can open a directory to sync it."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)
