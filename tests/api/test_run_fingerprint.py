"""A unit test's fingerprint predicted before its run, through SimulationApi against the
emulator over loopback HTTP: it equals what the run reports it ran (``what_ran`` of its spec),
and differs, naming the persona, when a new persona version is pushed before the run."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.api import SimulationApi
from pytest_amigo.judging.provenance import what_ran
from pytest_amigo.lifecycle.fingerprint import (
    RunInputs,
    RunInputsReader,
    differences,
    metric_differences,
    predict,
)

emulator = pytest.importorskip("pytest_amigo.emulator")
derive_id = emulator.derive_id

CRITERIA = [
    {"name": "Done", "metric": "Done"},
    {"name": "Kind", "metric": "Empathy", "verb": ">=", "threshold": 7},
]
WORLD: dict[str, Any] = {
    "emulator": {"organization": "fingerprints"},
    "metrics": [
        {"name": "Done", "type": "boolean"},
        {"name": "Empathy", "type": "numerical", "lower_bound": 0, "upper_bound": 10},
    ],
    "personas": [{"name": "P"}, {"name": "Q"}],
    "scenarios": [{"name": "S"}],
    "services": [
        {
            "name": "Bot",
            "agent_versions": 6,
            "state_machine_versions": 2,
            "version_sets": [
                {"name": "release", "agent_version": 5, "state_machine_version": 2},
                {
                    "name": "main",
                    "agent_version": "latest",
                    "state_machine_version": "latest",
                    "llm_model_preferences": {"engage_user": {"llm_name": "model-a"}},
                },
            ],
        }
    ],
    "unit_tests": [
        {
            "name": "Greets",
            "persona": "P",
            "scenario": "S",
            "service": "Bot",
            "version_set": "main",
            "max_interactions": 7,
            "criteria": CRITERIA,
        },
        {
            "name": "Pinned",
            "persona": "Q",
            "scenario": "S",
            "service": "Bot",
            "criteria": CRITERIA[:1],
        },
    ],
    "sets": [
        {
            "name": "Suite",
            "unit_tests": [
                {"unit_test": "Greets", "run_count": 2},
                {"unit_test": "Pinned", "run_count": 1},
            ],
        },
        {"name": "Drifting", "unit_tests": ["Greets"], "new_persona_versions": 1},
    ],
}
SUITE, DRIFTING = derive_id("set", "Suite"), derive_id("set", "Drifting")
PERSONA = derive_id("persona", "P")


def _predictions(api: SimulationApi, set_id: str, reader: RunInputsReader) -> list[Any]:
    """The fingerprint of each unit test of the set, read as collection reads definitions."""
    (definition,) = api.list_unit_test_sets(ids=[set_id])
    tests = {
        u.id: u
        for u in api.list_unit_tests(ids=[r.unit_test_id for r in definition.unit_test_runs])
    }
    inputs = [RunInputs.of(tests[r.unit_test_id], r.run_count) for r in definition.unit_test_runs]
    reader.prefetch_services({i.service_id for i in inputs if i.service_id})
    return [(i, predict(reader, i)) for i in inputs]


def _finished_run(api: SimulationApi, emu: Any, set_id: str) -> dict[str, Any]:
    run_id = api.create_run(set_id)
    emu.advance(10_000)
    (run,) = api.list_runs(ids=[run_id])
    assert run["is_completed"] is True
    return run


def test_the_prediction_is_what_the_run_reports_it_ran(api: SimulationApi, emu: Any) -> None:
    reader = RunInputsReader(api)
    before = api.request_counts()
    predicted = _predictions(api, SUITE, reader)
    sent = api.request_counts()
    reads = {k: sent.get(k, 0) - before.get(k, 0) for k in sent}
    # one read per service, null-numbered agent and state machine, persona, scenario, metric
    assert {
        k: v for k, v in reads.items() if v and "unit-test" not in k and "sign-in" not in k
    } == {
        "get-services": 1,
        "get-agent-versions": 1,
        "get-service-hierarchical-state-machine-versions": 1,
        "get-simulation-persona-versions": 2,
        "get-simulation-scenario-versions": 1,
        "get-metric-versions": 2,
    }
    assert reader.read_count == 8
    run = _finished_run(api, emu, SUITE)
    for (inputs, prediction), spec, result in zip(
        predicted, run["unit_test_run_specs"], run["unit_test_run_results"], strict=True
    ):
        assert prediction.unknown == ()
        ran = what_ran(spec, inputs.version_set)
        assert prediction.provenance == ran
        assert differences(prediction.provenance, ran) == []
        assert metric_differences(prediction.metric_versions, result) == []
    greets = predicted[0][1].provenance
    assert greets.agent == (derive_id("agent", derive_id("service", "Bot")), 6)
    assert greets.llm_model_preferences == {"engage_user": {"llm_name": "model-a", "params": {}}}
    assert predicted[1][1].provenance.agent[1] == 5  # type: ignore[index]  # pinned


def test_a_persona_version_pushed_before_the_run_makes_it_differ(
    api: SimulationApi, emu: Any
) -> None:
    ((inputs, prediction),) = _predictions(api, DRIFTING, RunInputsReader(api))
    run = _finished_run(api, emu, DRIFTING)
    ran = what_ran(run["unit_test_run_specs"][0], inputs.version_set)
    number = prediction.provenance.persona[1]  # type: ignore[index]
    assert differences(prediction.provenance, ran) == [
        f"persona {PERSONA} v{number} predicted, v{number + 1} ran"
    ]
    # predicted again now, it is what that run ran
    ((_, again),) = _predictions(api, DRIFTING, RunInputsReader(api))
    assert differences(again.provenance, ran) == []


def test_an_unreadable_service_makes_the_prediction_unknown(emu: Any) -> None:
    with SimulationApi(
        base_url=emu.base_url, organization_id=emu.organization_id, **emu.credentials
    ) as client:
        reader = RunInputsReader(client)
        assert reader.service("0" * 24) is None
        assert reader.problem(f"service {'0' * 24}") == (
            "the service list does not return it (Service:GetService?)"
        )
        assert reader.latest("persona", "0" * 24) is None
        assert "404" in (reader.problem(f"persona {'0' * 24}") or "")


def test_a_metric_version_pushed_before_the_run_shows_in_its_results(
    api: SimulationApi, emu: Any
) -> None:
    """The specs do not record metric versions; the results do, and say the sessions were
    judged with another version than predicted."""
    predicted = _predictions(api, SUITE, RunInputsReader(api))
    done = derive_id("metric", "Done")
    (number,) = [v for m, v in predicted[1][1].metric_versions if m == done]
    assert emu.store.push_metric_version(done) == number + 1  # type: ignore[operator]
    run = _finished_run(api, emu, SUITE)
    for (inputs, prediction), spec, result in zip(
        predicted, run["unit_test_run_specs"], run["unit_test_run_results"], strict=True
    ):
        assert differences(prediction.provenance, what_ran(spec, inputs.version_set)) == []
        assert metric_differences(prediction.metric_versions, result) == [
            f"metric {done} v{number} predicted, v{number + 1} judged"  # type: ignore[operator]
        ]
    assert api.latest_version("metric", done) == number + 1  # type: ignore[operator]
