"""Pay rules as effective-dated data with their legal sources (DESIGN decision 9).

The figures live in JSON files beside this module, so that a change in the law is a new
table with a new ``effective_from``, never an edit to code, and a 2014 event is still
explained by the table in force in 2014. Each file is read and checked once.

Codes used in events and commands:

========================  ==================  ==================================
rank code                 Thai label          standing that goes with it
========================  ==================  ==================================
``assistant``             ครูผู้ช่วย          ``none``
``k1``                    คศ.1                ``none``
``k2``                    คศ.2                ``senior`` (ชำนาญการ)
``k3``                    คศ.3                ``senior_special`` (ชำนาญการพิเศษ)
``k4``                    คศ.4                ``expert`` (เชี่ยวชาญ)
``k5``                    คศ.5                ``expert_special`` (เชี่ยวชาญพิเศษ)
========================  ==================  ==================================

Standings (วิทยฐานะ) are ordered ``none < senior < senior_special < expert <
expert_special``; ``Standing.level`` and ``Rank.level`` give that order as integers.

A figure that the sources do not give is ``None`` with a ``missing`` note; it is never
filled in with a guess.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Final, Protocol

from ledger.errors import InvalidInput

__all__ = [
    "RANKS",
    "STANDINGS",
    "AllowanceTable",
    "Rank",
    "RulesDataError",
    "SalaryRange",
    "SalaryTable",
    "Source",
    "Standing",
    "StandingAllowance",
    "allowance_table_in_force",
    "allowance_tables",
    "rank_by_code",
    "rank_for_standing",
    "salary_range",
    "salary_table_in_force",
    "salary_tables",
    "standing_allowance",
    "standing_by_code",
    "standing_for_rank",
]

_SALARY_FILE = "salary_tables.json"
_ALLOWANCE_FILE = "standing_allowances.json"


class RulesDataError(ValueError):
    """A rules file shipped with tabien is malformed.

    This is a defect in the package, not a user's mistake, so it stays outside the
    ``TabienError`` tree: boundaries should answer it as an internal error.
    """


# --- the data types --------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The legal instrument behind a table and where its figures were read."""

    instrument_th: str
    urls: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Rank:
    """A salary rank (อันดับ); ``level`` orders ranks from ครูผู้ช่วย (0) upwards."""

    code: str
    label_th: str
    level: int
    standing: str


@dataclass(frozen=True)
class Standing:
    """An academic standing (วิทยฐานะ); ``level`` orders them from ``none`` (0) upwards."""

    code: str
    label_th: str
    level: int
    rank: str
    positions_th: tuple[str, ...]


@dataclass(frozen=True)
class SalaryRange:
    """Minimum and maximum monthly salary of one rank in one table, in whole baht.

    ``minimum``/``maximum`` are ``None`` where the sources do not give the figure;
    ``missing`` then says what is missing.
    """

    rank: str
    minimum: int | None
    maximum: int | None
    temporary_minimum: int | None
    missing: str | None
    note: str | None
    table_id: str
    source: Source


