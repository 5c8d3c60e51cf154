"""Re-sampling (``--amigo-resample=N``): more sessions for the unit tests that are inconclusive.

Once a set's run has ended, the unit tests whose evidence is inconclusive are run again, N
sessions each, in a temporary set (``pytest-amigo resample of <set name>``) that holds only them;
their sessions are added to the evidence and judged again, round after round while some stay
inconclusive, within ``--amigo-max-sessions`` (at most ``MAX_ROUNDS`` rounds without it). The
temporary set is deleted when its run ends, and at the end of the session whatever happens.

Every process of the session computes the same rounds from the same runs (the coordinator
creates each round's set once, for whoever asks first), so under xdist each item reads the
shared outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pytest_amigo.domain import UnitTestRef, UnitTestSet, set_from_json
from pytest_amigo.judging.baseline import key_of
from pytest_amigo.judging.evidence import combine, weigh
from pytest_amigo.judging.pipeline import Resampled
from pytest_amigo.judging.run_data import failing_evaluation_ids
from pytest_amigo.lifecycle.records import Observation, RunRecord
from pytest_amigo.plugin.collect import refs_for
from pytest_amigo.plugin.judge_item import judge_ref, policy_of

if TYPE_CHECKING:
    from pytest_amigo.plugin.context import Context

MAX_ROUNDS = 3  # without --amigo-max-sessions


class Resampling:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._sets: dict[tuple[str, float | None], dict[str, Resampled]] = {}

    def evidence(self, ref: UnitTestRef) -> Resampled | None:
        """``ref``'s evidence after re-sampling its set (None: nothing was re-sampled for it)."""
        key = (ref.set_id, ref.min_pass_rate)
        if key not in self._sets:
            self._sets[key] = self._resample(ref.set, ref.min_pass_rate)
        return self._sets[key].get(key_of(ref.unit_test.id, ref.occurrence))

    def _wait_all(self, set_id: str, refs: Sequence[UnitTestRef]) -> Observation:
        """Wait until every unit test of a run is judged and its justifications are in."""
        settings = self.ctx.settings

        def needs(run: dict[str, Any] | None, record: RunRecord) -> set[str] | None:
            for ref in refs:
                if judge_ref(ref, run, record, None, settings).outcome == "pending":
                    return None
            return failing_evaluation_ids(run or {})

        return self.ctx.coordinator.wait(set_id, needs, on_tick=self.ctx.progress.tick)

    def _resample(self, unit_set: UnitTestSet, rate: float | None) -> dict[str, Resampled]:
        settings, coordinator = self.ctx.settings, self.ctx.coordinator
        policy = policy_of(settings)
        refs = [r for _, r in refs_for(unit_set, min_pass_rate=rate)]
        seen = self._wait_all(unit_set.id, refs)
        if seen.timed_out or seen.failure is not None or seen.run is None:
            return {}
        merged: dict[str, Resampled] = {}
        members: list[UnitTestRef] = []
        for ref in refs:
            verdict = judge_ref(ref, seen.run, seen.record, seen.evaluations, settings)
            if weigh(verdict, policy).outcome == "inconclusive":
                merged[key_of(ref.unit_test.id, ref.occurrence)] = Resampled(
                    verdict, dict(seen.evaluations or {})
                )
                members.append(ref)
        round_no = 1
        while members:
            ids = list(dict.fromkeys(m.unit_test.id for m in members))
            if settings.runs.max_sessions is None and round_no > MAX_ROUNDS:
                self._note(
                    merged,
                    members,
                    f"re-sampling stopped after {MAX_ROUNDS} rounds "
                    "(set --amigo-max-sessions to allow more)",
                )
                break
            plan = coordinator.resample_round(
                unit_set, round_no, [(i, settings.evidence.resample) for i in ids]
            )
            if "stop" in plan:
                self._note(merged, members, str(plan["stop"]))
                break
            members = self._merge_round(set_from_json(plan["set"]), rate, members, merged)
            round_no += 1
        return merged

    @staticmethod
    def _note(merged: dict[str, Resampled], members: Sequence[UnitTestRef], note: str) -> None:
        for m in members:
            key = key_of(m.unit_test.id, m.occurrence)
            merged[key] = Resampled(
                merged[key].verdict, merged[key].evaluations, (*merged[key].notes, note)
            )

    def _merge_round(
        self,
        temporary: UnitTestSet,
        rate: float | None,
        members: Sequence[UnitTestRef],
        merged: dict[str, Resampled],
    ) -> list[UnitTestRef]:
        """Add one round's sessions to the members' evidence; the members still inconclusive."""
        settings = self.ctx.settings
        temp_refs = {r.unit_test.id: r for _, r in refs_for(temporary, min_pass_rate=rate)}
        seen = self._wait_all(temporary.id, list(temp_refs.values()))
        run = seen.run or {}
        if seen.timed_out:  # --amigo-timeout: nobody waits for this run any more
            self.ctx.cancel("the --amigo-timeout budget ran out", set_ids=[temporary.id])
        if run.get("is_completed") or run.get("errored") or seen.timed_out:
            self.ctx.coordinator.finish_round(temporary.id)
        still = []
        for member in members:
            key = key_of(member.unit_test.id, member.occurrence)
            before = merged[key]
            where = f"re-sampling run {seen.record.run_id} of temporary set {temporary.name!r}"
            copies = seen.record.copies or {}  # a candidate's round runs copies again
            in_round = temp_refs[copies.get(member.unit_test.id, member.unit_test.id)]
            more = judge_ref(in_round, seen.run, seen.record, seen.evaluations, settings)
            if seen.timed_out or more.outcome not in ("passed", "failed"):
                reason = "no result in time" if seen.timed_out else more.reason
                merged[key] = Resampled(
                    before.verdict, before.evaluations, (*before.notes, f"{where}: {reason}")
                )
                continue
            first = before.verdict.sessions_total + 1
            last = before.verdict.sessions_total + more.sessions_total
            combined = combine(before.verdict, more)
            merged[key] = Resampled(
                combined,
                {**before.evaluations, **(seen.evaluations or {})},
                (*before.notes, f"sessions {first}-{last}: {where} (deleted afterwards)"),
            )
            if weigh(combined, policy_of(settings)).outcome == "inconclusive":
                still.append(member)
        return still
