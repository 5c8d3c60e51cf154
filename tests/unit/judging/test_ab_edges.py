"""The A/B comparison at its edges (issue 28), through its public functions: what ran survives
the JSON a side is saved as (``merge`` rebuilds sides from it), the set-level "better"
direction, the A/A warning for one compared unit test or an unknown agent first, every set
after one with nothing compared, and the plan's alpha for two compared unit tests."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from pytest_amigo.judging import ab
from pytest_amigo.judging.ab import Pair, compare_sets, compare_units
from pytest_amigo.judging.provenance import what_ran
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.judging.stats import benjamini_hochberg, cochran_mantel_haenszel, holm
from support.verdict_data import COMPLETION, metric, spec


def ran(version_set: str, agent: int | None, persona: int | None = None) -> dict[str, Any]:
    """What ran on one side, as the report saves it (``Provenance.to_json`` of a run spec)."""
    found = spec("ut1", 3, [metric("Completion", "m1", COMPLETION)])
    found["agent_version_info"] = None if agent is None else ["agent", agent]
    found["persona_version_info"] = None if persona is None else ["p", persona]
    return what_ran(found, version_set).to_json()


V1 = ran("release", 1)
V2 = ran("pr-7", 2)


def side(
    passed: int, valid: int, ran: Mapping[str, Any] | None = None, outcome: str = ""
) -> RunOutcome:
    """One side's evidence, built from the JSON a report saves it as (the one place that knows
    how a side is made: adapt it here when the side's type changes)."""
    saved = {
        "outcome": outcome or ("passed" if passed == valid else "failed"),
        "passed": passed,
        "valid": valid,
        "what_ran": dict(ran) if ran is not None else None,
    }
    return RunOutcome.from_json(saved)


def pair(position: int, candidate: RunOutcome, reference: RunOutcome, set_id: str = "s") -> Pair:
    return Pair(set_id, position, candidate, reference)


def sets_of(pairs: list[Pair], correction: Any = "holm") -> dict[str, Any]:
    return compare_sets(pairs, compare_units(pairs, "release", correction), "release", correction)


# --- what ran, through the JSON --------------------------------------------------------------


def test_what_ran_round_trips_through_the_json() -> None:
    ran = V2
    saved = side(2, 3, ran).to_json()
    assert saved["what_ran"] == ran
    assert (saved["outcome"], saved["passed"], saved["valid"]) == ("failed", 2, 3)
    assert saved["pass_rate"] == pytest.approx(2 / 3)
    again = RunOutcome.from_json(saved)
    assert again == side(2, 3, ran)
    assert again.what_ran is not None and again.what_ran.to_json() == ran  # a Provenance value
    assert RunOutcome.from_json(again.to_json()).to_json() == saved


def test_what_ran_unknown_or_unreadable_in_the_json_is_none() -> None:
    assert side(3, 3).to_json()["what_ran"] is None
    assert RunOutcome.from_json({**side(3, 3).to_json(), "what_ran": "v2"}).what_ran is None
    assert RunOutcome.from_json({"outcome": "passed", "passed": 3, "valid": 3}).what_ran is None


def test_sides_rebuilt_from_json_that_tested_different_things_are_not_compared() -> None:
    candidate = RunOutcome.from_json(side(0, 8, ran("pr-7", 2, persona=3)).to_json())
    reference = RunOutcome.from_json(side(8, 8, ran("release", 1, persona=2)).to_json())
    [found] = compare_units([pair(0, candidate, reference)], "release", "holm")
    assert found.label == "not compared"  # never "worse": the persona changed
    assert found.why == "the two sides tested different things: persona p v2 -> v3"


def test_the_a_a_warning_survives_the_json() -> None:
    rebuilt = [
        pair(0, *(RunOutcome.from_json(side(3, 3, V1).to_json()) for _ in range(2))),
    ]
    assert sets_of(rebuilt)["s"].same_agent is True


# --- the A/A warning -------------------------------------------------------------------------


def test_a_a_with_one_compared_unit_test() -> None:
    found = sets_of([pair(0, side(3, 3, V1), side(3, 3, V1))])["s"]
    assert found.same_agent is True
    assert found.label == "no detectable difference"


def test_a_a_when_a_pair_with_an_unknown_agent_comes_first() -> None:
    unknown = ran("release", None)  # the service withheld the agent version
    pairs = [
        pair(0, side(3, 3, unknown), side(3, 3, unknown)),
        pair(1, side(2, 3, V1), side(3, 3, V1)),
    ]
    assert sets_of(pairs)["s"].same_agent is True
    half_known = [pair(0, side(3, 3, V1), side(3, 3)), pair(1, side(3, 3, V1), side(3, 3, V1))]
    assert sets_of(half_known)["s"].same_agent is True


