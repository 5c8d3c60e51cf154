"""The sentences every report shares, written once: the comparison with a baseline
(``--amigo-baseline``) and the A/B comparison (``--amigo-compare``), with one p-value format.

Plain functions over plain values: the judging values (``evidence.Comparison``,
``ab.UnitComparison``, ``ab.SetComparison``) and the report document's (``BaselineReport``,
``UnitCompare``, ``SetCompare``) both call them, so the terminal, the HTML page and the step
summary say the same thing. Plain text, neither escaped nor marked up.
"""

from __future__ import annotations

import math
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
    power: str = "",
) -> str:
    """Now against the baseline run ``run_id``, where it passed ``passed`` of ``valid`` sessions
    (``outcome``: its outcome then, when known; ``power``: ``power_words`` of a change not
    found): ``regressed since baseline run R (then passed, 10/10 sessions passed); Fisher p =
    0.000541 (two-sided, unadjusted): significant``; ``new: not in baseline run R``; ``not
    comparable with baseline run R (then 9/10 sessions passed): the test changed: ...``."""
    if transition == "new":
        return f"new: not in baseline run {run_id}"
    then = [outcome] if outcome else []
    if passed is not None and valid is not None:
        then.append(f"{passed}/{valid} sessions passed")
    was = f" (then: {', '.join(then)})" if then else ""
    if transition == "not-comparable":
        return f"not comparable with baseline run {run_id}{was}: the test changed: " + "; ".join(
            changes
        )
    text = f"{transition} since baseline run {run_id}{was}"
    if p_value is not None:
        found = "significant" if significant else "no detectable difference"
        found += "" if significant else after_no_difference(power)
        text += f"; Fisher p = {p_text(p_value)} (two-sided, unadjusted): {found}"
    return f"{text}; {note}" if note else text


# -- the A/B comparison ------------------------------------------------------------------------

CANDIDATE = "candidate"


def label_words(label: str, *, loud: bool = False) -> str:
    """The label as a finding: ``significantly worse``, ``significantly better``, ``no detectable
    difference``, ``not compared``; ``loud``: ``significantly WORSE`` (the terminal)."""
    if label in ("worse", "better"):
        return f"significantly {'WORSE' if loud and label == 'worse' else label}"
    return label


def against_words(label: str, reference: str) -> str:
    """The label against the reference, as a badge says it: ``significantly worse than
    release``, ``no detectable difference from release``, ``not compared with release``."""
    joint = {"no detectable difference": "from", "not compared": "with"}.get(label, "than")
    return f"{label_words(label)} {joint} {reference}"


def change_text(difference: float | None) -> str:
    """The candidate's pass rate minus the reference's, in percentage points: ``-100 pts``."""
    if difference is None:
        return NO_VALUE
    points = round(difference * 100)
    return "0 pts" if points == 0 else f"{points:+d} pts"


def family_words(correction: str, compared: int | None, what: str = "unit tests") -> str:
    """The correction and the family it ran over: ``Holm over 6 unit tests``; ``Holm`` when the
    family's size is unknown (an older report); ``no correction``."""
    if compared is None or correction == "no correction":
        return correction
    return f"{correction} over {compared} {what if compared != 1 else what.removesuffix('s')}"


def p_words(
    label: str, p_adjusted: float | None, correction: str, test: str, compared: int | None = None
) -> str:
    """``0.000389 (one-sided Fisher for worse, Holm over 6 unit tests)``: the adjusted p-value
    of the label's direction, which test gave it and the correction over which family; ``–``
    without one."""
    if p_adjusted is None:
        return NO_VALUE
    direction = "better" if label == "better" else "worse"
    family = family_words(correction, compared, "sets" if "Mantel" in test else "unit tests")
    return f"{p_text(p_adjusted)} ({test} for {direction}, {family})"


def chance_words(p_adjusted: float, compared: int | None, correction: str) -> str:
    """What a significant adjusted p-value means, in plain words: ``a gap this large by chance
    is rarer than 1 in 100, even allowing for 6 comparisons``."""
    odds = next((n for n in (1000, 100, 20) if p_adjusted <= 1 / n), None)
    rarity = f"rarer than 1 in {odds:,}" if odds else f"about 1 in {max(1, round(1 / p_adjusted))}"
    text = f"a gap this large by chance is {rarity}"
    if correction == "no correction":
        return f"{text} (not adjusted for the other comparisons)"
    if compared is not None and compared > 1:
        return f"{text}, even allowing for {compared} comparisons"
    return text


def detectable_words(drop: float) -> str:
    """What a comparison can detect (``stats.detectable_drop``; ``inf``: nothing), as
    ``--amigo-plan`` and every "no detectable difference" say it: ``only a drop from 100% to
    below 7% would be detected``, ``even a drop from 100% to 0% would not be detected``."""
    if math.isinf(drop):
        return "even a drop from 100% to 0% would not be detected"
    return f"only a drop from 100% to below {max(0.0, 1.0 - drop):.0%} would be detected"


