"""Weigh a verdict's evidence: confidence, pass^k, and the comparison with a baseline.

Plain functions over plain data, next to ``verdict.py``: the verdict counts sessions and decides by
today's rules; this module decides whether those sessions are *enough* (a Wilson interval against
the minimum pass rate, the unbiased pass^k against its requirement) and how the unit test moved
since a baseline (a transition and Fisher's exact test). No HTTP, no pytest.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from pytest_amigo.judging.provenance import Provenance, changes
from pytest_amigo.judging.run_outcome import FAILING, RunOutcome
from pytest_amigo.judging.stats import (
    detectable_drop,
    fisher_exact_p,
    pass_hat_k,
    reliability,
    wilson_interval,
)
from pytest_amigo.judging.text import plural
from pytest_amigo.judging.verdict import (
    Outcome,
    Verdict,
    rate_words,
    required_sessions,
    summarize_tallies,
)
from pytest_amigo.judging.words import baseline_words, power_words, sessions_words

Transition = Literal["regressed", "fixed", "still-failing", "unchanged", "new", "not-comparable"]
SIGNIFICANCE = 0.05
NOT_PASSING = ("failed", "inconclusive")


@dataclass(frozen=True)
class Policy:
    """What a judged unit test must show, beyond the verdict's own rules."""

    confidence: float | None = None  # with a minimum pass rate: decide on the Wilson interval
    min_pass_k: tuple[int, float] | None = None  # (k, required pass^k)
    pass_k: int = 4  # the k reported when no pass^k is required


@dataclass(frozen=True)
class Weighed:
    """A verdict after weighing: its outcome may now be ``inconclusive``."""

    verdict: Verdict
    interval: tuple[float, float] | None = None
    confidence: float | None = None
    pass_k: tuple[int, float, float] | None = None  # (k, pass^1, pass^k)

    @property
    def outcome(self) -> str:
        return self.verdict.outcome

    @property
    def pass_rate(self) -> float | None:
        v = self.verdict
        return v.sessions_passed / v.sessions_valid if v.sessions_valid else None


EXACTLY = "a minimum pass rate of 1 is judged exactly: every valid session must pass"


def _pct(confidence: float) -> str:
    return f"{confidence * 100:.4g}%"


def weigh(verdict: Verdict, policy: Policy) -> Weighed:
    """Decide passed / failed / inconclusive on the evidence; errors and pending stay as they are.

    - With ``confidence`` and a minimum pass rate R: passed when the interval's lower bound is at
      least R, failed when its upper bound is below R, otherwise inconclusive. At R = 1 no lower
      bound ever reaches R (not even of 1000/1000): the verdict's exact rule stands, every valid
      session must pass, and the reason says so (``EXACTLY``).
    - With ``min_pass_k = (k, v)``: failed when pass^k < v, inconclusive with fewer than k valid
      sessions. Without a minimum pass rate it replaces the every-session rule.
    - Without either, the verdict stands.
    """
    if verdict.outcome not in ("passed", "failed"):
        return Weighed(verdict)
    c, n = verdict.sessions_passed, verdict.sessions_valid
    k_shown = policy.min_pass_k[0] if policy.min_pass_k else policy.pass_k
    shown = reliability(c, n, k_shown)  # k_shown, at most n
    rate = verdict.min_pass_rate
    outcomes: list[str] = []
    reasons: list[str] = []
    interval = None
    if policy.confidence is not None and rate is not None:
        interval = wilson_interval(c, n, policy.confidence)
        found, why = _interval_rule(verdict.outcome, c, n, rate, policy.confidence, interval)
        outcomes.append(found)
        reasons.append(why)
    elif rate is not None or policy.min_pass_k is None:
        outcomes.append(verdict.outcome)
    if policy.min_pass_k is not None:
        found, why = _pass_k_rule(c, n, *policy.min_pass_k)
        outcomes.append(found)
        reasons.append(why)
    outcome: Outcome
    if "failed" in outcomes:
        outcome = "failed"
    elif "inconclusive" in outcomes:
        outcome = "inconclusive"
    else:
        outcome = "passed"
    reason = _reason(verdict, outcome, reasons, rate_rule=rate is not None)
    weighed = replace(verdict, outcome=outcome, reason=reason)
    return Weighed(weighed, interval, policy.confidence if interval else None, shown)


