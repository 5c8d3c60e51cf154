"""The words of an A/B comparison (``--amigo-compare``) and of a baseline comparison, as the HTML
report and the step summary show them.

Reads the typed report document (``UnitCompare`` per unit test, ``SetCompare`` per set,
``BaselineReport``) and words it with the sentences the terminal shares
(``pytest_amigo.judging.words``); returns plain text, neither escaped nor marked up: each report
escapes it its own way.
"""

from __future__ import annotations

from pytest_amigo.judging.ab import CORRECTION_NAMES
from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.words import (
    after_no_difference,
    against_words,
    baseline_words,
    change_text,
    gloss_words,
    label_words,
    p_text,
    p_words,
    set_counts,
)
from pytest_amigo.reports.document import (
    BaselineReport,
    SetCompare,
    SetReport,
    UnitCompare,
)

__all__ = [
    "LABELS",
    "aa_warning",
    "baseline_sentence",
    "change_text",
    "correction_name",
    "counts_line",
    "finding_text",
    "label_rank",
    "label_text",
    "overall_line",
    "p_line",
    "p_text",
    "ran_words",
    "set_sentence",
    "side_text",
    "unit_sentence",
]

# What needs attention first: a worse unit test, then one that could not be compared (something
# went wrong on a side), then no detectable difference, then better.
LABELS = ("worse", "not compared", "no detectable difference", "better")


def label_rank(compare: UnitCompare | SetCompare | None) -> int:
    return LABELS.index(compare.label) if compare is not None else len(LABELS)


def correction_name(compare: UnitCompare | SetCompare | None) -> str:
    if compare is None:
        return "no correction"
    return CORRECTION_NAMES.get(compare.correction, compare.correction)


def label_text(compare: UnitCompare | SetCompare) -> str:
    """``significantly worse than release``, ``no detectable difference from release - but with
    2 sessions per side even a drop from 100% to 0% would not be detected``, ...: a "no
    detectable difference" with its power."""
    found = against_words(compare.label, compare.reference_name)
    if compare.label == "no detectable difference":
        found += after_no_difference(compare.power)
    return found


def finding_text(compare: UnitCompare) -> str:
    """The label with what it means: ``significantly worse: a gap this large by chance is rarer
    than 1 in 100, even allowing for 6 comparisons``; ``no detectable difference - but with 2
    sessions per side even ...``; ``not compared: why``."""
    if compare.label == "not compared":
        return f"not compared: {compare.why}" if compare.why else "not compared"
    gloss = gloss_words(
        compare.label,
        compare.p_adjusted,
        correction_name(compare),
        compare.compared,
        compare.power,
    )
    return label_words(compare.label) + gloss


def p_line(compare: UnitCompare) -> str:
    """``0.000389 (one-sided Fisher for worse, Holm over 6 unit tests)``; ``–`` without one."""
    return p_words(
        compare.label,
        compare.p_adjusted,
        correction_name(compare),
        "one-sided Fisher",
        compare.compared,
    )


def side_text(side: RunOutcome) -> str:
    """One side's sessions: ``8/8 (100%)``; ``0/0 (–)`` without a valid session."""
    rate = f"{side.passed / side.valid:.0%}" if side.valid else "–"
    return f"{side.counts()} ({rate})"


def counts_line(compare: SetCompare) -> str:
    """``1 worse, 1 better, 3 no detectable difference`` (and ``, 2 not compared``)."""
    return set_counts(compare.worse, compare.better, compare.same, compare.not_compared)


def overall_line(compare: SetCompare) -> str:
    """``overall: significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse,
    Holm over 2 sets)``; a unit test worse on its own, the power (``SetComparison.overall``)."""
    return compare.overall()


def set_sentence(compare: SetCompare) -> str:
    """``candidate vs release (run R), unit tests: 1 worse, ...; overall: ...``: as the terminal
    says it (``SetComparison.words``), the label as written."""
    return compare.words(compare.run_id, loud=False)


def unit_sentence(compare: UnitCompare) -> str:
    """``candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly worse, adjusted
    p = 0.000389 (...)``: the sentence of a failure's explanation, the label as written."""
    return compare.words(loud=False)


def aa_warning(entry: SetReport) -> str | None:
    """The loud line of a set whose comparison compared the reference with itself (A/A, or a
    warning the comparison carries); None otherwise."""
    compare = entry.compare
    if compare is None:
        return None
    if compare.warning:
        return compare.warning
    if compare.same_agent:
        reference = compare.reference_name
        return (
            f"{entry.candidate_name} and {reference} ran the same agent "
            f"version: this compares {reference} with itself"
        )
    return None


def baseline_sentence(baseline: BaselineReport) -> str:
    """The unit test against its baseline run, as the terminal says it."""
    return baseline_words(
        baseline.transition,
        baseline.run_id,
        baseline.sessions_passed,
        baseline.sessions_valid,
        p_value=baseline.p_value,
        significant=baseline.significant,
        changes=baseline.changes,
        note=baseline.note,
        power=baseline.power,
    )


def ran_words(ran: Provenance | None) -> str:
    """What ran, in words (``version set pr-123: agent 66aa…d1 v5, ...``); "" when unknown."""
    return ran.words() if ran is not None else ""
