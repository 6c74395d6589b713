"""The seed's invented figures: bands, ladders, chances, and the days no reference gives.

Each is a plausible guess, not a figure from a source (see the package docstring).
"""

from __future__ import annotations

from datetime import date, timedelta

# (label, weight, lowest and highest percent in hundredths): invented bands (package docstring).
APPRAISALS = (
    ("ดีเด่น", 25, 340, 400), ("ดีมาก", 40, 280, 335), ("ดี", 30, 220, 275), ("พอใช้", 5, 150, 215),
)
# The royal decorations a teacher climbs, lowest first; the ceiling per rank is an approximation
# (the rules of the ระเบียบสำนักนายกรัฐมนตรี are not in the reference).
DECORATIONS = (
    "เบญจมาภรณ์มงกุฎไทย (บ.ม.)", "เบญจมาภรณ์ช้างเผือก (บ.ช.)", "จัตุรถาภรณ์มงกุฎไทย (จ.ม.)",
    "จัตุรถาภรณ์ช้างเผือก (จ.ช.)", "ตริตาภรณ์มงกุฎไทย (ต.ม.)", "ตริตาภรณ์ช้างเผือก (ต.ช.)",
    "ทวีติยาภรณ์มงกุฎไทย (ท.ม.)", "ทวีติยาภรณ์ช้างเผือก (ท.ช.)", "ประถมาภรณ์มงกุฎไทย (ป.ม.)",
    "ประถมาภรณ์ช้างเผือก (ป.ช.)",
)
DECORATION_CEILING = {"k1": 5, "k2": 7, "k3": 8, "k4": 9}
DECORATION_YEARS = 5  # first after five years' service, then a class every five years
# (penalty, weight, description, whether it bars a raise and a standing: heavier than ภาคทัณฑ์)
PENALTIES = (
    ("ภาคทัณฑ์", 50, "ภาคทัณฑ์ กรณีไม่ปฏิบัติตามระเบียบแบบแผนของทางราชการ", False),
    ("ตัดเงินเดือน", 35, "ตัดเงินเดือนร้อยละ 5 เป็นเวลา 2 เดือน กรณีละทิ้งหน้าที่ราชการ", True),
    ("ลดขั้นเงินเดือน", 15, "ลดเงินเดือนร้อยละ 4 กรณีประพฤติชั่ว", True),
)
# (leave type, chance per half-year, possible days, who may take it)
LEAVES: tuple[tuple[str, float, tuple[str, ...], str], ...] = (
    ("ลาป่วย", 0.30, ("0.5", "1", "1", "2", "3", "4"), "anyone"),
    ("ลากิจส่วนตัว", 0.15, ("0.5", "1", "1", "2"), "anyone"),
    ("ลาพักผ่อน", 0.10, ("2", "3", "5"), "anyone"),
    ("ลาคลอดบุตร", 0.02, ("90",), "young-female"),
    ("ลาอุปสมบท", 0.004, ("15", "30"), "male"),
)

# Chances per person per half-year unless named otherwise: plausible guesses (package docstring).
RESIGN = 0.003
DIE = 0.0008
DISCIPLINE = 0.001
TRANSFER_PER_YEAR = 0.04
TYPO = 0.008           # an entry recorded with a mistyped order number, corrected later
WRONG_DAYS = 0.01      # a leave recorded with the wrong number of days
CANCELLED_LEAVE = 0.005
DUPLICATE_TRAINING = 0.02
TRAINING = 0.12
MARRIAGE = 0.03
SKILL = 0.015
MASTER = 0.01
DOCTOR = 0.002
CONFER_CHANCE = {"senior": 0.30, "senior_special": 0.15, "expert": 0.01}
CAREER_REACH = {"senior": 0.9, "senior_special": 0.6, "expert": 0.04}
NEXT_STANDING = {"none": "senior", "senior": "senior_special", "senior_special": "expert"}

# ว9/2564 criteria replaced ว17/2552 around mid-2021 (REFERENCE §4 gives the circular, not the
# day); 1 July 2021 is an approximation.
W9_FROM = date(2021, 7, 1)
RENUMBERING = date(2014, 10, 1)
# A raise needs at least four months' service in the half-year before the round.
SERVICE_BEFORE_RAISE = timedelta(days=120)
