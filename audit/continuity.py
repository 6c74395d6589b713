"""Nothing removed unnoticed: the checks that the log is continuous.

Positions (notification ids) are gap-free: each recorder numbers the rows itself, under the
log's write lock, as the highest position plus one (no sequence, so a rolled-back write
consumes nothing). A missing position is therefore a removed event, and a finding names the
positions missing.

Each submission also signs what came before it: the log's size and the hash of the
submission that ends there (``ledger.integrity.LogHead``). Removing a submission from the
middle — even with every later position renumbered to close the gap — leaves the next one
signed after a log that is not the one before it (``SubmissionChain``).

What no log can show is a tail removed after its last checkpoint. The server signs a
checkpoint by itself whenever the log has grown (every ``TABIEN_CHECKPOINT_SECONDS``,
``ledger.checkpoints.Checkpointer``), so events that no checkpoint covers long after they
were signed mean checkpoints were deleted, or none are being made (``uncheckpointed_tail``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ledger.findings import Finding
from ledger.integrity import START_OF_LOG, LogHead, Submission
from ledger.persistence import CheckpointRow, SubmissionRow

__all__ = ["GRACE", "Positions", "SubmissionChain", "missing", "uncheckpointed_tail"]

Fail = Callable[[str, str, str], None]
"""Where findings go: ``fail(check, where, message)``."""


def missing(first: int, last: int) -> tuple[str, str, str]:
    """The finding (check, where, message) for positions ``first`` … ``last`` absent."""
    span = f"position {first}" if first == last else f"positions {first}-{last}"
    count = last - first + 1
    return ("gap", span, f"{count} position{'s' if count > 1 else ''} missing from the log: "
            "events were removed")


class Positions:
    """Follows positions as they come, in order, from the one after ``after``.

    The hot loop compares ``expected`` itself and calls ``gap`` only when it differs."""

    def __init__(self, after: int, fail: Fail) -> None:
        self.expected = after + 1
        self.fail = fail

    def see(self, position: int) -> None:
        if position != self.expected:
            self.gap(position)
        self.expected = position + 1

    def gap(self, position: int) -> None:
        if position > self.expected:
            self.fail(*missing(self.expected, position - 1))
        else:  # cannot happen with positions as a key: said all the same
            self.fail("gap", f"position {position}",
                      f"comes after position {self.expected - 1}: positions out of order")

    def end(self, upto: int | None) -> None:
        """The run should have reached ``upto`` (None: the end of the log, not known here)."""
        if upto is not None and self.expected <= upto:
            self.fail(*missing(self.expected, upto))


class SubmissionChain:
    """Follows submissions in log order: each must be signed after the log as it stood
    before it — its size, counted here, and the hash of the submission before it."""

    def __init__(self, fail: Fail, head: LogHead = START_OF_LOG) -> None:
        self.head = head
        self.fail = fail

    def follow(self, submission: Submission, size_before: int, where: str) -> None:
        """``submission`` comes next; ``size_before`` events precede it in the log."""
        if submission.log_size != size_before:
            self.fail("continuity", where,
                      f"signed after {submission.log_size} events but {size_before} precede "
                      "it: events before it were removed or added")
        elif submission.previous != self.head.previous:
            self.fail("continuity", where, "signed after another submission than the one "
                      "before it: a submission was removed, replaced or moved")
        self.head = LogHead(size_before + submission.event_count, submission.hash)


GRACE = 2.0
"""Events may wait this many checkpoint intervals for a checkpoint: one interval for the
server's next round, one for the round to be late (a busy server, a restart)."""


def uncheckpointed_tail(submissions: Sequence[SubmissionRow],
                        checkpoints: Sequence[CheckpointRow], seconds: float,
                        now: datetime | None = None) -> list[Finding]:
    """A finding if there is no checkpoint at all (``checkpoints`` include a witness's) and
    the first submission was signed more than ``GRACE`` × ``seconds`` ago.

    Only a log with none: a tail signed after the latest checkpoint is ordinary where
    commands are run without the server (each read writes its access-log entry), and the
    latest checkpoint still binds everything before it."""
    if checkpoints:
        return []
    covered = 0
    first = next((s for s in submissions if s.last_notification_id > covered), None)
    if first is None:
        return []
    age = ((now or datetime.now(UTC)) - first.submission.signed_at).total_seconds()
    if age <= GRACE * seconds:
        return []
    return [Finding(
        "checkpoint", f"positions {covered + 1}-",
        f"signed {first.submission.signed_at.isoformat(timespec='seconds')}, {age:.0f} s ago, "
        f"and covered by no checkpoint, where one is made every {seconds:g} s: checkpoints "
        "were deleted, or none are being made (run `tabien serve`, or `tabien checkpoint`)")]
