"""The set gate's results (ItemRunner.resolve_set): a unit test already judged for its item is not
judged again; the others (another xdist worker's items, deselected ones) are judged for the gate."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest

from pytest_amigo.domain import UnitTest, UnitTestSet
from pytest_amigo.plugin.amigo_result import AmigoResult, UnitTestRef
from pytest_amigo.plugin.collect import refs_for
from pytest_amigo.plugin.runner import ItemRunner
from pytest_amigo.settings import Evidence, Settings

UNIT_SET = UnitTestSet(
    "66aa00000000000000000001",
    "Checkout",
    tuple(UnitTest(f"66bb0000000000000000000{i}", f"Case {i}", 2) for i in range(3)),
)


def runner(monkeypatch: pytest.MonkeyPatch, judged: list[tuple[int, float | None]]) -> ItemRunner:
    """An ItemRunner whose judging only records what it judged (position, min pass rate)."""
    ctx: Any = SimpleNamespace(settings=Settings(evidence=Evidence(min_pass_rate=0.5)))
    found = ItemRunner(ctx)

    def judge(ref: UnitTestRef) -> AmigoResult:
        judged.append((ref.position, ref.min_pass_rate))
        result = AmigoResult(
            ref=ref, outcome="passed", reason=f"judged {len(judged)}", explanation=""
        )
        return replace(result, report_properties=False)

    monkeypatch.setattr(found, "_result", judge)
    return found


def test_the_gate_reuses_the_results_of_resolved_items(monkeypatch: pytest.MonkeyPatch) -> None:
    judged: list[tuple[int, float | None]] = []
    items = runner(monkeypatch, judged)
    refs = [ref for _, ref in refs_for(UNIT_SET, min_pass_rate=0.5)]
    first = items.resolve(SimpleNamespace(nodeid="amigo::Checkout::Case 0"), refs[0])  # type: ignore[arg-type]
    last = items.resolve(SimpleNamespace(nodeid="amigo::Checkout::Case 2"), refs[2])  # type: ignore[arg-type]
    assert judged == [(0, 0.5), (2, 0.5)]

    results = items.resolve_set(UNIT_SET)

    assert judged == [(0, 0.5), (2, 0.5), (1, 0.5)]  # only the unit test without an item here
    assert results[0] is first and results[2] is last
    assert [r.ref.position for r in results] == [0, 1, 2]


def test_results_judged_under_another_pass_rate_are_not_reused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A marker's own min_pass_rate judges otherwise than the gate's (the session's)."""
    judged: list[tuple[int, float | None]] = []
    items = runner(monkeypatch, judged)
    (_, marker_ref), *_ = refs_for(UNIT_SET, min_pass_rate=0.9, enforce_verdict=False)
    items.resolve(SimpleNamespace(nodeid="test_x.py::test_flow[Case 0]"), marker_ref)  # type: ignore[arg-type]

    items.resolve_set(UNIT_SET)

    assert judged == [(0, 0.9), (0, 0.5), (1, 0.5), (2, 0.5)]
