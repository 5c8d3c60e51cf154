"""Tolerant parsing at the HTTP level (httpx MockTransport; sign-in stubbed): answers the SDK's
generated models reject (older API versions, the docs' own examples, extra fields) never block
a verdict; only a missing or mistyped field pytest-amigo needs raises ResponseShapeError."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pydantic
import pytest
from amigo_sdk.generated.model import (
    MetricGetMetricEvaluationResultsResponse,
    SimulationGetSimulationUnitTestSetRunsResponse,
    SimulationGetSimulationUnitTestSetsResponse,
    SimulationGetSimulationUnitTestsResponse,
    UserSignInWithApiKeyResponse,
)

from pytest_amigo.api import (
    ResponseShapeError,
    SDKInternalError,
    SimulationApi,
    UnitTestDefinition,
    UnitTestSetDefinition,
)
from pytest_amigo.api import paced_client as client_module
from pytest_amigo.lifecycle.set_reader import load_sets
from support.doubles import offline_api

ORG = "acme"
RUN = "66aa00000000000000000001"
SET = "66aa000000000000000000a0"
UT = "66aa000000000000000000b1"
METRIC = "66aa000000000000000000a9"
RUNS_PATH = f"/v1/{ORG}/simulation/unit_test_set_run/"
EVALS_PATH = f"/v1/{ORG}/metric/metric_evaluation_result"
SETS_PATH = f"/v1/{ORG}/simulation/unit_test_set/"
UNIT_TESTS_PATH = f"/v1/{ORG}/simulation/unit_test/"

# The contract notes' example run (docs shape), with the per-metric entries lacking
# metric_version (older API versions; the field is new in 2026) and unknown fields added.
DOC_RUN: dict[str, Any] = {
    "org_id": ORG,
    "id": RUN,
    "is_completed": True,
    "simulation_unit_test_set_id": SET,
    "failed_metrics": True,
    "errored": False,
    "artifacts_generated": True,
    "unit_test_run_specs": [
        {
            "unit_test_id": UT,
            "run_count": 2,
            "service_hierarchical_state_machine_version_info": ["66aa000000000000000000c1", 3],
            "agent_version_info": ["66aa000000000000000000d1", 5],
            "scenario_version_info": ["66aa000000000000000000e1", 1],
            "persona_version_info": ["66aa000000000000000000f1", 2],
            "llm_model_preferences": {},
            "max_interactions": 20,
            "metrics_to_evaluate": [
                {
                    "metric_id": METRIC,
                    "success_criterion_name": "Completed",
                    "success_criterion": {"type": "boolean", "expected_value": True},
                    "brand_new_field": {"nested": [1, 2]},
                }
            ],
            "future_spec_field": "x",
        }
    ],
    "unit_test_run_results": [
        {
            "unit_test_id": UT,
            "metric_evaluation_results": [
                {
                    "metric_id": METRIC,
                    "results": [
                        ["66aa0000000000000000aa01", True],
                        ["66aa0000000000000000aa02", False],
                    ],
                }
            ],
            "run_errors": [None, None],
            "future_result_field": 1,
        }
    ],
    "created_at": "2026-04-01T12:00:00Z",
    "creator": {"org_id": ORG, "user_id": "u1"},
    "future_run_field": {"anything": True},
}

EVALUATION: dict[str, Any] = {
    "id": "66aa0000000000000000aa02",
    "org_id": ORG,
    "created_at": "2026-04-01T12:01:00Z",
    "metric_id": METRIC,
    "result": False,
    "justification": "The agent never confirmed the refund.",
    "source": {
        "type": "simulation",
        "simulation_unit_test_set_run_id": RUN,
        "unit_test_id": UT,
        "run_index": 1,
        "references": [],
        "future_source_field": 3,
    },
    "future_evaluation_field": "y",
}

SET_INSTANCE: dict[str, Any] = {
    "id": SET,
    "org_id": ORG,
    "name": "Checkout",
    "description": None,
    "unit_test_runs": [{"unit_test_id": UT, "run_count": 2, "weight": 1}],
    "last_triggered_run_id": None,
    "is_deleted": False,
    # no tags, creator, updated_by; an unknown field instead
    "future_set_field": [],
}

UNIT_TEST_INSTANCE: dict[str, Any] = {
    "id": UT,
    "org_id": ORG,
    "name": "Refund flow",
    "description": "Customer asks for a refund.",
    "service_id": "66aa000000000000000000c2",
    "success_criterions": [
        {
            "name": "Completed",
            "metric_id": METRIC,
            "metric_version": None,
            "criterion": {"type": "boolean", "expected_value": True},
        }
    ],
    "is_deleted": False,
    "tags": "not-a-list-any-more",
    "future_unit_test_field": 7,
}


def _page(field: str, items: list[Any], **extra: Any) -> dict[str, Any]:
    return {"has_more": False, "continuation_token": None, field: items, **extra}


@pytest.fixture
def signins(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fake(cfg: Any) -> UserSignInWithApiKeyResponse:
        calls.append(1)
        return UserSignInWithApiKeyResponse(
            id_token="tok", expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )

    monkeypatch.setattr(client_module, "sign_in_with_api_key", fake)
    return calls


@pytest.fixture
def serve(
    signins: list[int],
) -> Iterator[Callable[[dict[str, Any]], tuple[SimulationApi, list[httpx.Request]]]]:
    """``serve({path: body or callable})`` -> an api answering those paths with 200."""
    made: list[SimulationApi] = []

    def make(routes: dict[str, Any]) -> tuple[SimulationApi, list[httpx.Request]]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            body = routes[request.url.path]
            return httpx.Response(200, json=body(request) if callable(body) else body)

        api = offline_api(handler)
        made.append(api)
        return api, seen

    yield make
    for api in made:
        api.close()


def _sdk_rejects(model: type[pydantic.BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except pydantic.ValidationError:
        return True
    return False


# -- runs ---------------------------------------------------------------------------------------


def test_run_without_metric_version_and_with_unknown_fields_is_returned_as_sent(
    serve: Any,
) -> None:
    page = _page("simulation_unit_test_set_runs", [DOC_RUN], filter_values=None, future_page=1)
    assert _sdk_rejects(SimulationGetSimulationUnitTestSetRunsResponse, page)
    api, _ = serve({RUNS_PATH: page})
    (run,) = api.list_runs(ids=[RUN])
    assert run == DOC_RUN  # unknown fields kept, nothing added
    assert "metric_version" not in run["unit_test_run_results"][0]["metric_evaluation_results"][0]


def test_run_results_and_specs_are_not_validated_here(serve: Any) -> None:
    """The verdict reports malformed specs/results per unit test; the list must not block."""
    run = {**DOC_RUN, "unit_test_run_specs": [{"odd": True}], "unit_test_run_results": [None, 3]}
    api, _ = serve({RUNS_PATH: _page("simulation_unit_test_set_runs", [run])})
    assert api.list_runs(ids=[RUN]) == [run]


def test_run_without_is_completed_is_a_shape_error(serve: Any) -> None:
    broken = {k: v for k, v in DOC_RUN.items() if k != "is_completed"}
    api, seen = serve({RUNS_PATH: _page("simulation_unit_test_set_runs", [DOC_RUN, broken])})
    with pytest.raises(ResponseShapeError) as info:
        api.list_runs(ids=[RUN])
    error = info.value
    assert isinstance(error, SDKInternalError)
    message = str(error)
    assert "get-simulation-unit-test-set-runs" in message
    assert "HTTP 200" in message
    assert "simulation_unit_test_set_runs[1].is_completed" in message
    assert "required field missing" in message
    assert "Not transient" in message
    assert error.status_code == 200
    assert error.path == "simulation_unit_test_set_runs[1].is_completed"
    assert len(seen) == 1  # not retried


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("is_completed", "true"),
        ("errored", None),
        ("artifacts_generated", 1),
        ("id", 42),
        ("simulation_unit_test_set_id", None),
        ("unit_test_run_specs", None),
        ("unit_test_run_results", {"a": 1}),
    ],
)
def test_needed_run_field_of_wrong_type_is_a_shape_error(
    serve: Any, field: str, value: Any
) -> None:
    api, _ = serve({RUNS_PATH: _page("simulation_unit_test_set_runs", [{**DOC_RUN, field: value}])})
    with pytest.raises(ResponseShapeError, match=rf"simulation_unit_test_set_runs\[0\]\.{field}"):
        api.list_runs(ids=[RUN])


def test_paging_fields_are_needed(serve: Any) -> None:
    no_has_more = {"simulation_unit_test_set_runs": [DOC_RUN], "continuation_token": None}
    api, _ = serve({RUNS_PATH: no_has_more})
    with pytest.raises(ResponseShapeError, match="at has_more: required field missing"):
        api.list_runs()
    dangling = {**_page("simulation_unit_test_set_runs", [DOC_RUN]), "has_more": True}
    api, _ = serve({RUNS_PATH: dangling})
    with pytest.raises(ResponseShapeError, match="continuation_token: null while has_more"):
        api.list_runs()
    no_list = {"has_more": False, "continuation_token": None}
    api, _ = serve({RUNS_PATH: no_list})
    with pytest.raises(ResponseShapeError, match="simulation_unit_test_set_runs: required"):
        api.list_runs()


def test_non_json_answer_is_a_shape_error(signins: list[int]) -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, text="<html>maintenance"))
    with SimulationApi(
        transport=transport,
        api_key="k",
        api_key_id="kid",
        user_id="u",
        organization_id=ORG,
        base_url="https://api.example.test",
    ) as api:
        with pytest.raises(ResponseShapeError, match="not a JSON document"):
            api.list_runs()


def test_runs_are_paged_and_deduplicated_across_id_chunks(serve: Any) -> None:
    def answer(request: httpx.Request) -> dict[str, Any]:
        token = int(request.url.params.get("continuation_token", "0"))
        # every chunk answers the same run: it must appear once
        return {
            "simulation_unit_test_set_runs": [copy.deepcopy(DOC_RUN)] if token == 0 else [],
            "has_more": token == 0,
            "continuation_token": 1 if token == 0 else None,
        }

    api, seen = serve({RUNS_PATH: answer})
    ids = [RUN] + [f"{i:024x}" for i in range(1, 60)]
    assert [r["id"] for r in api.list_runs(ids=ids)] == [RUN]
    assert len(seen) == 4  # two chunks of ids, two pages each


# -- evaluation results -------------------------------------------------------------------------


def test_evaluations_without_metric_version_and_optional_fields(serve: Any) -> None:
    minimal = {"id": "66aa0000000000000000aa01"}  # everything but the id is optional
    page = _page("metric_evaluation_results", [EVALUATION, minimal], filter_values=None)
    assert _sdk_rejects(MetricGetMetricEvaluationResultsResponse, page)
    api, seen = serve({EVALS_PATH: page})
    after = dt.datetime(2026, 4, 1, 12, 0, 30, tzinfo=dt.UTC)
    results = api.list_metric_evaluation_results(run_ids=[RUN], timestamp_after=after)
    assert results == [EVALUATION, minimal]
    params = seen[0].url.params
    assert params["timestamp_after"] == "2026-04-01T12:00:30+00:00"
    assert params.get_list("simulation_unit_test_set_run_id") == [RUN]
    assert params.get_list("source_type") == ["simulation"]


def test_timestamp_after_is_not_sent_by_default(serve: Any) -> None:
    api, seen = serve({EVALS_PATH: _page("metric_evaluation_results", [])})
    assert api.list_metric_evaluation_results(run_ids=[RUN]) == []
    assert "timestamp_after" not in seen[0].url.params


def test_evaluation_without_id_is_a_shape_error(serve: Any) -> None:
    no_id = {k: v for k, v in EVALUATION.items() if k != "id"}
    api, _ = serve({EVALS_PATH: _page("metric_evaluation_results", [no_id])})
    with pytest.raises(ResponseShapeError) as info:
        api.list_metric_evaluation_results(run_ids=[RUN])
    message = str(info.value)
    assert "get-metric-evaluation-results: HTTP 200" in message
    assert "metric_evaluation_results[0].id: required field missing" in message


# -- definitions (collection) -------------------------------------------------------------------


def test_sets_and_unit_tests_without_tags_creator_or_metric_version(serve: Any) -> None:
    sets_page = _page("simulation_unit_test_sets", [SET_INSTANCE])
    tests_page = _page("simulation_unit_tests", [UNIT_TEST_INSTANCE])
    assert _sdk_rejects(SimulationGetSimulationUnitTestSetsResponse, sets_page)
    assert _sdk_rejects(SimulationGetSimulationUnitTestsResponse, tests_page)
    api, _ = serve({SETS_PATH: sets_page, UNIT_TESTS_PATH: tests_page})

    (found,) = api.list_unit_test_sets(ids=[SET])
    assert isinstance(found, UnitTestSetDefinition)
    assert (found.id, found.name, found.description, found.is_deleted) == (
        SET,
        "Checkout",
        None,
        False,
    )
    assert [(u.unit_test_id, u.run_count) for u in found.unit_test_runs] == [(UT, 2)]
    assert found.model_extra is not None and found.model_extra["future_set_field"] == []

    (unit_test,) = api.list_unit_tests(ids=[UT])
    assert isinstance(unit_test, UnitTestDefinition)
    assert unit_test.success_criterions[0].criterion == {
        "type": "boolean",
        "expected_value": True,
    }
    assert unit_test.model_extra is not None
    assert unit_test.service_id == "66aa000000000000000000c2"

    (definition,) = load_sets(api, [SET]).values()
    assert definition.name == "Checkout"
    (member,) = definition.unit_tests
    assert (member.id, member.name, member.run_count) == (UT, "Refund flow", 2)
    assert [(c.name, c.metric_id, c.kind, c.expected_value) for c in member.criteria] == [
        ("Completed", METRIC, "boolean", True)
    ]


def test_unreadable_criterion_does_not_block_collection(serve: Any) -> None:
    odd = copy.deepcopy(UNIT_TEST_INSTANCE)
    odd["success_criterions"].append(
        {"name": "Future", "metric_id": METRIC, "criterion": {"type": "semantic", "x": 1}}
    )
    api, _ = serve(
        {
            SETS_PATH: _page("simulation_unit_test_sets", [SET_INSTANCE]),
            UNIT_TESTS_PATH: _page("simulation_unit_tests", [odd]),
        }
    )
    (member,) = load_sets(api, [SET])[SET].unit_tests
    assert [c.name for c in member.criteria] == ["Completed"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"unit_test_runs": None}, "simulation_unit_test_sets[0].unit_test_runs"),
        (
            {"unit_test_runs": [{"unit_test_id": UT}]},
            "simulation_unit_test_sets[0].unit_test_runs[0].run_count",
        ),
        ({"name": None}, "simulation_unit_test_sets[0].name"),
        ({"is_deleted": "no"}, "simulation_unit_test_sets[0].is_deleted"),
    ],
)
def test_needed_set_field_missing_is_a_shape_error(
    serve: Any, change: dict[str, Any], path: str
) -> None:
    api, _ = serve({SETS_PATH: _page("simulation_unit_test_sets", [{**SET_INSTANCE, **change}])})
    with pytest.raises(ResponseShapeError) as info:
        api.list_unit_test_sets(ids=[SET])
    assert info.value.path == path
    assert "get-simulation-unit-test-sets: HTTP 200" in str(info.value)
