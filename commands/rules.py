"""The rules an order line is checked against: every one executable, each with its source.

A rule reads the person's facts (``commands.facts``) and the line, and either passes or
returns a failure that names it. Rules marked ``overridable`` may be accepted by the order's
authority with a reason (a signed ``CheckOverridden`` event); the others state things no order
can change (the person's area, dates before appointment or after leaving, retirement).
Figures come from ``ledger.rules`` data; where the data says a figure is NOT FOUND, the rule
fails with that note rather than passing silently — the lesson of the old checkers' stubs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from commands.facts import RecordFacts
from ledger.rules import rank_for_standing, rank_label, salary_range, standing_by_code
from ledger.rules.career import career_rules, standing_criteria_on
from ledger.thaidate import day_reaching_age, format_thai_date, retirement_date

__all__ = ["RULES", "Failure", "LineContext", "Rule", "check_line"]


@dataclass(frozen=True)
class LineContext:
    facts: RecordFacts
    kind: str
    effective_date: date
    fields: dict[str, Any]
    order_area: str


@dataclass(frozen=True)
class Failure:
    rule: str
    message_en: str
    message_th: str
    overridable: bool


@dataclass(frozen=True)
class Rule:
    id: str
    title_th: str
    source: str
    kinds: frozenset[str]  # the entry kinds it applies to; empty = every kind
    test: Callable[[LineContext], tuple[str, str] | None]
    overridable: bool = True


_SERVICE_KINDS = frozenset({
    "probation_passed", "salary_raised", "salary_table_moved", "transferred",
    "position_changed", "assignment_started", "assignment_ended", "standing_conferred",
    "position_renumbered", "leave_recorded", "days_without_pay", "discipline", "left_service",
})
_SALARY_KINDS = {"appointed": "salary", "position_changed": "salary",
                 "standing_conferred": "salary", "salary_raised": "new_salary",
                 "salary_table_moved": "new_salary"}


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _years_between(start: date, end: date) -> int:
    return _months_between(start, end) // 12


# ------------------------------------------------------------------- the checks


def _person_known(c: LineContext) -> tuple[str, str] | None:
    if c.kind != "record_opened" and not c.facts.exists:
        return ("unknown person: no record for this national ID",
                "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้")
    return None


def _opened_once(c: LineContext) -> tuple[str, str] | None:
    if c.facts.exists:
        return "this person already has a record", "บุคคลนี้มีทะเบียนประวัติอยู่แล้ว"
    return None


def _same_area(c: LineContext) -> tuple[str, str] | None:
    area = c.fields.get("area") if c.kind in ("record_opened", "appointed") and \
        not c.facts.exists else c.facts.area
    if c.kind == "transferred":
        area = c.facts.area  # a transfer out of the area is ordered by the person's own area
    if area and area != c.order_area:
        return (f"wrong area: the person belongs to {area}, the order to {c.order_area}",
                f"ผิดเขตพื้นที่: บุคคลนี้สังกัด {area} แต่คำสั่งเป็นของ {c.order_area}")
    return None


def _not_before_appointment(c: LineContext) -> tuple[str, str] | None:
    first = c.facts.appointed_on
    if first is not None and c.effective_date < first:
        return (f"effective date {c.effective_date} is before the appointment on {first}",
                f"วันที่มีผล {_th(c.effective_date)} อยู่ก่อนวันบรรจุ {_th(first)}")
    if first is None:
        return ("the person has not been appointed", "บุคคลนี้ยังไม่ได้รับการบรรจุ")
    return None


def _not_after_leaving(c: LineContext) -> tuple[str, str] | None:
    left = c.facts.left_on
    if left is not None and c.effective_date >= left:
        return (f"the person left service on {left}", f"บุคคลนี้พ้นจากราชการแล้วเมื่อ {_th(left)}")
    return None


def _before_retirement(c: LineContext) -> tuple[str, str] | None:
    if not c.facts.exists or c.kind == "left_service":
        return None
    out = retirement_date(c.facts.birth_date)
    if c.effective_date >= out:
        return (f"the person retires on {out}: record the retirement first",
                f"บุคคลนี้พ้นจากราชการเพราะเกษียณอายุในวันที่ {_th(out)} ต้องบันทึกการเกษียณก่อน")
    return None


def _retirement_day(c: LineContext) -> tuple[str, str] | None:
    if c.fields.get("reason") != "retired":
        return None
    out = retirement_date(c.facts.birth_date)
    if c.effective_date != out:
        return (f"retirement takes effect on {out} (the 1 October after the fiscal year in "
                f"which the person turns 60), not {c.effective_date}",
                f"การเกษียณอายุมีผลวันที่ {_th(out)} ไม่ใช่ {_th(c.effective_date)}")
    return None


def _adult_at_appointment(c: LineContext) -> tuple[str, str] | None:
    age = career_rules()["appointment"]["min_age"]
    if c.facts.exists and c.effective_date < day_reaching_age(c.facts.birth_date, age):
        return (f"the person is under {age} on {c.effective_date}",
                f"บุคคลนี้อายุยังไม่ครบ {age} ปี ณ วันที่ {_th(c.effective_date)}")
    return None


def _not_already_serving(c: LineContext) -> tuple[str, str] | None:
    if c.facts.in_service:
        return ("already in service: use a transfer or a change of position",
                "บุคคลนี้รับราชการอยู่แล้ว ให้ใช้คำสั่งย้ายหรือแต่งตั้ง")
    return None


def _rank_of(c: LineContext) -> str:
    return str(c.fields.get("rank") or c.facts.rank)


def _salary_in_range(c: LineContext) -> tuple[str, str] | None:
    amount = int(c.fields[_SALARY_KINDS[c.kind]])
    rank = _rank_of(c)
    bounds = salary_range(rank, c.effective_date)
    if bounds is None or bounds.minimum is None or bounds.maximum is None:
        note = bounds.missing if bounds is not None and bounds.missing else \
            "no salary table in the rules data for that date"
        return (f"cannot check the salary of rank {rank} on {c.effective_date}: {note}",
                f"ตรวจสอบอัตราเงินเดือนอันดับ {rank_label(rank)} ณ {_th(c.effective_date)} ไม่ได้: "
                f"ไม่พบข้อมูลบัญชีเงินเดือน")
    if not bounds.minimum <= amount <= bounds.maximum:
        return (f"salary {amount:,} is outside {rank}'s range {bounds.minimum:,}–"
                f"{bounds.maximum:,} ({bounds.table_id})",
                f"เงินเดือน {amount:,} บาท อยู่นอกช่วงของอันดับ {rank_label(rank)} "
                f"({bounds.minimum:,}–{bounds.maximum:,} บาท)")
    return None


def _no_decrease(c: LineContext) -> tuple[str, str] | None:
    before = c.facts.salary_on(c.effective_date)
    if before is not None and int(c.fields["new_salary"]) < before:
        return (f"a raise cannot lower the salary ({before:,} → {c.fields['new_salary']:,})",
                f"การเลื่อนเงินเดือนทำให้เงินเดือนลดลงไม่ได้ ({before:,} → "
                f"{c.fields['new_salary']:,})")
    return None


def _round_day(c: LineContext) -> tuple[str, str] | None:
    days = career_rules()["salary_rounds"]["round_days"]
    if c.effective_date.strftime("%m-%d") not in days:
        return ("a salary raise takes effect on 1 April or 1 October",
                "การเลื่อนเงินเดือนมีผลวันที่ 1 เมษายน หรือ 1 ตุลาคม")
    return None


def _raise_era(c: LineContext) -> tuple[str, str] | None:
    data = career_rules()["salary_rounds"]
    percent_from = date.fromisoformat(data["percent_from"])
    percent, steps = c.fields.get("percent"), c.fields.get("steps")
    if (percent is None) == (steps is None):
        return ("give either a percentage or a number of steps",
                "ต้องระบุร้อยละ หรือจำนวนขั้น อย่างใดอย่างหนึ่ง")
    if percent is not None and c.effective_date < percent_from:
        return (f"percentage raises start on {percent_from}; earlier raises are in steps",
                f"การเลื่อนเงินเดือนเป็นร้อยละเริ่ม {percent_from} ก่อนหน้านั้นเลื่อนเป็นขั้น")
    if steps is not None and c.effective_date >= percent_from:
        return (f"step raises ended on {percent_from}", f"การเลื่อนขั้นสิ้นสุดเมื่อ {percent_from}")
    if steps is not None and str(Decimal(steps).normalize()) not in data["steps_allowed"]:
        return (f"{steps} steps is not a step raise of the era",
                f"{steps} ขั้น ไม่ใช่การเลื่อนขั้นที่กำหนด")
    return None


def _months_in_unit(c: LineContext) -> tuple[str, str] | None:
    needed = career_rules()["transfer"]["min_months_in_unit"]
    since = c.facts.unit_since
    if since is not None and _months_between(since, c.effective_date) < needed:
        return (f"only {_months_between(since, c.effective_date)} months in {c.facts.unit}; "
                f"a transfer needs {needed}",
                f"ปฏิบัติงานใน {c.facts.unit} มาเพียง {_months_between(since, c.effective_date)}"
                f" เดือน การย้ายต้องไม่น้อยกว่า {needed} เดือน")
    return None


def _developed_before_k1(c: LineContext) -> tuple[str, str] | None:
    if c.fields.get("rank") != "k1" or c.facts.rank != "assistant":
        return None
    years = career_rules()["assistant_development"]["years"]
    start = c.facts.rank_since.get("assistant")
    if c.facts.development_passed_on is None or start is None \
            or _years_between(start, c.effective_date) < years:
        return (f"a ครูผู้ช่วย becomes ครู คศ.1 only after passing {years} years' development",
                f"ครูผู้ช่วยจะแต่งตั้งเป็นครู คศ.1 ได้เมื่อผ่านการเตรียมความพร้อมและพัฒนาอย่างเข้ม "
                f"{years} ปี")
    return None


def _standing_in_order(c: LineContext) -> tuple[str, str] | None:
    wanted = standing_by_code(str(c.fields["standing"]))
    current = standing_by_code(c.facts.standing)
    if wanted.level != current.level + 1:
        return (f"{wanted.label_th} cannot follow {current.label_th}: standings are not skipped",
                f"ข้ามวิทยฐานะไม่ได้: จาก{current.label_th} เป็น{wanted.label_th}")
    if c.fields.get("rank") != rank_for_standing(wanted.code):
        return (f"{wanted.label_th} goes with rank {rank_for_standing(wanted.code)}",
                f"วิทยฐานะ{wanted.label_th} ต้องคู่กับอันดับ {rank_for_standing(wanted.code)}")
    return None


def _standing_years(c: LineContext) -> tuple[str, str] | None:
    criteria = standing_criteria_on(c.effective_date)
    code = str(c.fields["standing"])
    level = criteria.levels.get(code)
    if level is None:
        note = criteria.missing.get(code, "criteria not in the rules data")
        return (f"{criteria.id}: {note}", f"{criteria.id}: ไม่พบหลักเกณฑ์ของวิทยฐานะนี้")
    return _years_short(c, level, criteria.id)


def _years_short(c: LineContext, level: dict[str, Any], set_id: str) -> tuple[str, str] | None:
    if "years_as_teacher_by_degree" in level or "years_as_teacher" in level:
        degree = c.facts.highest_degree() or "bachelor"
        needed = level.get("years_as_teacher") or level["years_as_teacher_by_degree"][degree]
        since = c.facts.teacher_since()
        served = _years_between(since, c.effective_date) if since else 0
        if served < needed:
            return (f"{set_id}: {served} years as a teacher, {needed} needed ({degree})",
                    f"{set_id}: เป็นครูมา {served} ปี ต้องไม่น้อยกว่า {needed} ปี")
        return None
    options = level.get("years_in") or level.get("years_in_any") or {}
    for standing, needed in options.items():
        since = c.facts.standing_since.get(standing)
        if since is not None and _years_between(since, c.effective_date) >= needed:
            return None
    wanted = ", ".join(f"{n} years as {s}" for s, n in options.items())
    return (f"{set_id}: needs {wanted}", f"{set_id}: ระยะเวลาในวิทยฐานะเดิมไม่ครบตามหลักเกณฑ์")


# ----------------------------------------------------------------- the catalogue

_SALARY_SOURCE = "ledger/rules/salary_tables.json (พ.ร.บ.เงินเดือนฯ ครู 2554, 2558)"
_ROUNDS = "ledger/rules/career_rules.json salary_rounds"

RULES: tuple[Rule, ...] = (
    Rule("person.known", "ต้องมีทะเบียนประวัติ", "ก.ค.ศ.16 (the record must exist)",
         frozenset(), _person_known, overridable=False),
    Rule("record.opened-once", "เปิดทะเบียนประวัติได้ครั้งเดียว", "ก.ค.ศ.16",
         frozenset({"record_opened"}), _opened_once, overridable=False),
    Rule("person.area", "บุคคลต้องอยู่ในเขตพื้นที่ของคำสั่ง", "authority scope (PEERS §7: area "
         "scope enforced server-side)", frozenset(), _same_area, overridable=False),
    Rule("date.before-appointment", "วันที่มีผลต้องไม่ก่อนวันบรรจุ", "CV/checkQualEffectiveDate",
         _SERVICE_KINDS, _not_before_appointment, overridable=False),
    Rule("date.after-leaving", "ไม่มีรายการหลังพ้นจากราชการ", "ก.ค.ศ.16",
         _SERVICE_KINDS | {"appointed"}, _not_after_leaving, overridable=False),
    Rule("retirement.date-passed", "ต้องบันทึกการเกษียณอายุ", "career_rules.json retirement",
         _SERVICE_KINDS | {"appointed"}, _before_retirement, overridable=False),
    Rule("retirement.day", "วันเกษียณอายุ 1 ตุลาคม", "career_rules.json retirement",
         frozenset({"left_service"}), _retirement_day, overridable=False),
    Rule("appointment.age", "อายุไม่ต่ำกว่า 18 ปี", "career_rules.json appointment",
         frozenset({"appointed"}), _adult_at_appointment),
    Rule("appointment.not-in-service", "บรรจุซ้ำไม่ได้", "ก.ค.ศ.16",
         frozenset({"appointed"}), _not_already_serving, overridable=False),
    Rule("salary.within-range", "เงินเดือนอยู่ในช่วงของอันดับ", _SALARY_SOURCE,
         frozenset(_SALARY_KINDS), _salary_in_range),
    Rule("salary.no-decrease", "เลื่อนเงินเดือนแล้วต้องไม่ลดลง", "CV/checkVitayaSalary",
         frozenset({"salary_raised"}), _no_decrease),
    Rule("salary.round-day", "เลื่อนเงินเดือน 1 เม.ย. / 1 ต.ค.", _ROUNDS,
         frozenset({"salary_raised"}), _round_day),
    Rule("salary.era", "ร้อยละหรือขั้นตามช่วงเวลา", _ROUNDS,
         frozenset({"salary_raised"}), _raise_era),
    Rule("transfer.months-in-unit", "อยู่ในหน่วยงานปัจจุบันไม่น้อยกว่า 12 เดือน",
         "career_rules.json transfer", frozenset({"transferred"}), _months_in_unit),
    Rule("development.before-k1", "พัฒนาอย่างเข้มก่อนเป็นครู คศ.1",
         "career_rules.json assistant_development", frozenset({"position_changed"}),
         _developed_before_k1),
    Rule("standing.order", "เลื่อนวิทยฐานะตามลำดับ", "ledger/rules standings order",
         frozenset({"standing_conferred"}), _standing_in_order, overridable=False),
    Rule("standing.criteria", "คุณสมบัติวิทยฐานะ", "career_rules.json standing_criteria",
         frozenset({"standing_conferred"}), _standing_years),
)


def check_line(context: LineContext) -> list[Failure]:
    """Every failure of the rules that apply to this line (empty: the line passes)."""
    failures = []
    if not context.facts.exists and context.kind != "record_opened":
        rules: tuple[Rule, ...] = RULES[:1]  # nothing else can be judged without a record
    else:
        rules = RULES
    for rule in rules:
        if rule.kinds and context.kind not in rule.kinds:
            continue
        failed = rule.test(context)
        if failed is not None:
            failures.append(Failure(rule.id, failed[0], failed[1], rule.overridable))
    return failures


def _th(day: date) -> str:
    """A date in a Thai message: Buddhist Era, Thai month name."""
    return format_thai_date(day)
