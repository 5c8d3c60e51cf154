"""One suite across CI shards (issue 19, part 1), black-box: shards of one suite started together
(pytest-split's ``--splits 3 --group i``) against ONE emulator over loopback share one run per
set, each reports exactly its own unit tests with an unsharded session's verdicts; with
``--amigo-subset`` each simulates only its own; an interrupted shard leaves the shared run to
the others; shards with different API users are told they each simulate the set.

The emulator's clock runs at real speed (a session lasts 60 s) and is pushed ahead once every
shard has started its runs (``support.shards``): shards meet the runs unfinished, as shards
started together on a real, minutes-long set do, however loaded the machine.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
import pytest

from pytest_amigo.emulator import Emulator
from pytest_amigo.reports.json_report import schema
from support.plugin import SET, WORLD, AmigoProject
from support.shards import Shard, run_together

SETS = ("Mixed bag", "Duplicates", "Broken sessions")
SUITE = tuple(arg for name in SETS for arg in ("--amigo-set", SET[name]))
# Without a durations file, least_duration deals the items out nearly one by one: most sets'
# unit tests land in several shards (duration_based_chunks keeps more sets whole).
SPLIT = ("--splitting-algorithm", "least_duration")
SESSIONS = {"Mixed bag": 4, "Duplicates": 4, "Broken sessions": 2}  # the sets' run counts


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD, speed=1.0) as emulator:
        yield emulator


def shards_of(n: int, *extra: str) -> dict[str, tuple[str, ...]]:
    return {
        f"shard{i}": (*SUITE, "--splits", str(n), "--group", str(i), *SPLIT, *extra)
        for i in range(1, n + 1)
    }


def verdicts(unit_tests: Mapping[str, dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    """What a verdict is, per node id: the outcome as reported and the sessions."""
    return {
        nodeid: (u["outcome"], u["reported"], tuple(sorted(u["sessions"].items())))
        for nodeid, u in unit_tests.items()
    }


def new_runs(emu: Emulator, before: set[str]) -> list[Any]:
    return [r for rid, r in list(emu.store.runs.items()) if rid not in before]


def unsharded(amigo: AmigoProject, *extra: str) -> Shard:
    return run_together(amigo, {"whole": (*SUITE, *extra)})["whole"]


def assert_reported_once_as_unsharded(shards: Mapping[str, Shard], whole: Shard) -> None:
    """Every unit test reported by exactly one shard, with the unsharded verdict; each shard's
    JUnit holds exactly the unit tests of its JSON report."""
    seen: Counter[str] = Counter()
    merged: dict[str, dict[str, Any]] = {}
    for shard in shards.values():
        own = shard.unit_tests()
        assert own, shard.output
        assert len(shard.cases) == len(own), shard.output
        seen.update(list(own))
        merged |= own
    assert max(seen.values()) == 1, seen
    assert verdicts(merged) == verdicts(whole.unit_tests())
    assert len(merged) == 9


def test_three_shards_started_together_share_one_run_per_set(amigo: AmigoProject) -> None:
    whole = unsharded(amigo)
    before = set(amigo.emu.store.runs)
    shards = run_together(amigo, shards_of(3))
    runs = new_runs(amigo.emu, before)
    assert sorted(Counter(r.set_id for r in runs).values()) == [1, 1, 1], [
        s.output for s in shards.values()
    ]
    assert {r.set_id for r in runs} == {SET[name] for name in SETS}
    assert all(r.cancelled_at is None for r in runs)
    # sets split across shards, and every shard reporting a set reports its one run
    split = 0
    for name in SETS:
        reporting = [s for s in shards.values() if SET[name] in s.run_ids()]
        split += len(reporting) > 1
        assert len({s.run_ids()[SET[name]] for s in reporting}) == 1
    assert split >= 2
    assert_reported_once_as_unsharded(shards, whole)
    attached = sum(s.output.count("attached to your unfinished run") for s in shards.values())
    assert attached >= len(SETS)  # the shards that did not create a set's run say whose it is
    assert "Traceback" not in "".join(s.output for s in shards.values())
    # one report from the three: every unit test once, each set once with its one run
    merged = merge_reports(amigo, [s.json_path for s in shards.values()])
    assert merged.returncode == whole.ret, merged.stdout + merged.stderr  # Mixed bag fails: 1
    document = json.loads((amigo.pytester.path / "all.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema())
    assert [s["id"] for s in document["sets"]] == [SET[name] for name in SETS]
    assert all("run_ids" not in s for s in document["sets"])  # one run per set, shared
    tests = {u["nodeid"]: u for s in document["sets"] for u in s["unit_tests"]}
    assert verdicts(tests) == verdicts(whole.unit_tests())
    html = (amigo.pytester.path / "all.html").read_text(encoding="utf-8")
    assert all(html.count(f">{u['name']}<") for u in tests.values())


OUTPUTS = ("--json", "all.json", "--html", "all.html")


def merge_reports(amigo: AmigoProject, paths: list[Any]) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_amigo merge`` of the shards' JSON reports into all.json / all.html."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_amigo", "merge", *map(str, paths), *OUTPUTS],
        cwd=amigo.pytester.path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_with_subsets_each_shard_simulates_only_its_own_unit_tests(amigo: AmigoProject) -> None:
    whole = unsharded(amigo)
    before_runs, before_sets = set(amigo.emu.store.runs), set(amigo.emu.store.sets)
    shards = run_together(amigo, shards_of(3, "--amigo-subset"))
    runs = new_runs(amigo.emu, before_runs)
    simulated: Counter[str] = Counter()
    for run in runs:  # a set wholly in one shard runs as it is, else a temporary subset of it
        name = amigo.emu.store.sets[run.set_id]["name"].removeprefix("pytest-amigo subset of ")
        simulated[name.split(" [")[0]] += sum(u.run_count for u in run.unit_tests)
    # A unit test listed twice in a set (Duplicates lists Greets customer twice): a subset
    # holding only its second listing keeps the first too (its run is read by occurrence), one
    # more session; every other set simulates exactly its sessions across the shards.
    kept_first = sum(
        "amigo::Duplicates::Greets customer #2" in s.unit_tests()
        and "amigo::Duplicates::Greets customer" not in s.unit_tests()
        for s in shards.values()
    )
    assert simulated == {**SESSIONS, "Duplicates": 4 + kept_first}, simulated
    assert all(r.cancelled_at is None for r in runs)
    # one temporary set per shard and set it reports part of, all deleted afterwards
    temporary = {k: d for k, d in list(amigo.emu.store.sets.items()) if k not in before_sets}
    assert len(temporary) >= 5 and all(d["is_deleted"] for d in temporary.values())
    assert all(d["name"].startswith("pytest-amigo subset of ") for d in temporary.values())
    assert len(temporary) == sum(r.set_id in temporary for r in runs)
    assert_reported_once_as_unsharded(shards, whole)
    assert "attached to your unfinished run" not in "".join(s.output for s in shards.values())


def test_on_a_candidate_version_set_each_shard_copies_only_its_own_unit_tests(
    amigo: AmigoProject,
) -> None:
    """--amigo-version-set without --amigo-subset: a shard's temporary set holds copies of its
    own unit tests only, so the shards together simulate each set's sessions once, not once
    per shard."""
    candidate = ("--amigo-version-set=pr-123",)
    whole = unsharded(amigo, *candidate)
    before_runs = set(amigo.emu.store.runs)
    shards = run_together(amigo, shards_of(3, *candidate))
    simulated: Counter[str] = Counter()
    for run in new_runs(amigo.emu, before_runs):
        name = amigo.emu.store.sets[run.set_id]["name"].removeprefix("pytest-amigo pr-123 of ")
        simulated[name.split(" [")[0]] += sum(u.run_count for u in run.unit_tests)
    kept_first = sum(
        "amigo::Duplicates::Greets customer #2" in s.unit_tests()
        and "amigo::Duplicates::Greets customer" not in s.unit_tests()
        for s in shards.values()
    )
    assert simulated == {**SESSIONS, "Duplicates": 4 + kept_first}, simulated
    assert_reported_once_as_unsharded(shards, whole)


def test_an_interrupted_shard_leaves_the_shared_run_to_the_others(amigo: AmigoProject) -> None:
    """The first shard creates the runs, the second attaches; SIGTERM to the first (a failing
    or cancelled job) cancels nothing: the second shard's verdicts arrive as usual, and the
    first says why it left the runs running."""
    whole = unsharded(amigo)
    before = set(amigo.emu.store.runs)

    def interrupt_the_first(procs: dict[str, subprocess.Popen[str]]) -> None:
        procs["shard1"].send_signal(signal.SIGTERM)
        procs["shard1"].wait(timeout=60)

    shards = run_together(amigo, shards_of(2), during=interrupt_the_first, one_by_one=True)
    first, second = shards["shard1"], shards["shard2"]
    runs = new_runs(amigo.emu, before)
    assert len(runs) == 3 and all(r.cancelled_at is None for r in runs), first.output
    assert "cancelled run" not in first.output
    for run in runs:
        assert f"run {run.id} left running: this session is one shard of a sharded job " in (
            first.output
        )
    assert "(pytest-split --splits 2)" in first.output
    assert "the other shards may be reporting the run, so no shard cancels it" in first.output
    assert {c.outcome for c in first.cases} == {"error"}  # interrupted: nothing judged
    assert "left running: report it later" in first.cases[0].text
    own = second.unit_tests()
    assert len(own) in (4, 5)
    assert verdicts(own) == {k: v for k, v in verdicts(whole.unit_tests()).items() if k in own}


def test_an_interrupted_shard_cancels_its_own_subset_runs(amigo: AmigoProject) -> None:
    """With --amigo-subset a shard's runs are its own: interrupted, it cancels them (and
    deletes its temporary sets); the other shard's runs go on and report."""
    whole = unsharded(amigo)
    before = set(amigo.emu.store.runs)

    def interrupt_the_first(procs: dict[str, subprocess.Popen[str]]) -> None:
        procs["shard1"].send_signal(signal.SIGTERM)
        procs["shard1"].wait(timeout=60)

    shards = run_together(
        amigo, shards_of(2, "--amigo-subset"), during=interrupt_the_first, one_by_one=True
    )
    first, second = shards["shard1"], shards["shard2"]
    runs = new_runs(amigo.emu, before)
    cancelled = [r for r in runs if r.cancelled_at is not None]
    assert len(runs) == 6 and len(cancelled) == 3, first.output
    for run in cancelled:
        assert f"cancelled run {run.id}" in first.output
    assert "left running" not in first.output
    own = second.unit_tests()
    assert verdicts(own) == {k: v for k, v in verdicts(whole.unit_tests()).items() if k in own}


