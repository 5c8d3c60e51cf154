"""Curtailment: stop simulating a unit test once its remaining sessions cannot change its verdict.

A unit test's sessions run in stages (``--amigo-stages``): after each stage, ``decide`` looks at
the sessions so far (passed, failed, errored) and the unit test's rules, and says either that the
verdict is **decided** - the outcome the full run count would give, whatever the remaining
sessions do - or that it is undecided and how many more sessions could decide it. Decided is
proved, not estimated: the rules of ``verdict._decide`` are monotone in the counts, so the two
extreme completions (every remaining session passes; every remaining one fails, or errors) bound
every other one. The unit tests check it against ``verdict.judge`` over every completion.

The fixed-design rules (``verdict._decide``), over the final counts (``passed + failed`` = the
valid sessions, ``errored`` the others, ``run_count`` all of them):

- every session must pass (no minimum pass rate): passed when every session passed; failed as
  soon as one valid session failed a criterion, whatever errored; otherwise (some errored, no
  valid session failed) an error. One failure decides; an errored session only rules out passed.
- a minimum pass rate R: an error without valid sessions, or with fewer than
  ``amigo_min_valid_sessions`` (``verdict.required_valid``); otherwise passed when at least
  ``ceil(R * valid)`` valid sessions passed (``verdict.required_sessions``), else failed.
  Errored sessions leave the valid count, which lowers what must pass.

Weighing the evidence (``--amigo-confidence``, ``--amigo-min-pass-k``) is a test, not a count:
its staged form is ``judging/sequential.py``. Pure: no HTTP, no pytest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pytest_amigo.judging.verdict import Verdict, required_sessions, required_valid

Decided = Literal["passed", "failed", "error"]
# why the verdict is decided: a session failed under "every session must pass"; enough passes
# that the minimum pass rate is met whatever the rest do; too many failures to meet it; too many
# errored sessions for amigo_min_valid_sessions; every session simulated
Why = Literal["failed-session", "enough-passes", "too-many-failures", "too-few-valid", "complete"]


@dataclass(frozen=True)
class StageRule:
    """What a unit test's verdict counts: its run count and the rules of ``verdict.judge``."""

    run_count: int
    min_pass_rate: float | None = None  # None: every session must pass
    min_valid: float | None = None  # amigo_min_valid_sessions: a count (int) or a share (float)

    def __post_init__(self) -> None:
        if self.run_count < 1:
            raise ValueError(f"run_count must be >= 1, got {self.run_count}")
        if self.min_pass_rate is not None:
            required_sessions(0, self.min_pass_rate)  # validates the rate

    @property
    def needed_valid(self) -> int:
        """Valid sessions the rate rule needs at the end (at least one: none is an error)."""
        return max(1, required_valid(self.run_count, self.min_valid))


@dataclass(frozen=True)
class SoFar:
    """The sessions simulated so far and, per criterion, how many valid sessions failed it."""

    passed: int
    failed: int
    errored: int = 0
    failed_criteria: tuple[tuple[str, int], ...] = ()  # (criterion name, sessions not meeting it)

    def __post_init__(self) -> None:
        if min(self.passed, self.failed, self.errored) < 0:
            raise ValueError(f"session counts must be >= 0, got {self}")

    @property
    def sessions(self) -> int:
        return self.passed + self.failed + self.errored

    @property
    def valid(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True)
class Decision:
    """``decide``'s answer after ``sessions`` of ``run_count`` sessions.

    Decided: ``outcome`` is the verdict's outcome over the full run count, ``why`` says what
    decided it. Undecided: ``outcome`` is None and ``earliest`` is the fewest more sessions after
    which it could be decided (``remaining`` at most)."""

    outcome: Decided | None
    why: Why | None
    sessions: int
    run_count: int
    earliest: int = 0

    @property
    def decided(self) -> bool:
        return self.outcome is not None

    @property
    def remaining(self) -> int:
        """Sessions of the run count not simulated yet (saved, when decided)."""
        return self.run_count - self.sessions


