"""Area and node reports, read from the record view: head counts by position, rank and
standing; record completeness (which ก.ค.ศ.16 sections are empty, per person and in total);
and a NODE LEADER roll-up of its areas (node membership is data: ``projections/nodes.json``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper

from ledger.errors import NotFound
from ledger.thaidate import today
from projections.kks16 import build_record
from projections.reading import events_from_rows
from projections.store import RecordView

__all__ = ["AreaReport", "NodeReport", "area_report", "node_of", "node_report"]


@dataclass
class AreaReport:
    area: str
    as_of: date | None
    in_service: int = 0
    by_position: Counter[str] = field(default_factory=Counter)
    by_rank: Counter[str] = field(default_factory=Counter)
    by_standing: Counter[str] = field(default_factory=Counter)
    empty_sections: Counter[str] = field(default_factory=Counter)
    incomplete: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete(self) -> int:
        return self.in_service - len(self.incomplete)


@dataclass
class NodeReport:
    node_id: str
    label_th: str
    leader: str
    areas: list[AreaReport]

    @property
    def in_service(self) -> int:
        return sum(a.in_service for a in self.areas)


@cache
def _nodes() -> list[dict[str, Any]]:
    data: dict[str, Any] = orjson.loads(
        resources.files("projections").joinpath("nodes.json").read_bytes())
    return list(data["nodes"])


def node_of(area: str) -> dict[str, Any] | None:
    return next((n for n in _nodes() if area in n["areas"]), None)


def area_report(view: RecordView, mapper: Mapper[UUID], area: str,
                as_of: date | None = None) -> AreaReport:
    day = as_of if as_of is not None else today()
    report = AreaReport(area, day)
    # Everyone ever placed in the area: one whose move away is ordered but not yet in effect
    # is still the area's today (the view's current area follows the latest order).
    for record_id in view.records_ever_in(area):
        record = build_record(events_from_rows(view.entries(record_id), mapper), as_of=day)
        if record.appointed_on is None or record.left is not None or record.area != area:
            continue
        report.in_service += 1
        report.by_position[record.position_title] += 1
        report.by_rank[record.rank] += 1
        report.by_standing[record.standing] += 1
        empty = record.sections_empty()
        report.empty_sections.update(empty)
        if empty:
            report.incomplete[record.national_id] = empty
    return report


def node_report(view: RecordView, mapper: Mapper[UUID], node_id: str,
                as_of: date | None = None) -> NodeReport:
    node = next((n for n in _nodes() if n["id"] == node_id), None)
    if node is None:
        raise NotFound(f"no node {node_id!r}; nodes: {', '.join(n['id'] for n in _nodes())}",
                       f"ไม่พบกลุ่ม {node_id!r}")
    return NodeReport(node["id"], node["label_th"], node["leader"],
                      [area_report(view, mapper, area, as_of) for area in node["areas"]])
