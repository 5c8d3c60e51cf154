"""Metrics and metric evaluation results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from amigo_sdk.generated import model as m
from fastapi import APIRouter, Query
from fastapi.responses import Response

from pytest_amigo.emulator import world as w
from pytest_amigo.emulator.routes.common import (
    V1,
    IdList,
    StoreDep,
    StrList,
    Token,
    ok,
    tag_values,
    unique,
    user_dep,
)
from pytest_amigo.emulator.store import EvaluationRef

router = APIRouter(prefix=V1 + "/metric")


@router.get("/", response_model=m.MetricGetMetricsResponse)
async def list_metrics(
    store: StoreDep,
    user: Annotated[w.User, user_dep("Metric:GetMetric")],
    id: IdList = [],  # noqa: B006
    limit: Annotated[int, Query(ge=0, le=50)] = 50,
    continuation_token: Token = 0,
    applied_to_service: IdList = [],  # noqa: B006
    type: Annotated[list[m.MetricValueType], Query()] = [],  # noqa: B006
    is_deleted: Annotated[bool, Query()] = False,
    creator: StrList = [],  # noqa: B006
    tag: StrList = [],  # noqa: B006
    sort_by: StrList = [],  # noqa: B006
) -> Response:
    kinds = {t.value for t in type}
    docs = store.list_docs(
        store.metrics.values(), ids=id, is_deleted=is_deleted, creator=creator, tag=tag,
        sort_by=sort_by,
        extra=lambda d: (not kinds or d["metric_value_type"] in kinds)
        and (not applied_to_service
             or bool(set(d["applied_to_services"]) & set(applied_to_service))),
    )  # fmt: skip
    chunk, more, nxt = store.page(docs, limit, continuation_token)
    filters = None
    if continuation_token == 0:
        filters = {
            "applied_to_services_ids": sorted({s for d in docs for s in d["applied_to_services"]}),
            "creators": unique([d["creator"] for d in docs]),
            "tags": tag_values(docs),
            "types": sorted({d["metric_value_type"] for d in docs}),
        }
    body = {
        "metrics": [store.public(d) for d in chunk],
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.MetricGetMetricsResponse, body)


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
    body = {
        "metric_evaluation_results": chunk,
        "has_more": more,
        "continuation_token": nxt,
        "filter_values": filters,
    }
    return ok(m.MetricGetMetricEvaluationResultsResponse, body)
