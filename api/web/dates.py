"""Dates as the API reads them: by the same rule as the command line and the importer
(``ledger.thaidate``), on every route, in queries, bodies and forms.

An ISO date (``2026-04-01``) carries a C.E. year; a day-first date (``1/4/2569``) or one with
a Thai month name (``1 เมษายน 2569``) a B.E. year. A B.E. year in ISO form (``2569-04-01``)
is refused with a problem that says so in Thai and English, never read as a date five
centuries ahead. Answers give dates as ISO C.E. dates (machine fields)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from ledger.errors import InvalidDate
from ledger.thaidate import parse_date, parse_moment, parse_month

__all__ = ["ThaiDate", "ThaiMoment", "ThaiMonth", "bilingual_error"]

T = TypeVar("T")

DATE_EXAMPLES = ["2026-04-01", "1/4/2569", "1 เมษายน 2569"]


def bilingual_error(error: InvalidDate) -> PydanticCustomError:
    """A validation error that carries both messages (``api.web.problems`` shows both)."""
    return PydanticCustomError("invalid_date", "{en}", {"en": error.message,
                                                        "th": error.message_th})


def _reading(parse: Callable[[str], T]) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a date already, or something pydantic refuses by itself
        try:
            return parse(value)
        except InvalidDate as error:
            raise bilingual_error(error) from None
    return read


ThaiDate = Annotated[date, BeforeValidator(_reading(parse_date)), WithJsonSchema({
    "type": "string", "examples": DATE_EXAMPLES,
    "description": "วันที่: 2026-04-01 (ค.ศ.), 1/4/2569 หรือ 1 เมษายน 2569 (พ.ศ.) / a date: ISO "
                   "with a C.E. year, or day first with a B.E. year"})]

ThaiMonth = Annotated[date, BeforeValidator(_reading(parse_month)), WithJsonSchema({
    "type": "string", "examples": ["2026-05", "5/2569", "พฤษภาคม 2569"],
    "description": "เดือน: 2026-05 (ค.ศ.), 5/2569 หรือ พฤษภาคม 2569 (พ.ศ.) / a month: YYYY-MM "
                   "in C.E., or month first with a B.E. year"})]

ThaiMoment = Annotated[datetime, BeforeValidator(_reading(parse_moment)), WithJsonSchema({
    "type": "string", "examples": ["2026-12-03T10:00:00+07:00", "3/12/2569"],
    "description": "วันเวลาแบบ ISO 8601 (ปี ค.ศ.) หรือวันที่ (ถึงสิ้นวันนั้น) / ISO 8601 with a "
                   "C.E. year, or a date (to the end of that day in Thailand)"})]
