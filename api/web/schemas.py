"""The shapes of the API's answers, for the OpenAPI document.

The routes build their JSON with ``services.to_json`` (orjson, amounts as exact strings), not
through these models: they are here so that the document says what each answer holds — and
the schemathesis run in the tests checks every answer against them. Where a route returns a
dataclass of the domain (the ก.ค.ศ.16, a timeline entry) the dataclass itself is the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from commands.salary_round import RoundLine, Violation
from ledger.rules.career import ruleset_version
from projections.payroll import PayLine

__all__ = [
    "AccessRow",
    "AccountOut",
    "CheckOut",
    "CheckRow",
    "CheckpointOut",
    "DenialOut",
    "EvidenceOut",
    "ImportOut",
    "IssueOut",
    "KeyOut",
    "OrderOut",
    "PayrollOut",
    "ProblemOut",
    "ProofOut",
    "RoundOut",
    "TokenOut",
    "VerifyOut",
]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemOut(BaseModel):
    """RFC 9457 problem details, with a stable code and the message in Thai and English."""

    type: str = Field(examples=["https://tabien.example/problems/forbidden"])
    title: str = Field(examples=["Forbidden"])
    status: int = Field(examples=[403])
    code: str = Field(description="stable error code / รหัสข้อผิดพลาด", examples=["forbidden"])
    detail: str = Field(examples=["reg does not act in area สพป.นครศรีธรรมราช เขต 1"])
    detail_th: str = Field(examples=["reg ไม่มีสิทธิ์ในเขตพื้นที่ สพป.นครศรีธรรมราช เขต 1"])
    instance: str | None = None
    errors: list[str] | None = Field(default=None, description="each problem found")
    errors_th: list[str] | None = Field(default=None,
                                        description="each problem found, in Thai / "
                                                    "ปัญหาที่พบแต่ละรายการ")
    rule: str | None = Field(default=None, description="the rule that refused it")


class TokenOut(_Out):
    access_token: str = Field(description="the bearer token / โทเค็น")
    token_type: str = Field(examples=["bearer"])
    expires_in: int = Field(description="seconds until it expires / อายุเป็นวินาที",
                            examples=[3600])


class AccountOut(_Out):
    username: str = Field(examples=["somchai.r"])
    display_name: str = Field(examples=["นายสมชาย รักเรียน"])
    role: str = Field(examples=["registrar"])
    role_th: str = Field(examples=["นายทะเบียน"])
    areas: list[str] = Field(examples=[["สพม.16"]])
    national_id: str | None
    disabled: bool


class CheckRow(_Out):
    line: int = Field(description="line number of the order / ลำดับที่ในคำสั่ง")
    rule: str = Field(description="the rule, or * for a line that passed every rule",
                      examples=["salary.within-range"])
    passed: bool
    overridable: bool | None = None
    message_en: str
    message_th: str


class OrderOut(_Out):
    authority: str = Field(examples=["สพม.16"])
    area: str = Field(examples=["สพม.16"])
    order_number: str = Field(examples=["120/2569"])
    order_date: date
    title: str = Field(examples=["เลื่อนเงินเดือนข้าราชการครู"])
    lines: int = Field(description="number of lines / จำนวนรายการ")
    issued: bool
    failures: list[CheckRow] = Field(description="rules the last check found broken")


class CheckOut(_Out):
    passed: bool
    ruleset_version: str = Field(description="the rules' code version and a hash of their "
                                             "data files / รุ่นของหลักเกณฑ์",
                                 examples=[ruleset_version()])
    results: list[CheckRow]


class IssueOut(_Out):
    order_id: UUID
    event_count: int = Field(description="events appended / จำนวนรายการที่บันทึก")
    positions: list[int] = Field(description="their positions in the log")
    already_issued: bool = Field(description="true when an earlier request issued it and "
                                             "nothing was written now")


class CheckpointOut(_Out):
    tree_size: int
    note: str = Field(description="the signed note (C2SP tlog-checkpoint) to keep outside")


class _ProofEvent(_Out):
    record_id: UUID
    version: int
    position: int
    topic: str


class ProofOut(_Out):
    type: str = Field(examples=["tabien-inclusion-proof/v1"])
    checkpoint: str
    leaf_index: int
    tree_size: int
    event_hash: str
    event: _ProofEvent
    proof: list[str] = Field(description="RFC 9162 inclusion path, hex")


class VerifyOut(_Out):
    ok: bool
    events: int
    submissions: int
    checkpoints: int
    findings: list[str]


class AccessRow(_Out):
    reader: str
    channel: str = Field(examples=["api"])
    purpose: str = Field(examples=["ออกหนังสือรับรอง"])
    read_at: datetime
    position_version: int = Field(description="the entry's place in its stream / ลำดับในสาย")
    stream: int = Field(0, description="the access stream holding it: 0 for the command line "
                                       "and a single server process, one each for the "
                                       "processes of a server with several workers / "
                                       "สายบันทึกการเข้าถึง")


class DenialOut(_Out):
    username: str
    role: str
    method: str
    path: str
    reason: str
    at: datetime


class KeyOut(_Out):
    key_id: str
    name: str
    role: str = Field(examples=["registrar"])
    area: str
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


class RoundOut(_Out):
    area: str
    round_date: date
    base_date: date
    salary_mass: int
    pool: str = Field(description="the pool in baht, exact / วงเงิน (บาท)")
    total: int
    ok: bool
    lines: list[RoundLine]
    violations: list[Violation]
    order: OrderOut | None = Field(default=None, description="the drafted order, when one was "
                                                             "drafted")


class _Rejected(_Out):
    line: int
    reason_th: str
    reason_en: str


class ImportOut(_Out):
    file: str
    layout: str
    layout_th: str
    encoding: str
    dates_be: int
    dates_ce: int
    read: int
    imported: int
    present: int
    rejected: list[_Rejected]
    blank_rows: int
    ignored_columns: list[str]
    events_written: int


class PayrollOut(_Out):
    """The month's feed: its people by position number, the totals, and the reconciliation
    (``previous_total`` + ``changes`` = ``total``; ``reconciles`` is the verdict)."""

    area: str
    month: date
    exported_at: datetime
    lines: list[PayLine]
    total: int = Field(description="this month's total, without arrears / ยอดเดือนนี้")
    arrears: int = Field(description="arrears paid with this month / ตกเบิก")
    previous_month: date | None = Field(description="the last feed's month, none before the "
                                                    "first / เดือนของแฟ้มก่อน")
    previous_total: int | None = Field(description="the last feed's total / ยอดเดือนก่อน")
    changes: int = Field(description="this month's changes against the last feed (joined, "
                                     "left, changed) / ยอดการเปลี่ยนแปลง")
    reconciles: bool = Field(description="previous_total + changes = total / กระทบยอดถูกต้อง")
    note: str = Field(description="the position allowance note (NOT FOUND), as in notes")
    notes: list[str] = Field(description="what the reference does not give (NOT FOUND), and "
                                         "the ledger head the feed was made at / หมายเหตุ")
    ledger_position: int = Field(description="the ledger's head when the feed was asked for: "
                                             "the record view had applied every career event "
                                             "up to it / ลำดับของบัญชีหลักที่ใช้ทำข้อมูล")
    ledger_event_hash: str = Field(description="the ledger's stored hash (hex) of the event "
                                               "at ledger_position / แฮชของรายการที่ลำดับนั้น")


class EvidenceOut(_Out):
    sha256: str
    name: str
    media_type: str
    size: int
    position: int | None = Field(default=None,
                                 description="where the entry referring to it was appended")

