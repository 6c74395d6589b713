"""The public verification page, ``/verify``: anyone — a bank, another agency — checks a
certified copy or certificate without signing in, by uploading its PDF or credential or by
opening the QR's link (the token rides in the link's fragment, which the browser never sends:
a few lines of script put it in the form; without script, the text can be pasted).

Server-rendered Thai HTML in the GOV.UK pattern: one question, the answer in a panel, what the
document states, who issued it, and every check made.
"""

from __future__ import annotations

import html
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.web.auth import services_of
from ledger.errors import TabienError

__all__ = ["verify_page_router"]

verify_page_router = APIRouter()
_MAX_UPLOAD = 20 * 1024 * 1024
_FIELDS_TH = {"name": "ชื่อ", "nationalId": "เลขประจำตัวประชาชน", "position": "ตำแหน่ง",
              "rankLabel": "อันดับ", "standingLabel": "วิทยฐานะ", "unit": "สังกัด/โรงเรียน",
              "area": "เขตพื้นที่การศึกษา", "appointedOn": "วันบรรจุ", "salary": "เงินเดือน (บาท)",
              "monthlyTotal": "รวมรับต่อเดือน (บาท)", "asOf": "ข้อมูล ณ วันที่",
              "purpose": "วัตถุประสงค์"}
_STYLE = """
body{font-family:Sarabun,"Noto Sans Thai",Tahoma,sans-serif;margin:0;color:#0b0c0c;
line-height:1.6;font-size:19px}
main{max-width:760px;margin:0 auto;padding:20px}
header{background:#0b0c0c;color:#fff;padding:10px 20px;font-weight:bold}
h1{font-size:32px;margin:20px 0}
.panel{padding:20px;margin:20px 0;color:#fff}
.valid{background:#00703c}.bad{background:#d4351c}
dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 20px}dt{font-weight:bold}
label{display:block;font-weight:bold;margin:20px 0 5px}
textarea,input[type=file]{width:100%;font-size:16px}
button{background:#00703c;color:#fff;border:0;padding:10px 20px;font-size:19px;
margin-top:20px;cursor:pointer}
.hint{color:#505a5f}ul.checks li{margin:4px 0}
"""


def _page(title: str, body: str, nonce: str = "") -> HTMLResponse:
    policy = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
              "base-uri 'none'; frame-ancestors 'none'"
              + (f"; script-src 'nonce-{nonce}'" if nonce else ""))
    text = (f'<!DOCTYPE html><html lang="th"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} – tabien</title><style>{_STYLE}</style></head>"
            f"<body><header>ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา</header>"
            f"<main>{body}</main></body></html>")
    return HTMLResponse(text, headers={"Content-Security-Policy": policy,
                                       "X-Content-Type-Options": "nosniff",
                                       "Referrer-Policy": "no-referrer",
                                       "Cache-Control": "no-store"})


_FORM = """
<h1>ตรวจสอบเอกสารรับรอง</h1>
<p>ตรวจสอบสำเนาทะเบียนประวัติและหนังสือรับรองที่ออกจากระบบ โดยไม่ต้องเข้าสู่ระบบ
<span class="hint" lang="en">(Verify a certified copy or certificate.)</span></p>
<form method="post" action="verify" enctype="multipart/form-data" id="verify-form">
<label for="file">ไฟล์เอกสาร (PDF) หรือข้อมูลรับรอง (.vc.json)</label>
<input type="file" id="file" name="file" accept=".pdf,.json,application/pdf,application/json">
<label for="text">หรือข้อความจากคิวอาร์โค้ด</label>
<p class="hint">สแกนคิวอาร์โค้ดบนเอกสาร แล้ววางข้อความหรือลิงก์ที่ได้ที่นี่</p>
<textarea id="text" name="text" rows="4" maxlength="5000">{text}</textarea>
<button type="submit">ตรวจสอบ</button>
</form>
"""
_FRAGMENT_SCRIPT = """<script nonce="{nonce}">
(function(){{var h=location.hash.slice(1);if(!h)return;
var t=document.getElementById('text');t.value=decodeURIComponent(h);
history.replaceState(null,'',location.pathname);
document.getElementById('verify-form').submit();}})();
</script>"""


@verify_page_router.get("/verify", include_in_schema=False)
def verify_form() -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    return _page("ตรวจสอบเอกสาร", _FORM.format(text="") + _FRAGMENT_SCRIPT.format(nonce=nonce),
                 nonce)


@verify_page_router.post("/verify", include_in_schema=False)
async def verify_submitted(request: Request,
                           file: Annotated[UploadFile | None, File()] = None,
                           text: Annotated[str, Form(max_length=5000)] = "") -> HTMLResponse:
    data = b""
    if file is not None and file.filename:
        data = await file.read(_MAX_UPLOAD + 1)
        if len(data) > _MAX_UPLOAD:
            return _error("ไฟล์ใหญ่เกิน 20 MB", "The file is larger than 20 MB.", text)
    elif text.strip():
        data = text.encode()
    if not data:
        return _error("กรุณาแนบไฟล์ หรือใส่ข้อความจากคิวอาร์โค้ด",
                      "Give a file or the QR's text.", text)
    services = services_of(request)
    from audit.certificates import verify_bytes

    try:
        verdict = await run_in_threadpool(verify_bytes, data, ledger=services.ledger,
                                          now=datetime.now(UTC))
    except TabienError as e:
        return _error(e.message_th, e.message, text)
    return _page("ผลการตรวจสอบ", _verdict_html(verdict))


def _error(thai: str, english: str, text: str) -> HTMLResponse:
    body = (f'<div class="panel bad" role="alert"><h2>ตรวจสอบไม่ได้</h2>'
            f"<p>{html.escape(thai)}</p><p lang=\"en\">{html.escape(english)}</p></div>"
            + _FORM.format(text=html.escape(text)))
    page = _page("ตรวจสอบเอกสาร", body)
    page.status_code = 400
    return page


def _verdict_html(verdict: Any) -> str:
    e = html.escape
    panel = "valid" if verdict.valid else "bad"
    rows = "".join(f"<dt>{e(label)}</dt><dd>{e(_shown(verdict.subject[key]))}</dd>"
                   for key, label in _FIELDS_TH.items() if verdict.subject.get(key))
    checked = "".join(f"<li>✓ {e(line)}</li>" for line in verdict.checked)
    problems = "".join(f"<li>✗ {e(th)} <span lang=\"en\" class=\"hint\">({e(en)})</span></li>"
                       for en, th in verdict.problems)
    offline = "" if verdict.online else "<p>ไม่ได้ตรวจกับบัญชีหลัก จึงไม่ทราบการเพิกถอน</p>"
    return (f'<div class="panel {panel}" role="status"><h1>{e(verdict.status_th)}</h1>'
            f"<p>{e(verdict.kind_th)}</p></div>"
            f"<h2>เอกสารนี้รับรองว่า</h2><dl>{rows}</dl>"
            f"<h2>ผู้ออกเอกสาร</h2><p>{e(verdict.issuer_name or '-')}<br>"
            f'<small class="hint">{e(verdict.issuer)}</small></p>'
            f"<p>เลขที่เอกสาร {e(verdict.document_id or '-')}<br>"
            f"ใช้ได้ถึง {e(verdict.valid_until or '-')}</p>"
            f'<h2>สิ่งที่ตรวจแล้ว</h2><ul class="checks">{checked}{problems}</ul>{offline}'
            f'<p><a href="verify">ตรวจสอบเอกสารอื่น</a></p>')


def _shown(value: object) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
