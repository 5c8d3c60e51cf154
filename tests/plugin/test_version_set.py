"""Gate the candidate (issue 16, parts 1 and 2), black-box: ``--amigo-version-set=NAME`` runs
temporary copies of the selected unit tests on NAME, reports them under the original items and
leaves nothing behind; pytest with the plugin in a subprocess against the emulator over loopback.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_amigo.emulator import Emulator
from support.plugin import (
    SET,
    UNIT,
    WORLD,
    AmigoProject,
    polled_after_create,
    read_junit,
    sigterm_when,
)

MIXED = ("--amigo-set", SET["Mixed bag"])
CANDIDATE = ("--amigo-version-set=pr-123", "--junitxml=j.xml")
CREATE_UNIT_TEST = "create-simulation-unit-test"
DELETE_UNIT_TEST = "delete-simulation-unit-test"
CREATE_SET = "create-simulation-unit-test-set"
DELETE_SET = "delete-simulation-unit-test-set"


def tags(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's tags (the API lists them as key/value pairs)."""
    found = doc.get("tags") or []
    return {t["key"]: t["value"] for t in found} if isinstance(found, list) else dict(found)


def ours(
    docs: dict[str, dict[str, Any]], before: set[str] | frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """What pytest-amigo created in the organization (tagged as its temporaries), but for the
    documents ``before`` (the module's emulator serves every test of the module)."""
    return [d for k, d in list(docs.items()) if k not in before and tags(d).get("pytest-amigo")]


def test_the_candidate_runs_as_copies_reported_under_the_original_items(
    amigo: AmigoProject,
) -> None:
    store = amigo.emu.store
    before = set(store.unit_tests) | set(store.sets)
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123", "--amigo-json=r.json", "-v")
    names = {c.name for c in out.cases}
    assert names == {"Greets customer", "Refund is processed", "Half and half"}
    assert "amigo::Mixed bag::Greets customer" in out.output  # the original node ids
    # three copies on pr-123 in one temporary set with the same run counts, all deleted
    assert out.count(CREATE_UNIT_TEST) == 3
    assert out.count(CREATE_SET) == 1
    assert out.count(DELETE_SET) == 1 and out.count(DELETE_UNIT_TEST) == 3
    copies = ours(store.unit_tests, before)
    assert len(copies) == 3 and all(c["is_deleted"] for c in copies)
    assert {c["service_version_set_name"] for c in copies} == {"pr-123"}
    assert {tags(c)["pytest-amigo-original"] for c in copies} == {
        UNIT["Greets customer"],
        UNIT["Refund is processed"],
        UNIT["Half and half"],
    }
    assert all(c["name"].startswith("pytest-amigo pr-123 of ") for c in copies)
    [temporary] = ours(store.sets, before)
    assert temporary["is_deleted"]
    counts = sorted(r["run_count"] for r in temporary["unit_test_runs"])
    assert counts == [1, 1, 2]
    [run] = out.runs
    assert run.set_id == temporary["id"]
    for case in out.cases:
        assert case.prop("amigo_version_set") == "pr-123"
    assert "--amigo-version-set=pr-123" in out.output


def test_unit_tests_already_on_the_version_set_run_as_they_are(amigo: AmigoProject) -> None:
    out = amigo.run(*MIXED, "--amigo-version-set=release")
    assert len(out.cases) == 3
    assert out.count(CREATE_UNIT_TEST) == 0 and out.count(CREATE_SET) == 0
    [run] = out.runs
    assert run.set_id == SET["Mixed bag"]  # the set itself: no temporary anything


def test_the_environment_variable_names_it_and_the_option_wins(amigo: AmigoProject) -> None:
    amigo.mp.setenv("AMIGO_VERSION_SET", "pr-123")
    out = amigo.run(*MIXED, "-k", "Greets")
    assert out.cases[0].prop("amigo_version_set") == "pr-123"
    out = amigo.run(*MIXED, "-k", "Greets", "--amigo-version-set=pr-124")
    assert out.cases[0].prop("amigo_version_set") == "pr-124"
    assert out.cases[0].prop("amigo_agent_version").endswith(" v3")  # what pr-124 resolves to


def test_a_candidate_that_regresses_one_unit_test_and_fixes_another(
    amigo: AmigoProject,
) -> None:
    release = amigo.run(*MIXED)
    candidate = amigo.run(*MIXED, "--amigo-version-set=pr-123")
    before = {c.name: c.outcome for c in release.cases}
    after = {c.name: c.outcome for c in candidate.cases}
    assert before == {
        "Greets customer": "passed",
        "Refund is processed": "failure",
        "Half and half": "failure",
    }
    assert after == {
        "Greets customer": "failure",
        "Refund is processed": "passed",
        "Half and half": "failure",
    }
    greets = candidate.case("amigo.Mixed bag", "Greets customer")
    assert "The candidate never greeted." in greets.text
    assert greets.prop("amigo_agent_version").endswith(" v2")
    assert (
        release.case("amigo.Mixed bag", "Greets customer")
        .prop("amigo_agent_version")
        .endswith(" v1")
    )


def test_an_unknown_version_set_is_a_usage_error_and_leaves_nothing(amigo: AmigoProject) -> None:
    before = set(amigo.emu.store.unit_tests)
    out = amigo.run(*MIXED, "--amigo-version-set=pr-999")
    assert out.result.ret == 4, out.output
    assert "has no version set 'pr-999'" in out.output
    assert "push the candidate to that version set first, or check AMIGO_VERSION_SET" in out.output
    assert "Traceback" not in out.output
    assert out.runs == [] and out.count(CREATE_SET) == 0
    assert not [d for d in ours(amigo.emu.store.unit_tests, before) if not d["is_deleted"]]


def test_a_subset_copies_only_the_selected_unit_tests(amigo: AmigoProject) -> None:
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123", "--amigo-subset", "-k", "Refund")
    assert [c.name for c in out.cases] == ["Refund is processed"]
    assert out.count(CREATE_UNIT_TEST) == 1
    assert out.count(DELETE_UNIT_TEST) == 1


def test_the_plan_shows_the_version_set_and_creates_nothing(amigo: AmigoProject) -> None:
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123", "--amigo-plan")
    assert "version set pr-123" in out.output
    assert "Refund is processed  (copy on pr-123)" in out.output
    created = [k for k in out.requests["by_endpoint"] if k.startswith("create-")]
    assert created == []


def test_xdist_makes_one_set_of_copies(amigo: AmigoProject) -> None:
    before = set(amigo.emu.store.unit_tests)
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123", "-n", "2")
    assert len(out.cases) == 3
    assert out.count(CREATE_UNIT_TEST) == 3 and out.count(CREATE_SET) == 1
    copies = ours(amigo.emu.store.unit_tests, before)
    assert len(copies) == 3 and all(c["is_deleted"] for c in copies)


def test_sigterm_mid_run_cancels_the_run_and_deletes_the_set_and_the_copies(
    pytester: pytest.Pytester,
) -> None:
    """A cancelled CI job while the candidate runs: the run is cancelled, then the temporary
    set and the copies are deleted (in that order: a unit test a set uses cannot be deleted).
    The emulator's clock runs at real speed (a session lasts 60 s), so the run is still going."""
    pytester.path.joinpath("pytest.ini").write_text(
        "[pytest]\namigo_poll_interval = 0.2 1\namigo_artifacts_wait = 0\n", encoding="utf-8"
    )
    with Emulator(WORLD, speed=1.0) as emu, emu.client(timeout=30) as admin:
        out = sigterm_when(pytester, emu, (*MIXED, *CANDIDATE), polled_after_create)
        [run] = emu.store.runs.values()
        assert run.cancelled_at is not None, out
        assert f"cancelled run {run.id}" in out, out
        [temporary] = ours(emu.store.sets)
        copies = ours(emu.store.unit_tests)
        assert temporary["is_deleted"] and len(copies) == 3, out
        assert all(c["is_deleted"] for c in copies), out
        log = [e["operation_id"] for e in admin.get("/_emulator/requests").json()["log"]]
        assert log.index(DELETE_SET) < log.index(DELETE_UNIT_TEST)
    cases = read_junit(pytester.path / "j.xml")
    assert {c.name for c in cases} == {"Greets customer", "Refund is processed", "Half and half"}
    assert all(c.outcome == "error" for c in cases)


def test_without_the_create_permission_it_is_a_usage_error_naming_it(
    amigo: AmigoProject,
) -> None:
    amigo.use_user("no-copier")
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123")
    assert out.result.ret == 4, out.output
    assert "lacks the permission Simulation:CreateSimulationUnitTest" in out.output
    assert "Traceback" not in out.output
    assert out.runs == [] and out.count(CREATE_SET) == 0


def test_reporting_an_existing_run_makes_no_copies(amigo: AmigoProject) -> None:
    run_id = amigo.start_run("All green")
    out = amigo.run(f"--amigo-run={run_id}", "--amigo-version-set=pr-123")
    assert [c.outcome for c in out.cases] == ["passed"]
    assert out.count(CREATE_UNIT_TEST) == 0 and out.count(CREATE_SET) == 0
    assert out.runs == []  # nothing started: the existing run is reported


def test_the_session_budget_counts_the_candidate_sessions(amigo: AmigoProject) -> None:
    out = amigo.run(*MIXED, "--amigo-version-set=pr-123", "--amigo-max-sessions=3")
    assert out.result.ret == 4, out.output
    assert "would simulate 4 sessions" in out.output  # the same run counts as the set: 1+1+2
    assert out.count(CREATE_UNIT_TEST) == 0 and out.runs == []
