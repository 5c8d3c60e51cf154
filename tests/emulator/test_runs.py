"""Runs executing on the world clock: results, failed_metrics, cancel, run errors, permissions."""

from __future__ import annotations

from typing import Any

from pytest_amigo.emulator import Emulator, World
from support.emulator import Api, set_id, unit_test_id


def _spec(run: dict[str, Any], i: int) -> dict[str, Any]:
    spec: dict[str, Any] = run["unit_test_run_specs"][i]
    return spec


def test_results_stay_null_until_every_session_of_the_unit_test_is_done(
    api: Api, emu: Emulator, world: World
) -> None:
    run_id = api.start(set_id(world, "Main"))
    run = api.run(run_id)
    assert run["is_completed"] is False
    assert run["failed_metrics"] is False
    assert run["unit_test_run_results"] == [None, None]
    assert [s["unit_test_id"] for s in run["unit_test_run_specs"]] == [
        unit_test_id(world, "Mixed"),
        unit_test_id(world, "Slow"),
    ]
    assert _spec(run, 0)["run_count"] == 3
    assert [m["success_criterion_name"] for m in _spec(run, 0)["metrics_to_evaluate"]] == [
        "Completed",
        "Empathy",
        "Outcome",
    ]

    emu.advance(15)  # session 0 (10 s, passes) done; 1 (30 s) and 2 (20 s, errors) running
    run = api.run(run_id)
    assert run["unit_test_run_results"] == [None, None]
    assert run["failed_metrics"] is False

    emu.advance(20)  # t ~ 35: Mixed is done (session 1 failed Empathy), Slow still running
    run = api.run(run_id)
    assert run["failed_metrics"] is True
    assert run["is_completed"] is False
    mixed = run["unit_test_run_results"][0]
    assert run["unit_test_run_results"][1] is None
    assert mixed["unit_test_id"] == unit_test_id(world, "Mixed")
    assert mixed["run_errors"] == [None, None, "Simulator crashed"]
    metrics = [r["metric_id"] for r in mixed["metric_evaluation_results"]]
    assert metrics == [m["metric_id"] for m in _spec(run, 0)["metrics_to_evaluate"]]
    passed = [[pair[1] for pair in r["results"]] for r in mixed["metric_evaluation_results"]]
    assert passed == [[True, True], [True, False], [True, True]]
    assert all(r["metric_version"] == 1 for r in mixed["metric_evaluation_results"])

    emu.advance(70)
    run = api.run(run_id)
    assert run["is_completed"] is True
    assert run["errored"] is False
    assert run["artifacts_generated"] is True  # 5 s after completion at t=100
    assert run["unit_test_run_results"][1]["run_errors"] == [None]


def test_failed_metrics_turns_true_while_the_run_goes_on(
    api: Api, emu: Emulator, world: World
) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(32)  # session 1 failed at t=30; Slow goes on until t=100
    run = api.run(run_id)
    assert run["failed_metrics"] is True and run["is_completed"] is False
    listed = api.get("/simulation/unit_test_set_run/", failed_metrics=True, is_completed=False)
    assert run_id in [r["id"] for r in listed.json()["simulation_unit_test_set_runs"]]


def test_cancel_completes_the_run_and_keeps_missing_results_null(
    api: Api, emu: Emulator, world: World
) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(35)
    assert api.delete(f"/simulation/unit_test_set_run/{run_id}/").status_code == 204
    run = api.run(run_id)
    assert run["is_completed"] is True
    assert run["unit_test_run_results"][0] is not None
    assert run["unit_test_run_results"][1] is None
    assert run["artifacts_generated"] is False
    emu.advance(200)
    run = api.run(run_id)
    assert run["unit_test_run_results"][1] is None  # cancelled: never filled in
    assert run["artifacts_generated"] is True
    resp = api.delete(f"/simulation/unit_test_set_run/{run_id}/")
    assert resp.status_code == 409
    assert resp.json() == {"detail": "The simulation unit test set run is not in progress."}


