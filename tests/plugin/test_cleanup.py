"""Nothing left behind (issue 18 case 3), black-box: temporaries a killed session left in the
organization are found by their tags and deleted by ``pytest --amigo-cleanup`` and by the next
session that creates temporaries; never another user's, a recent one, one an unfinished run
uses, or anything not tagged as pytest-amigo's. pytest with the plugin in a subprocess against
the emulator over loopback; the leftovers are made through the API as a killed session made
them. Their age is the server's: a leftover is made old by advancing the emulator's clock after
creating it (the tags' times are the client's, which the sweep does not trust).
"""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest

from support.plugin import SET, UNIT, AmigoProject

DELETE_UNIT_TEST = "delete-simulation-unit-test"
DELETE_SET = "delete-simulation-unit-test-set"
OLD = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
RECENT = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
AGE = 2 * 24 * 3600.0  # world seconds the tests advance the emulator's clock: older than 24h


def tags(user: str, when: dt.datetime | None, **more: str) -> dict[str, str]:
    found = {"pytest-amigo": "temporary", "pytest-amigo-user": user, **more}
    if when is not None:
        found["pytest-amigo-created"] = when.isoformat(timespec="seconds")
    found["pytest-amigo-session"] = "killed-session"
    return found


class Org:
    """The organization as another client sees it (through the API)."""

    def __init__(self, amigo: AmigoProject) -> None:
        self.amigo = amigo
        self.base = f"/v1/{amigo.emu.organization_id}/simulation"

    def headers(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.amigo.token(user)}"}

    def unit_test(
        self, name: str, user: str, tag: dict[str, str], like: str = "Greets customer"
    ) -> str:
        original = self.amigo.emu.store.unit_tests[UNIT[like]]
        body = {
            "name": name,
            "description": "left behind by a killed session",
            "service_id": original["service_id"],
            "service_version_set_name": "release",
            "persona_id": original["persona_id"],
            "scenario_id": original["scenario_id"],
            "max_interactions": original.get("max_interactions") or 10,
            "success_criterions": [
                {"name": c["name"], "metric_id": c["metric_id"], "criterion": c["criterion"]}
                for c in original["success_criterions"]
            ],
            "tags": tag,
        }
        resp = self.amigo.admin.post(
            f"{self.base}/unit_test/", headers=self.headers(user), json=body
        )
        assert resp.status_code in (200, 201), resp.text
        return str(resp.json()["simulation_unit_test_id"])

    def unit_test_set(self, name: str, user: str, unit_test_id: str, tag: dict[str, str]) -> str:
        body = {
            "name": name,
            "description": None,
            "unit_test_runs": [{"unit_test_id": unit_test_id, "run_count": 1}],
            "tags": tag,
        }
        resp = self.amigo.admin.post(
            f"{self.base}/unit_test_set/", headers=self.headers(user), json=body
        )
        assert resp.status_code in (200, 201), resp.text
        return str(resp.json()["simulation_unit_test_set_id"])

    def gone(self, kind: str, ident: str) -> bool:
        docs: dict[str, Any] = getattr(self.amigo.emu.store, kind)
        return bool(docs[ident]["is_deleted"])


@pytest.fixture
def org(amigo: AmigoProject) -> Org:
    return Org(amigo)


def test_cleanup_deletes_only_this_users_old_temporaries_sets_first(
    amigo: AmigoProject, org: Org
) -> None:
    me, other = "ci-bot", "no-runner"
    old_copy = org.unit_test("pytest-amigo pr-1 of A [aa0001]", me, tags(me, OLD))
    old_set = org.unit_test_set("pytest-amigo subset of S [aa0002]", me, old_copy, tags(me, OLD))
    theirs = org.unit_test("pytest-amigo pr-1 of C [aa0004]", other, tags(other, OLD))
    mine_not_ours = org.unit_test("my own unit test", me, {"team": "billing"})
    used_copy = org.unit_test("pytest-amigo pr-1 of E [aa0006]", me, tags(me, OLD))
    keeper = org.unit_test_set("a real set", me, used_copy, {"team": "billing"})
    busy_copy = org.unit_test("pytest-amigo pr-1 of F [aa0007]", me, tags(me, OLD), "Slow refund")
    busy_set = org.unit_test_set("pytest-amigo subset of T [aa0008]", me, busy_copy, tags(me, OLD))
    amigo.emu.advance(AGE)  # the server's clock decides the age: the ones above are now old
    recent_copy = org.unit_test("pytest-amigo pr-1 of B [aa0003]", me, tags(me, RECENT))
    untimed = org.unit_test("pytest-amigo pr-1 of D [aa0005]", me, tags(me, None))
    run = amigo.admin.post(
        f"{org.base}/unit_test_set_run/",
        headers=org.headers(me),
        json={"simulation_unit_test_set_id": busy_set},
    )
    assert run.status_code == 201, run.text

    out = amigo.run("--amigo-cleanup")
    assert out.result.ret == 0, out.output
    assert org.gone("sets", old_set) and org.gone("unit_tests", old_copy)
    for kept in (recent_copy, theirs, untimed, mine_not_ours, used_copy, busy_copy):
        assert not org.gone("unit_tests", kept), kept
    assert not org.gone("sets", keeper) and not org.gone("sets", busy_set)
    assert f"deleted temporary unit test set {old_set}" in out.output
    assert f"deleted temporary unit test {old_copy}" in out.output
    assert "by session killed-session" in out.output
    assert f"kept temporary unit test set {busy_set}" in out.output
    assert "an unfinished run uses it" in out.output
    # the untimed one too: the server's created_at says it is recent
    assert "2 temporaries younger than 24h kept; `-o amigo_cleanup_after=0` deletes them" in (
        out.output
    )
    assert "1 temporary kept: an unfinished run uses it" in out.output
    assert "2 temporaries kept: a remaining unit test set uses them" in out.output
    log = [e["operation_id"] for e in amigo.requests()["log"]]
    assert log.index(DELETE_SET) < log.index(DELETE_UNIT_TEST)  # sets before their unit tests
    assert out.runs == []  # nothing simulated
    again = amigo.run("--amigo-cleanup")
    assert "nothing to delete" in again.output or "deleted" not in again.output


