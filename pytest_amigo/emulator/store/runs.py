"""Runs: creation, cancellation, what callers see at world time t, artifact links."""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from datetime import UTC, datetime
from typing import Any

from pytest_amigo.contract import PERMISSION_SET, PERMISSION_UNIT_TEST
from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.errors import BadRequest, Conflict, NotFound
from pytest_amigo.emulator.planned_runs import EAGER_LIMIT, PlannedUnitTest, Run
from pytest_amigo.emulator.store.clock import aware, iso
from pytest_amigo.emulator.store.run_setup import RunPlanner

PERM_GET_SET = PERMISSION_SET
PERM_GET_UNIT_TEST = PERMISSION_UNIT_TEST


class Runs(RunPlanner):
    """Runs of unit test sets and their instances as the API returns them."""

    def create_run(self, set_id: str, user: w.User) -> str:
        with self.lock:
            doc = self.sets.get(set_id)
            if doc is None or doc["is_deleted"]:
                raise NotFound("Simulation unit test set not found.")
            t = self.now()
            for run in self.runs.values():
                if run.set_id == set_id and run.user_id == user.user_id and t < run.end:
                    raise Conflict(
                        "The user already has an unfinished run for this simulation unit test set",
                    )
            items = doc["unit_test_runs"]
            self._push_persona_versions(set_id, [item["unit_test_id"] for item in items])
            rid = self.new_id()
            random_sessions = sum(
                item["run_count"]
                for item in items
                if self._behaviour(item["unit_test_id"]).random is not None
            )
            eager = random_sessions <= EAGER_LIMIT
            planned = [
                self._plan_unit_test(item["unit_test_id"], item["run_count"], rid, n, eager)
                for n, item in enumerate(items)
            ]
            run = Run(
                rid,
                set_id,
                user.user_id,
                t,
                planned,
                self.set_run_errors.get(set_id),
                artifacts=set_id not in self.sets_without_artifacts,
            )
            self.runs[rid] = run
            self.artifact_tokens[run.artifact_token] = rid
            doc["last_triggered_run_id"] = rid
            return rid

    def _push_persona_versions(self, set_id: str, unit_test_ids: list[str]) -> None:
        """The ``new_persona_versions`` fault: while the set has some left, a new version of
        every persona its unit tests use is pushed (by another user) just before the run is
        created, so its specs name a version above the one a reader saw before creating it."""
        left = self.persona_pushes.get(set_id, 0)
        if left <= 0:
            return
        self.persona_pushes[set_id] = left - 1
        personas = dict.fromkeys(self.unit_tests[u]["persona_id"] for u in unit_test_ids)
        for pid in personas:
            versions = self.persona_versions.get(pid)
            if versions:
                latest = self.public(versions[-1])
                fields = {
                    k: latest[k]
                    for k in (
                        "background",
                        "preferred_language",
                        "timezone",
                        "user_models",
                        "nonsensitive_user_variables",
                        "sensitive_user_variables",
                    )
                }
                fields["background"] = f"{fields['background']} (revised)".strip()
                self.add_persona_version(pid, fields, "persona-editor")

    def get_run(self, rid: str) -> Run:
        run = self.runs.get(rid)
        if run is None:
            raise NotFound("Simulation unit test set run not found.")
        return run

    def cancel_run(self, rid: str) -> None:
        with self.lock:
            run = self.get_run(rid)
            t = self.now()
            if t >= run.end:
                raise Conflict("The simulation unit test set run is not in progress.")
            run.cancelled_at = t

    def completed_at(self, run: Run) -> float:
        return run.end

    def artifacts_ready(self, run: Run, t: float) -> bool:
        return run.artifacts and t >= run.end + self.options.artifacts_delay

    def failed_metrics(self, run: Run, t: float) -> bool:
        cutoff = run.cutoff(t)
        return any(
            u.first_failure is not None and run.created + u.first_failure <= cutoff
            for u in run.unit_tests
        )

    def unit_test_result(
        self, run: Run, u: PlannedUnitTest, t: float, denied: frozenset[str] = frozenset()
    ) -> dict[str, Any] | None:
        """``unit_test_run_results[i]`` at world time t (None while it is not in)."""
        cutoff = run.cutoff(t)
        created = run.created
        if not run.unit_test_done(u, t):
            partial = (
                self.options.partial_results and t >= run.end and created + u.min_duration <= cutoff
            )
            if not partial:
                return None
        errors: list[str | None] = []
        valid: list[int] = []
        kinds: list[int] = []
        for k, d, error, v in u.iter_draws():
            if created + d <= cutoff:
                errors.append(error)
                if error is None:
                    valid.append(k)
                    kinds.append(v)
            else:
                errors.append(None)
        evaluations = []
        if PERM_GET_UNIT_TEST not in denied:
            rotated = self.options.pair_order == "rotated"
            variants = u.variants
            for j, c in enumerate(u.criteria):
                verdicts = [variant.passed[j] for variant in variants]
                pairs = [
                    [eid, verdicts[v]]
                    for eid, v in zip(u.evaluation_ids(valid, j), kinds, strict=True)
                ]
                if rotated and pairs:
                    shift = j % len(pairs)
                    pairs = pairs[shift:] + pairs[:shift]
                evaluations.append(
                    {
                        "metric_id": c.metric_id,
                        "metric_version": u.metric_versions[j],
                        "results": pairs,
                    }
                )
        return {
            "unit_test_id": u.unit_test_id,
            "metric_evaluation_results": evaluations,
            "run_errors": errors,
        }

    def run_instance(self, run: Run, denied: frozenset[str] = frozenset()) -> dict[str, Any]:
        t = self.now()
        specs: list[dict[str, Any]] = []
        results: list[dict[str, Any] | None] = []
        if PERM_GET_SET not in denied:
            for u in run.unit_tests:
                spec = dict(u.spec)
                if PERM_GET_UNIT_TEST in denied:
                    spec["scenario_version_info"] = None
                    spec["persona_version_info"] = None
                    spec["metrics_to_evaluate"] = []
                specs.append(spec)
                results.append(self.unit_test_result(run, u, t, denied))
        return {
            "org_id": self.org,
            "id": run.id,
            "is_completed": t >= run.end,
            "simulation_unit_test_set_id": run.set_id,
            "failed_metrics": self.failed_metrics(run, t),
            "errored": run.errored_at(t),
            "artifacts_generated": self.artifacts_ready(run, t),
            "unit_test_run_specs": specs,
            "unit_test_run_results": results,
            "created_at": iso(self.clock.at(run.created)),
            "creator": self._who(run.user_id),
        }

    def list_runs(
        self,
        user: w.User,
        *,
        ids: list[str],
        set_ids: list[str],
        creators: list[str],
        created_after: datetime | None,
        created_before: datetime | None,
        is_completed: bool | None,
        failed_metrics: bool | None,
        errored: bool | None,
    ) -> list[dict[str, Any]]:
        """Run instances as ``user`` sees them, in creation order."""
        with self.lock:
            instances = []
            for run in [] if "runs" in user.hidden else self.runs.values():
                if ids and run.id not in ids:
                    continue
                if set_ids and run.set_id not in set_ids:
                    continue
                if creators and f"{self.org},{run.user_id}" not in creators:
                    continue
                created = self.clock.at(run.created)
                if created_after is not None and created < aware(created_after):
                    continue
                if created_before is not None and created > aware(created_before):
                    continue
                inst = self.run_instance(run, user.denied_permissions)
                if is_completed is not None and inst["is_completed"] != is_completed:
                    continue
                if failed_metrics is not None and inst["failed_metrics"] != failed_metrics:
                    continue
                if errored is not None and inst["errored"] != errored:
                    continue
                instances.append(inst)
            return instances

    def artifacts_link(self, rid: str) -> tuple[str, str]:
        """(presigned path, expiry) of a run's artifacts."""
        with self.lock:
            run = self.get_run(rid)
            if not self.artifacts_ready(run, self.now()):
                raise BadRequest(
                    "The artifacts for the unit test set run are not yet available for retrieval"
                )
            return self.presign(run)

    # -- presigned URLs ----------------------------------------------------------------------
    def sign(self, token: str, expires: int) -> str:
        return hmac.new(self.secret, f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()

    def presign(self, run: Run) -> tuple[str, str]:
        expires = math.ceil(time.time() + self.options.artifact_url_ttl)
        path = f"/_presigned/{run.artifact_token}.zip?expires={expires}&signature="
        return path + self.sign(run.artifact_token, expires), iso(
            datetime.fromtimestamp(expires, UTC)
        )