def test_a_a_is_not_claimed_when_a_later_pair_differs() -> None:
    pairs = [pair(0, side(3, 3, V1), side(3, 3, V1)), pair(1, side(3, 3, V2), side(3, 3, V1))]
    assert sets_of(pairs)["s"].same_agent is False


def test_a_a_leaves_out_the_pairs_not_compared() -> None:
    pairs = [
        pair(0, side(3, 3, V1), side(3, 3, V1)),
        pair(1, side(0, 0, V2, outcome="error"), side(3, 3, V1)),  # not compared
    ]
    found = sets_of(pairs)["s"]
    assert (found.same_agent, found.not_compared) == (True, 1)


# --- sets ------------------------------------------------------------------------------------


def test_every_set_after_one_with_nothing_compared_is_compared() -> None:
    pairs = [
        pair(0, side(0, 0, outcome="error"), side(3, 3), set_id="a"),
        pair(0, side(0, 8), side(8, 8), set_id="b"),
        pair(0, side(0, 0, outcome="pending"), side(3, 3), set_id="c"),
        pair(0, side(8, 8), side(0, 8), set_id="d"),
    ]
    found = sets_of(pairs)
    assert list(found) == ["a", "b", "c", "d"]
    assert [found[s].label for s in found] == ["not compared", "worse", "not compared", "better"]
    assert (found["a"].p_worse, found["a"].statistic, found["a"].same_agent) == (None, None, False)
    assert found["a"].not_compared == 1


def test_the_set_level_better_direction_is_one_sided_adjusted_and_labelled() -> None:
    better = [pair(i, side(8, 8, V2), side(1, 8, V1), set_id="up") for i in range(2)]
    worse = [pair(i, side(1, 8, V2), side(8, 8, V1), set_id="down") for i in range(2)]
    same = [pair(0, side(4, 8, V2), side(4, 8, V1), set_id="flat")]
    pairs = [*better, *worse, *same]
    for correction, adjust in (("holm", holm), ("bh", benjamini_hochberg)):
        found = sets_of(pairs, correction)
        up, down, flat = found["up"], found["down"], found["flat"]
        assert (up.label, down.label, flat.label) == (
            "better",
            "worse",
            "no detectable difference",
        )
        assert (up.better, up.worse, up.same) == (2, 0, 0)
        tables = [((8, 0), (1, 7))] * 2
        assert up.p_better == pytest.approx(cochran_mantel_haenszel(tables, "greater")[1])
        assert up.p_worse == pytest.approx(cochran_mantel_haenszel(tables, "less")[1])
        assert up.p_better < 0.05 < up.p_worse  # one-sided: the other way is no evidence
        raw = [found[s].p_better for s in ("up", "down", "flat")]
        assert [found[s].p_better_adjusted for s in ("up", "down", "flat")] == pytest.approx(
            adjust(raw)
        )
        assert down.p_worse_adjusted is not None and down.p_worse_adjusted <= 0.05
        assert up.same_agent is False


def test_a_set_is_better_only_when_its_adjusted_p_is_within_alpha() -> None:
    # One unit test 4/4 against 0/4 alone (CMH one-sided p 0.024) is "better"; the same set
    # among three sets whose p-values are 1 is not, once adjusted (Holm: 4 x 0.024).
    up = [pair(0, side(4, 4), side(0, 4), set_id="up")]
    alone = sets_of(up, "none")["up"]
    assert alone.label == "better"
    assert alone.p_better is not None and alone.p_better <= 0.05
    flat = [pair(0, side(3, 3), side(3, 3), set_id=f"flat{i}") for i in range(3)]
    among = sets_of([*up, *flat], "holm")["up"]
    assert among.label == "no detectable difference"
    assert among.p_better_adjusted == pytest.approx(min(1.0, 4 * alone.p_better))


# --- the plan's alpha ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compared", "correction", "alpha"),
    [
        (2, "holm", 0.025),
        (2, "bh", 0.025),
        (2, "none", 0.05),
        (1, "holm", 0.05),
        (0, "holm", 0.05),
        (3, "none", 0.05),
    ],
)
def test_family_alpha(compared: int, correction: Any, alpha: float) -> None:
    assert ab.family_alpha(compared, correction) == pytest.approx(alpha)


def test_family_alpha_scales_a_given_alpha() -> None:
    assert ab.family_alpha(2, "holm", alpha=0.1) == pytest.approx(0.05)
    assert ab.family_alpha(2, "none", alpha=0.1) == pytest.approx(0.1)


def test_drop_words_for_two_compared_unit_tests_and_without_correction() -> None:
    # The level the plan states (its wording is ab's): alpha / 2 under a correction, else alpha.
    assert "0.05/2" in ab.drop_words(20, 2, "holm")
    assert "0.05/2" in ab.drop_words(20, 2, "bh")
    assert "0.05/2" not in ab.drop_words(20, 2, "none")
    assert "0.05/" not in ab.drop_words(20, 1, "holm")
