"""The operations a pytest session needs: start, list and cancel runs, artifacts, evaluation
results, tool invocations, and the set and unit test lists read at collection.

What a verdict or collection depends on is read leniently (:mod:`.shapes`): runs and
evaluation results are returned as the JSON objects sent, definitions as small models; a
missing or mistyped field they need raises :class:`~pytest_amigo.api.shapes.ResponseShapeError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Unpack

from amigo_sdk.generated.model import (
    SimulationCreateSimulationUnitTestSetRunResponse,
    SimulationGetSimulationUnitTestSetRunArtifactsResponse,
    ToolGetToolInvocationsResponse,
    ToolInvocationInstance,
)

from pytest_amigo.api.core import ApiCore, _when
from pytest_amigo.api.download import fetch_presigned
from pytest_amigo.api.paging import Listing
from pytest_amigo.api.queries import ListQuery
from pytest_amigo.api.shapes import (
    EvaluationResultShape,
    Lenient,
    RunShape,
    UnitTestDefinition,
    UnitTestSetDefinition,
)

__all__ = ["RunOperations"]

_RUNS = Lenient(RunShape, as_sent=True)
_EVALUATIONS = Lenient(EvaluationResultShape, as_sent=True)
_SETS = Lenient(UnitTestSetDefinition)
_UNIT_TESTS = Lenient(UnitTestDefinition)


class RunOperations(ApiCore):
    """Runs, their results and the definitions collection reads (see the module docstring)."""

    # -- runs ----------------------------------------------------------------------------------

    def create_run(self, set_id: str, *, patient: bool = True) -> str:
        """Start a run of a unit test set; ``ConflictError`` if this user has one unfinished.

        ``patient=False``: refused for the rate limit (429), ``RateLimitError`` at once."""
        resp = self._get(
            "create-simulation-unit-test-set-run",
            SimulationCreateSimulationUnitTestSetRunResponse,
            json={"simulation_unit_test_set_id": set_id},
            patient=patient,
        )
        return resp.simulation_unit_test_set_run_id

    def list_runs(
        self,
        *,
        ids: Sequence[str] = (),
        set_ids: Sequence[str] = (),
        creators: Sequence[str] = (),
        is_completed: bool | None = None,
        failed_metrics: bool | None = None,
        errored: bool | None = None,
        created_after: dt.datetime | None = None,
        created_before: dt.datetime | None = None,
        sort_by: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Runs as the JSON objects sent (unknown fields kept, nothing added).

        Only what pytest-amigo reads is checked (:class:`~pytest_amigo.api.shapes.RunShape`:
        ids, ``is_completed``, ``errored``, ``artifacts_generated``, the spec and result lists);
        a missing or mistyped one raises :class:`ResponseShapeError` (not transient). The inner
        structure of specs and results is left to the verdict, which reports it per unit test."""
        return self._list(
            "get-simulation-unit-test-set-runs",
            _RUNS,
            "simulation_unit_test_set_runs",
            {
                "simulation_unit_test_set_id": set_ids,
                "creator": creators,
                "is_completed": is_completed,
                "failed_metrics": failed_metrics,
                "errored": errored,
                "created_after": _when(created_after),
                "created_before": _when(created_before),
                "sort_by": sort_by,
            },
            page_max=50,
            ids=ids,
            limit=limit,
        )

    def cancel_run(self, run_id: str) -> None:
        """Cancel a run; ``ConflictError`` when it is already finished."""
        self._send(
            "cancel-simulation-unit-test-set-run", path={"simulation_unit_test_set_run_id": run_id}
        )

    def get_artifacts(self, run_id: str) -> SimulationGetSimulationUnitTestSetRunArtifactsResponse:
        """Presigned URL of the run's artifacts; ``BadRequestError`` until they are generated."""
        return self._get(
            "get-simulation-unit-test-set-run-artifacts",
            SimulationGetSimulationUnitTestSetRunArtifactsResponse,
            path={"simulation_unit_test_set_run_id": run_id},
        )

    def download_artifacts(self, run_id: str, dest: Path) -> Path:
        """Fetch the artifacts to ``dest`` (a directory -> ``dest/<run_id>.zip``)."""
        dest = Path(dest)
        if dest.is_dir():
            dest = dest / f"{run_id}.zip"
        artifacts = self.get_artifacts(run_id)
        return fetch_presigned(artifacts.presigned_url, dest, timeout=max(60.0, self._timeout))

    # -- definitions read at collection --------------------------------------------------------

    def list_unit_test_sets(
        self, *, unit_test_ids: Sequence[str] = (), **query: Unpack[ListQuery]
    ) -> list[UnitTestSetDefinition]:
        """Set definitions; ``query``: ``ids``, ``is_deleted``, ``creators``, ``tags``,
        ``sort_by``, ``limit`` (:class:`ListQuery`); ``unit_test_ids``: sets running these.

        Read leniently: only id, name, description, is_deleted and
        ``unit_test_runs[{unit_test_id, run_count}]`` are checked; other fields are kept in
        ``model_extra`` unchecked. The API leaves out sets the caller may not read."""
        listing = Listing("get-simulation-unit-test-sets", _SETS, "simulation_unit_test_sets", 20)
        return self._list_resource(listing, query, id_chunk=20, unit_test_id=unit_test_ids)

    def list_unit_tests(
        self,
        *,
        service_ids: Sequence[str] = (),
        persona_ids: Sequence[str] = (),
        scenario_ids: Sequence[str] = (),
        metric_ids: Sequence[str] = (),
        **query: Unpack[ListQuery],
    ) -> list[UnitTestDefinition]:
        """Unit test definitions; ``query``: ``ids``, ``is_deleted``, ``creators``, ``tags``,
        ``sort_by``, ``limit`` (:class:`ListQuery`); the others: what the unit tests refer to.

        Read leniently: only id, name, description and
        ``success_criterions[{name, metric_id, criterion}]`` are checked; other fields are kept
        in ``model_extra`` unchecked."""
        return self._list_resource(
            Listing("get-simulation-unit-tests", _UNIT_TESTS, "simulation_unit_tests", 500),
            query,
            id_chunk=200,
            service_id=service_ids,
            persona_id=persona_ids,
            scenario_id=scenario_ids,
            metric_id=metric_ids,
        )

    # -- evaluation results and tool invocations ------------------------------------------------

    def list_metric_evaluation_results(
        self,
        *,
        run_ids: Sequence[str] = (),
        source_types: Sequence[str] | None = None,
        metric_ids: Sequence[str] = (),
        timestamp_after: dt.datetime | None = None,
        limit_per_page: int = 500,
    ) -> list[dict[str, Any]]:
        """Evaluation results as the JSON objects sent; only ``id`` (a string) is checked,
        ``result``, ``justification``, ``metric_id``, ``source``, ``created_at`` are optional.

        ``source_types`` defaults to ``("simulation",)`` when ``run_ids`` are given, else no
        filter. ``timestamp_after`` keeps results evaluated at or after it (inclusive, per the
        contract), so a caller can fetch only what is new. Endpoint limit is 10/min: prefer
        few, large pages."""
        if source_types is None:
            source_types = ("simulation",) if run_ids else ()
        return self._list(
            "get-metric-evaluation-results",
            _EVALUATIONS,
            "metric_evaluation_results",
            {
                "source_type": source_types,
                "metric_id": metric_ids,
                "timestamp_after": _when(timestamp_after),
            },
            page_max=max(1, min(500, limit_per_page)),
            id_key="simulation_unit_test_set_run_id",
            ids=run_ids,
        )

    def list_tool_invocations(
        self,
        *,
        run_ids: Sequence[str] = (),
        succeeded: bool | None = None,
        tool_ids: Sequence[str] = (),
        source_types: Sequence[str] = (),
    ) -> list[ToolInvocationInstance]:
        return self._list(
            "get-tool-invocations",
            ToolGetToolInvocationsResponse,
            "tool_invocations",
            {"succeeded": succeeded, "tool_id": tool_ids, "invocation_source_type": source_types},
            page_max=100,
            id_key="simulation_unit_test_set_run_id",
            ids=run_ids,
        )
