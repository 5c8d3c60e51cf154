"""The A/B comparison (``judging.ab``): labels, multiplicity, the set-level test, A/A and the
detectable drop, over plain data and checked against SciPy and statsmodels."""

from __future__ import annotations

import pytest
from scipy.stats import fisher_exact
from statsmodels.stats.multitest import multipletests

from pytest_amigo.judging.ab import (
    Pair,
    compare_sets,
    compare_units,
    drop_words,
    family_alpha,
)
from pytest_amigo.judging.provenance import Provenance
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.stats import cochran_mantel_haenszel

V1 = {"version_set": "release", "agent": ["agent", 1], "state_machine": ["sm", 1]}
V2 = {"version_set": "pr-7", "agent": ["agent", 2], "state_machine": ["sm", 1]}


def side(
    passed: int, valid: int, outcome: str = "", ran: dict[str, object] | None = None
) -> RunOutcome:
    """A side; ``ran``: what ran as a report writes it (``Provenance.to_json``)."""
    what_ran = Provenance.from_json(ran) if ran is not None else None
    outcome = outcome or ("passed" if passed == valid else "failed")
    return RunOutcome(outcome, passed, valid, None, what_ran)


def pair(position: int, candidate: RunOutcome, reference: RunOutcome, set_id: str = "s") -> Pair:
    return Pair(set_id, position, candidate, reference)


PAIRS = [
    pair(0, side(0, 8, ran=V2), side(8, 8, ran=V1)),  # worse
    pair(1, side(8, 8, ran=V2), side(0, 8, ran=V1)),  # better
    pair(2, side(4, 8, ran=V2), side(4, 8, ran=V1)),
    pair(3, side(7, 8, ran=V2), side(8, 8, ran=V1)),
    pair(4, side(2, 5, ran=V2), side(5, 6, ran=V1)),
]


