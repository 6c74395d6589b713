"""The ก.ค.ศ.16 as data: the record (``Kks16``) and the rows of its sections.

``projections.kks16`` builds it from the ledger's events; ``projections.render`` prints it as
the form. Dates are ``date`` values (the API gives them as ISO dates); every code sits beside
its Thai label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

__all__ = ["DecorationRow", "Kks16", "PeriodRow", "PhotoRow", "PositionRow", "Row",
           "ScheduledRow"]


@dataclass(frozen=True)
class Row:
    """One line of a section: its date, its text, its order reference, its marks."""

    on: date
    text: str
    reference: str
    version: int
    corrected: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class PositionRow(Row):
    """Section 13, ตำแหน่งและอัตราเงินเดือน. ``rank`` is the label the form prints (คศ.2),
    ``rank_code`` the ledger's code (k2)."""

    title: str = ""
    number: str = ""
    rank: str = ""
    salary: int | None = None
    rank_code: str = ""


@dataclass(frozen=True)
class PeriodRow(Row):
    """A line with a period (section 10, education and training; section 12): where
    (``place``), from ``started`` to ``finished``, what (``title``: a degree and major, a
    course)."""

    place: str = ""
    title: str = ""
    started: date | None = None
    finished: date | None = None


@dataclass(frozen=True)
class DecorationRow(Row):
    """A decoration conferred (with its Royal Gazette reference) or returned."""

    decoration: str = ""
    gazette: str = ""
    returned: bool = False


@dataclass(frozen=True)
class PhotoRow(Row):
    """A photo of the photo strip: the พ.ศ. it was taken (``year``, Buddhist Era) and the
    evidence file that holds it."""

    year: int = 0
    sha256: str = ""
    name: str = ""
    media_type: str = ""


@dataclass(frozen=True)
class ScheduledRow:
    """An entry recorded but not yet in effect on the record's date (คำสั่งที่ยังไม่มีผล):
    when it takes effect, what it does, by which order; ``area``: where it places the
    person, for a placement."""

    on: date
    kind: str
    text: str
    reference: str
    version: int
    area: str = ""
    kind_th: str = ""


@dataclass
class Kks16:
    """One person's ก.ค.ศ.16. Items 1–9 of the form are ``name``, ``birth_date``,
    ``retirement_date``, ``spouse_name``, ``father_name``, ``mother_name``, ``appointed_on``,
    ``duty_started_on`` and ``staff_type``; sections 10–13 are ``education`` and
    ``training``, ``discipline``, ``days_without_pay`` and ``positions``; the sheet
    "ข้อมูลสำคัญโดยย่อ" adds the addresses, ``decorations``, ``leave_by_year``,
    ``special_skills``, ``special_duties`` and ``name_history``."""

    national_id: str = ""
    name: str = ""
    birth_date: date | None = None
    retirement_date: date | None = None
    father_name: str = ""
    mother_name: str = ""
    spouse_name: str = ""
    domicile: str = ""
    area: str = ""
    appointed_on: date | None = None
    # Item 8: the first appointment's effective date (the ledger records no other start
    # of duty).
    duty_started_on: date | None = None
    staff_type: str = ""  # item 9, a code of ledger.vocabulary.STAFF_TYPES
    staff_type_th: str = ""
    position_title: str = ""
    position_number: str = ""
    unit: str = ""
    rank: str = ""
    rank_th: str = ""
    standing: str = "none"
    standing_th: str = ""
    salary: int = 0
    left: tuple[date, str] | None = None
    left_reason_th: str = ""
    decoration: str = ""  # the latest decoration conferred and not returned
    current_address: str = ""
    telephone: str = ""
    registered_address: str = ""
    photos: list[PhotoRow] = field(default_factory=list)
    education: list[PeriodRow] = field(default_factory=list)
    training: list[PeriodRow] = field(default_factory=list)
    discipline: list[Row] = field(default_factory=list)
    days_without_pay: list[PeriodRow] = field(default_factory=list)
    positions: list[PositionRow] = field(default_factory=list)
    decorations: list[DecorationRow] = field(default_factory=list)
    leave_by_year: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    name_history: list[Row] = field(default_factory=list)
    special_skills: list[Row] = field(default_factory=list)
    special_duties: list[Row] = field(default_factory=list)
    evidence: list[Row] = field(default_factory=list)
    scheduled: list[ScheduledRow] = field(default_factory=list)
    as_of: date | None = None
    known_at: datetime | None = None
    with_rows: bool = True  # False: only the current state (payroll needs no section rows)

    @property
    def areas_concerned(self) -> frozenset[str]:
        """The areas whose staff deal with this record: its area, and an area an order
        already issued will place the person in (its registrar prepares the arrival)."""
        return frozenset({self.area, *(r.area for r in self.scheduled if r.area)})

    def sections_empty(self) -> list[str]:
        """Names of the form's sections with nothing in them (for completeness reports)."""
        sections = {"education": self.education, "training": self.training,
                    "positions": self.positions, "decorations": self.decorations,
                    "leave": self.leave_by_year, "special_skills": self.special_skills}
        return [name for name, rows in sections.items() if not rows]
