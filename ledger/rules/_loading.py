"""Reading and checking the rules files, once each, into the tables of ``ledger.rules``.

A file that fails a check raises ``RulesDataError`` naming the file and the path of the
failing value (``salary_tables.json.tables[1].ranges.k4: ...``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Protocol

from ledger.rules._model import (
    AllowanceTable,
    Rank,
    RulesDataError,
    SalaryRange,
    SalaryTable,
    Source,
    Standing,
    StandingAllowance,
)

_PACKAGE = "ledger.rules"  # the JSON files sit beside its __init__
_SALARY_FILE = "salary_tables.json"
_ALLOWANCE_FILE = "standing_allowances.json"


@dataclass(frozen=True)
class SalaryData:
    ranks: tuple[tuple[str, str], ...]
    tables: tuple[SalaryTable, ...]


@dataclass(frozen=True)
class AllowanceData:
    standings: tuple[Standing, ...]
    tables: tuple[AllowanceTable, ...]


class Node:
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

    def child(self, key: str) -> Node:
        return Node(self.value.get(key), f"{self.path}.{key}")

    def children(self, key: str) -> list[Node]:
        value = self._get(key, (list,), "a list", optional=False)
        assert isinstance(value, list)
        return [Node(item, f"{self.path}.{key}[{index}]") for index, item in enumerate(value)]

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, (list,), "a list of strings", optional=False)
        assert isinstance(value, list)
        if not all(isinstance(item, str) and item for item in value):
            raise RulesDataError(f"{self.path}.{key}: expected a list of non-empty strings")
        return tuple(str(item) for item in value)

    def keyed(self, key: str, expected: tuple[str, ...]) -> dict[str, Node]:
        node = self.child(key)
        if sorted(node.value) != sorted(expected):
            raise RulesDataError(
                f"{node.path}: keys {sorted(node.value)} differ from {sorted(expected)}"
            )
        return {code: node.child(code) for code in expected}


def read_json(name: str) -> Node:
    try:
        text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
        return Node(json.loads(text), name)
    except (OSError, json.JSONDecodeError) as error:
        raise RulesDataError(f"{name}: cannot be read as JSON: {error}") from error


def _source(node: Node) -> Source:
    urls = node.texts("urls")
    if not urls:
        raise RulesDataError(f"{node.path}.urls: a source needs at least one address")
    return Source(node.text("instrument_th"), urls, node.optional_text("note"))


def _check_schema(root: Node, expected: str) -> None:
    if root.value.get("schema") != expected:
        raise RulesDataError(f"{root.path}: schema is not {expected!r}")


def _checked_range(node: Node, rank: str, table_id: str, source: Source) -> SalaryRange:
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


def _salary_table(node: Node, rank_codes: tuple[str, ...]) -> SalaryTable:
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


def _allowance(node: Node, standing: str, table_id: str, source: Source) -> StandingAllowance:
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


def _allowance_table(node: Node, standing_codes: tuple[str, ...]) -> AllowanceTable:
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
def salary_data() -> SalaryData:
    root = read_json(_SALARY_FILE)
    _check_schema(root, "tabien/salary-tables/v1")
    ranks = tuple((node.text("code"), node.text("label_th")) for node in root.children("ranks"))
    codes = _unique(_SALARY_FILE, [code for code, _ in ranks])
    tables = tuple(_salary_table(node, codes) for node in root.children("tables"))
    _check_periods(_SALARY_FILE, tables)
    return SalaryData(ranks, tables)


@cache
def allowance_data() -> AllowanceData:
    root = read_json(_ALLOWANCE_FILE)
    _check_schema(root, "tabien/standing-allowances/v1")
    rank_codes = {code for code, _ in salary_data().ranks}
    standings = tuple(
        _standing(node, level, rank_codes) for level, node in enumerate(root.children("standings"))
    )
    codes = _unique(_ALLOWANCE_FILE, [standing.code for standing in standings])
    _source(root.child("mapping_source"))
    tables = tuple(_allowance_table(node, codes) for node in root.children("tables"))
    _check_periods(_ALLOWANCE_FILE, tables)
    return AllowanceData(standings, tables)


def _standing(node: Node, level: int, rank_codes: set[str]) -> Standing:
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


def ranks_with_standings() -> tuple[Rank, ...]:
    """The ranks of the salary file, in order, each with the standing that goes with it."""
    standings = allowance_data().standings
    implied = {standing.rank: standing.code for standing in standings}
    # A rank no standing implies (ครูผู้ช่วย) goes with the lowest standing: none at all.
    lowest = standings[0].code
    return tuple(
        Rank(code=code, label_th=label, level=level, standing=implied.get(code, lowest))
        for level, (code, label) in enumerate(salary_data().ranks)
    )
