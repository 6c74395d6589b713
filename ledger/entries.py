"""Untyped input (JSON from a file, a form or a request) → a checked career entry.

This is the one place where outside data becomes event fields, so every refusal here says
what is wrong in Thai and English, and nothing is written for a refused entry. Dates go
through ``ledger.thaidate.parse_date``, which refuses a Buddhist-Era year given as a
Christian-Era date.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import orjson

from ledger.errors import InvalidDate, InvalidInput
from ledger.evidence import EvidenceRef
from ledger.identity import normalise_national_id
from ledger.record import EVENT_KINDS, PersonnelRecord
from ledger.rules import rank_by_code, standing_by_code
from ledger.thaidate import parse_date
from ledger.transcoder import canonical_json
from ledger.vocabulary import ADDRESS_TYPES, STAFF_TYPES, OrderRef, check_cited_number

__all__ = ["AREA_PATTERN", "BIDI_CONTROLS", "Entry", "bidi_messages", "check_text",
           "entry_line", "has_bidi_control", "parse_entry", "typed_changes"]

# Fields the ledger itself sets on every event; never taken from input.
_RESERVED = {"originator_id", "originator_version", "timestamp", "originator_topic"}


@dataclass(frozen=True)
class Entry:
    """A checked entry: which record, which kind, and the event's fields."""

    national_id: str
    event_class: type[PersonnelRecord.Event]
    fields: dict[str, Any]


def parse_entry(payload: Mapping[str, Any]) -> Entry:
    """Check one entry given as ``{"national_id", "kind", "effective_date", "order", ...}``."""
    if not isinstance(payload, Mapping):
        raise InvalidInput("an entry must be a JSON object", "แต่ละรายการต้องเป็นออบเจกต์ JSON")
    national_id = normalise_national_id(_required_text(payload, "national_id"))
    event_class = _event_class(payload.get("kind"))
    hints = _field_types(event_class)
    unknown = set(payload) - set(hints) - {"national_id", "kind"}
    if unknown:
        raise InvalidInput(
            f"unknown field(s) for {event_class.KIND}: {', '.join(sorted(unknown))}",
            f"ช่องข้อมูลที่ไม่รู้จักสำหรับ {event_class.LABEL_TH}: {', '.join(sorted(unknown))}")
    fields = {name: _convert(name, payload.get(name, _MISSING), kind)
              for name, kind in hints.items()}
    if event_class is PersonnelRecord.EntryCorrected:
        fields["changes"] = _check_changes(fields["changes"])
    if event_class is PersonnelRecord.Opened:
        fields["national_id"] = national_id
    return Entry(national_id, event_class, fields)


class _Missing:
    """Marks a field absent from the input (as opposed to given as null)."""


_MISSING = _Missing()


def _event_class(kind: object) -> type[PersonnelRecord.Event]:
    if not isinstance(kind, str) or kind not in EVENT_KINDS:
        known = ", ".join(sorted(EVENT_KINDS))
        raise InvalidInput(f"unknown event kind {kind!r}; known kinds: {known}",
                           f"ไม่รู้จักประเภทรายการ {kind!r} (ประเภทที่มี: {known})")
    return EVENT_KINDS[kind]


@cache
def _field_types(event_class: type[PersonnelRecord.Event]) -> dict[str, Any]:
    hints = typing.get_type_hints(event_class)
    return {f.name: hints[f.name] for f in dataclasses.fields(event_class)
            if f.name not in _RESERVED}


def _required_text(payload: Mapping[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name} is required", f"ต้องระบุ {name}")
    return value


def _convert(name: str, value: Any, kind: Any) -> Any:
    optional = _is_optional(kind)
    if value is _MISSING or value is None:
        if optional:
            return None
        if name == "order":
            raise InvalidInput("the order reference (authority, order_number, order_date) is "
                               "required", "ต้องอ้างอิงคำสั่ง (ผู้ออกคำสั่ง เลขที่ และวันที่)")
        raise InvalidInput(f"field {name} is required", f"ต้องระบุช่อง {name}")
    base = _non_none(kind)
    try:
        return _CONVERTERS[base](name, value)
    except KeyError:
        return _convert_any(name, value, base)


def _is_optional(kind: Any) -> bool:
    return isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)