@pytest.mark.parametrize(("correction", "method"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_are_statsmodels_on_scipys_one_sided_fisher(
    correction: str, method: str
) -> None:
    found = compare_units(PAIRS, "release", correction)  # type: ignore[arg-type]
    for direction, alternative in (("worse", "less"), ("better", "greater")):
        raw = [
            fisher_exact(
                [
                    [p.candidate.passed, p.candidate.valid - p.candidate.passed],
                    [p.reference.passed, p.reference.valid - p.reference.passed],
                ],
                alternative=alternative,
            )[1]
            for p in PAIRS
        ]
        assert [getattr(u, f"p_{direction}") for u in found] == pytest.approx(raw)
        _, adjusted, _, _ = multipletests(raw, method=method)
        assert [getattr(u, f"p_{direction}_adjusted") for u in found] == pytest.approx(
            list(adjusted)
        )


def test_labels_and_words() -> None:
    found = compare_units(PAIRS, "release", "holm")
    assert [u.label for u in found] == [
        "worse",
        "better",
        "no detectable difference",
        "no detectable difference",
        "no detectable difference",
    ]
    assert found[0].worse and found[0].difference == -1.0
    assert found[0].words() == (
        "candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly WORSE, "
        "adjusted p = 0.000389 (one-sided Fisher for worse, Holm over 5 unit tests): a gap this "
        "large by chance is rarer than 1 in 1,000, even allowing for 5 comparisons"
    )
    assert (
        found[1]
        .words()
        .startswith("candidate 8/8 vs release 0/8 sessions passed (+100 pts): significantly better")
    )
    assert found[2].words() == (
        "candidate 4/8 vs release 4/8 sessions passed (0 pts): no detectable difference, "
        "adjusted p = 1 (one-sided Fisher for worse, Holm over 5 unit tests); with 8 sessions "
        f"per side {drop_words(8, 5, 'holm').split(': ')[1].split(' (')[0]}"
    )
    uncorrected = compare_units(PAIRS, "release", "none")
    assert uncorrected[0].p_worse_adjusted == uncorrected[0].p_worse


def test_the_correction_spans_every_compared_unit_test() -> None:
    """Alone, 0/3 against 3/3 is flagged (p = 1/20); among four unit tests Holm keeps it."""
    alone = compare_units([pair(0, side(0, 3), side(3, 3))], "release", "holm")
    assert alone[0].label == "worse"
    among = compare_units(
        [pair(i, side(0, 3) if i == 0 else side(3, 3), side(3, 3)) for i in range(4)],
        "release",
        "holm",
    )
    assert among[0].label == "no detectable difference"
    assert among[0].p_worse_adjusted == pytest.approx(4 / 20)


def test_what_cannot_be_compared_says_why_and_stays_out_of_the_family() -> None:
    persona = {**V1, "persona": ["p", 2]}
    pairs = [
        pair(0, side(0, 0, "error"), side(8, 8)),
        pair(1, side(3, 3, "pending"), side(3, 3)),
        pair(2, side(3, 3, ran={**V2, "persona": ["p", 3]}), side(3, 3, ran=persona)),
        pair(3, side(0, 8), side(8, 8)),
    ]
    found = compare_units(pairs, "release", "holm")
    assert [u.label for u in found] == ["not compared"] * 3 + ["worse"]
    assert "no valid session" in found[0].why
    assert "no verdict (pending)" in found[1].why
    assert "persona p v2 -> v3" in found[2].why
    assert found[3].p_worse_adjusted == found[3].p_worse  # a family of one
    assert (
        found[0].words() == "candidate vs release: not compared: the candidate has no valid session"
    )


def test_the_set_level_test_is_cmh_over_the_compared_unit_tests() -> None:
    pairs = [*PAIRS, pair(0, side(1, 8), side(7, 8), set_id="t")]
    units = compare_units(pairs, "release", "holm")
    sets = compare_sets(pairs, units, "release", "holm")
    s = sets["s"]
    assert (s.worse, s.better, s.same, s.not_compared) == (1, 1, 3, 0)
    tables = [
        (
            (p.candidate.passed, p.candidate.valid - p.candidate.passed),
            (p.reference.passed, p.reference.valid - p.reference.passed),
        )
        for p in PAIRS
    ]
    statistic, p_worse = cochran_mantel_haenszel(tables, "less")
    assert s.statistic == pytest.approx(statistic) and s.p_worse == pytest.approx(p_worse)
    # adjusted across the session's two sets (Holm)
    raw = [sets["s"].p_worse, sets["t"].p_worse]
    _, adjusted, _, _ = multipletests(raw, method="holm")
    assert [sets["s"].p_worse_adjusted, sets["t"].p_worse_adjusted] == pytest.approx(list(adjusted))
    assert sets["t"].label == "worse"
    assert "1 worse, 1 better, 3 no detectable difference" in s.words()
    assert not s.same_agent  # agent v2 against v1


def test_a_a_is_detected_from_what_ran() -> None:
    same = [pair(i, side(3, 3, ran=V1), side(3, 3, ran=V1)) for i in range(2)]
    units = compare_units(same, "release", "holm")
    assert compare_sets(same, units, "release", "holm")["s"].same_agent
    unknown = [pair(0, side(3, 3), side(3, 3))]  # what ran is unknown: no claim either way
    units = compare_units(unknown, "release", "holm")
    assert not compare_sets(unknown, units, "release", "holm")["s"].same_agent
    machine = [pair(0, side(3, 3, ran=V1), side(3, 3, ran={**V1, "state_machine": ["sm", 2]}))]
    units = compare_units(machine, "release", "holm")
    assert not compare_sets(machine, units, "release", "holm")["s"].same_agent


def test_a_set_with_nothing_compared() -> None:
    pairs = [pair(0, side(0, 0, "error"), side(3, 3))]
    units = compare_units(pairs, "release", "bh")
    found = compare_sets(pairs, units, "release", "bh")["s"]
    assert found.label == "not compared" and found.not_compared == 1
    assert found.p_worse is None


def test_the_detectable_drop_in_words() -> None:
    assert family_alpha(6, "holm") == pytest.approx(0.05 / 6)
    assert family_alpha(6, "none") == 0.05
    assert family_alpha(1, "bh") == 0.05
    assert drop_words(3, 1, "holm") == (
        "run_count 3: only a drop from 100% to below 7% would be detected (80% power, "
        "one-sided Fisher at 0.05, Holm)"
    )
    assert "even a drop from 100% to 0% would not be detected" in drop_words(3, 6, "holm")
    assert "at 0.05/6, Holm" in drop_words(20, 6, "holm")


def test_no_detectable_difference_carries_its_power_as_the_plan_says_it() -> None:
    """With 2 sessions per side even 100% against 0% goes undetected: 1/2 vs 1/2 must not read
    like a calm "no difference"; the same words as --amigo-plan's (``drop_words``)."""
    (found,) = compare_units([pair(0, side(1, 2), side(1, 2))], "release", "holm")
    assert found.label == "no detectable difference"
    power = "with 2 sessions per side even a drop from 100% to 0% would not be detected"
    assert found.words().endswith(
        f"no detectable difference, adjusted p = 0.833 (one-sided "
        f"Fisher for worse, Holm over 1 unit test) - but {power}"
    )
    assert found.power == power and found.detectable_drop == float("inf")
    assert "even a drop from 100% to 0% would not be detected" in drop_words(2, 1, "holm")
    data = found.to_json()
    assert (data["compared"], data["detectable_drop"], data["power"]) == (1, None, power)
    (enough,) = compare_units([pair(0, side(20, 20), side(20, 20))], "release", "holm")
    assert enough.detectable_drop is not None and 0 < enough.detectable_drop < 1
    assert enough.to_json()["detectable_drop"] == enough.detectable_drop
    assert "; with 20 sessions per side only a drop from 100% to below" in enough.words()


def test_a_set_says_when_a_unit_test_is_worse_although_the_set_is_not() -> None:
    """Worse and better cancel in the stratified test: the set line says a unit test is worse
    on its own."""
    pairs = [pair(0, side(0, 6), side(6, 6)), pair(1, side(6, 6), side(0, 6))]
    units = compare_units(pairs, "release", "holm")
    (found,) = compare_sets(pairs, units, "release", "holm").values()
    assert [u.label for u in units] == ["worse", "better"]
    assert found.label == "no detectable difference"
    assert found.words() == (
        "candidate vs release, unit tests: 1 worse, 1 better, 0 no detectable difference; "
        "overall: no detectable difference, adjusted p = 0.652 (Cochran-Mantel-Haenszel for worse, "
        "Holm over 1 set); but 1 unit test is significantly worse on its own (the set's test "
        "weighs all its unit tests together, so worse and better cancel)"
    )


def test_a_set_too_small_to_detect_anything_says_so() -> None:
    pairs = [pair(i, side(1, 2), side(1, 2)) for i in range(2)]
    units = compare_units(pairs, "release", "holm")
    many = {f"s{i}": [pair(0, side(1, 2), side(1, 2), f"s{i}")] for i in range(3)}
    (small,) = compare_sets(pairs, units, "release", "holm").values()
    assert small.power == ""  # alone, 0/2 + 0/2 against 2/2 + 2/2 would be flagged at 0.05
    everything = [p for group in many.values() for p in group] + [
        pair(i, side(1, 2), side(1, 2), "big") for i in range(2)
    ]
    found = compare_sets(
        everything, compare_units(everything, "release", "holm"), "release", "holm"
    )
    assert found["big"].power == (
        "with these session counts even a drop from 100% to 0% in every unit test would not be "
        "detected"
    )
    assert found["big"].words().endswith(f"Holm over 4 sets) - but {found['big'].power}")
    assert found["big"].to_json()["power"] == found["big"].power
