"""A/B in one job (``--amigo-compare=REF``): every process's view of the session's comparison.

Both sides of every set were started before any item waits (the runner starts each set's
reference run beside its candidate run). The multiplicity correction spans every compared unit
test of the session, so the first item that needs its comparison waits for every set's runs on
both sides; then each process judges all of them the same way (plain functions over the same
runs), so every process, xdist worker or not, reaches the same table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pytest_amigo.domain import UnitTestRef
from pytest_amigo.judging.ab import (
    Pair,
    SetComparison,
    UnitComparison,
    compare_session,
    same_agent_warning,
)
from pytest_amigo.judging.pipeline import Judged, judge_unit_test
from pytest_amigo.judging.run_outcome import RunOutcome
from pytest_amigo.lifecycle.records import Observation, RunRecord, reference_key
from pytest_amigo.plugin.amigo_result import ABResult, criteria_json
from pytest_amigo.plugin.collect import refs_for
from pytest_amigo.plugin.context import Context
from pytest_amigo.plugin.judge_item import judge_ref, rules_of, seen_of

Key = tuple[str, int]  # (set id, position)


@dataclass
class Table:
    """The session's comparison: per unit test and per set."""

    units: dict[Key, UnitComparison] = field(default_factory=dict)
    sets: dict[str, SetComparison] = field(default_factory=dict)
    runs: dict[str, str | None] = field(default_factory=dict)  # set id -> its reference run
    grids: dict[Key, list[dict[str, Any]]] = field(default_factory=dict)  # reference criteria


class Comparing:
    """Waits for both sides of every compared set once, then answers per unit test and set."""

    def __init__(self, ctx: Context, reference: str) -> None:
        self.ctx = ctx
        self.reference = reference
        self._table: Table | None = None

    @property
    def candidate_name(self) -> str:
        return self.ctx.settings.runs.version_set or "the candidate"

    def compared(self, ref: UnitTestRef) -> ABResult:
        """What the item of ``ref`` reports of the comparison."""
        table, key = self.table(), (ref.set_id, ref.position)
        return ABResult(
            table.units.get(key),
            table.sets.get(ref.set_id),
            self.warning(ref.set_id),
            table.runs.get(ref.set_id),
            table.grids.get(key),
        )

    def of_set(self, set_id: str) -> SetComparison | None:
        return self.table().sets.get(set_id)

    def warning(self, set_id: str) -> str | None:
        """The A/A warning of a set, if both sides ran the same agent."""
        found = self.of_set(set_id)
        if found is None or not found.same_agent:
            return None
        return same_agent_warning(self.candidate_name, self.reference)

    def table(self, on_tick: Callable[[Any], None] | None = None) -> Table:
        if self._table is None:
            self._table = self._build(on_tick)
        return self._table

    def _build(self, on_tick: Callable[[Any], None] | None) -> Table:
        pairs: list[Pair] = []
        table = Table()
        for plan in self.ctx.plans:
            if plan.attached:
                continue
            # the selected unit tests; a set gate alone (-k set_gate) compares the whole set
            refs = list(plan.selected) or [
                r
                for _, r in refs_for(
                    plan.unit_set, min_pass_rate=self.ctx.settings.evidence.min_pass_rate
                )
            ]
            candidate = self._observe(plan.unit_set.id, refs, on_tick)
            reference = self._observe(reference_key(plan.unit_set.id), refs, on_tick)
            table.runs[plan.unit_set.id] = reference.record.run_id
            for ref in refs:
                side, judged = self._side(ref, reference)
                grid = criteria_json(judged.verdict, judged.evaluations) if judged else []
                table.grids[(ref.set_id, ref.position)] = grid  # only the reference's is shown
                pairs.append(Pair(ref.set_id, ref.position, self._side(ref, candidate)[0], side))
        correction = self.ctx.settings.compare.correction
        units, table.sets = compare_session(pairs, self.reference, correction)
        table.units = {(p.set_id, p.position): u for p, u in zip(pairs, units, strict=True)}
        return table

    def _observe(
        self, key: str, refs: list[UnitTestRef], on_tick: Callable[[Any], None] | None
    ) -> Observation:
        """The run of ``key`` (the set, or its reference key), once every unit test of
        ``refs`` is judged in it (or time is up)."""
        settings = self.ctx.settings

        def needs(run: dict[str, Any] | None, record: RunRecord) -> set[str] | None:
            wanted: set[str] = set()
            for ref in refs:
                verdict = judge_ref(ref, run, record, None, settings)
                if verdict.outcome == "pending":
                    return None
                wanted |= set(verdict.failing_evaluation_ids())
            return wanted

        return self.ctx.coordinator.wait(key, needs, on_tick=on_tick)

    def _side(self, ref: UnitTestRef, obs: Observation) -> tuple[RunOutcome, Judged | None]:
        """The unit test's side in an observed run, and how it was judged (None: not judged)."""
        record = obs.record
        if record.run_id is None or record.error or obs.failure is not None:
            return RunOutcome("error", 0, 0), None
        if obs.timed_out:
            return RunOutcome("pending", 0, 0), None
        judged = judge_unit_test(ref, seen_of(ref, obs), rules_of(self.ctx.settings))
        v = judged.verdict  # its own outcome: a pending side stays pending
        ran = judged.provenance
        return RunOutcome(v.outcome, v.sessions_passed, v.sessions_valid, what_ran=ran), judged