def _interval_rule(
    exact: str, c: int, n: int, rate: float, confidence: float, interval: tuple[float, float]
) -> tuple[str, str]:
    """The outcome and its words under ``--amigo-confidence`` (``exact``: the verdict's own)."""
    low, high = interval
    words = f"{_pct(confidence)} interval {low:.2f}-{high:.2f}"
    if rate >= 1:  # no interval's lower bound reaches 1: decide exactly, as the verdict did
        return exact, f"{words}; {EXACTLY}"
    if low >= rate:
        return "passed", f"{words}, required {rate:.2f}"
    if high < rate:
        return "failed", f"{words} below the required {rate:.2f}"
    return "inconclusive", (
        f"{c}/{n} sessions, {words}, required {rate:.2f}: not enough sessions to "
        "decide; raise run_count or use --amigo-resample"
    )


def _pass_k_rule(c: int, n: int, k: int, required: float) -> tuple[str, str]:
    """The outcome and its words under ``--amigo-min-pass-k``."""
    if n < k:
        return "inconclusive", (
            f"only {plural(n, 'valid session')}: pass^{k} needs at least {k}; not enough sessions "
            "to decide; raise run_count or use --amigo-resample"
        )
    value = pass_hat_k(c, n, k)
    ok = value >= required - 1e-12
    relation = ">=" if ok else "<"
    return (
        "passed" if ok else "failed"
    ), f"pass^{k} {value:.2f} {relation} required {required:.2f}"


def _reason(verdict: Verdict, outcome: str, extra: list[str], *, rate_rule: bool) -> str:
    if not extra:
        return verdict.reason
    if outcome == "inconclusive":
        return "inconclusive: " + "; ".join(e for e in extra if "not enough" in e)
    if rate_rule:
        return f"{verdict.reason}; " + "; ".join(extra)
    # pass^k alone replaces the every-session rule: say it in its own words.
    c, n = verdict.sessions_passed, verdict.sessions_valid
    failing = summarize_tallies(verdict.tallies, failing_only=True)
    counts = f"{c}/{n} sessions passed, " + "; ".join(extra)
    return f"{failing} — {counts}" if failing else counts


# -- baselines -------------------------------------------------------------------------------
@dataclass(frozen=True)
class BaselineComparison:
    """Now against the baseline: the transition and, for the session pass rate, Fisher's test."""

    run_id: str  # the baseline run of the set
    transition: Transition
    entry: RunOutcome | None = None  # how the unit test did in the baseline run
    p_value: float | None = None
    changes: tuple[str, ...] = ()  # not-comparable: what the two runs tested differently
    note: str = ""  # e.g. the baseline does not record what ran
    power: str = ""  # not significant: what the two runs' sessions could have detected

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE

    def words(self) -> str:
        """The comparison as every report words it (``words.baseline_words``)."""
        e = self.entry
        return baseline_words(
            "new" if e is None else self.transition,
            self.run_id,
            e.passed if e else None,
            e.valid if e else None,
            p_value=self.p_value,
            significant=self.significant,
            changes=self.changes,
            note=self.note,
            outcome=e.outcome if e else None,
            power=self.power,
        )

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "run_id": self.run_id,
            "sessions_passed": e.passed if e else None,
            "sessions_valid": e.valid if e else None,
            "transition": self.transition,
            "p_value": self.p_value,
            "significant": self.significant,
            **({"changes": list(self.changes)} if self.changes else {}),
            **({"note": self.note} if self.note else {}),
            **({"power": self.power} if self.power else {}),
        }


def transition(now: str, before: str | None) -> Transition:
    """``regressed`` (passed then, failing now), ``fixed``, ``still-failing``, ``unchanged``,
    ``new``. Failing means failed or inconclusive (``xfailed`` in a saved report counts too);
    errors on either side are not a change of the agent: ``unchanged``."""
    if before is None:
        return "new"
    was_failing = before in FAILING
    failing = now in FAILING
    if before == "passed" and failing:
        return "regressed"
    if was_failing and now == "passed":
        return "fixed"
    if was_failing and failing:
        return "still-failing"
    return "unchanged"


NO_FINGERPRINT = (
    "the baseline does not record what ran (a report written before pytest-amigo recorded it): "
    "compared without checking that it tested the same thing"
)


