"""Service misbehaviours on demand: partial results, pair order, hidden lists, missing artifacts,
processed-then-failed requests, response-shape drift, short-lived tokens, evaluation time windows.
All over loopback HTTP; every 2xx answer is checked against the contract (except drift)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
import pytest
from openapi_core import OpenAPI

from pytest_amigo.emulator import Emulator, World
from support.emulator import UNBROKEN_WINDOW, WORLDS, Api, set_id

RUNS = "/simulation/unit_test_set_run/"


@pytest.fixture(scope="module")
def world() -> World:
    return World.from_toml(WORLDS / "misbehaviour.toml")


def _staggered(run: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = run["unit_test_run_results"][0]
    return result


def _pairs(result: dict[str, Any]) -> list[list[Any]]:
    return [r["results"] for r in result["metric_evaluation_results"]]


def _run_indexes(api: Api, run_id: str) -> dict[str, int]:
    body = api.get("/metric/metric_evaluation_result", simulation_unit_test_set_run_id=run_id)
    return {e["id"]: e["source"]["run_index"] for e in body.json()["metric_evaluation_results"]}


# -- A1: partial results --------------------------------------------------------------------
def test_partial_results_when_a_run_error_ends_the_run(
    api: Api, emu: Emulator, world: World
) -> None:
    run_id = api.start(set_id(world, "Crashing"))
    emu.advance(35)  # sessions 0 (10 s), 1 (20 s, errors), 2 (30 s, fails Empathy) done
    assert api.run(run_id)["unit_test_run_results"] == [None, None]  # still running
    emu.advance(10)  # the run error fires at 40
    run = api.run(run_id)
    assert (run["is_completed"], run["errored"], run["failed_metrics"]) == (True, True, True)
    staggered = _staggered(run)
    assert staggered["run_errors"] == [None, "Simulator crashed", None, None, None]
    assert len(staggered["metric_evaluation_results"]) == 3
    runs_of = _run_indexes(api, run_id)
    # rotated order (this world): criterion c starts at the c-th valid session
    assert [[runs_of[p[0]] for p in pairs] for pairs in _pairs(staggered)] == [
        [0, 2],
        [2, 0],
        [0, 2],
    ]
    passed = [{runs_of[p[0]]: p[1] for p in pairs} for pairs in _pairs(staggered)]
    assert passed == [{0: True, 2: True}, {0: True, 2: False}, {0: True, 2: True}]
    assert run["unit_test_run_results"][1] is None  # "Late": no finished session


def test_partial_results_when_the_run_is_cancelled(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Cancellable"))
    emu.advance(25)
    assert api.delete(f"{RUNS}{run_id}/").status_code == 204
    emu.advance(500)  # later sessions never finish
    run = api.run(run_id)
    assert (run["is_completed"], run["errored"], run["failed_metrics"]) == (True, False, False)
    staggered = _staggered(run)
    assert staggered["run_errors"] == [None, "Simulator crashed", None, None, None]
    runs_of = _run_indexes(api, run_id)
    assert [[runs_of[p[0]] for p in pairs] for pairs in _pairs(staggered)] == [[0], [0], [0]]
    assert run["unit_test_run_results"][1] is None


def test_without_partial_results_an_early_end_leaves_results_null(
    world: World, contract: OpenAPI
) -> None:
    with Emulator(world.with_options(partial_results=False)) as emulator:
        api = Api(emulator, contract)
        run_id = api.start(set_id(world, "Crashing"))
        emulator.advance(45)
        run = api.run(run_id)
        assert run["errored"] is True
        assert run["unit_test_run_results"] == [None, None]


# -- A2: pair order ---------------------------------------------------------------------------
def test_rotated_pair_order_keeps_the_true_run_index(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Complete"))
    emu.advance(100)
    run = api.run(run_id)
    staggered = _staggered(run)
    runs_of = _run_indexes(api, run_id)
    assert len(runs_of) == 4 * 3  # 4 valid sessions x 3 criteria
    assert [[runs_of[p[0]] for p in pairs] for pairs in _pairs(staggered)] == [
        [0, 2, 3, 4],
        [2, 3, 4, 0],
        [3, 4, 0, 2],
    ]
    empathy = {runs_of[p[0]]: p[1] for p in _pairs(staggered)[1]}
    assert empathy == {0: True, 2: False, 3: True, 4: True}


def test_session_pair_order_is_the_default(world: World, contract: OpenAPI) -> None:
    assert World.from_dict({}).options.pair_order == "session"
    with Emulator(world.with_options(pair_order="session")) as emulator:
        api = Api(emulator, contract)
        run_id = api.start(set_id(world, "Complete"))
        emulator.advance(100)
        runs_of = _run_indexes(api, run_id)
        pairs = _pairs(_staggered(api.run(run_id)))
        assert [[runs_of[p[0]] for p in c] for c in pairs] == [[0, 2, 3, 4]] * 3


# -- A4: hidden runs and sets ---------------------------------------------------------------------
def test_hidden_runs_and_sets_are_left_out_silently(
    api: Api, emu: Emulator, world: World, contract: OpenAPI
) -> None:
    blind = Api(emu, contract, "blind")
    no_runs = Api(emu, contract, "no-runs")
    mine = blind.start(set_id(world, "Complete"))  # creating works
    theirs = api.start(set_id(world, "Cancellable"))
    listed = blind.get(RUNS).json()
    assert listed["simulation_unit_test_set_runs"] == [] and listed["has_more"] is False
    assert blind.get(RUNS, id=mine).json()["simulation_unit_test_set_runs"] == []
    assert no_runs.get(RUNS, id=theirs).json()["simulation_unit_test_set_runs"] == []
    assert [r["id"] for r in api.get(RUNS, id=[mine, theirs]).json()[
        "simulation_unit_test_set_runs"
    ]] == [mine, theirs]  # fmt: skip
    assert blind.get("/simulation/unit_test_set/").json()["simulation_unit_test_sets"] == []
    assert (
        blind.get("/simulation/unit_test_set/search/", query="C").json()[
            "simulation_unit_test_sets"
        ]
        == []
    )
    assert no_runs.get("/simulation/unit_test_set/").json()["simulation_unit_test_sets"]
    assert blind.delete(f"{RUNS}{mine}/").status_code == 204  # cancelling works
    assert api.run(mine)["is_completed"] is True
    emu.advance(100)
    resp = blind.get(f"{RUNS}{mine}/artifacts/")
    assert resp.status_code == 200  # artifacts of its own run still answer


# -- A5: a set without artifacts --------------------------------------------------------------
def test_artifacts_false_never_generates_artifacts(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "No artifacts"))
    emu.advance(10_000)
    run = api.run(run_id)
    assert (run["is_completed"], run["artifacts_generated"]) == (True, False)
    resp = api.get(f"{RUNS}{run_id}/artifacts/")
    assert resp.status_code == 400
    assert resp.json() == {
        "detail": "The artifacts for the unit test set run are not yet available for retrieval"
    }


# -- A3 and A6: faults -------------------------------------------------------------------
def _faults(emu: Emulator, plan: dict[str, Any]) -> dict[str, Any]:
    with emu.client() as admin:
        resp = admin.post("/_emulator/faults", json=plan)
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body


def _clear_faults(emu: Emulator) -> None:
    with emu.client() as admin:
        assert admin.delete("/_emulator/faults").status_code == 204


def test_processed_errors_change_state_then_answer_503(
    api: Api, emu: Emulator, world: World
) -> None:
    sid = set_id(world, "Complete")
    _faults(emu, {"processed_errors": 1, "only": ["create-simulation-unit-test-set-run"]})
    try:
        before = {r["id"] for r in api.get(RUNS).json()["simulation_unit_test_set_runs"]}
        resp = api.post(RUNS, {"simulation_unit_test_set_id": sid})
        assert resp.status_code == 503
        assert resp.json() == {"detail": "Service Unavailable"}
        after = api.get(RUNS, simulation_unit_test_set_id=sid).json()
        created = [r for r in after["simulation_unit_test_set_runs"] if r["id"] not in before]
        assert len(created) == 1  # the run exists although the answer was an error
        retry = api.post(RUNS, {"simulation_unit_test_set_id": sid})
        assert retry.status_code == 409  # the count is used up; the retry meets the real run
        with emu.client() as admin:
            assert admin.get("/_emulator/faults").json()["processed_errors"] == 0
            log = admin.get("/_emulator/requests").json()["log"]
        assert [e["fault"] for e in log if e["fault"] == "processed_error"] == ["processed_error"]
    finally:
        _clear_faults(emu)


def test_processed_drops_change_state_then_hang_up(api: Api, emu: Emulator, world: World) -> None:
    sid = set_id(world, "Complete")
    run_id = api.start(sid)
    _faults(emu, {"processed_drops": 2, "only": ["cancel-simulation-unit-test-set-run"]})
    try:
        assert api.get(RUNS, id=run_id).status_code == 200  # other operations unaffected
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            api.delete(f"{RUNS}{run_id}/")
        assert api.run(run_id)["is_completed"] is True  # the cancel happened
        with pytest.raises(httpx.RemoteProtocolError):
            api.delete(f"{RUNS}{run_id}/")  # second drop: the 409 is never seen
        resp = api.delete(f"{RUNS}{run_id}/")
        assert resp.status_code == 409
    finally:
        _clear_faults(emu)


def test_drift_drops_and_adds_fields_in_answers(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Complete"))
    emu.advance(100)
    plan = _faults(
        emu,
        {
            "drop_fields": ["metric_version", "run_errors"],
            "add_fields": {"shiny_new_field": "x"},
            "only": ["get-simulation-unit-test-set-runs"],
        },
    )
    assert plan["drop_fields"] == ["metric_version", "run_errors"]
    try:
        raw = api.http.get(f"{api.prefix}{RUNS}", params={"id": run_id}, headers=_auth(api)).json()
        assert raw["shiny_new_field"] == "x"
        run = raw["simulation_unit_test_set_runs"][0]
        assert run["shiny_new_field"] == "x"
        result = run["unit_test_run_results"][0]
        assert "run_errors" not in result and result["shiny_new_field"] == "x"
        for evaluation in result["metric_evaluation_results"]:
            assert "metric_version" not in evaluation and "metric_id" in evaluation
        # operations outside `only` are untouched (and still match the contract)
        sets = api.get("/simulation/unit_test_set/").json()
        assert "shiny_new_field" not in sets
    finally:
        _clear_faults(emu)
    assert "run_errors" in api.run(run_id)["unit_test_run_results"][0]


def test_drift_from_the_world_file_faults_table(world: World) -> None:
    drifting = World.from_dict(
        {
            "emulator": {"organization": "testorg", "rate_limits": False},
            "faults": {"drop_fields": ["expires_at"], "add_fields": {"region": "eu"}},
        }
    )
    with Emulator(drifting) as emulator:
        api = Api(emulator, None)
        body = api.sign_in().json()
        assert "expires_at" not in body and body["region"] == "eu"
    with pytest.raises(ValueError, match="add_fields"):
        World.from_dict({"faults": {"add_fields": ["not", "a", "table"]}})
    with pytest.raises(ValueError, match="processed_drops"):
        World.from_dict({"faults": {"processed_drops": -1}})


def _auth(api: Api) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.token}"}


# -- A7: short-lived tokens -------------------------------------------------------------------
def test_short_token_ttl_and_the_sign_in_limit(world: World, contract: OpenAPI) -> None:
    # Each token must outlive the requests made with it (after sign-in 2: six contract-checked
    # requests) on a loaded machine, where 1.5 s left little room; the expiry below is certain
    # whatever the TTL (the sleep starts after sign-in 1 was answered).
    ttl = 4.0
    limited = world.with_options(token_ttl=ttl, rate_limits=True, rate_limit_window=UNBROKEN_WINDOW)
    with Emulator(limited) as emulator:
        api = Api(emulator, contract)  # sign-in 1
        assert api.get(RUNS).status_code == 200
        time.sleep(ttl + 0.1)
        resp = api.get(RUNS)
        assert resp.status_code == 401
        assert resp.json() == {"detail": "The authorization token has expired."}
        api.token = api.sign_in().json()["id_token"]  # sign-in 2
        assert api.get(RUNS).status_code == 200
        assert [api.sign_in().status_code for _ in range(4)] == [200, 200, 200, 429]
        assert api.get(RUNS).status_code == 200  # the other limits are separate


def test_token_ttl_of_twenty_seconds(world: World) -> None:
    with Emulator(world.with_options(token_ttl=20)) as emulator:
        body = Api(emulator, None).sign_in().json()
        left = datetime.fromisoformat(body["expires_at"]).timestamp() - time.time()
        assert 18 < left <= 21


# -- A8: evaluation results in a time window ---------------------------------------------
def test_evaluation_results_time_window_and_order(api: Api, emu: Emulator, world: World) -> None:
    run_id = api.start(set_id(world, "Complete"))
    emu.advance(100)
    path = "/metric/metric_evaluation_result"
    every = api.get(path, simulation_unit_test_set_run_id=run_id).json()[
        "metric_evaluation_results"
    ]
    stamps = sorted({e["created_at"] for e in every})
    assert len(stamps) == 4  # one per valid session: sessions 0, 2, 3, 4 finished apart
    by_index = {e["source"]["run_index"]: e["created_at"] for e in every}
    assert [by_index[k] for k in (0, 2, 3, 4)] == stamps

    def window(**bounds: str) -> list[int]:
        found = api.get(path, simulation_unit_test_set_run_id=run_id, **bounds).json()
        return sorted({e["source"]["run_index"] for e in found["metric_evaluation_results"]})

    assert window(timestamp_after=stamps[1]) == [2, 3, 4]  # inclusive
    assert window(timestamp_before=stamps[1]) == [0, 2]  # inclusive
    assert window(timestamp_after=stamps[1], timestamp_before=stamps[2]) == [2, 3]
    assert window(timestamp_after=stamps[3], timestamp_before=stamps[3]) == [4]
    newest = api.get(path, simulation_unit_test_set_run_id=run_id, sort_by="-created_at").json()
    order = [e["created_at"] for e in newest["metric_evaluation_results"]]
    assert order == sorted(order, reverse=True) and order[0] == stamps[-1]
    resp = api.get(path, sort_by="name")
    assert resp.status_code == 422
