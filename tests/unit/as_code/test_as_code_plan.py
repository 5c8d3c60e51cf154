"""The plan over plain data: create, update, new version, unchanged, blocked, prune, drift."""

from __future__ import annotations

from dataclasses import replace

from pytest_amigo.as_code.diff import ABSENT, Change
from pytest_amigo.as_code.lock import Lock, Locked
from pytest_amigo.as_code.model import (
    Criterion,
    Definitions,
    Persona,
    Scenario,
    SetEntry,
    UnitTest,
    UnitTestSet,
)
from pytest_amigo.as_code.plan import Plan, Step, compute_plan
from pytest_amigo.as_code.platform import Platform, Remote
from pytest_amigo.as_code.render import render_plan

PERSONA = Persona("Busy parent", "Customer", "Two kids.", tags={"team": "support"})
SCENARIO = Scenario("Refund request", "Get a refund.", "Be polite.")
TEST = UnitTest(
    "Refund is processed",
    "Polite refund.",
    "Busy parent",
    "Refund request",
    "Emulated service",
    "release",
    10,
    (Criterion("Empathy", "Empathy", "numerical", verb=">=", threshold=7.0),),
)
SET = UnitTestSet("Support smoke", (SetEntry("Refund is processed", 2),), "Fast checks.")
DESIRED = Definitions((PERSONA,), (SCENARIO,), (TEST,), (SET,))
STAMP = "2026-03-01T10:00:00Z"
PLATFORM = Platform(
    (Remote("p1", PERSONA, version=2, updated_at=STAMP, managed=True),),
    (Remote("s1", SCENARIO, version=1, updated_at=STAMP, managed=True),),
    (Remote("t1", TEST, updated_at=STAMP, managed=True),),
    (Remote("u1", SET, updated_at=STAMP, managed=True),),
)
LOCK = (
    Lock()
    .with_entry("persona", "Busy parent", Locked("p1", 2, STAMP))
    .with_entry("scenario", "Refund request", Locked("s1", 1, STAMP))
    .with_entry("unit test", "Refund is processed", Locked("t1", None, STAMP))
    .with_entry("set", "Support smoke", Locked("u1", None, STAMP))
)


def actions(plan: Plan) -> list[tuple[str, str, str]]:
    return [(s.kind, s.name, s.action) for s in plan.steps]


def test_the_platform_as_the_files_and_the_lock_say_plans_nothing() -> None:
    plan = compute_plan(DESIRED, LOCK, PLATFORM)
    assert {s.action for s in plan.steps} == {"unchanged"}
    assert plan.drift == () and plan.exit_code() == 0
    assert render_plan(plan) == (
        "No changes: the platform matches the definitions.\n\nPlan: 4 unchanged.\n"
    )


def test_an_empty_platform_plans_creates_in_dependency_order() -> None:
    plan = compute_plan(DESIRED, Lock(), Platform())
    assert actions(plan) == [
        ("persona", "Busy parent", "create"),
        ("scenario", "Refund request", "create"),
        ("unit test", "Refund is processed", "create"),
        ("set", "Support smoke", "create"),
    ]
    assert [s.version for s in plan.steps] == [1, 1, None, None]
    assert plan.exit_code() == 2


def test_a_content_change_is_a_new_version_numbered_after_the_locked_one() -> None:
    desired = replace(DESIRED, personas=(replace(PERSONA, background="Three kids."),))
    step = compute_plan(desired, LOCK, PLATFORM).steps[0]
    assert step == Step(
        "persona",
        "Busy parent",
        "new version",
        (Change("background", "Two kids.", "Three kids."),),
        "p1",
        version=3,
    )


def test_a_version_made_in_the_console_is_drift_and_the_new_version_still_follows_the_lock() -> (
    None
):
    edited = replace(SCENARIO, instructions="Be rude.")
    platform = replace(
        PLATFORM,
        scenarios=(
            Remote("s1", edited, version=2, updated_at="2026-03-02T09:00:00Z", updated_by="alice"),
        ),
    )
    plan = compute_plan(DESIRED, LOCK, platform)
    step = plan.steps[1]
    assert (step.action, step.version) == ("new version", 2)  # the platform has 2: apply fails
    (drift,) = plan.drift
    assert (drift.kind, drift.name, drift.updated_by) == ("scenario", "Refund request", "alice")
    assert drift.reasons == (
        "version 2 on the platform, the lock has 1",
        "updated at 2026-03-02T09:00:00Z, the lock has 2026-03-01T10:00:00Z",
    )
    assert drift.changes == (Change("instructions", "Be rude.", "Be polite."),)


