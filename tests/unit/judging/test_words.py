"""The sentences the reports share (``judging.words``): one wording, one p-value format."""

from __future__ import annotations

from pytest_amigo.judging.words import (
    baseline_words,
    change_text,
    label_words,
    p_text,
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
        f"regressed since baseline run {RUN} (10/10 sessions passed); Fisher p = 0.000541, "
        "significant"
    )
    then = baseline_words("fixed", RUN, 2, 10, p_value=0.5, outcome="failed", note="a note")
    assert (
        then
        == f"fixed since baseline run {RUN} (failed, 2/10 sessions passed); Fisher p = 0.5; a note"
    )
    changed = baseline_words("not-comparable", RUN, 9, 10, changes=("persona v1 -> v2",))
    assert changed == (
        f"not comparable with baseline run {RUN} (9/10 sessions passed): the test changed: "
        "persona v1 -> v2"
    )
    assert baseline_words("unchanged", RUN, None, None) == f"unchanged since baseline run {RUN}"


def test_ab_sentences() -> None:
    assert label_words("no detectable difference", "release") == (
        "no detectable difference from release"
    )
    assert label_words("worse", "release", loud=True) == "WORSE than release"
    assert [change_text(d) for d in (-1.0, 0.001, 0.25, None)] == [
        "-100 pts",
        "0 pts",
        "+25 pts",
        "–",
    ]
    assert unit_words("worse", "release", ("8/8", "0/8"), -1.0, 0.000389, "Holm") == (
        "worse than release: release 8/8, candidate 0/8 sessions passed (-100 pts); "
        "adjusted p = 0.000389 (one-sided Fisher for worse, Holm)"
    )
    assert unit_words("not compared", "release", ("0/0", "8/8"), None, None, "Holm", why="no") == (
        "not compared with release: no"
    )
    assert set_counts(1, 0, 3, 2) == "1 worse, 0 better, 3 no detectable difference, 2 not compared"
    assert set_overall("better", 0.01, "Holm") == (
        "overall: better, adjusted p = 0.01 (Cochran-Mantel-Haenszel for better, Holm)"
    )
    assert set_overall("not compared", None, "Holm") == "overall: not compared"
