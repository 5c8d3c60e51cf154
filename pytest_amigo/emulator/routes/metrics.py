"""Metrics and metric evaluation results."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from amigo_sdk.generated import model as m
from fastapi import Query
from fastapi.responses import Response

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes import resource as r
from pytest_amigo.emulator.routes.common import (
    IdList,
    StoreDep,
    StrList,
    Token,
    ok,
    page_body,
    tag_values,
    unique,
    user_dep,
)
from pytest_amigo.emulator.store import EvaluationRef

APPLIED_TO_SERVICE = r.id_filter("applied_to_service")
TYPE = r.Param("type", Annotated[list[m.MetricValueType], Query()], [])
IS_ALIVE = r.Param("is_deleted", Annotated[bool, Query()], False)
"""Metrics list live ones unless told (``is_deleted`` is not optional here, as documented)."""


def _keep(q: dict[str, Any]) -> Callable[[r.Doc], bool]:
    kinds = {t.value for t in q["type"]}
    services: list[str] = q["applied_to_service"]
    return lambda d: (
        (not kinds or d["metric_value_type"] in kinds)
        and (not services or bool(set(d["applied_to_services"]) & set(services)))
    )


def _filter_values(docs: list[r.Doc]) -> dict[str, Any]:
    return {
        "applied_to_services_ids": sorted({s for d in docs for s in d["applied_to_services"]}),
        "creators": unique([d["creator"] for d in docs]),
        "tags": tag_values(docs),
        "types": sorted({d["metric_value_type"] for d in docs}),
    }


METRICS = r.Resource(
    r.Naming(path="/metric", name="metric", key="metrics", read="Metric:GetMetric"),
    docs=lambda store, user: store.metrics.values(),
    list_model=m.MetricGetMetricsResponse,
    list_query=(
        r.ID,
        r.page_limit(50, 50),
        r.TOKEN,
        APPLIED_TO_SERVICE,
        TYPE,
        IS_ALIVE,
        r.CREATOR,
        r.TAG,
        r.SORT_BY,
    ),
    filter_values=_filter_values,
    keep=_keep,
)
"""Metrics are only listed (the evaluation results below have their own shape)."""
router = r.resource_router(METRICS)


@router.get("/metric_evaluation_result", response_model=m.MetricGetMetricEvaluationResultsResponse)
def list_evaluation_results(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Metric:GetMetricEvaluationResult")],
    limit: Annotated[int, Query(ge=0, le=500)] = 500,
    continuation_token: Token = 0,
    timestamp_after: Annotated[datetime | None, Query()] = None,
    timestamp_before: Annotated[datetime | None, Query()] = None,
    metric_id: IdList = [],  # noqa: B006
    metric_id_and_version: StrList = [],  # noqa: B006
    source_type: Annotated[list[m.EvaluationSourceType], Query()] = [],  # noqa: B006
    conversation_id: IdList = [],  # noqa: B006
    simulation_unit_test_set_run_id: IdList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    sources = {s.value for s in source_type}
    wanted_versions = [x.partition("-") for x in metric_id_and_version]
    after = None if timestamp_after is None else store.clock.seconds(timestamp_after)
    before = None if timestamp_before is None else store.clock.seconds(timestamp_before)

    def keep(e: EvaluationRef) -> bool:
        if sources and "simulation" not in sources:
            return False
        if conversation_id:
            return False  # simulation results carry no conversation id
        if metric_id and e.metric_id not in metric_id:
            return False
        if wanted_versions and not any(
            e.metric_id == mid and (not ver or str(e.metric_version) == ver)
            for mid, _, ver in wanted_versions
        ):
            return False
        # created_at is serialized to the microsecond: compare what the caller sees
        if after is None and before is None:
            return True
        at = store.clock.seconds(store.clock.at(e.at))
        if after is not None and at < after:
            return False
        return before is None or at <= before

    chunk, more, nxt, metric_ids = store.evaluation_page(
        simulation_unit_test_set_run_id, keep, sort_by, limit, continuation_token
    )
    filters = {"metric_ids": metric_ids} if continuation_token == 0 else None
    body = page_body("metric_evaluation_results", chunk, more, nxt, filter_values=filters)
    return ok(m.MetricGetMetricEvaluationResultsResponse, body)