def test_shards_with_different_api_users_are_told_they_each_simulate_the_set(
    amigo: AmigoProject,
) -> None:
    """Each user's create makes a run (409 is per user): the shard that lists after the other's
    create names the other user's run in its summary; both still report their verdicts."""
    before = set(amigo.emu.store.runs)
    other = {"shard2": amigo.emu.env("no-copier")}
    shards = run_together(amigo, shards_of(2), env=other, one_by_one=True)
    runs = new_runs(amigo.emu, before)
    assert sorted(Counter(r.set_id for r in runs).values()) == [2, 2, 2]
    second = shards["shard2"].output
    for run in (r for r in runs if r.user_id == "ci-bot"):
        assert (
            f"already has an unfinished run {run.id} by another user (ci-bot): shards with "
            "different API users each simulate the set"
        ) in second, second
    assert "by another user" not in shards["shard1"].output  # nobody else's run when it began
    assert all(s.unit_tests() for s in shards.values())


def test_outside_a_sharded_job_another_users_run_is_not_looked_for(amigo: AmigoProject) -> None:
    amigo.start_run("Mixed bag", user_id="no-copier")
    alone = run_together(amigo, {"alone": ("--amigo-set", SET["Mixed bag"], "-k", "Greets")})
    assert "by another user" not in alone["alone"].output
    assert [u["outcome"] for u in alone["alone"].unit_tests().values()] == ["passed"]


def test_a_shard_after_the_run_finished_starts_a_second_run(amigo: AmigoProject) -> None:
    """What the platform allows: a shard that comes after the set's run finished (its runner
    was queued) creates a second run of the set; no finished run is ever taken over (nothing
    tells it came from the same job). The docs recommend --amigo-subset for that case."""
    before = set(amigo.emu.store.runs)
    shards = shards_of(2)
    first = run_together(amigo, {"shard1": shards["shard1"]})["shard1"]
    second = run_together(amigo, {"shard2": shards["shard2"]})["shard2"]
    runs = new_runs(amigo.emu, before)
    assert sorted(Counter(r.set_id for r in runs).values()) == [2, 2, 2]
    assert first.run_ids().keys() == second.run_ids().keys()
    assert not set(first.run_ids().values()) & set(second.run_ids().values())
