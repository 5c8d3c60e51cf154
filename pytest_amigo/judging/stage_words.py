"""The sentences of staged verdicts, written once: why a unit test stopped, what was saved.

Plain functions over ``curtail.Decision`` and ``sequential.Decision``: ``decided after 4 of 10
sessions: 2 failed Empathy, which every session must meet``; ``stopped for futility at stage 2
of 3 (20 of 30 sessions): ...``. Plain text, neither escaped nor marked up.
"""

from __future__ import annotations

from pytest_amigo.judging import curtail, sequential
from pytest_amigo.judging.verdict import rate_words, required_sessions


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def curtailed_words(
    rule: curtail.StageRule, so_far: curtail.SoFar, decision: curtail.Decision
) -> str:
    """Why a staged unit test stopped where it did (or did not stop)."""
    head = f"after {decision.sessions} of {decision.run_count} sessions"
    if decision.why is None:
        return f"undecided {head}: at least {_count(decision.earliest, 'more session')} needed"
    if decision.why == "complete":
        return f"decided after all {decision.run_count} sessions"
    left = decision.remaining
    if decision.why == "failed-session":
        named = ", ".join(f"{count} failed {name}" for name, count in so_far.failed_criteria)
        named = named or f"{_count(so_far.failed, 'session')} failed"
        return f"decided {head}: {named}, which every session must meet"
    rate = rule.min_pass_rate or 1.0
    most_valid = so_far.valid + left
    minimum = f"the minimum pass rate of {rate_words(rate)}"
    if decision.why == "enough-passes":
        needs = required_sessions(most_valid, rate)
        return (
            f"decided {head}: {so_far.passed} passed, and {minimum} needs at most {needs} "
            f"whatever the other {left} do"
        )
    if decision.why == "too-many-failures":
        needs = required_sessions(most_valid, rate)
        return (
            f"decided {head}: {so_far.failed} failed, so at most {so_far.passed + left} of "
            f"{most_valid} can pass and {minimum} needs {needs}"
        )
    return (
        f"decided {head}: {so_far.errored} errored, so at most {most_valid} can be valid and "
        f"amigo_min_valid_sessions needs {rule.needed_valid}"
    )


_STOPS = {
    "efficacy": "the pass rate is above the minimum",
    "failure": "the pass rate is below the minimum",
    "futility": "neither passing nor failing was within reach",
    "final": "the last stage did not decide",
}


def sequential_words(decision: sequential.Decision, passes: int, stages: int) -> str:
    """``stopped for futility at stage 2 of 3 (20 of 30 sessions): 14 passed; neither ...``."""
    where = (
        f"at stage {decision.look + 1} of {stages} "
        f"({decision.sessions} of {decision.max_sessions} sessions)"
    )
    if decision.why is None:
        return f"undecided {where}: {passes} passed"
    verb = "stopped for futility" if decision.why == "futility" else f"{decision.outcome}"
    return f"{verb} {where}: {passes} passed; {_STOPS[decision.why]}"


def saved_words(saved: int, planned: int) -> str:
    """``stages saved 34 of 100 sessions (34%)``: the summary's line."""
    share = f" ({saved / planned:.0%})" if planned else ""
    return f"stages saved {saved} of {planned} sessions{share}"
