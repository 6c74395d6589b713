"""The examples the OpenAPI document shows, taken from the ledger ``tabien demo`` seeds.

They tell one story a reader can try on the demo with the docs page's "Try it out":
นางอรุณี แสงจันทร์, a teacher (ครู, คศ.2 ชำนาญการ) at โรงเรียนนาบอนวิทยาคาร in สพม.16, has her
1 October 2569 raise previewed and drafted (order 118/2569); she is transferred to the vacant
position 104002 at โรงเรียนหัวไทรศึกษา (order 120/2569); a mistyped salary of hers (entry 41,
the 1 April 2569 raise) is corrected (order 121/2569). ``tests/test_api_examples.py`` checks
every example against its schema and the domain (national IDs, dates, order numbers, areas,
rules), and that she is in the demo.

Dates are ISO (Christian Era) as the API takes them; order numbers carry the Buddhist-Era year
of their order date (2026 → 2569).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "EXAMPLE_AREA",
    "EXAMPLE_CORRECTION",
    "EXAMPLE_NATIONAL_ID",
    "EXAMPLE_ORDER",
    "EXAMPLE_ROUND",
    "EXAMPLE_ROUND_DRAFT",
]

EXAMPLE_NATIONAL_ID = "1800214415342"  # นางอรุณี แสงจันทร์ in the demo
EXAMPLE_AREA = "สพม.16"  # the demo's NODE LEADER area

_ORDER_REF = {"authority": EXAMPLE_AREA, "order_number": "120/2569", "order_date": "2026-11-02"}

EXAMPLE_ORDER: dict[str, Any] = {
    **_ORDER_REF, "area": EXAMPLE_AREA, "title": "ย้ายข้าราชการครู",
    "lines": [{
        "national_id": EXAMPLE_NATIONAL_ID, "kind": "transferred",
        "effective_date": "2026-11-16", "order": _ORDER_REF,
        "position_title": "ครู", "position_number": "104002", "unit": "โรงเรียนหัวไทรศึกษา",
        "area": EXAMPLE_AREA,
    }],
}

# The calculation base is the input's own figure (the official ones are NOT FOUND): this one
# only illustrates.
EXAMPLE_ROUND: dict[str, Any] = {
    "area": EXAMPLE_AREA, "round_date": "2026-10-01",
    "appraisals": [{"national_id": EXAMPLE_NATIONAL_ID, "appraisal": "ดีเด่น", "percent": "3.5",
                    "calculation_base": 27000}],
}

EXAMPLE_ROUND_DRAFT: dict[str, Any] = {
    **EXAMPLE_ROUND, "order_number": "118/2569", "order_date": "2026-10-20",
}

EXAMPLE_CORRECTION: dict[str, Any] = {
    "national_id": EXAMPLE_NATIONAL_ID, "area": EXAMPLE_AREA, "version": 41,
    "reason": "พิมพ์เงินเดือนผิด", "order_number": "121/2569", "order_date": "2026-11-09",
    "changes": {"new_salary": 27080},
}