def sessions_words(first: int, second: int, sides: tuple[str, str] = ("", "")) -> str:
    """``2 sessions per side``; ``5 and 6 sessions`` (``sides``: ``5 sessions now and 6 then``)."""
    if first == second and not any(sides):
        return f"{first} session{'s' if first != 1 else ''} per side"
    if any(sides):
        return f"{first} sessions {sides[0]} and {second} {sides[1]}"
    return f"{first} and {second} sessions"


def power_words(sessions: str, drop: float) -> str:
    """The power of a comparison: ``with 2 sessions per side even a drop from 100% to 0% would
    not be detected``; ``with 20 sessions per side only a drop from 100% to below 69% would be
    detected``."""
    return f"with {sessions} {detectable_words(drop)}"


def after_no_difference(power: str) -> str:
    """``power`` (``power_words``) as it follows a "no detectable difference": `` - but with 2
    sessions per side even ... would not be detected`` (a warning), ``; with 20 sessions per side
    only ...``; "" without one."""
    if not power:
        return ""
    return f" - but {power}" if power.endswith("not be detected") else f"; {power}"


def set_power_words() -> str:
    """The power of a set's comparison that could not find even the largest difference: every
    unit test's sessions all failing on the candidate and all passing on the reference."""
    return (
        "with these session counts even a drop from 100% to 0% in every unit test would not be "
        "detected"
    )


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
    compared: int | None = None,
    power: str = "",
) -> str:
    """One unit test against the reference, both sides' counts named (``counts``: the
    reference's and the candidate's sessions passed, ``8/8``; ``power``: ``power_words``):
    ``candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly worse, adjusted p =
    0.000389 (one-sided Fisher for worse, Holm over 6 unit tests): a gap this large by chance is
    rarer than 1 in 1,000, even allowing for 6 comparisons``."""
    if label == "not compared":
        return f"{CANDIDATE} vs {reference}: not compared: {why}"
    shift = f" ({change_text(difference)})" if difference is not None else ""
    head = f"{CANDIDATE} {counts[1]} vs {reference} {counts[0]} sessions passed{shift}"
    p = p_words(label, p_adjusted, correction, "one-sided Fisher", compared)
    gloss = gloss_words(label, p_adjusted, correction, compared, power)
    return f"{head}: {label_words(label, loud=loud)}, adjusted p = {p}{gloss}"


def gloss_words(
    label: str, p_adjusted: float | None, correction: str, compared: int | None, power: str
) -> str:
    """What a unit test's finding means in plain words, after it: a significant one's
    ``chance_words`` (``: a gap this large by chance is rarer than 1 in 100, ...``), a "no
    detectable difference"'s power (``after_no_difference``); "" otherwise."""
    if label in ("worse", "better") and p_adjusted is not None:
        return f": {chance_words(p_adjusted, compared, correction)}"
    if label == "no detectable difference":
        return after_no_difference(power)
    return ""


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
    ``candidate vs release (run R), unit tests: 1 worse, 0 better, 3 no detectable difference;
    overall: significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse, Holm
    over 2 sets)``."""
    run = f" (run {run_id})" if run_id else ""
    return f"{CANDIDATE} vs {reference}{run}, unit tests: {counts}; {overall}"


def set_overall(
    label: str,
    p_adjusted: float | None,
    correction: str,
    *,
    loud: bool = False,
    compared: int | None = None,
    worse: int = 0,
    power: str = "",
) -> str:
    """``overall: significantly worse, adjusted p = 0.0136 (Cochran-Mantel-Haenszel for worse,
    Holm over 2 sets)``; ``overall: not compared`` when no unit test was. When the set shows no
    worsening overall although ``worse`` of its unit tests are significantly worse on their own,
    it says so (the stratified test weighs every unit test together: worse and better cancel);
    ``power``: what a set that found no difference could have detected."""
    if label == "not compared" or p_adjusted is None:
        return "overall: not compared"
    p = p_words(label, p_adjusted, correction, "Cochran-Mantel-Haenszel", compared)
    text = f"overall: {label_words(label, loud=loud)}, adjusted p = {p}"
    if label == "no detectable difference":
        text += after_no_difference(power)
    if worse and label != "worse":
        some = "1 unit test is" if worse == 1 else f"{worse} unit tests are"
        text += (
            f"; but {some} significantly worse on {'its' if worse == 1 else 'their'} own "
            "(the set's test weighs all its unit tests together, so worse and better cancel)"
        )
    return text


XPASS_FIX = "fixed: drop the xfail line"
"""What to do about a unit test listed in ``amigo_xfail`` that passed (an XPASS)."""
NOT_WORSE = "not significantly worse than"
"""How an xfail under ``--amigo-fail-on=worse`` begins (``not significantly worse than release:
...``): the plugin writes it, ``pytest-amigo merge`` recognises the rule's xfails by it."""


def xpassed_words(reason: str | None) -> str:
    """A unit test listed in ``amigo_xfail`` that passed, as every report says it: ``XPASS:
    passed although listed as a known failure (SUP-12 flaky greeting); fixed: drop the xfail
    line``."""
    why = f" ({reason})" if reason else ""
    return f"XPASS: passed although listed as a known failure{why}; {XPASS_FIX}"
