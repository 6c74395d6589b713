"""``tabien verify`` reads an event's cited order, and an order's own number and area, from
the stored bytes without decoding the whole event (a bulk order's first event holds its
thousands of lines). Property: on any canonical JSON, what it reads equals a full decode —
whatever text the fields hold (quotes, braces, backslashes, the very key names)."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from audit.authority import AreaReader, OrderReader, _order_head
from ledger.authority import citation
from ledger.persistence import LogRow, RawLogRow
from ledger.transcoder import canonical_json


def _no_log_row(row: RawLogRow) -> LogRow:
    raise AssertionError("plain bytes need no log row")

TEXT = st.lists(st.sampled_from([*'ab"{}\\:,ก ', '"order":{"authority":', ',"order_date":',
                                 ',"timestamp":']), max_size=12).map("".join)
ORDER = st.fixed_dictionaries({"authority": TEXT, "order_number": TEXT, "order_date": TEXT})


@given(order=ORDER, before=TEXT, after=TEXT)
def test_the_cited_order_read_from_bytes_is_the_decoded_one(order: dict[str, str],
                                                            before: str, after: str) -> None:
    state = canonical_json({"appraisal": before, "order": order, "reason": after,
                            "effective_date": "2024-04-01"})
    row = (1, b"", 1, "ledger.record:PersonnelRecord.SalaryRaised", state, b"")
    reader = OrderReader(AreaReader(None, _no_log_row), str)
    for _ in range(2):  # the second time from what it kept of the first
        assert reader.cited(row) == citation(order["authority"], order["order_number"],
                                             order["order_date"])


@given(area=TEXT, authority=TEXT, number=TEXT, day=TEXT, title=TEXT,
       lines=st.lists(st.fixed_dictionaries({"order": ORDER, "note": TEXT}), max_size=4))
def test_an_orders_head_read_from_bytes_is_the_decoded_one(
        area: str, authority: str, number: str, day: str, title: str,
        lines: list[dict[str, Any]]) -> None:
    state = canonical_json({"area": area, "authority": authority, "lines": lines,
                            "order_date": day, "order_number": number,
                            "timestamp": "2026-12-01T00:00:00+00:00", "title": title})
    head = _order_head(state) or orjson.loads(state)  # None: read by a full decode
    assert (head["area"], head["authority"], head["order_number"], head["order_date"]) == \
        (area, authority, number, day)