def _non_none(kind: Any) -> Any:
    if isinstance(kind, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        return args[0]
    return kind


# Control characters, the replacement character (what a broken encoding decodes to) and lone
# surrogates have no place in a record's text: a name with a NUL or a line break in it would
# print wrongly on every form and certificate made from it.
_NOT_TEXT = re.compile("[\x00-\x1f\x7f-\x9f\ufffd\ud800-\udfff]")
# An education area as orders and forms write it: "สพม.16", "สพป.นครศรีธรรมราช เขต 1".
AREA_PATTERN = r"^[\u0E01-\u0E2EA-Za-z][\u0E00-\u0E7FA-Za-z0-9. ]{1,99}$"
_AREA = re.compile(AREA_PATTERN)
# As the ledger stores a gender (the legacy import maps every spelling to these); empty when
# the source did not say.
_GENDERS = frozenset({"", "ชาย", "หญิง"})


# Bidirectional overrides, embeddings and isolates (U+202A–U+202E, U+2066–U+2069): they make
# text show in another order than it is stored ("Trojan Source"), so a name or an order number
# could read as another on a form. Thai and English text never needs them.
BIDI_CONTROLS = "\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def bidi_messages(name: str) -> tuple[str, str]:
    """The refusal of a bidirectional control character in field ``name``, in English and
    Thai."""
    return (f"field {name} holds a bidirectional control character (U+202A–U+202E, "
            "U+2066–U+2069), which makes text show in another order than it is stored",
            f"ช่อง {name} มีอักขระควบคุมทิศทางข้อความ (U+202A–U+202E, U+2066–U+2069) "
            "ซึ่งทำให้ข้อความแสดงผลต่างจากที่บันทึกไว้")


def has_bidi_control(value: str) -> bool:
    return _BIDI.search(value) is not None


def check_text(name: str, value: str) -> str:
    """``value`` if it holds no control character (bidirectional ones included) and no broken
    text; refuse it otherwise."""
    if _NOT_TEXT.search(value):
        raise InvalidInput(f"field {name} holds a control character or broken text",
                           f"ช่อง {name} มีอักขระควบคุมหรือข้อความที่เข้ารหัสผิด")
    if has_bidi_control(value):
        raise InvalidInput(*bidi_messages(name))
    return value


def _as_text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"field {name} must be text", f"ช่อง {name} ต้องเป็นข้อความ")
    if len(value) > 2000:
        raise InvalidInput(f"field {name} is too long", f"ช่อง {name} ยาวเกินไป")
    check_text(name, value)
    field_check = _TEXT_FIELD_CHECKS.get(name.removeprefix("changes."))
    if field_check is not None:
        field_check(name, value)
    return value


def _check_area(name: str, value: str) -> None:
    if not _AREA.fullmatch(value):
        raise InvalidInput(f"field {name} is not an education area's name (such as สพม.16)",
                           f"ช่อง {name} ไม่ใช่ชื่อเขตพื้นที่การศึกษา (เช่น สพม.16)")


def _check_gender(name: str, value: str) -> None:
    if value not in _GENDERS:
        raise InvalidInput(f"field {name} must be ชาย or หญิง (or empty)",
                           f"ช่อง {name} ต้องเป็น ชาย หรือ หญิง (หรือเว้นว่าง)")


def _check_rank(name: str, value: str) -> None:
    try:
        rank_by_code(value)
    except InvalidInput as e:
        raise InvalidInput(f"{name}: {e.message}", f"{name}: {e.message_th}") from None


def _check_standing(name: str, value: str) -> None:
    try:
        standing_by_code(value)
    except InvalidInput as e:
        raise InvalidInput(f"{name}: {e.message}", f"{name}: {e.message_th}") from None


