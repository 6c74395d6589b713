"""The shapes of the API's answers, for the OpenAPI document.

The routes build their JSON with ``services.to_json`` (orjson, amounts as exact strings), not
through these models: they are here so that the document says what each answer holds — and
the schemathesis run in the tests checks every answer against them. Where a route returns a
dataclass of the domain (the ก.ค.ศ.16, a timeline entry) the dataclass itself is the schema.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
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
    "ImportResultOut",
    "IssueOut",
    "KeyOut",
    "OrderOut",
    "PayrollOut",
    "ProblemOut",
    "ProofOut",
    "RoundOut",
    "TokenOut",
    "VerifyJobOut",
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
    cut_over: date | None = Field(
        None, description="a transcription of the legacy record only: lines dated before it "
                          "are copied as the old record has them / คำสั่งรับโอนทะเบียนประวัติเดิม: "
                          "วันเริ่มใช้ระบบ")


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


class VerifyProgressOut(_Out):
    phase: Literal["starting", "ledger", "views", "done"] = Field(
        description="starting; ledger (events, chains, signatures, keys' roles and areas, "
                    "positions, submissions, checkpoints); views (the record view against a "
                    "replay of the ledger); done / ขั้นตอน", examples=["ledger"])
    phase_th: str = Field(examples=["ตรวจสอบสมุดทะเบียน"])
    unit: Literal["events", "positions"] = Field(
        description="what checked and total count: events in the ledger phase, log "
                    "positions replayed in the views phase / หน่วยที่นับ", examples=["events"])
    checked: int = Field(description="checked so far in this phase / ตรวจแล้ว",
                         examples=[40_800])
    total: int | None = Field(description="to check in this phase, if known / ทั้งหมด",
                              examples=[480_000])
    percent: float = Field(description="of this phase (100 when done) / ร้อยละ",
                           examples=[8.5])


class VerifyFindingOut(_Out):
    check: str = Field(description="the check that found it / การตรวจที่พบ",
                       examples=["authority"])
    check_th: str = Field(examples=["เขตพื้นที่ของกุญแจ"])
    where: str = Field(description="what it is found in / ตำแหน่งที่พบ",
                       examples=["submission 5f0c9d2e-8b4a-4c1e-9f3d-2a7b6e1c0d8f (positions "
                                 "41-42)"])
    message: str = Field(description="the problem / ปัญหาที่พบ",
                         examples=["key reg-abcdef (registrar of สพม.11) signed events of "
                                   "record 0b8f3c4e-5a6d-4e7f-8a9b-c0d1e2f3a4b5, which was "
                                   "in สพม.16"])
    text: str = Field(description="the finding as `tabien verify` prints it",
                      examples=["[authority] submission 5f0c9d2e-8b4a-4c1e-9f3d-2a7b6e1c0d8f "
                                "(positions 41-42): key reg-abcdef (registrar of สพม.11) "
                                "signed events of record 0b8f3c4e-5a6d-4e7f-8a9b-c0d1e2f3a4b5, "
                                "which was in สพม.16"])


class VerifyCoverageOut(_Out):
    """Exactly what the verification covered / ขอบเขตที่ตรวจสอบ."""

    scope: Literal["full", "since_checkpoint"] = Field(examples=["full"])
    positions_from: int = Field(description="the first log position read", examples=[1])
    positions_to: int = Field(description="the last log position read", examples=[480_000])
    events: int = Field(examples=[480_000])
    submissions: int = Field(description="signed submissions checked", examples=[5_200])
    checkpoints: int = Field(description="checkpoints checked (and a witness's, none here)",
                             examples=[42])
    since_checkpoint: int | None = Field(description="the size of the checkpoint an "
                                                     "incremental verification started from",
                                         examples=[None])
    evidence_files: bool = Field(description="whether the evidence files events refer to "
                                             "were checked (the full verification only)")
    views_checked: bool = Field(description="whether the record view was held to a replay")
    view_position: int | None = Field(description="the view's tracking position it was "
                                                  "checked up to", examples=[479_950])
    view_rows: int = Field(description="view rows compared with the replay",
                           examples=[61_000])


class VerifyReportOut(_Out):
    ok: bool
    ok_th: str = Field(examples=["ถูกต้องครบถ้วน"])
    findings: list[VerifyFindingOut]
    covered: VerifyCoverageOut


class VerifyErrorOut(_Out):
    detail: str = Field(examples=["the server stopped before the verification ended"])
    detail_th: str = Field(examples=["เครื่องแม่ข่ายหยุดทำงานก่อนการตรวจสอบเสร็จ"])


class VerifyJobOut(_Out):
    """A verification job: how far it has come and, once done, its report (jobs are kept in
    the server process's memory) / งานตรวจสอบความถูกต้อง."""

    job_id: str = Field(examples=["3f2b9c8e7d6a4b5c9e8f7a6b5c4d3e2f"])
    scope: Literal["full", "since_checkpoint"] = Field(
        description="full: everything, as `tabien verify`; since_checkpoint: what was "
                    "appended after the latest checkpoint, as `tabien verify --since`",
        examples=["full"])
    scope_th: str = Field(examples=["ตรวจสอบทั้งสมุดทะเบียน"])
    status: Literal["running", "done", "failed"] = Field(examples=["running"])
    status_th: str = Field(examples=["กำลังตรวจสอบ"])
    requested_by: str = Field(examples=["auditor"])
    started_at: datetime
    finished_at: datetime | None
    progress: VerifyProgressOut
    report: VerifyReportOut | None = Field(description="when done / ผลการตรวจสอบ")
    error: VerifyErrorOut | None = Field(description="when failed: why / สาเหตุที่ไม่สำเร็จ")


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


class TranscriptionOut(_Out):
    """The transcription order the accepted rows became, for the area's authority to check
    and issue (คำสั่งรับโอนทะเบียนประวัติเดิม)."""

    authority: str
    order_number: str
    order_date: date
    cut_over: date = Field(description="rows dated on or after it are checked by the rules / "
                                       "รายการตั้งแต่วันนี้ตรวจตามหลักเกณฑ์")
    title: str
    lines: int
    people: int
    under_rules: int
    kinds: dict[str, int]
    drafted: bool = Field(description="false on a dry run or when nothing was new / "
                                      "เป็น false เมื่อตรวจสอบอย่างเดียวหรือไม่มีรายการใหม่")


class ImportResultOut(_Out):
    files: list[ImportOut]
    order: TranscriptionOut


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

