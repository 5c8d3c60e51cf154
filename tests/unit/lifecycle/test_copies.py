"""The copies of unit tests on a candidate version set (lifecycle/copies.py): names, bodies and
the words of a refusal; plain functions, no HTTP."""

from __future__ import annotations

from amigo_sdk.errors import ForbiddenError, NotFoundError

from pytest_amigo.lifecycle.copies import NAME_LIMIT, copy_body, copy_name, refusal

ORIGINAL = {
    "id": "66aa000000000000000000a1",
    "name": "Refund is processed",
    "service_id": "66aa000000000000000000b1",
    "service_version_set_name": "release",
    "persona_id": "66aa000000000000000000c1",
    "scenario_id": "66aa000000000000000000d1",
    "max_interactions": 12,
    "success_criterions": [
        {"name": "Completed", "metric_id": "66aa000000000000000000e1", "criterion": {"x": 1}}
    ],
    "tags": [{"key": "team", "value": "support"}],
}


def test_a_copy_is_the_unit_test_on_the_version_set_tagged_as_ours() -> None:
    body = copy_body(ORIGINAL, "pr-123", "pytest-amigo pr-123 of Refund is processed [abc123]")
    assert body["service_version_set_name"] == "pr-123"
    for same in ("service_id", "persona_id", "scenario_id", "max_interactions"):
        assert body[same] == ORIGINAL[same]
    assert body["success_criterions"] == ORIGINAL["success_criterions"]
    assert body["tags"] == {
        "pytest-amigo": "temporary",
        "pytest-amigo-original": "66aa000000000000000000a1",
    }
    assert "66aa000000000000000000a1" in body["description"]


def test_copy_names_are_unique_by_their_suffix_and_bounded() -> None:
    assert copy_name("pr-1", "Refund", "abc123") == "pytest-amigo pr-1 of Refund [abc123]"
    long = copy_name("pr-1", "x" * 500, "abc123")
    assert len(long) <= NAME_LIMIT and long.endswith(" [abc123]")


def test_refusals_name_the_version_set_the_service_and_what_to_do() -> None:
    gone = refusal(NotFoundError("not found", status_code=404), ORIGINAL, "pr-9")
    assert "version set 'pr-9'" in gone and "66aa000000000000000000b1" in gone
    assert "'Refund is processed'" in gone and "AMIGO_VERSION_SET" in gone
    assert gone.startswith("--amigo-version-set=pr-9: ")
    # a reference version set (--amigo-compare) is named by that option, once, and no env var
    ref = refusal(NotFoundError("not found", status_code=404), ORIGINAL, "nope", "--amigo-compare")
    assert ref.startswith("--amigo-compare=nope: ") and ref.count("--amigo-compare") == 1
    assert "AMIGO_VERSION_SET" not in ref and "--amigo-version-set" not in ref
    assert "name a version set the service has" in ref
    denied = refusal(ForbiddenError("denied", status_code=403), ORIGINAL, "pr-9")
    assert "Simulation:CreateSimulationUnitTest" in denied
    assert "Simulation:DeleteSimulationUnitTest" in denied