def _check_code(vocabulary: Mapping[str, str], what: str,
                what_th: str) -> Callable[[str, str], None]:
    def check(name: str, value: str) -> None:
        if value not in vocabulary:
            known = ", ".join(f"{code} ({label})" for code, label in vocabulary.items())
            raise InvalidInput(f"field {name}: unknown {what} {value!r}; known codes: {known}",
                               f"ช่อง {name}: ไม่รู้จัก{what_th} {value!r} รหัสที่มี: {known}")
    return check


# A telephone number as people write one: digits (Thai or Arabic), spaces, + - ( ) . and
# commas between numbers; empty when none is known.
_TELEPHONE = re.compile(r"[0-9\u0E50-\u0E59+\-(). ,]{0,60}")


def _check_telephone(name: str, value: str) -> None:
    if not _TELEPHONE.fullmatch(value):
        raise InvalidInput(f"field {name} is not a telephone number (digits, spaces, + - ( ) "
                           "., at most 60 characters)",
                           f"ช่อง {name} ไม่ใช่หมายเลขโทรศัพท์ (ตัวเลข เว้นวรรค + - ( ) . "
                           "ไม่เกิน 60 ตัวอักษร)")


# Text fields with a vocabulary of their own, by name (a correction's changes included).
_TEXT_FIELD_CHECKS = {"area": _check_area, "order.authority": _check_area,
                      "gender": _check_gender, "rank": _check_rank,
                      "standing": _check_standing,
                      "staff_type": _check_code(STAFF_TYPES, "staff type", "ประเภทข้าราชการ"),
                      "address_type": _check_code(ADDRESS_TYPES, "address type",
                                                  "ประเภทที่อยู่"),
                      "telephone": _check_telephone}


def _as_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**12:
        raise InvalidInput(f"field {name} must be a whole number", f"ช่อง {name} ต้องเป็นจำนวนเต็ม")
    return value


def _as_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"field {name} must be true or false", f"ช่อง {name} ต้องเป็นจริงหรือเท็จ")
    return value


def _as_decimal(name: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise InvalidInput(f"field {name} must be a number", f"ช่อง {name} ต้องเป็นตัวเลข")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"field {name} must be a number", f"ช่อง {name} ต้องเป็นตัวเลข") \
            from None
    if not number.is_finite() or abs(number) > 10**12:
        raise InvalidInput(f"field {name} is out of range", f"ช่อง {name} มีค่าเกินขอบเขต")
    return number


def _as_date(name: str, value: Any) -> date:
    if not isinstance(value, str):
        raise InvalidDate(f"field {name} must be a date such as 2024-04-01",
                          f"ช่อง {name} ต้องเป็นวันที่ เช่น 1/4/2567")
    try:
        return parse_date(value)
    except InvalidDate as e:
        raise InvalidDate(f"{name}: {e.message}", f"{name}: {e.message_th}") from None


def _as_order(name: str, value: Any) -> OrderRef:
    if not isinstance(value, Mapping):
        raise InvalidInput("the order reference must give authority, order_number and "
                           "order_date", "การอ้างอิงคำสั่งต้องมีผู้ออกคำสั่ง เลขที่ และวันที่")
    return OrderRef(
        authority=_as_text("order.authority", value.get("authority", "")),
        order_number=check_cited_number(
            _as_text("order.order_number", value.get("order_number", ""))),
        order_date=_as_date("order.order_date", value.get("order_date")),
    )


_EVIDENCE_FIELDS = ("sha256", "name", "media_type", "size")


def _as_evidence(name: str, value: Any) -> EvidenceRef:
    # The same object the ledger stores, so a reference printed by `tabien evidence put`
    # can be pasted into an entry as it is.
    fields = _as_mapping(name, value)
    unknown = set(fields) - set(_EVIDENCE_FIELDS)
    missing = [f for f in _EVIDENCE_FIELDS if f not in fields]
    if unknown or missing:
        raise InvalidInput(
            f"field {name} must be an object with exactly {', '.join(_EVIDENCE_FIELDS)}"
            f" (missing: {', '.join(missing) or '-'}; unknown: "
            f"{', '.join(sorted(unknown)) or '-'})",
            f"ช่อง {name} ต้องเป็นออบเจกต์ที่มี {', '.join(_EVIDENCE_FIELDS)} ครบและไม่มีช่องอื่น")
    return EvidenceRef(sha256=_as_text(f"{name}.sha256", fields["sha256"]),
                       name=_as_text(f"{name}.name", fields["name"]),
                       media_type=_as_text(f"{name}.media_type", fields["media_type"]),
                       size=_as_int(f"{name}.size", fields["size"]))