def compare(
    outcome: str,
    passed: int,
    valid: int,
    run_id: str,
    entry: RunOutcome | None,
    fingerprint: Provenance | None = None,
) -> BaselineComparison:
    """Compare a unit test now (its outcome, ``passed`` of ``valid`` sessions, ``fingerprint``:
    what ran) with a baseline. When the two runs tested different things (persona or scenario
    versions, criteria, settings: anything but the agent under test), the transition is
    ``not-comparable``: never a regression, never a known failure."""
    if entry is None:
        return BaselineComparison(run_id, "new")
    note = ""
    if fingerprint is not None and entry.what_ran is not None:
        differences = changes(entry.what_ran, fingerprint)
        if differences:
            return BaselineComparison(run_id, "not-comparable", entry, changes=tuple(differences))
    elif fingerprint is not None:
        note = NO_FINGERPRINT
    p_value, power = None, ""
    if valid and entry.valid:
        p_value = fisher_exact_p(passed, valid, entry.passed, entry.valid)
        if p_value >= SIGNIFICANCE:
            power = baseline_power(valid, entry.valid)
    kind = transition(outcome, entry.outcome)
    return BaselineComparison(run_id, kind, entry, p_value, note=note, power=power)


def baseline_power(now: int, then: int) -> str:
    """What a baseline comparison of ``now`` and ``then`` valid sessions can detect with 80%
    power (``words.power_words``): the two-sided Fisher test at 0.05 flags a drop as the
    one-sided test at 0.025 does (its two tails are equal for equal session counts)."""
    drop = detectable_drop(now, then, alpha=SIGNIFICANCE / 2, power=0.8)
    return power_words(sessions_words(now, then, ("now", "then")), drop)


# -- reporting order -------------------------------------------------------------------------
_ATTENTION = ("failed", "inconclusive", "error", "xfailed", "passed")


def attention_rank(outcome: str, transition: str | None = None) -> int:
    """Where a unit test comes when a report lists what needs attention first (the terminal
    summary, the GitHub step summary): a regression against the baseline (``transition``)
    first, whatever its outcome; then ``failed``, ``inconclusive``, ``error``, ``xfailed``,
    ``passed``; any other outcome (``xpassed``) last. A sort key: a stable sort keeps the
    report's order within a rank."""
    if transition == "regressed":
        return 0
    return 1 + (_ATTENTION.index(outcome) if outcome in _ATTENTION else len(_ATTENTION))


# -- re-sampling -----------------------------------------------------------------------------
def combine(first: Verdict, more: Verdict) -> Verdict:
    """One verdict over the sessions of two runs of the same unit test (re-sampling).

    The sessions of ``more`` follow those of ``first`` (numbered on); tallies add up; the
    outcome is decided again by the minimum pass rate over all valid sessions (``weigh`` then
    decides on the evidence)."""
    offset = first.sessions_total
    sessions = first.sessions + tuple(replace(s, index=s.index + offset) for s in more.sessions)
    tallies = tuple(
        replace(
            a,
            passed=a.passed + b.passed,
            evaluated=a.evaluated + b.evaluated,
            marks=a.marks + b.marks,
            valid=a.valid + b.valid,
        )
        for a, b in zip(first.tallies, more.tallies, strict=False)
    )
    valid = first.sessions_valid + more.sessions_valid
    passed = first.sessions_passed + more.sessions_passed
    required = required_sessions(valid, first.min_pass_rate)
    if not valid:  # every session of both runs errored: nothing to judge, as ``judge`` says
        return replace(first, outcome="error", error_kind="session-error")
    outcome: Outcome = "passed" if passed >= required else "failed"
    rate = "every session" if first.min_pass_rate is None else rate_words(first.min_pass_rate)
    failing = summarize_tallies(tallies, failing_only=True)
    counts = (
        f"{passed}/{valid} sessions passed (with re-sampling run {more.run_id}), "
        f"needs {required}/{valid} ({rate})"
    )
    return replace(
        first,
        outcome=outcome,
        reason=f"{failing} — {counts}" if failing else counts,
        sessions=sessions,
        tallies=tallies,
        sessions_total=first.sessions_total + more.sessions_total,
        sessions_valid=valid,
        sessions_passed=passed,
        sessions_required=required,
        assumed_placements=first.assumed_placements + more.assumed_placements,
    )
