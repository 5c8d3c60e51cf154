"""``pytest-amigo merge`` (issue 19, part 2), black-box: two shards of one set run by pytest with
the plugin against the emulator (a ``-k`` partition, as pytest-split makes), their ``--amigo-json``
reports merged by the real command (``python -m pytest_amigo merge``) into one report valid
against the schema, with its HTML and step summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_amigo.emulator import Emulator, World
from pytest_amigo.reports.baseline_file import from_report
from pytest_amigo.reports.document import Report
from pytest_amigo.reports.json_report import schema
from support.plugin import SET, UNIT, AmigoProject

COMPARE = World.from_toml(Path(__file__).parent / "worlds" / "compare.toml")

MIXED = f"--amigo-set={SET['Mixed bag']}"
NAMES = ["Greets customer", "Refund is processed", "Half and half"]


def merge_command(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "pytest_amigo", "merge", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def shard(amigo: AmigoProject, name: str, selection: str) -> Path:
    """One shard's report: the unit tests ``-k selection`` picks, as a CI job would run them."""
    path = amigo.pytester.path / name
    out = amigo.run(MIXED, "-k", selection, f"--amigo-json={path}", "-o", "amigo_artifacts_wait=0")
    assert path.is_file(), out.output
    return path


def test_two_shards_merge_into_one_report_of_the_whole_set(amigo: AmigoProject) -> None:
    one, two = shard(amigo, "shard-1.json", "Greets"), shard(amigo, "shard-2.json", "not Greets")
    for path in (one, two):  # each shard reported only its own unit tests
        (entry,) = json.loads(path.read_text(encoding="utf-8"))["sets"]
        assert 0 < len(entry["unit_tests"]) < len(NAMES)
    summary = amigo.pytester.path / "summary.md"
    env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary)}
    done = merge_command(
        one, two, "--json", "all.json", "--html", "all.html", "--github-summary",
        cwd=amigo.pytester.path, env=env,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # "Half and half" fails (1 of 2 sessions)
    assert "Traceback" not in done.stderr
    assert "3 unit tests in 1 set" in done.stdout
    merged = json.loads((amigo.pytester.path / "all.json").read_text(encoding="utf-8"))
    jsonschema.validate(merged, schema())
    assert json.dumps(Report.from_json(merged).to_json()) == json.dumps(merged)  # typed, unchanged
    (entry,) = merged["sets"]
    assert entry["id"] == SET["Mixed bag"]
    assert sorted(t["name"] for t in entry["unit_tests"]) == sorted(NAMES)
    runs = [t["run_id"] for t in entry["unit_tests"]]
    assert entry["run_id"] == runs[0]
    assert entry.get("run_ids", [runs[0]]) == list(dict.fromkeys(runs))
    assert [f["file"] for f in merged["merged_from"]] == [str(one), str(two)]
    page = (amigo.pytester.path / "all.html").read_text(encoding="utf-8")
    assert all(name in page for name in NAMES)
    assert "3 unit tests in 1 set" in page
    text = summary.read_text(encoding="utf-8")
    assert "Half and half" in text and "all.json" in text and "all.html" in text
    # the merged file works as a baseline of the set
    base = from_report(merged, SET["Mixed bag"], "all.json")
    assert set(base.entries) == {UNIT[n] for n in NAMES}

    # the same shard twice: refused, not merged as if it were two
    done = merge_command(one, one, "--json", "same.json", cwd=amigo.pytester.path)
    assert done.returncode == 2, done.stderr
    assert f"{one} and {one} are the same report" in done.stderr
    assert not (amigo.pytester.path / "same.json").exists()
    # a missing shard: refused with --expect-shards
    done = merge_command(one, "--expect-shards", "2", cwd=amigo.pytester.path)
    assert done.returncode == 2 and "expected 2 shard reports" in done.stderr, done.stderr

    # a shard that says otherwise of the same unit test: refused, naming both files
    data = json.loads(one.read_text(encoding="utf-8"))
    data["sets"][0]["unit_tests"][0].update(outcome="failed", reported="failed")
    other = amigo.pytester.path / "other.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    done = merge_command(one, other, "--json", "no.json", cwd=amigo.pytester.path)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert "Greets customer" in line and "Mixed bag" in line
    assert str(one) in line and str(other) in line
    assert not (amigo.pytester.path / "no.json").exists()


def test_the_set_gate_is_in_the_json_and_decides_the_merge(amigo: AmigoProject) -> None:
    """``--amigo-set-min-pass-rate``: the set gate fails a shard whose unit tests all passed or
    xfailed; its JSON says so (``gate``, ``gating``) and the merge fails the suite on it."""
    amigo.ini("amigo_xfail =\n    Half and half: known\n    Refund is processed: known\n")
    gate = ("--amigo-set-min-pass-rate=1", "-o", "amigo_artifacts_wait=0")
    one = amigo.pytester.path / "gate-1.json"
    two = amigo.pytester.path / "gate-2.json"
    out = amigo.run(MIXED, "-k", "Greets", f"--amigo-json={one}", *gate)
    assert out.result.ret == 0, out.output
    out = amigo.run(MIXED, "-k", "not Greets", f"--amigo-json={two}", *gate)
    assert out.result.ret == 1, out.output  # the set gate: 1/3 passed, needs 100%
    data = json.loads(two.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    assert data["gating"] == {"fail_on": "any", "inconclusive": "fail"}
    (entry,) = data["sets"]
    assert entry["gate"] == {"min_pass_rate": 1.0, "passed": 1, "total": 3, "outcome": "failed"}
    assert "gate" not in json.loads(one.read_text(encoding="utf-8"))["sets"][0]  # deselected
    done = merge_command(one, two, "--json", "gated.json", cwd=amigo.pytester.path)
    assert done.returncode == 1, done.stdout + done.stderr  # no unit test failed: the gate did
    assert "failed (set gate failed: 'Mixed bag' 1/3 (needs 100%))" in done.stdout
    merged = json.loads((amigo.pytester.path / "gated.json").read_text(encoding="utf-8"))
    assert merged["sets"][0]["gate"]["outcome"] == "failed"


def test_an_ab_shard_beside_a_plain_one_is_refused(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classic matrix job that lost AMIGO_VERSION_SET: one shard compared the candidate with
    the reference, the other ran the plain suite. Merged, the result would mean nothing."""
    for key in [k for k in os.environ if k.startswith("AMIGO_")]:
        monkeypatch.delenv(key)
    with Emulator(COMPARE) as emu:
        amigo = AmigoProject(pytester, emu, monkeypatch)
        try:
            ab = f"--amigo-set={next(s.id for s in COMPARE.sets if s.name == 'A/B')}"
            candidate = ("--amigo-version-set=pr-7", "--amigo-compare=release")
            amigo.run(ab, *candidate, "-k", "Greets", "--amigo-json=ab.json")
            amigo.run(ab, "-k", "not Greets", "--amigo-json=plain.json")
        finally:
            amigo.admin.close()
            emu.advance(10_000_000)
    done = merge_command("ab.json", "plain.json", "--json", "all.json", cwd=pytester.path)
    assert done.returncode == 2, done.stdout + done.stderr
    (line,) = done.stderr.splitlines()
    assert "plain.json compared nothing while ab.json compared against a reference" in line
    assert "AMIGO_VERSION_SET" in line and "run that shard again" in line
    assert done.stdout == "" and not (pytester.path / "all.json").exists()
