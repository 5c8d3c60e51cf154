"""The platform's instances as definitions: names for ids, our tag apart, and export then
plan is empty."""

from __future__ import annotations

from pathlib import Path

from pytest_amigo.as_code.loader import load
from pytest_amigo.as_code.lock import Lock, Locked
from pytest_amigo.as_code.model import Criterion, Definitions, SetEntry
from pytest_amigo.as_code.plan import compute_plan
from pytest_amigo.as_code.platform import (
    Names,
    Platform,
    persona_from_api,
    scenario_from_api,
    unit_test_from_api,
    unit_test_set_from_api,
)
from pytest_amigo.as_code.writer import write_definitions

WHO = {"org_id": "acme", "user_id": "alice"}
PERSONA = {
    "id": "p1",
    "name": "Busy parent",
    "role": "Customer",
    "is_deleted": False,
    "tags": {"team": "support", "pytest-amigo": "managed"},
    "updated_at": "2026-03-01T10:00:00Z",
    "updated_by": WHO,
}
PERSONA_VERSION = {
    "version": 2,
    "background": "Two kids.\nLittle time.",
    "preferred_language": None,
    "timezone": None,
    "user_models": [],
    "nonsensitive_user_variables": {"plan": "gold"},
    "sensitive_user_variables": {},
    "creator": {"org_id": "acme", "user_id": "bob"},
    "created_at": "2026-03-02T09:00:00Z",
}
SCENARIO = {"id": "s1", "name": "Refund request", "tags": {}, "updated_at": "2026-03-01T10:00:00Z"}
SCENARIO_VERSION = {
    "version": 1,
    "objective": "Refund.",
    "instructions": "Be firm.",
    "initial_message_type": "skip",
    "conversation_starts_at": None,
}
UNIT_TEST = {
    "id": "t1",
    "name": "Refund is processed",
    "description": "Polite.",
    "service_id": "v1",
    "service_version_set_name": "release",
    "persona_id": "p1",
    "scenario_id": "s1",
    "max_interactions": 10,
    "updated_at": "2026-03-01T10:00:00Z",
    "updated_by": WHO,
    "success_criterions": [
        {
            "name": "Done",
            "metric_id": "m1",
            "criterion": {"type": "boolean", "expected_value": True},
        },
        {
            "name": "E",
            "metric_id": "m2",
            "criterion": {"type": "numerical", "verb": ">=", "threshold": 7},
        },
        {
            "name": "O",
            "metric_id": "m3",
            "criterion": {"type": "categorical", "expected_values": ["ok"]},
        },
    ],
    "tags": [{"key": "smoke", "value": None}, {"key": "pytest-amigo", "value": "managed"}],
}
SET = {
    "id": "u1",
    "name": "Support smoke",
    "description": None,
    "tags": [],
    "unit_test_runs": [{"unit_test_id": "t1", "run_count": 2}],
}
NAMES = Names(
    personas={"p1": "Busy parent"},
    scenarios={"s1": "Refund request"},
    services={"v1": "Emulated service"},
    metrics={"m1": "Done", "m2": "Empathy"},
    unit_tests={"t1": "Refund is processed"},
)


def platform() -> Platform:
    return Platform(
        (persona_from_api(PERSONA, PERSONA_VERSION),),
        (scenario_from_api(SCENARIO, SCENARIO_VERSION),),
        (unit_test_from_api(UNIT_TEST, NAMES),),
        (unit_test_set_from_api(SET, NAMES),),
    )


def test_instances_become_definitions_with_names_for_ids() -> None:
    remote = platform()
    persona = remote.personas[0]
    assert (persona.version, persona.managed, persona.updated_by) == (2, True, "alice")
    assert (persona.version_by, persona.version_at) == ("bob", "2026-03-02T09:00:00Z")
    assert persona.definition.tags == {"team": "support"}  # our tag is not the user's
    test = remote.unit_tests[0]
    assert test.managed and test.definition.tags == {"smoke": None}
    assert (test.definition.persona, test.definition.service) == ("Busy parent", "Emulated service")
    assert test.definition.criteria == (
        Criterion("Done", "Done", "boolean", expected_value=True),
        Criterion("E", "Empathy", "numerical", verb=">=", threshold=7.0),
        Criterion("O", "<metric m3 not found>", "categorical", expected_values=("ok",)),
    )
    assert remote.sets[0].definition.unit_tests == (SetEntry("Refund is processed", 2),)
    assert not remote.sets[0].managed


def test_export_then_plan_shows_no_change(tmp_path: Path) -> None:
    remote = platform()
    exported = Definitions(
        *(
            tuple(r.definition for r in remote.of(kind))
            for kind in ("persona", "scenario", "unit test", "set")
        )
    )
    write_definitions(exported, tmp_path)
    lock = Lock()
    for kind in ("persona", "scenario", "unit test", "set"):
        for r in remote.of(kind):
            lock = lock.with_entry(kind, r.definition.name, Locked(r.id, r.version, r.updated_at))
    plan = compute_plan(load(tmp_path), lock, remote)
    assert {s.action for s in plan.steps} == {"unchanged"}
    assert plan.drift == () and plan.exit_code() == 0
