"""The plan of a session (plugin/session_plan.py): sessions per set, subsets, budget, words."""

from __future__ import annotations

from pytest_amigo.domain import UnitTest, UnitTestRef, UnitTestSet
from pytest_amigo.plugin.session_plan import describe, over_budget, plan_of

A = UnitTest("a" * 24, "Alpha", 3)
B = UnitTest("b" * 24, "Beta", 5)
SET = UnitTestSet("1" * 24, "Smoke", (A, B, A))  # Alpha listed twice


def ref(position: int) -> UnitTestRef:
    unit_test = SET.unit_tests[position]
    occurrence = sum(1 for u in SET.unit_tests[:position] if u.id == unit_test.id)
    return UnitTestRef(SET, unit_test, position, occurrence)


def test_without_subset_a_selected_set_runs_whole() -> None:
    (plan,) = plan_of([(SET, ref(1))], subset=False)
    assert plan.whole and plan.sessions == 11


def test_subset_runs_only_the_selected_unit_tests() -> None:
    (plan,) = plan_of([(SET, ref(1))], subset=True)
    assert not plan.whole
    assert plan.subset == [(B.id, 5)] and plan.sessions == 5


def test_a_second_listing_keeps_the_first_so_occurrences_still_line_up() -> None:
    (plan,) = plan_of([(SET, ref(2))], subset=True)
    assert plan.subset == [(A.id, 3), (A.id, 3)]
    assert plan.sessions == 6


def test_every_unit_test_selected_or_a_set_gate_means_the_whole_set() -> None:
    (full,) = plan_of([(SET, ref(0)), (SET, ref(1)), (SET, ref(2))], subset=True)
    assert full.whole
    (gated,) = plan_of([(SET, ref(0)), (SET, None)], subset=True)
    assert gated.whole and gated.sessions == 11


def test_an_attached_run_simulates_nothing() -> None:
    (plan,) = plan_of([(SET, ref(0))], subset=False, attached=[SET.id])
    assert plan.sessions == 0
    assert over_budget([plan], 0) is None


def test_over_budget_names_the_sets_and_counts() -> None:
    plans = plan_of([(SET, ref(0))], subset=False)
    assert over_budget(plans, 11) is None
    refusal = over_budget(plans, 10)
    assert refusal is not None
    assert refusal.startswith("--amigo-max-sessions=10: the selected sets would simulate 11")
    assert "'Smoke' 11" in refusal


def test_over_budget_with_a_partly_selected_whole_set_points_at_subset() -> None:
    """Issue 24: ``-k`` without ``--amigo-subset`` still runs the whole set; the refusal says
    so instead of "select fewer unit tests (-k ...)"."""
    refusal = over_budget(plan_of([(SET, ref(1))], subset=False), 10)
    assert refusal is not None and "'Smoke' 1 of 3 selected" in refusal
    assert "--amigo-subset would simulate only the selected ones" in refusal
    assert "Select fewer" not in refusal
    # every unit test selected, a subset run or a set gate: nothing left to narrow
    for plans in (
        plan_of([(SET, ref(0)), (SET, ref(1)), (SET, ref(2))], subset=False),
        plan_of([(SET, ref(1))], subset=True),
        plan_of([(SET, ref(0)), (SET, None)], subset=True),
    ):
        refusal = over_budget(plans, 1)
        assert refusal is not None and "Select fewer unit tests" in refusal
        assert "runs whole" not in refusal


def test_describe_marks_what_is_not_selected_or_not_run() -> None:
    lines = describe(plan_of([(SET, ref(1))], subset=True))
    assert lines[0] == f"Smoke ({SET.id}): 5 sessions, subset (--amigo-subset)"
    assert lines[1] == "       3 x Alpha  (not selected, not run)"
    assert lines[2] == "       5 x Beta"
    assert lines[-1] == "total: 5 sessions in 1 set; no run was started"