def test_a_unit_test_or_set_change_is_an_update_with_field_paths() -> None:
    test = replace(
        TEST,
        max_interactions=12,
        criteria=(replace(TEST.criteria[0], threshold=8.0),),
        tags={"smoke": None},
    )
    unit_set = replace(SET, unit_tests=(SetEntry("Refund is processed", 3),))
    plan = compute_plan(replace(DESIRED, unit_tests=(test,), sets=(unit_set,)), LOCK, PLATFORM)
    assert plan.steps[2].changes == (
        Change("max_interactions", 10, 12),
        Change("criteria[Empathy].threshold", 7.0, 8.0),
        Change("tags.smoke", ABSENT, None),
    )
    assert plan.steps[3].changes == (Change("unit_tests[Refund is processed].run_count", 2, 3),)
    assert [s.action for s in plan.steps[2:]] == ["update", "update"]


def test_only_tags_changed_on_a_persona_is_an_update_not_a_version() -> None:
    desired = replace(DESIRED, personas=(replace(PERSONA, tags={}),))
    step = compute_plan(desired, LOCK, PLATFORM).steps[0]
    assert (step.action, step.changes) == ("update", (Change("tags.team", "support", ABSENT),))


def test_a_new_role_is_blocked_with_what_to_do() -> None:
    desired = replace(DESIRED, personas=(replace(PERSONA, role="Agent"),))
    plan = compute_plan(desired, LOCK, PLATFORM)
    assert plan.steps[0].action == "blocked" and plan.exit_code() == 1
    assert "give it a new name in the files (a new persona) or restore role" in plan.steps[0].note


def test_the_lock_id_finds_an_object_renamed_on_the_platform() -> None:
    platform = replace(
        PLATFORM, sets=(Remote("u1", replace(SET, name="Renamed"), updated_at=STAMP),)
    )
    step = compute_plan(DESIRED, LOCK, platform).steps[3]
    assert (step.action, step.id, step.changes) == (
        "update",
        "u1",
        (Change("name", "Renamed", "Support smoke"),),
    )


def test_an_unlocked_object_of_the_same_name_is_adopted_not_duplicated() -> None:
    step = compute_plan(DESIRED, Lock(), PLATFORM).steps[0]
    assert (step.action, step.id) == ("unchanged", "p1")


def test_a_locked_object_deleted_on_the_platform_is_created_again_and_reported() -> None:
    plan = compute_plan(DESIRED, LOCK, replace(PLATFORM, sets=()))
    assert plan.steps[3].action == "create"
    assert plan.drift[0].reasons == ("set u1 was deleted on the platform",)


def test_managed_objects_gone_from_the_files_are_prune_candidates_and_others_are_not() -> None:
    old = Remote("u2", replace(SET, name="Old smoke"), managed=True)
    theirs = Remote("u3", replace(SET, name="Console set"), managed=False)
    platform = replace(PLATFORM, sets=(*PLATFORM.sets, old, theirs))
    plan = compute_plan(DESIRED, LOCK, platform)
    assert actions(plan)[-1] == ("set", "Old smoke", "prune")
    assert "Console set" not in {s.name for s in plan.steps}
    assert plan.exit_code() == 0  # pruning is not pending without --prune
    assert compute_plan(DESIRED, LOCK, platform, prune=True).exit_code() == 2


def test_the_rendering_reads_like_terraform_plan() -> None:
    desired = Definitions(
        (PERSONA, Persona("Angry customer", "Customer", "Was charged twice.")),
        (replace(SCENARIO, instructions="Be firm."),),
        (replace(TEST, max_interactions=12),),
        (SET,),
    )
    edited = Remote(
        "s1", SCENARIO, version=2, updated_at="2026-03-02T09:00:00Z", updated_by="alice"
    )
    old = Remote("u2", replace(SET, name="Old smoke"), managed=True)
    platform = replace(PLATFORM, scenarios=(edited,), sets=(*PLATFORM.sets, old))
    assert render_plan(compute_plan(desired, LOCK, platform)) == (
        "  + persona 'Angry customer' will be created (version 1)\n"
        '      name: "Angry customer"\n'
        '      role: "Customer"\n'
        '      background: "Was charged twice."\n'
        "  ^ scenario 'Refund request' gets version 2\n"
        '      instructions: "Be polite." -> "Be firm."\n'
        "  ~ unit test 'Refund is processed' will be updated\n"
        "      max_interactions: 10 -> 12\n"
        "  - set 'Old smoke' is managed by pytest-amigo and gone from the files: would be deleted"
        " with --prune\n"
        "\n"
        "Drift: changed on the platform since the lock file was written:\n"
        "  ! scenario 'Refund request' changed on the platform by alice at 2026-03-02T09:00:00Z\n"
        "      version 2 on the platform, the lock has 1\n"
        "      updated at 2026-03-02T09:00:00Z, the lock has 2026-03-01T10:00:00Z\n"
        '      instructions: platform "Be polite.", files "Be firm."\n'
        "  To keep the platform's change, run `pytest-amigo export` and commit the files; to "
        "restore the repository's version, run `pytest-amigo apply`.\n"
        "\n"
        "Plan: 1 to create, 1 to update, 1 new version, 1 prunable with --prune, 2 unchanged.\n"
    )
