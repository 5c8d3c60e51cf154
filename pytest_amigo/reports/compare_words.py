"""The words of an A/B comparison (``--amigo-compare``), shared by the HTML report and the step
summary.

Pure: reads the plain ``compare`` entries of a report document (``report.schema.json``:
``unit_compare`` per unit test, ``set_compare`` per set) and returns plain text, neither escaped
nor marked up: each report escapes it its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_amigo.judging.ab import CORRECTION_NAMES

# What needs attention first: a worse unit test, then one that could not be compared (something
# went wrong on a side), then no detectable difference, then better.
LABELS = ("worse", "not compared", "no detectable difference", "better")


def unit_compare(test: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The unit test's comparison, or None (no ``--amigo-compare``)."""
    found = test.get("compare")
    return found if isinstance(found, Mapping) else None


def set_compare(entry: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The set's comparison, or None."""
    found = entry.get("compare")
    return found if isinstance(found, Mapping) else None


def is_worse(test: Mapping[str, Any]) -> bool:
    compare = unit_compare(test)
    return compare is not None and compare.get("label") == "worse"


def label_rank(compare: Mapping[str, Any]) -> int:
    label = compare.get("label")
    return LABELS.index(label) if label in LABELS else len(LABELS)


def label_p(compare: Mapping[str, Any]) -> float | None:
    """The adjusted p-value of the label's direction: ``p_better_adjusted`` for "better", else
    ``p_worse_adjusted`` (the question the ``worse`` gate asks)."""
    key = "p_better_adjusted" if compare.get("label") == "better" else "p_worse_adjusted"
    value = compare.get(key)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def p_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.3g}"


def correction_name(compare: Mapping[str, Any]) -> str:
    correction = str(compare.get("correction"))
    return CORRECTION_NAMES.get(correction, correction)


def p_words(compare: Mapping[str, Any], test: str = "one-sided Fisher") -> str:
    """``0.000389 (one-sided Fisher for worse, Holm)``; ``–`` without a p-value."""
    value = label_p(compare)
    if value is None:
        return "–"
    direction = "better" if compare.get("label") == "better" else "worse"
    return f"{p_text(value)} ({test} for {direction}, {correction_name(compare)})"


def side_text(side: Any) -> str:
    """One side's sessions: ``8/8 (100%)``; ``0/0 (–)`` without a valid session."""
    if not isinstance(side, Mapping):
        return "–"
    passed, valid = side.get("passed"), side.get("valid")
    rate = passed / valid if isinstance(passed, int) and isinstance(valid, int) and valid else None
    return f"{passed}/{valid} ({'–' if rate is None else f'{rate:.0%}'})"


def change_text(difference: Any) -> str:
    """The candidate's pass rate minus the reference's, in percentage points: ``-100 pts``."""
    if not isinstance(difference, int | float) or isinstance(difference, bool):
        return "–"
    points = round(difference * 100)
    return "0 pts" if points == 0 else f"{points:+d} pts"


def label_words(label: Any, reference: Any) -> str:
    """``worse than release``, ``better than release``, ``no detectable difference from
    release``, ``not compared with release``."""
    joint = {"worse": "than", "better": "than", "not compared": "with"}.get(str(label), "from")
    return f"{label} {joint} {reference}"


def set_counts(compare: Mapping[str, Any]) -> str:
    """``1 worse, 1 better, 3 no detectable difference`` (and ``, 2 not compared``)."""
    text = (
        f"{compare.get('worse', 0)} worse, {compare.get('better', 0)} better, "
        f"{compare.get('same', 0)} no detectable difference"
    )
    if compare.get("not_compared"):
        text += f", {compare['not_compared']} not compared"
    return text


def set_overall(compare: Mapping[str, Any]) -> str:
    """``overall: no detectable difference, adjusted p = 0.5 (Cochran-Mantel-Haenszel for
    worse, Holm)``; ``overall: not compared`` when no unit test was."""
    label = compare.get("label")
    if label == "not compared" or label_p(compare) is None:
        return "overall: not compared"
    return f"overall: {label}, adjusted p = {p_words(compare, 'Cochran-Mantel-Haenszel')}"


def candidate_name(tests: Any) -> str:
    """The candidate's version set, as the compared unit tests ran it ("the candidate" when
    unknown)."""
    for test in tests or ():
        compare = unit_compare(test) if isinstance(test, Mapping) else None
        side = compare.get("candidate") if compare else None
        ran = side.get("what_ran") if isinstance(side, Mapping) else None
        if isinstance(ran, Mapping) and ran.get("version_set"):
            return str(ran["version_set"])
    return "the candidate"


def aa_warning(entry: Mapping[str, Any]) -> str | None:
    """The loud line of a set whose comparison compared the reference with itself (A/A, or a
    warning the comparison carries); None otherwise."""
    compare = set_compare(entry)
    if compare is None:
        return None
    warning = compare.get("warning")
    if warning:
        return str(warning)
    if compare.get("same_agent"):
        reference = compare.get("reference")
        return (
            f"{candidate_name(entry.get('unit_tests'))} and {reference} ran the same agent "
            f"version: this compares {reference} with itself"
        )
    return None