@cache
def _correctable() -> dict[str, Any]:
    """Every field an entry can have, with its type (the same name has one type throughout)."""
    found: dict[str, Any] = {}
    for event_class in EVENT_KINDS.values():
        for name, kind in _field_types(event_class).items():
            found.setdefault(name, _non_none(kind))
    return found


def _check_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A correction's changes must name fields entries have, each with a value of its type.

    They are kept in their canonical JSON form, whatever form they were typed in: a date
    typed ``1/4/2567`` is kept as ``2024-04-01`` (ISO, C.E.), as every other date of the
    ledger is, so that every reader of the changes reads one form (``typed_changes``)."""
    known = _correctable()
    canonical: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in known:
            raise InvalidInput(f"changes: no entry has a field {str(name)[:80]!r}",
                               f"changes: ไม่มีรายการใดมีช่อง {str(name)[:80]!r}")
        canonical[name] = None if value is None else orjson.loads(
            canonical_json(_convert(f"changes.{name}", value, known[name])))
    return canonical


def typed_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """A correction's stored changes with each value typed as the field it changes (a date
    as a ``date``, an amount as a ``Decimal``, an order as an ``OrderRef``), ready to lay over
    the entry's own fields.

    Only types are restored; nothing is judged again (the changes were checked when they
    were written). Changes stored before they were kept canonical may hold a date as it was
    typed (``1/4/2567``): it is read with the parser that checked it."""
    known = _correctable()
    return {name: value if value is None else _typed(known.get(name), value)
            for name, value in changes.items()}


def _typed(kind: Any, value: Any) -> Any:
    if kind is date:
        return _stored_date(value)
    if kind is Decimal:
        return Decimal(str(value))
    if kind is OrderRef and isinstance(value, Mapping):
        return OrderRef(value["authority"], value["order_number"],
                        _stored_date(value["order_date"]))
    if kind is EvidenceRef and isinstance(value, Mapping):
        return EvidenceRef(**value)
    return value


def _stored_date(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_date(value)


def _as_mapping(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"field {name} must be an object", f"ช่อง {name} ต้องเป็นออบเจกต์")
    _refuse_nested_bidi(name, value)
    return dict(value)


def _refuse_nested_bidi(name: str, value: Any) -> None:
    """Refuse a bidirectional control character anywhere in a JSON value's text."""
    if isinstance(value, str):
        if has_bidi_control(value):
            raise InvalidInput(*bidi_messages(name))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _refuse_nested_bidi(name, str(key))
            _refuse_nested_bidi(f"{name}.{key}", item)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _refuse_nested_bidi(f"{name}[{index}]", item)


_CONVERTERS: dict[Any, Any] = {
    str: _as_text, int: _as_int, bool: _as_bool, Decimal: _as_decimal, date: _as_date,
    OrderRef: _as_order, EvidenceRef: _as_evidence,
}


def _convert_any(name: str, value: Any, base: Any) -> Any:
    if typing.get_origin(base) is dict:
        return _as_mapping(name, value)
    raise InvalidInput(f"field {name} has an unsupported type", f"ช่อง {name} มีชนิดข้อมูลที่ไม่รองรับ")


_NOT_FIELDS = frozenset({"originator_id", "originator_version", "timestamp"})


def entry_line(event: PersonnelRecord.Event, national_id: str) -> dict[str, Any]:
    """An event as an order's line: what ``parse_entry`` reads back into the same event."""
    fields = {name: value for name, value in vars(event).items() if name not in _NOT_FIELDS}
    line: dict[str, Any] = orjson.loads(canonical_json(fields))
    line["kind"] = event.KIND
    line["national_id"] = national_id
    return line
