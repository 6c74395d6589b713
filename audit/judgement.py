"""What is judged of each submission once its signature holds: one function, shared by the
full verification (``audit.verify``) and the incremental one (``audit.incremental``).

Both paths read a submission's events into a ``SubmissionCheck`` (``audit.chunks``: its kinds
of event, its key events, what its events did to each personnel record's area) and follow
every record's area in log order (``audit.authority.AreaFold``: the full pass from the start
of the log, the incremental one from each touched record's area just before its window).
``judge_submission`` then says everything wrong with the submission under the key that signed
it. A further per-submission check belongs here, after the others, so that both paths make it.
"""

from __future__ import annotations

from collections.abc import Callable

from audit.authority import AreaFold, OrderFold
from audit.chunks import Finding, SubmissionCheck
from ledger.keys import SigningKey
from ledger.signing import role_problems

__all__ = ["Touched", "judge_submission"]

Touched = dict[bytes, list[str]]
"""The areas each personnel record a submission touched was in just before its events there,
by the record id's bytes (``AreaFold.take``)."""


def judge_submission(key: SigningKey, check: SubmissionCheck, touched: Touched,
                     orders: OrderFold, *, where: str,
                     record_id: Callable[[bytes], object]) -> list[Finding]:
    """Everything wrong with a submission whose signature holds under ``key``: which of its
    kinds of event the key's role may not sign (``[signature]``), then — if the role may sign
    them all — which records it touched outside the key's area, and which of its career
    events are not lines of an order it issues or which order it issues without being that
    order's area's authority (``[authority]``, ``orders`` follows the orders drafted so far).
    Empty when the key may sign all of it; only then do its key events count.

    ``where`` names the submission in the findings; ``record_id`` turns a record id's bytes
    back into the id reported."""
    drafted_problems = orders.problems(key, check.orders, check.drafted)  # always learns
    findings = [Finding("signature", where, problem) for problem in
                role_problems(key.role, check.kinds)]
    if findings:
        return findings
    # The service key has no area: what it signs (the access log, a teacher's own request)
    # is the server's, made for the signed-in user; none of it is a registrar's act.
    if touched and key.role != "service":
        findings += [Finding("authority", where, problem)
                     for problem in AreaFold(record_id).problems(key, touched)]
    return findings + [Finding("authority", where, problem) for problem in drafted_problems]
