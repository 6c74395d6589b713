"""Career rules as data (``career_rules.json``): retirement, appointment age, transfers,
development, salary rounds and standing criteria, each with its source; and the version of
the whole rule set, which every check of an order records."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import orjson

from ledger.errors import NotFound

__all__ = [
    "RULES_CODE_VERSION",
    "StandingCriteria",
    "career_rules",
    "pool_percent",
    "ruleset_version",
    "standing_criteria_on",
]

RULES_CODE_VERSION = "1"
"""Bumped when the code of a rule changes meaning (the data files are hashed separately)."""


@cache
def career_rules() -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(
        resources.files("ledger.rules").joinpath("career_rules.json").read_bytes())
    if data.get("schema") != "tabien/career-rules/v1":
        msg = "career_rules.json: unexpected schema"
        raise ValueError(msg)
    return data


@cache
def ruleset_version() -> str:
    """``tabien-rules/<code version>/<hash of every rules data file>``."""
    digest = hashlib.sha256()
    folder = resources.files("ledger.rules")
    for name in sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")):
        digest.update(name.encode() + b"\x00" + folder.joinpath(name).read_bytes())
    return f"tabien-rules/{RULES_CODE_VERSION}/{digest.hexdigest()[:16]}"


@dataclass(frozen=True)
class StandingCriteria:
    id: str
    title_th: str
    source: str
    levels: dict[str, dict[str, Any] | None]
    missing: dict[str, str]


def standing_criteria_on(on: date) -> StandingCriteria:
    for entry in career_rules()["standing_criteria"]:
        start = date.fromisoformat(entry["effective_from"]) if entry["effective_from"] else None
        end = date.fromisoformat(entry["effective_to"]) if entry["effective_to"] else None
        if (start is None or on >= start) and (end is None or on <= end):
            levels = {k: entry.get(k) for k in
                      ("senior", "senior_special", "expert", "expert_special")}
            missing = {k: entry[f"{k}_missing"] for k in levels if f"{k}_missing" in entry}
            return StandingCriteria(entry["id"], entry["title_th"], entry["source"], levels,
                                    missing)
    raise NotFound(f"no standing criteria in force on {on}",
                   f"ไม่พบหลักเกณฑ์วิทยฐานะที่ใช้บังคับในวันที่ {on}")


def pool_percent() -> Decimal:
    return Decimal(career_rules()["salary_rounds"]["pool_percent"])
