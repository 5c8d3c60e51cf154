"""What ran, from a run spec (judging/provenance.py): the proof's words and the fingerprint's
differences that make two runs not comparable; plain data."""

from __future__ import annotations

from typing import Any

from pytest_amigo.judging.evidence import NO_FINGERPRINT, compare
from pytest_amigo.judging.provenance import Provenance, changes, what_ran, what_ran_words
from pytest_amigo.judging.run_outcome import RunOutcome

AGENT = "66aa00000000000000000ad1"
SPEC: dict[str, Any] = {
    "unit_test_id": "66aa000000000000000000a1",
    "run_count": 3,
    "agent_version_info": [AGENT, 5],
    "service_hierarchical_state_machine_version_info": ["66aa000000000000000000c1", 3],
    "persona_version_info": ["66aa000000000000000000f1", 2],
    "scenario_version_info": ["66aa000000000000000000f2", 1],
    "llm_model_preferences": {},
    "max_interactions": 10,
    "metrics_to_evaluate": [
        {"metric_id": "m1", "success_criterion_name": "A", "success_criterion": {"t": 1}},
        {"metric_id": "m2", "success_criterion_name": "B", "success_criterion": {"t": 2}},
    ],
}


def test_the_proof_names_the_version_set_agent_and_state_machine() -> None:
    ran = what_ran(SPEC, "pr-123")
    assert ran.agent == (AGENT, 5) and ran.persona == ("66aa000000000000000000f1", 2)
    assert ran.words() == "version set pr-123: agent 66aa…d1 v5, state machine 66aa…c1 v3"
    assert what_ran_words(None) == ""


def test_drifted_or_withheld_fields_are_unknown_never_an_error() -> None:
    drifted = {**SPEC, "agent_version_info": "v5", "persona_version_info": None, "run_count": "3"}
    ran = what_ran(drifted, None)
    assert ran.agent is None and ran.persona is None and ran.run_count is None
    assert ran.words() == "version set unknown: agent unknown, state machine 66aa…c1 v3"


def test_only_what_a_pipeline_does_not_change_on_purpose_makes_runs_not_comparable() -> None:
    before = what_ran(SPEC, "release")
    candidate = {**SPEC, "agent_version_info": [AGENT, 6]}
    assert changes(before, what_ran(candidate, "pr-123")) == []
    reordered = {**SPEC, "metrics_to_evaluate": SPEC["metrics_to_evaluate"][::-1]}
    assert changes(before, what_ran(reordered, "release")) == []
    persona = {**SPEC, "persona_version_info": ["66aa000000000000000000f1", 3]}
    assert changes(before, what_ran(persona, "release")) == [
        "persona 66aa000000000000000000f1 v2 -> v3"
    ]
    more = {**SPEC, "max_interactions": 20, "run_count": 5}
    assert changes(before, what_ran(more, "release")) == [
        "max interactions 10 -> 20",
        "run count 3 -> 5",
    ]
    withheld = {**SPEC, "persona_version_info": None}  # no Simulation:GetSimulationUnitTest
    assert changes(before, what_ran(withheld, "release")) == []


def test_compare_is_not_comparable_with_the_changes_or_a_note_without_a_fingerprint() -> None:
    run = "6b0000000000000000000abc"
    before = what_ran(SPEC, "release")
    now = what_ran({**SPEC, "scenario_version_info": ["66aa000000000000000000f2", 2]}, "r")
    entry = RunOutcome("passed", 3, 3, run, before)
    comparison = compare("failed", 0, 3, run, entry, now)
    assert comparison.transition == "not-comparable" and comparison.p_value is None
    assert "the test changed: scenario 66aa000000000000000000f2 v1 -> v2" in comparison.words()
    assert comparison.to_json()["changes"] == ["scenario 66aa000000000000000000f2 v1 -> v2"]
    old = compare("failed", 0, 3, run, RunOutcome("passed", 3, 3, run), now)
    assert old.transition == "regressed" and old.note == NO_FINGERPRINT
    assert old.words().endswith(NO_FINGERPRINT)


def test_provenance_round_trips_and_compares_as_a_value() -> None:
    ran = what_ran(SPEC, "release")
    data = ran.to_json()
    assert data == {
        "version_set": "release",
        "agent": [AGENT, 5],
        "state_machine": ["66aa000000000000000000c1", 3],
        "persona": ["66aa000000000000000000f1", 2],
        "scenario": ["66aa000000000000000000f2", 1],
        "max_interactions": 10,
        "run_count": 3,
        "llm_model_preferences": {},
        "criteria": [
            {"metric_id": "m1", "name": "A", "criterion": {"t": 1}},
            {"metric_id": "m2", "name": "B", "criterion": {"t": 2}},
        ],
    }
    assert Provenance.from_json(data) == ran
    assert what_ran(SPEC, "release") == ran
    assert what_ran({**SPEC, "agent_version_info": [AGENT, 6]}, "release") != ran
    unknown = Provenance.from_json({})  # a report that recorded none of it: every field unknown
    assert unknown == Provenance(None, None, None, None, None, None, None, None, None)
    assert changes(unknown, ran) == [] and changes(ran, unknown) == []
