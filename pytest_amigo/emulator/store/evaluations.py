"""Metric evaluations of finished sessions, as refs and as documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from pytest_amigo.emulator.errors import invalid
from pytest_amigo.emulator.planned_runs import PlannedUnitTest, Run
from pytest_amigo.emulator.store.clock import iso
from pytest_amigo.emulator.store.listing import paged
from pytest_amigo.emulator.store.state import StoreState


class EvaluationRef(NamedTuple):
    """One metric evaluation, before its document is built."""

    at: float
    """World seconds: when its session finished (the evaluation's ``created_at``)."""
    metric_id: str
    metric_version: int
    run: Run
    unit_test: PlannedUnitTest
    k: int
    j: int


class Evaluations(StoreState):
    """Metric evaluation results of runs."""

    def evaluation_refs(self, run_ids: list[str]) -> list[EvaluationRef]:
        """Every evaluation of finished non-errored sessions, in creation order (cheap refs)."""
        t = self.now()
        out: list[EvaluationRef] = []
        for run in self.runs.values():
            if run_ids and run.id not in run_ids:
                continue
            cutoff = run.cutoff(t)
            for u in run.unit_tests:
                criteria = list(enumerate(u.criteria))
                for k, d, error, _ in u.iter_draws():
                    at = run.created + d
                    if error is not None or at > cutoff:
                        continue
                    for j, c in criteria:
                        out.append(
                            EvaluationRef(at, c.metric_id, u.metric_versions[j], run, u, k, j)
                        )
        return out

    def evaluation_doc(self, ref: EvaluationRef) -> dict[str, Any]:
        u, k, j = ref.unit_test, ref.k, ref.j
        s = u.session(k)
        at = iso(self.clock.at(ref.at))
        return {
            "id": u.evaluation_id(k, j),
            "org_id": self.org,
            "created_at": at,
            "updated_at": at,
            "metric_id": ref.metric_id,
            "metric_version": ref.metric_version,
            "result": s.values[j],
            "justification": s.justifications[j],
            "source": {
                "type": "simulation",
                "simulation_unit_test_set_run_id": ref.run.id,
                "unit_test_id": u.unit_test_id,
                "run_index": k,
                "references": list(s.message_ids),
            },
        }

    def evaluation_results(self, run_ids: list[str]) -> list[dict[str, Any]]:
        return [self.evaluation_doc(ref) for ref in self.evaluation_refs(run_ids)]

    def evaluation_page(
        self,
        run_ids: list[str],
        keep: Callable[[EvaluationRef], bool],
        sort_by: list[str],
        limit: int,
        token: int,
    ) -> tuple[list[dict[str, Any]], bool, int | None, list[str]]:
        """(documents of the page, has_more, next token, metric ids of every match)."""
        with self.lock:
            refs = [e for e in self.evaluation_refs(run_ids) if keep(e)]
            for spec in reversed(sort_by):
                if spec.lstrip("+-") != "created_at":
                    raise invalid(
                        ["query", "sort_by"],
                        "Unsupported sort field; supported: ['created_at']",
                        spec,
                    )
                refs.sort(key=lambda e: e.at, reverse=spec.startswith("-"))
            chunk, more, nxt = paged(refs, limit, token)
            docs = [self.evaluation_doc(e) for e in chunk]
        return docs, more, nxt, sorted({e.metric_id for e in refs})