def test_run_error_completes_the_run_as_errored(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Broken"))
    emu.advance(30)
    run = api.run(run_id)
    assert (run["errored"], run["is_completed"]) == (False, False)
    emu.advance(20)
    run = api.run(run_id)
    assert (run["errored"], run["is_completed"]) == (True, True)
    assert run["unit_test_run_results"] == [None]
    errored = api.get("/simulation/unit_test_set_run/", errored=True).json()
    assert run_id in [r["id"] for r in errored["simulation_unit_test_set_runs"]]


def test_one_unfinished_run_per_user_and_set(api: Api, emu: Emulator, world: World) -> None:
    sid = set_id(world, "Long")
    first = api.start(sid)
    resp = api.post("/simulation/unit_test_set_run/", {"simulation_unit_test_set_id": sid})
    assert resp.status_code == 409
    assert resp.json() == {
        "detail": "The user already has an unfinished run for this simulation unit test set"
    }
    other = Api(emu, api.contract, "no-unit-tests")
    second = other.start(sid)  # another user may run the same set
    assert second != first
    sets = api.get("/simulation/unit_test_set/", id=sid).json()["simulation_unit_test_sets"]
    assert sets[0]["last_triggered_run_id"] == second
    emu.advance(150)
    assert api.start(sid) not in (first, second)


def test_permission_profiles_shape_the_run(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(200)
    full = api.run(run_id)
    no_ut = Api(emu, api.contract, "no-unit-tests").run(run_id)
    no_sets = Api(emu, api.contract, "no-sets").run(run_id)

    assert no_sets["unit_test_run_specs"] == [] and no_sets["unit_test_run_results"] == []
    assert no_sets["failed_metrics"] == full["failed_metrics"]

    for spec in no_ut["unit_test_run_specs"]:
        assert spec["scenario_version_info"] is None
        assert spec["persona_version_info"] is None
        assert spec["metrics_to_evaluate"] == []
    for result, full_result in zip(
        no_ut["unit_test_run_results"], full["unit_test_run_results"], strict=True
    ):
        assert result["metric_evaluation_results"] == []
        assert result["run_errors"] == full_result["run_errors"]
    assert full["unit_test_run_specs"][0]["persona_version_info"] is not None


def test_run_list_filters_and_paging(api: Api, emu: Emulator, world: World) -> None:
    quick = set_id(world, "Quick")
    ids = []
    for i in range(3):
        if i:
            emu.advance(10)  # Quick sessions last 5 s: the previous run is finished
        ids.append(api.start(quick))
    page = api.get(
        "/simulation/unit_test_set_run/",
        simulation_unit_test_set_id=quick,
        limit=2,
        sort_by="-created_at",
    ).json()
    assert [r["id"] for r in page["simulation_unit_test_set_runs"]] == ids[::-1][:2]
    assert page["has_more"] is True and isinstance(page["continuation_token"], int)
    assert page["filter_values"]["simulation_unit_test_set_ids"] == [quick]
    rest = api.get(
        "/simulation/unit_test_set_run/",
        simulation_unit_test_set_id=quick,
        limit=2,
        sort_by="-created_at",
        continuation_token=page["continuation_token"],
    ).json()
    assert [r["id"] for r in rest["simulation_unit_test_set_runs"]] == [ids[0]]
    assert rest["has_more"] is False and rest["continuation_token"] is None
    assert rest["filter_values"] is None

    two = api.get("/simulation/unit_test_set_run/", id=[ids[0], ids[2]]).json()
    assert {r["id"] for r in two["simulation_unit_test_set_runs"]} == {ids[0], ids[2]}
    mine = api.get("/simulation/unit_test_set_run/", creator="testorg,ci-bot").json()
    assert set(ids) <= {r["id"] for r in mine["simulation_unit_test_set_runs"]}
    nobody = api.get("/simulation/unit_test_set_run/", creator="testorg,ghost").json()
    assert nobody["simulation_unit_test_set_runs"] == []

    last = api.run(ids[2])["created_at"]
    after = api.get(
        "/simulation/unit_test_set_run/", simulation_unit_test_set_id=quick, created_after=last
    ).json()
    assert [r["id"] for r in after["simulation_unit_test_set_runs"]] == [ids[2]]
    before = api.get(
        "/simulation/unit_test_set_run/", simulation_unit_test_set_id=quick, created_before=last
    ).json()
    assert [r["id"] for r in before["simulation_unit_test_set_runs"]] == ids
    done = api.get(
        "/simulation/unit_test_set_run/", simulation_unit_test_set_id=quick, is_completed=True
    ).json()
    assert [r["id"] for r in done["simulation_unit_test_set_runs"]] == ids[:2]


def test_evaluation_results_match_run_pairs(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(200)
    run = api.run(run_id)
    pairs = {
        pair[0]: pair[1]
        for result in run["unit_test_run_results"]
        for metric in result["metric_evaluation_results"]
        for pair in metric["results"]
    }
    body = api.get(
        "/metric/metric_evaluation_result",
        simulation_unit_test_set_run_id=run_id,
        source_type="simulation",
    ).json()
    results = body["metric_evaluation_results"]
    assert {r["id"] for r in results} == set(pairs)
    assert len(results) == 2 * 3 + 1  # Mixed: 2 non-errored sessions x 3 criteria; Slow: 1
    empathy = next(
        r
        for r in results
        if r["source"]["run_index"] == 1
        and isinstance(r["result"], float | int)
        and not isinstance(r["result"], bool)
    )
    assert empathy["result"] == 3
    assert empathy["justification"] == "The agent ignored the frustration."
    assert pairs[empathy["id"]] is False
    assert empathy["source"]["type"] == "simulation"
    assert empathy["source"]["simulation_unit_test_set_run_id"] == run_id
    assert empathy["source"]["references"]
    assert body["filter_values"]["metric_ids"]

    paged = api.get(
        "/metric/metric_evaluation_result", simulation_unit_test_set_run_id=run_id, limit=3
    ).json()
    assert len(paged["metric_evaluation_results"]) == 3 and paged["has_more"] is True
    assert paged["continuation_token"] == 3
    manual = api.get(
        "/metric/metric_evaluation_result",
        simulation_unit_test_set_run_id=run_id,
        source_type="manual",
    ).json()
    assert manual["metric_evaluation_results"] == []
    one_metric = api.get(
        "/metric/metric_evaluation_result",
        simulation_unit_test_set_run_id=run_id,
        metric_id=empathy["metric_id"],
    ).json()
    assert {r["metric_id"] for r in one_metric["metric_evaluation_results"]} == {
        empathy["metric_id"]
    }


def test_tool_invocations_of_a_run(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Main"))
    emu.advance(200)
    body = api.get("/tool/invocation", simulation_unit_test_set_run_id=run_id).json()
    calls = body["tool_invocations"]
    assert len(calls) == 2
    failed = api.get(
        "/tool/invocation", simulation_unit_test_set_run_id=run_id, succeeded=False
    ).json()["tool_invocations"]
    assert len(failed) == 1
    status = failed[0]["invocation_status"]
    assert status["exception_message"] == "Gateway timeout"
    assert status["exception_type"] == "TimeoutError"
    assert failed[0]["invocation_source"] == {
        **failed[0]["invocation_source"],
        "type": "simulation-conversation",
        "simulation_unit_test_set_run_id": run_id,
        "unit_test_id": unit_test_id(world, "Mixed"),
        "run_index": 1,
    }
    page = api.get("/tool/invocation", simulation_unit_test_set_run_id=run_id, limit=1).json()
    assert page["has_more"] is True and page["continuation_token"] == 1


def test_random_sessions_are_deterministic_for_a_seed(world: World) -> None:
    def outcomes() -> list[Any]:
        with Emulator(world) as emulator:
            caller = Api(emulator, None)
            run_id = caller.start(set_id(world, "Random"))
            emulator.advance(100)
            result = caller.run(run_id)["unit_test_run_results"][0]
            return [result["run_errors"], result["metric_evaluation_results"][0]["results"]]

    first, second = outcomes(), outcomes()
    assert [[p[1] for p in first[1]], first[0]] == [[p[1] for p in second[1]], second[0]]
    assert len(first[0]) == 6
