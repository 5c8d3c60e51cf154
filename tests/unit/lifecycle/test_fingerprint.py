"""lifecycle.fingerprint against a small fake of the reads it needs (pure logic, no HTTP):
resolving a version set (null -> latest), reading each object once, unknowns, comparing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from amigo_sdk.errors import AuthenticationError, ForbiddenError, NotFoundError

from pytest_amigo.api.shapes import ServiceDefinition, UnitTestDefinition
from pytest_amigo.api.versions import Versioned
from pytest_amigo.judging.provenance import Provenance, what_ran
from pytest_amigo.lifecycle.fingerprint import (
    NOT_SIMULATED,
    RunInputs,
    RunInputsReader,
    differences,
    metric_differences,
    predict,
    session_key,
)

SERVICE, AGENT, MACHINE = "a" * 24, "b" * 24, "c" * 24
PERSONA, SCENARIO, METRIC, UT = "d" * 24, "e" * 24, "f" * 24, "1" * 24
PREFERENCES = {"engage_user": {"llm_name": "model-a"}}
CRITERION = {"type": "numerical", "verb": ">=", "threshold": 7}


class FakeReads:
    """Answers like the API: the service list leaves out what the caller may not read."""

    def __init__(self) -> None:
        self.services = [
            ServiceDefinition.model_validate(
                {
                    "id": SERVICE,
                    "agent_id": AGENT,
                    "service_hierarchical_state_machine_id": MACHINE,
                    "version_sets": {
                        "release": {
                            "agent_version_number": 5,
                            "service_hierarchical_state_machine_version_number": 3,
                            "llm_model_preferences": {},
                        },
                        "main": {
                            "agent_version_number": None,
                            "service_hierarchical_state_machine_version_number": None,
                            "llm_model_preferences": PREFERENCES,
                        },
                    },
                }
            )
        ]
        self.latest: dict[tuple[str, str], int] = {
            ("agent", AGENT): 7,
            ("state_machine", MACHINE): 4,
            ("persona", PERSONA): 2,
            ("scenario", SCENARIO): 1,
            ("metric", METRIC): 3,
        }
        self.failing: dict[tuple[str, str], Exception] = {}
        self.calls: list[tuple[str, ...]] = []

    def list_services(self, *, ids: Sequence[str] = ()) -> list[ServiceDefinition]:
        self.calls.append(("service", *ids))
        return [s for s in self.services if not ids or s.id in ids]

    def latest_version(self, kind: Versioned, owner_id: str) -> int | None:
        self.calls.append((kind, owner_id))
        if (kind, owner_id) in self.failing:
            raise self.failing[kind, owner_id]
        return self.latest.get((kind, owner_id))


def _definition(**changes: Any) -> UnitTestDefinition:
    data = {
        "id": UT,
        "name": "Greets",
        "success_criterions": [{"name": "Kind", "metric_id": METRIC, "criterion": CRITERION}],
        "service_id": SERVICE,
        "service_version_set_name": "main",
        "persona_id": PERSONA,
        "scenario_id": SCENARIO,
        "max_interactions": 10,
        **changes,
    }
    return UnitTestDefinition.model_validate(data)


def _spec(**changes: Any) -> dict[str, Any]:
    """The spec a run of the main version set reports (numbers as floats, params filled)."""
    spec = {
        "unit_test_id": UT,
        "run_count": 3,
        "service_hierarchical_state_machine_version_info": [MACHINE, 4],
        "agent_version_info": [AGENT, 7],
        "scenario_version_info": [SCENARIO, 1],
        "persona_version_info": [PERSONA, 2],
        "llm_model_preferences": {"engage_user": {"llm_name": "model-a", "params": {}}},
        "max_interactions": 10,
        "metrics_to_evaluate": [
            {
                "metric_id": METRIC,
                "success_criterion_name": "Kind",
                "success_criterion": {**CRITERION, "threshold": 7.0},
            }
        ],
    }
    return {**spec, **changes}


def test_null_numbers_resolve_to_the_latest_versions() -> None:
    reads = FakeReads()
    prediction = predict(RunInputsReader(reads), RunInputs.of(_definition(), 3))
    ran = prediction.provenance
    assert (ran.agent, ran.state_machine) == ((AGENT, 7), (MACHINE, 4))
    assert (ran.persona, ran.scenario) == ((PERSONA, 2), (SCENARIO, 1))
    assert ran.llm_model_preferences == {"engage_user": {"llm_name": "model-a", "params": {}}}
    assert (ran.version_set, ran.max_interactions, ran.run_count) == ("main", 10, 3)
    assert prediction.metric_versions == ((METRIC, 3),)
    assert prediction.unknown == ()
    assert differences(ran, what_ran(_spec(), "main")) == []


def test_pinned_numbers_are_not_read() -> None:
    reads = FakeReads()
    inputs = RunInputs.of(_definition(), 2, version_set="release")
    ran = predict(RunInputsReader(reads), inputs).provenance
    assert (ran.agent, ran.state_machine, ran.version_set) == ((AGENT, 5), (MACHINE, 3), "release")
    assert ("agent", AGENT) not in reads.calls and ("state_machine", MACHINE) not in reads.calls


def test_each_object_is_read_once_and_counted() -> None:
    reads = FakeReads()
    reader = RunInputsReader(reads)
    reader.prefetch_services([SERVICE, SERVICE])
    for version_set in ("main", "main", "release"):
        predict(reader, RunInputs.of(_definition(), 1, version_set=version_set))
    assert sorted(reads.calls) == sorted(
        [
            ("service", SERVICE),
            ("agent", AGENT),
            ("state_machine", MACHINE),
            ("persona", PERSONA),
            ("scenario", SCENARIO),
            ("metric", METRIC),
        ]
    )
    assert reader.read_count == 6
    assert reader.reads == {
        "service": 1, "agent": 1, "state_machine": 1, "persona": 1, "scenario": 1, "metric": 1
    }  # fmt: skip


def test_what_cannot_be_read_is_unknown_with_its_reason_and_read_once() -> None:
    reads = FakeReads()
    reads.failing[("persona", PERSONA)] = ForbiddenError("missing permission", status_code=403)
    reads.failing[("agent", AGENT)] = NotFoundError("gone", status_code=404)
    reader = RunInputsReader(reads)
    prediction = predict(reader, RunInputs.of(_definition(), 3))
    assert prediction.provenance.persona is None and prediction.provenance.agent is None
    assert prediction.unknown == (
        f"agent {AGENT}: gone (HTTP 404)",
        f"persona {PERSONA}: missing permission (HTTP 403)",
    )
    predict(reader, RunInputs.of(_definition(), 3))
    assert reads.calls.count(("persona", PERSONA)) == 1
    assert "agent could not be predicted" in differences(
        prediction.provenance, what_ran(_spec(), "main")
    )


def test_an_unreadable_service_or_version_set_is_unknown() -> None:
    reads = FakeReads()
    reads.services = []
    prediction = predict(RunInputsReader(reads), RunInputs.of(_definition(), 3))
    assert prediction.unknown[0] == (
        f"service {SERVICE}: the service list does not return it (Service:GetService?)"
    )
    other = predict(RunInputsReader(FakeReads()), RunInputs.of(_definition(), 3, version_set="x"))
    assert other.unknown == (f"version set 'x': not one of service {SERVICE}'s",)
    bare = predict(RunInputsReader(FakeReads()), RunInputs.of(_definition(service_id=None), 3))
    assert bare.unknown == ("version set: the unit test definition does not name its service",)


def test_credentials_failing_is_not_an_unknown() -> None:
    reads = FakeReads()
    reads.failing[("persona", PERSONA)] = AuthenticationError("bad key", status_code=401)
    with pytest.raises(AuthenticationError):
        predict(RunInputsReader(reads), RunInputs.of(_definition(), 3))


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"persona_version_info": [PERSONA, 3]}, f"persona {PERSONA} v2 predicted, v3 ran"),
        ({"agent_version_info": [AGENT, 8]}, f"agent {AGENT} v7 predicted, v8 ran"),
        ({"max_interactions": 12}, "max interactions 10 predicted, 12 ran"),
        ({"persona_version_info": None}, "persona is not in the run's spec"),
        (
            {"llm_model_preferences": {}},
            'llm model preferences {"engage_user": {"llm_name": "model-a", "params": {}}} '
            "predicted, {} ran",
        ),
    ],
)
def test_differences_name_what_ran_otherwise(changes: dict[str, Any], words: str) -> None:
    predicted = predict(RunInputsReader(FakeReads()), RunInputs.of(_definition(), 3)).provenance
    assert differences(predicted, what_ran(_spec(**changes), "main")) == [words]


def test_run_count_is_not_what_a_session_simulates() -> None:
    predicted = predict(RunInputsReader(FakeReads()), RunInputs.of(_definition(), 10)).provenance
    ran = what_ran(_spec(run_count=6), "main")
    assert differences(predicted, ran) == ["run count 10 predicted, 6 ran"]
    assert differences(predicted, ran, ignore=NOT_SIMULATED) == []
    assert session_key(predicted) == session_key(ran)
    assert session_key(predicted) != session_key(what_ran(_spec(max_interactions=3), "main"))


def test_a_report_without_criteria_matches_nothing() -> None:
    predicted = predict(RunInputsReader(FakeReads()), RunInputs.of(_definition(), 3)).provenance
    old = Provenance.from_json({**what_ran(_spec(), "main").to_json(), "criteria": None})
    assert differences(predicted, old) == ["criteria is not in the run's spec"]


def test_metric_versions_compare_with_what_judged_the_sessions() -> None:
    predicted = ((METRIC, 3),)
    result = {"metric_evaluation_results": [{"metric_id": METRIC, "metric_version": 2}]}
    assert metric_differences(predicted, result) == [f"metric {METRIC} v3 predicted, v2 judged"]
    same = {"metric_evaluation_results": [{"metric_id": METRIC, "metric_version": 3}]}
    assert metric_differences(predicted, same) == []
    assert metric_differences(predicted, None) == []  # not in yet: says nothing
    assert metric_differences(((METRIC, None),), same) == [
        f"metric {METRIC} unknown predicted, v3 judged"
    ]