def test_the_age_is_configurable_and_checked(amigo: AmigoProject, org: Org) -> None:
    me = "ci-bot"
    copy = org.unit_test("pytest-amigo pr-1 of G [aa0009]", me, tags(me, RECENT))
    amigo.emu.advance(180)  # 3 minutes old on the server: kept by the default 24h, not by 2m
    amigo.ini("amigo_cleanup_after = 2m\n")
    out = amigo.run("--amigo-cleanup")
    assert org.gone("unit_tests", copy), out.output
    amigo.ini("amigo_cleanup_after = soon\n")
    out = amigo.run("--amigo-cleanup")
    assert out.result.ret == 4 and "amigo_cleanup_after must be an age like 24h" in out.output
    assert "Traceback" not in out.output


def test_a_session_creating_temporaries_sweeps_old_ones_first(
    amigo: AmigoProject, org: Org
) -> None:
    me = "ci-bot"
    old = org.unit_test("pytest-amigo pr-1 of H [aa000a]", me, tags(me, OLD))
    amigo.emu.advance(AGE)
    out = amigo.run("--amigo-set", SET["Mixed bag"], "--amigo-subset", "-k", "Greets")
    assert out.result.ret == 0, out.output
    assert org.gone("unit_tests", old)
    # what this session created carries the tags a later sweep reads
    created = [
        s for s in amigo.emu.store.sets.values() if s["name"].startswith("pytest-amigo subset")
    ]
    assert created
    found = created[-1].get("tags") or []
    pairs = {t["key"]: t["value"] for t in found} if isinstance(found, list) else dict(found)
    assert pairs["pytest-amigo"] == "temporary" and pairs["pytest-amigo-user"] == me
    assert dt.datetime.fromisoformat(pairs["pytest-amigo-created"]) > RECENT
    assert pairs["pytest-amigo-session"]


def test_cleanup_says_what_it_kept_and_why(amigo: AmigoProject, org: Org) -> None:
    me = "no-runner"  # the counts are this user's alone: the other tests here leave ci-bot's
    amigo.use_user(me)
    used = org.unit_test("pytest-amigo pr-1 of K [aa000d]", me, tags(me, OLD))
    org.unit_test_set("another real set", me, used, {"team": "billing"})
    amigo.emu.advance(AGE)
    first = org.unit_test("pytest-amigo pr-1 of J [aa000b]", me, tags(me, RECENT))
    org.unit_test_set("pytest-amigo subset of U [aa000c]", me, first, tags(me, RECENT))
    out = amigo.run("--amigo-cleanup")
    assert out.result.ret == 0, out.output
    assert "2 temporaries younger than 24h kept; `-o amigo_cleanup_after=0` deletes them" in (
        out.output
    )
    assert "1 temporary kept: a remaining unit test set uses it" in out.output
    assert not org.gone("unit_tests", first) and not org.gone("unit_tests", used)


def test_cleanup_exits_4_in_one_line_when_the_api_cannot_be_reached(
    amigo: AmigoProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:  # a local port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AMIGO_BASE_URL", f"http://127.0.0.1:{port}")
    out = amigo.run("--amigo-cleanup", clear=False)
    assert out.result.ret == 4, out.output
    errors = [line for line in out.output.splitlines() if "--amigo-cleanup could not run" in line]
    assert len(errors) == 1, out.output
    assert f"cannot reach http://127.0.0.1:{port}" in errors[0]
    assert "check AMIGO_BASE_URL" in errors[0] and "AMIGO_API_KEY" in errors[0]
    assert "Traceback" not in out.output


def test_the_server_says_whose_and_how_old_not_the_tags(amigo: AmigoProject, org: Org) -> None:
    """A CI runner's clock can be wrong and tags are the client's: the sweep reads the server's
    ``creator`` and ``created_at`` and measures the age on the server's clock (its ``Date``)."""
    me, other = "ci-bot", "no-runner"
    lying = org.unit_test("pytest-amigo pr-1 of L [aa000e]", me, tags(me, RECENT))
    legacy = org.unit_test("pytest-amigo pr-1 of M [aa000f]", me, {"pytest-amigo": "temporary"})
    forged = org.unit_test("pytest-amigo pr-1 of N [aa0010]", other, tags(me, OLD))
    amigo.emu.advance(AGE)  # two days pass on the server; this machine's clock stands
    fresh = org.unit_test("pytest-amigo pr-1 of O [aa0011]", me, tags(me, OLD))
    out = amigo.run("--amigo-cleanup")
    assert out.result.ret == 0, out.output
    assert org.gone("unit_tests", lying), out.output  # its tag says 5 minutes, the server 2 days
    assert org.gone("unit_tests", legacy), out.output  # an earlier pytest-amigo's: one tag only
    assert f"deleted temporary unit test {legacy}" in out.output
    assert "by an earlier pytest-amigo" in out.output
    assert not org.gone("unit_tests", forged)  # another user's, whatever its tags say
    assert not org.gone("unit_tests", fresh)  # its tag says 2 days, the server: just created
    assert "1 temporary younger than 24h kept" in out.output
