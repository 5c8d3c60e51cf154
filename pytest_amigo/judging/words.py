"""The sentences every report shares, written once: the comparison with a baseline
(``--amigo-baseline``) and the A/B comparison (``--amigo-compare``), with one p-value format.

Plain functions over plain values: the judging values (``evidence.Comparison``,
``ab.UnitComparison``, ``ab.SetComparison``) and the report document's (``BaselineReport``,
``UnitCompare``, ``SetCompare``) both call them, so the terminal, the HTML page and the step
summary say the same thing. Plain text, neither escaped nor marked up.
"""

from __future__ import annotations

from collections.abc import Sequence

NO_VALUE = "–"


def p_text(value: float | None) -> str:
    """A p-value as every report writes it: three significant digits (``0.000389``, ``0.4``,
    ``1``); ``–`` without one."""
    return NO_VALUE if value is None else f"{value:.3g}"


def baseline_words(
    transition: str,
    run_id: str,
    passed: int | None,
    valid: int | None,
    *,
    p_value: float | None = None,
    significant: bool = False,
    changes: Sequence[str] = (),
    note: str = "",
    outcome: str | None = None,
) -> str:
    """Now against the baseline run ``run_id``, where it passed ``passed`` of ``valid`` sessions
    (``outcome``: its outcome then, when known): ``regressed since baseline run R (passed, 10/10
    sessions passed); Fisher p = 0.000541, significant``; ``new: not in baseline run R``; ``not
    comparable with baseline run R (9/10 sessions passed): the test changed: ...``."""
    if transition == "new":
        return f"new: not in baseline run {run_id}"
    then = [outcome] if outcome else []
    if passed is not None and valid is not None:
        then.append(f"{passed}/{valid} sessions passed")
    was = f" ({', '.join(then)})" if then else ""
    if transition == "not-comparable":
        return f"not comparable with baseline run {run_id}{was}: the test changed: " + "; ".join(
            changes
        )
    text = f"{transition} since baseline run {run_id}{was}"
    if p_value is not None:
        text += f"; Fisher p = {p_text(p_value)}"
        if significant:
            text += ", significant"
    return f"{text}; {note}" if note else text


# -- the A/B comparison ------------------------------------------------------------------------


def label_words(label: str, reference: str, *, loud: bool = False) -> str:
    """``worse than release``, ``better than release``, ``no detectable difference from
    release``, ``not compared with release``; ``loud``: ``WORSE than release`` (the terminal)."""
    joint = {"worse": "than", "better": "than", "not compared": "with"}.get(label, "from")
    shown = "WORSE" if loud and label == "worse" else label
    return f"{shown} {joint} {reference}"


def change_text(difference: float | None) -> str:
    """The candidate's pass rate minus the reference's, in percentage points: ``-100 pts``."""
    if difference is None:
        return NO_VALUE
    points = round(difference * 100)
    return "0 pts" if points == 0 else f"{points:+d} pts"


def p_words(label: str, p_adjusted: float | None, correction: str, test: str) -> str:
    """``0.000389 (one-sided Fisher for worse, Holm)``: the adjusted p-value of the label's
    direction (``correction``: the correction's name); ``–`` without one."""
    if p_adjusted is None:
        return NO_VALUE
    direction = "better" if label == "better" else "worse"
    return f"{p_text(p_adjusted)} ({test} for {direction}, {correction})"


def unit_words(
    label: str,
    reference: str,
    counts: tuple[str, str],
    difference: float | None,
    p_adjusted: float | None,
    correction: str,
    *,
    why: str = "",
    loud: bool = False,
) -> str:
    """One unit test against the reference (``counts``: the reference's and the candidate's
    sessions passed, ``8/8``): ``worse than release: release 8/8, candidate 0/8 sessions passed
    (-100 pts); adjusted p = 0.000389 (one-sided Fisher for worse, Holm)``."""
    head = label_words(label, reference, loud=loud)
    if label == "not compared":
        return f"{head}: {why}"
    sessions = f"{reference} {counts[0]}, candidate {counts[1]} sessions passed"
    shift = f" ({change_text(difference)})" if difference is not None else ""
    p = p_words(label, p_adjusted, correction, "one-sided Fisher")
    return f"{head}: {sessions}{shift}; adjusted p = {p}"


def set_counts(worse: int, better: int, same: int, not_compared: int) -> str:
    """``1 worse, 1 better, 3 no detectable difference`` (and ``, 2 not compared``)."""
    text = f"{worse} worse, {better} better, {same} no detectable difference"
    return f"{text}, {not_compared} not compared" if not_compared else text


def set_words(
    reference: str,
    counts: str,
    overall: str,
    run_id: str | None = None,
) -> str:
    """A set against the reference (``counts``: ``set_counts``, ``overall``: ``set_overall``):
    ``against release (run R): 1 worse, 0 better, 3 no detectable difference; overall: worse,
    adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse, Holm)``."""
    run = f" (run {run_id})" if run_id else ""
    return f"against {reference}{run}: {counts}; {overall}"


def set_overall(
    label: str, p_adjusted: float | None, correction: str, *, loud: bool = False
) -> str:
    """``overall: worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse, Holm)``;
    ``overall: not compared`` when no unit test was."""
    if label == "not compared" or p_adjusted is None:
        return "overall: not compared"
    shown = "WORSE" if loud and label == "worse" else label
    p = p_words(label, p_adjusted, correction, "Cochran-Mantel-Haenszel")
    return f"overall: {shown}, adjusted p = {p}"


XPASS_FIX = "fixed: drop the xfail line"
"""What to do about a unit test listed in ``amigo_xfail`` that passed (an XPASS)."""


def xpassed_words(reason: str | None) -> str:
    """A unit test listed in ``amigo_xfail`` that passed, as every report says it: ``XPASS:
    passed although listed as a known failure (SUP-12 flaky greeting); fixed: drop the xfail
    line``."""
    why = f" ({reason})" if reason else ""
    return f"XPASS: passed although listed as a known failure{why}; {XPASS_FIX}"