@dataclass(frozen=True)
class SalaryTable:
    id: str
    title_th: str
    effective_from: date
    effective_to: date | None
    date_basis: str
    source: Source
    ranges: tuple[SalaryRange, ...]

    def in_force_on(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    def range_for(self, rank: str) -> SalaryRange:
        return next(item for item in self.ranges if item.rank == rank_by_code(rank).code)


@dataclass(frozen=True)
class StandingAllowance:
    """Monthly เงินวิทยฐานะ of one standing, in whole baht.

    ``conditional_amount`` is a higher rate paid only under criteria (``condition_th``)
    that are not encoded here.
    """

    standing: str
    amount: int
    conditional_amount: int | None
    condition_th: str | None
    missing: str | None
    note: str | None
    table_id: str
    source: Source


@dataclass(frozen=True)
class AllowanceTable:
    id: str
    title_th: str
    effective_from: date
    effective_to: date | None
    date_basis: str
    source: Source
    allowances: tuple[StandingAllowance, ...]

    def in_force_on(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    def allowance_for(self, standing: str) -> StandingAllowance:
        code = standing_by_code(standing).code
        return next(item for item in self.allowances if item.standing == code)


# --- lookups ---------------------------------------------------------------------------


def salary_tables() -> tuple[SalaryTable, ...]:
    """Every salary table, oldest first."""
    return _salary_data().tables


def allowance_tables() -> tuple[AllowanceTable, ...]:
    """Every standing-allowance table, oldest first."""
    return _allowance_data().tables


def salary_table_in_force(on: date) -> SalaryTable | None:
    """The salary table in force on ``on``, or None before the first table known here."""
    return next((table for table in salary_tables() if table.in_force_on(on)), None)


def salary_range(rank: str, on: date) -> SalaryRange | None:
    """The range of ``rank`` on ``on``; None when no table known here was in force."""
    rank_by_code(rank)
    table = salary_table_in_force(on)
    return None if table is None else table.range_for(rank)


def allowance_table_in_force(on: date) -> AllowanceTable | None:
    """The standing-allowance table in force on ``on``, or None before the first one."""
    return next((table for table in allowance_tables() if table.in_force_on(on)), None)


def standing_allowance(standing: str, on: date) -> StandingAllowance | None:
    """เงินวิทยฐานะ of ``standing`` on ``on``; None when no table known here was in force."""
    standing_by_code(standing)
    table = allowance_table_in_force(on)
    return None if table is None else table.allowance_for(standing)


def rank_by_code(code: str) -> Rank:
    """The rank with this code, or InvalidInput naming the codes that exist."""
    for rank in RANKS:
        if rank.code == code:
            return rank
    known = ", ".join(rank.code for rank in RANKS)
    raise InvalidInput(
        f"unknown rank code {code!r}; known codes: {known}",
        f"ไม่รู้จักรหัสอันดับ {code!r} รหัสที่มี: {known}",
    )


def standing_by_code(code: str) -> Standing:
    """The standing with this code, or InvalidInput naming the codes that exist."""
    for standing in STANDINGS:
        if standing.code == code:
            return standing
    known = ", ".join(standing.code for standing in STANDINGS)
    raise InvalidInput(
        f"unknown standing code {code!r}; known codes: {known}",
        f"ไม่รู้จักรหัสวิทยฐานะ {code!r} รหัสที่มี: {known}",
    )


def rank_for_standing(standing: str) -> str:
    """The rank a standing implies: ``senior`` → ``k2``; ``none`` → ``k1`` (a ครู)."""
    return standing_by_code(standing).rank


def standing_for_rank(rank: str) -> str:
    """The standing that goes with a rank: ``k2`` → ``senior``; ``assistant`` → ``none``."""
    return rank_by_code(rank).standing


def _in_force(start: date, end: date | None, on: date) -> bool:
    # A datetime would refuse to compare with the table's dates; only its day matters.
    day = date(on.year, on.month, on.day)
    return start <= day and (end is None or day <= end)


# --- loading and checking the files ----------------------------------------------------


@dataclass(frozen=True)
class _SalaryData:
    ranks: tuple[tuple[str, str], ...]
    tables: tuple[SalaryTable, ...]


@dataclass(frozen=True)
class _AllowanceData:
    standings: tuple[Standing, ...]
    tables: tuple[AllowanceTable, ...]


class _Node:
    """One JSON object, with typed accessors that name the failing path on error."""

    def __init__(self, value: object, path: str) -> None:
        if not isinstance(value, dict):
            raise RulesDataError(f"{path}: expected an object")
        self.value: dict[str, object] = value
        self.path = path

    def _get(self, key: str, kinds: tuple[type, ...], what: str, *, optional: bool) -> object:
        value = self.value.get(key)
        if value is None and optional:
            return None
        # bool is an int subclass; a true/false where an amount belongs is an error.
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise RulesDataError(f"{self.path}.{key}: expected {what}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self._get(key, (str,), "a non-empty string", optional=False)
        if not isinstance(value, str) or not value.strip():
            raise RulesDataError(f"{self.path}.{key}: expected a non-empty string")
        return value

    def optional_text(self, key: str) -> str | None:
        return None if self.value.get(key) is None else self.text(key)

    def baht(self, key: str) -> int | None:
        value = self._get(key, (int,), "whole baht or null", optional=True)
        if isinstance(value, int) and value < 0:
            raise RulesDataError(f"{self.path}.{key}: a negative amount, {value}")
        return value if isinstance(value, int) else None

    def day(self, key: str) -> date:
        text = self.text(key)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise RulesDataError(f"{self.path}.{key}: {text!r} is not a YYYY-MM-DD date") from None

    def optional_day(self, key: str) -> date | None:
        return None if self.value.get(key) is None else self.day(key)

    def child(self, key: str) -> _Node:
        return _Node(self.value.get(key), f"{self.path}.{key}")

    def children(self, key: str) -> list[_Node]:
        value = self._get(key, (list,), "a list", optional=False)
        assert isinstance(value, list)
        return [_Node(item, f"{self.path}.{key}[{index}]") for index, item in enumerate(value)]

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, (list,), "a list of strings", optional=False)
        assert isinstance(value, list)
        if not all(isinstance(item, str) and item for item in value):
            raise RulesDataError(f"{self.path}.{key}: expected a list of non-empty strings")
        return tuple(str(item) for item in value)

    def keyed(self, key: str, expected: tuple[str, ...]) -> dict[str, _Node]:
        node = self.child(key)
        if sorted(node.value) != sorted(expected):
            raise RulesDataError(
                f"{node.path}: keys {sorted(node.value)} differ from {sorted(expected)}"
            )
        return {code: node.child(code) for code in expected}


def _read_json(name: str) -> _Node:
    try:
        text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
        return _Node(json.loads(text), name)
    except (OSError, json.JSONDecodeError) as error:
        raise RulesDataError(f"{name}: cannot be read as JSON: {error}") from error


def _source(node: _Node) -> Source:
    urls = node.texts("urls")
    if not urls:
        raise RulesDataError(f"{node.path}.urls: a source needs at least one address")
    return Source(node.text("instrument_th"), urls, node.optional_text("note"))


def _check_schema(root: _Node, expected: str) -> None:
    if root.value.get("schema") != expected:
        raise RulesDataError(f"{root.path}: schema is not {expected!r}")


def _checked_range(node: _Node, rank: str, table_id: str, source: Source) -> SalaryRange:
    item = SalaryRange(
        rank=rank,
        minimum=node.baht("min"),
        maximum=node.baht("max"),
        temporary_minimum=node.baht("temporary_min"),
        missing=node.optional_text("missing"),
        note=node.optional_text("note"),
        table_id=table_id,
        source=source,
    )
    if (item.minimum is None or item.maximum is None) and item.missing is None:
        raise RulesDataError(f"{node.path}: a null figure needs a 'missing' note")
    if not _ascending(item.temporary_minimum, item.minimum, item.maximum):
        raise RulesDataError(f"{node.path}: temporary_min <= min <= max does not hold")
    return item


def _ascending(*amounts: int | None) -> bool:
    known = [amount for amount in amounts if amount is not None]
    return known == sorted(known)


def _salary_table(node: _Node, rank_codes: tuple[str, ...]) -> SalaryTable:
    table_id, source = node.text("id"), _source(node.child("source"))
    ranges = node.keyed("ranges", rank_codes)
    return SalaryTable(
        id=table_id,
        title_th=node.text("title_th"),
        effective_from=node.day("effective_from"),
        effective_to=node.optional_day("effective_to"),
        date_basis=node.text("date_basis"),
        source=source,
        ranges=tuple(_checked_range(ranges[code], code, table_id, source) for code in rank_codes),
    )


def _allowance(node: _Node, standing: str, table_id: str, source: Source) -> StandingAllowance:
    amount = node.baht("amount")
    if amount is None:
        raise RulesDataError(f"{node.path}.amount: an allowance needs an amount")
    return StandingAllowance(
        standing=standing,
        amount=amount,
        conditional_amount=node.baht("conditional_amount"),
        condition_th=node.optional_text("condition_th"),
        missing=node.optional_text("missing"),
        note=node.optional_text("note"),
        table_id=table_id,
        source=source,
    )


def _allowance_table(node: _Node, standing_codes: tuple[str, ...]) -> AllowanceTable:
    table_id, source = node.text("id"), _source(node.child("source"))
    allowances = node.keyed("allowances", standing_codes)
    return AllowanceTable(
        id=table_id,
        title_th=node.text("title_th"),
        effective_from=node.day("effective_from"),
        effective_to=node.optional_day("effective_to"),
        date_basis=node.text("date_basis"),
        source=source,
        allowances=tuple(
            _allowance(allowances[code], code, table_id, source) for code in standing_codes
        ),
    )


class _Dated(Protocol):
    """What the period check needs from a table."""

    @property
    def id(self) -> str: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def effective_to(self) -> date | None: ...


def _check_periods(name: str, dated: Sequence[_Dated]) -> None:
    # Two tables in force on one day would make a lookup depend on file order.
    if not dated:
        raise RulesDataError(f"{name}: no tables")
    for earlier, later in pairwise(dated):
        if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
            raise RulesDataError(f"{name}: {earlier.id} overlaps {later.id} or is out of order")
    for table in dated:
        if table.effective_to is not None and table.effective_to < table.effective_from:
            raise RulesDataError(f"{name}: {table.id} ends before it starts")


def _unique(name: str, codes: list[str]) -> tuple[str, ...]:
    if len(set(codes)) != len(codes):
        raise RulesDataError(f"{name}: duplicate codes in {codes}")
    return tuple(codes)


@cache
def _salary_data() -> _SalaryData:
    root = _read_json(_SALARY_FILE)
    _check_schema(root, "tabien/salary-tables/v1")
    ranks = tuple((node.text("code"), node.text("label_th")) for node in root.children("ranks"))
    codes = _unique(_SALARY_FILE, [code for code, _ in ranks])
    tables = tuple(_salary_table(node, codes) for node in root.children("tables"))
    _check_periods(_SALARY_FILE, tables)
    return _SalaryData(ranks, tables)


@cache
def _allowance_data() -> _AllowanceData:
    root = _read_json(_ALLOWANCE_FILE)
    _check_schema(root, "tabien/standing-allowances/v1")
    rank_codes = {code for code, _ in _salary_data().ranks}
    standings = tuple(
        _standing(node, level, rank_codes) for level, node in enumerate(root.children("standings"))
    )
    codes = _unique(_ALLOWANCE_FILE, [standing.code for standing in standings])
    _source(root.child("mapping_source"))
    tables = tuple(_allowance_table(node, codes) for node in root.children("tables"))
    _check_periods(_ALLOWANCE_FILE, tables)
    return _AllowanceData(standings, tables)


def _standing(node: _Node, level: int, rank_codes: set[str]) -> Standing:
    rank = node.text("rank")
    if rank not in rank_codes:
        raise RulesDataError(f"{node.path}.rank: {rank!r} is not a rank code")
    return Standing(
        code=node.text("code"),
        label_th=node.text("label_th"),
        level=level,
        rank=rank,
        positions_th=node.texts("positions_th"),
    )


def _ranks() -> tuple[Rank, ...]:
    standings = _allowance_data().standings
    implied = {standing.rank: standing.code for standing in standings}
    # A rank no standing implies (ครูผู้ช่วย) goes with the lowest standing: none at all.
    lowest = standings[0].code
    return tuple(
        Rank(code=code, label_th=label, level=level, standing=implied.get(code, lowest))
        for level, (code, label) in enumerate(_salary_data().ranks)
    )


RANKS: Final[tuple[Rank, ...]] = _ranks()
STANDINGS: Final[tuple[Standing, ...]] = _allowance_data().standings
