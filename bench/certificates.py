"""The certificates scenario (issue 17): a salary certificate for every person of an area,
issued as tabien issues them — facts from the caught-up view, a checkpoint and the inclusion
proof of every stated entry, the credential signed (eddsa-jcs-2022), the QR token, the PDF with
both inside, the issuance appended to the ledger — beside making the same PDFs unsigned (the
same facts and layout, no proofs, no signatures, nothing written). Then every one verified
against the ledger, beside checking the Data Integrity proof alone.

The ledger (N people × 6 events) and the view are built untimed.
"""

from __future__ import annotations

import orjson

from api.certificates import CertificateDesk, IssuedFiles, IssueRequest, unsigned_pdf
from audit.certificates import Verdict, verify_bytes
from ledger.credentials import verify_proof
from ledger.keys import KeyStore

from .careers import AREA
from .report import Row
from .scenarios import Backend, Context, area_with_view
from .timing import Best, timed

__all__ = ["LEGEND", "certificates"]

_EVENTS_PER_PERSON = 6
_PURPOSE = "ประกอบการขอสินเชื่อธนาคาร"

LEGEND = (
    "certificates: api.certificates.CertificateDesk.issue_many, a salary certificate for every "
    "person of one area in one submission (view caught up, checkpoint, inclusion proofs, "
    "eddsa-jcs-2022 credential, COSE token, Thai PDF with both attached, issuance appended), "
    "documents/s | unsigned PDFs: the same people's facts and PDFs with no proof, signature "
    "or write",
    "verify certificates: audit.certificates.verify_bytes of each credential against the "
    "ledger (proof, checkpoint note, inclusion proofs, expiry, issuance hash, revocation, "
    "corrections), documents/s | proof only: ledger.credentials.verify_proof alone",
)


def certificates(backend: Backend, ctx: Context) -> list[Row]:
    people = ctx.sizes.certificate_people
    best = Best()
    with backend.stores() as stores:
        ledger = stores.ledger
        view = area_with_view(stores, ctx, people, _EVENTS_PER_PERSON)
        ctx.progress(backend.name, f"  certificates: {people:,} people built (not timed)")
        desk = CertificateDesk(ledger, view, KeyStore(ctx.key_dir, passphrase=ctx.passphrase))
        requests = [IssueRequest("salary", p.national_id, _PURPOSE, "bench", channel="bench")
                    for p in view.people_of_area(AREA)]
        issued: list[IssuedFiles] = []
        for _ in range(ctx.sizes.rounds):
            seconds, issued = timed(desk.issue_many, requests, log_each=False)
            best.add("issue", seconds)
            seconds, _pdfs = timed(lambda: [unsigned_pdf(desk, r) for r in requests])
            best.add("unsigned", seconds)
        credentials = [orjson.dumps(files.credential) for files in issued]
        verdicts: list[Verdict] = []
        for _ in range(ctx.sizes.rounds):
            seconds, verdicts = timed(lambda: [verify_bytes(c, ledger=ledger)
                                               for c in credentials])
            best.add("verify", seconds)
            seconds, _checks = timed(lambda: [verify_proof(f.credential) for f in issued])
            best.add("proof", seconds)
        factory = getattr(view, "_factory", None)
        if factory is not None:
            factory.close()
    valid = sum(v.valid for v in verdicts)
    note = "" if valid == len(requests) else f"VERIFY WRONG: {valid:,}/{len(requests):,} valid"
    return [
        Row(backend.name, "certificates issued", len(issued), best["issue"], "unsigned PDFs",
            best["unsigned"], len(requests)),
        Row(backend.name, "certificates verified", len(verdicts), best["verify"], "proof only",
            best["proof"], len(issued), note=note),
    ]