def decide(rule: StageRule, so_far: SoFar) -> Decision:
    """Decided (the full run count's outcome, provably) or undecided after ``so_far``."""
    n, done = rule.run_count, so_far.sessions
    if done > n:
        raise ValueError(f"{done} sessions so far, more than the run count {n}")
    if rule.min_pass_rate is None:
        return _every_session(so_far, n)
    return _rate(rule, rule.min_pass_rate, so_far)


def _every_session(so_far: SoFar, n: int) -> Decision:
    done = so_far.sessions
    if so_far.failed:
        return Decision("failed", "failed-session", done, n)
    if done == n:
        return Decision("passed" if not so_far.errored else "error", "complete", done, n)
    # one more failed session decides (passing needs them all)
    return Decision(None, None, done, n, earliest=1)


def _rate(rule: StageRule, rate: float, so_far: SoFar) -> Decision:
    n, done, needed = rule.run_count, so_far.sessions, rule.needed_valid
    left = n - done
    passed, valid = so_far.passed, so_far.valid
    most_valid = valid + left  # when none of the rest errors
    if most_valid < needed:  # even with no more errors there are too few valid sessions
        why: Why = "complete" if left == 0 else "too-few-valid"
        return Decision("error", why, done, n)
    required_at_most = required_sessions(most_valid, rate)  # what passing needs at worst
    if valid >= needed and passed >= required_at_most:
        why = "complete" if left == 0 else "enough-passes"
        return Decision("passed", why, done, n)
    if valid >= needed and passed + left < required_at_most:
        why = "complete" if left == 0 else "too-many-failures"
        return Decision("failed", why, done, n)
    return Decision(None, None, done, n, earliest=_earliest(rate, so_far, left, needed))


def _earliest(rate: float, so_far: SoFar, left: int, needed: int) -> int:
    """The fewest more sessions after which a rate rule's verdict could be decided."""
    passed, valid = so_far.passed, so_far.valid
    required = required_sessions(valid + left, rate)
    # all passes until enough whatever the rest do (and enough valid sessions)
    by_passing = max(required - passed, needed - valid, 0)
    # all failures until passing is out of reach (and enough valid sessions)
    by_failing = max(passed + left - required + 1, needed - valid, 0)
    # all errors until too few sessions can be valid
    by_erroring = valid + left - needed + 1
    return max(1, min(by_passing, by_failing, by_erroring, left))


def so_far_of(verdict: Verdict) -> SoFar:
    """The counts of a stage's verdict (or of several combined): a valid session that did not
    pass counts as failed, with the criteria it did not meet."""
    return SoFar(
        passed=verdict.sessions_passed,
        failed=verdict.sessions_valid - verdict.sessions_passed,
        errored=len(verdict.errored_sessions),
        failed_criteria=tuple(
            (t.criterion.name, t.valid - t.passed) for t in verdict.tallies if t.valid > t.passed
        ),
    )


def stage_sizes(run_count: int, stages: int) -> tuple[int, ...]:
    """The sessions of each stage: ``run_count`` split as evenly as possible, larger stages first
    (10 in 2: 5, 5; 10 in 3: 4, 3, 3); never an empty stage (3 in 5: 1, 1, 1)."""
    if run_count < 1 or stages < 1:
        raise ValueError(f"need run_count >= 1 and stages >= 1, got {run_count}, {stages}")
    count = min(stages, run_count)
    base, extra = divmod(run_count, count)
    return tuple(base + (1 if i < extra else 0) for i in range(count))


def cumulative(sizes: Sequence[int]) -> tuple[int, ...]:
    """The sessions simulated by the end of each stage (5, 5 -> 5, 10)."""
    total, out = 0, []
    for size in sizes:
        total += size
        out.append(total)
    return tuple(out)
