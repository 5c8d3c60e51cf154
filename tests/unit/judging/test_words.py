"""The sentences the reports share (``judging.words``): one wording, one p-value format."""

from __future__ import annotations

import math

from pytest_amigo.judging.words import (
    after_no_difference,
    against_words,
    baseline_words,
    chance_words,
    change_text,
    detectable_words,
    label_words,
    p_text,
    power_words,
    sessions_words,
    set_counts,
    set_overall,
    unit_words,
)

RUN = "66bb000000000000000000a1"


def test_p_values_have_three_significant_digits() -> None:
    assert [p_text(p) for p in (0.000389, 0.0476, 0.4, 1.0, None)] == [
        "0.000389",
        "0.0476",
        "0.4",
        "1",
        "–",
    ]


def test_baseline_sentence_of_each_transition() -> None:
    assert baseline_words("new", RUN, None, None) == f"new: not in baseline run {RUN}"
    regressed = baseline_words("regressed", RUN, 10, 10, p_value=0.000541, significant=True)
    assert regressed == (
        f"regressed since baseline run {RUN} (then: 10/10 sessions passed); Fisher p = 0.000541 "
        "(two-sided, unadjusted): significant"
    )
    then = baseline_words("fixed", RUN, 2, 10, p_value=0.5, outcome="failed", note="a note")
    assert then == (
        f"fixed since baseline run {RUN} (then: failed, 2/10 sessions passed); Fisher p = 0.5 "
        "(two-sided, unadjusted): no detectable difference; a note"
    )
    changed = baseline_words("not-comparable", RUN, 9, 10, changes=("persona v1 -> v2",))
    assert changed == (
        f"not comparable with baseline run {RUN} (then: 9/10 sessions passed): the test changed: "
        "persona v1 -> v2"
    )
    assert baseline_words("unchanged", RUN, None, None) == f"unchanged since baseline run {RUN}"


def test_ab_sentences_name_both_sides_counts() -> None:
    assert against_words("no detectable difference", "release") == (
        "no detectable difference from release"
    )
    assert against_words("worse", "release") == "significantly worse than release"
    assert label_words("worse", loud=True) == "significantly WORSE"
    assert [change_text(d) for d in (-1.0, 0.001, 0.25, None)] == [
        "-100 pts",
        "0 pts",
        "+25 pts",
        "–",
    ]
    worse = unit_words("worse", "release", ("6/6", "1/6"), -5 / 6, 0.0065, "Holm", compared=6)
    assert worse == (
        "candidate 1/6 vs release 6/6 sessions passed (-83 pts): significantly worse, adjusted "
        "p = 0.0065 (one-sided Fisher for worse, Holm over 6 unit tests): a gap this large by "
        "chance is rarer than 1 in 100, even allowing for 6 comparisons"
    )
    assert unit_words("not compared", "release", ("0/0", "8/8"), None, None, "Holm", why="no") == (
        "candidate vs release: not compared: no"
    )
    assert set_counts(1, 0, 3, 2) == "1 worse, 0 better, 3 no detectable difference, 2 not compared"
    assert set_overall("better", 0.01, "Holm") == (
        "overall: significantly better, adjusted p = 0.01 (Cochran-Mantel-Haenszel for better, "
        "Holm)"
    )
    assert set_overall("not compared", None, "Holm") == "overall: not compared"


def test_a_plain_gloss_beside_a_significant_p_value() -> None:
    assert chance_words(0.00649, 6, "Holm") == (
        "a gap this large by chance is rarer than 1 in 100, even allowing for 6 comparisons"
    )
    assert chance_words(0.0004, 1, "Holm") == "a gap this large by chance is rarer than 1 in 1,000"
    assert chance_words(0.03, 6, "Holm").startswith(
        "a gap this large by chance is rarer than 1 in 20"
    )
    assert chance_words(0.03, 6, "no correction") == (
        "a gap this large by chance is rarer than 1 in 20 (not adjusted for the other comparisons)"
    )


def test_the_power_follows_a_no_difference_as_a_warning_or_a_bound() -> None:
    assert detectable_words(math.inf) == "even a drop from 100% to 0% would not be detected"
    assert detectable_words(0.93) == "only a drop from 100% to below 7% would be detected"
    assert sessions_words(2, 2) == "2 sessions per side"
    assert sessions_words(5, 6) == "5 and 6 sessions"
    assert after_no_difference(power_words("2 sessions per side", math.inf)) == (
        " - but with 2 sessions per side even a drop from 100% to 0% would not be detected"
    )
    assert after_no_difference(power_words("9 sessions per side", 0.5)).startswith("; with 9")
    assert after_no_difference("") == ""
