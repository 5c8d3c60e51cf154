"""A/B in one job (issue 17), black-box: ``--amigo-compare=REF`` simulates every selected unit
test on REF too, in the same session, and compares the candidate with it; pytest with the plugin
in a subprocess against the emulator over loopback (``worlds/compare.toml``).

Eight sessions per side: "Greets" is significantly worse on the candidate pr-7, "Refunds"
significantly better, "Flaky" fails on both sides, "Slips" fails its criteria on pr-7 (7/8)
without being significantly worse, "Steady" passes on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from statsmodels.stats.multitest import multipletests

from pytest_amigo.emulator import Emulator, World
from support.plugin import (
    AmigoProject,
    Outcome,
    outcomes,
    polled_after_create,
    report,
    sigterm_when,
    text_of,
    unit_tests,
)

WORLD = World.from_toml(Path(__file__).parent / "worlds" / "compare.toml")
SET = {s.name: s.id for s in WORLD.sets}
AB = f"--amigo-set={SET['A/B']}"
CANDIDATE = ("--amigo-version-set=pr-7", "--amigo-compare=release")
CREATE_RUN = "create-simulation-unit-test-set-run"
CREATE_SET = "create-simulation-unit-test-set"
DELETE_SET = "delete-simulation-unit-test-set"
CREATE_UNIT_TEST = "create-simulation-unit-test"
DELETE_UNIT_TEST = "delete-simulation-unit-test"


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(WORLD) as emulator:
        yield emulator


def test_worse_and_better_unit_tests_with_holm_adjusted_p_values(amigo: AmigoProject) -> None:
    out = amigo.run(AB, *CANDIDATE, "--amigo-json=r.json", "-rA")
    # the default policy (any): the candidate's own verdicts decide
    assert outcomes(out) == {
        "Greets": "failure",
        "Refunds": "passed",
        "Flaky": "failure",
        "Slips": "failure",
        "Steady": "passed",
    }
    data = report(amigo.pytester.path / "r.json")
    tests = unit_tests(data)
    labels = {name: t["compare"]["label"] for name, t in tests.items()}
    assert labels == {
        "Greets": "worse",
        "Refunds": "better",
        "Flaky": "no detectable difference",
        "Slips": "no detectable difference",
        "Steady": "no detectable difference",
    }
    greets = tests["Greets"]["compare"]
    assert greets["reference"] == "release"
    assert greets["candidate"]["passed"] == 0 and greets["candidate"]["valid"] == 8
    assert greets["reference_sessions"]["passed"] == 8
    assert greets["difference"] == -1.0
    assert greets["candidate"]["what_ran"]["version_set"] == "pr-7"
    assert greets["reference_sessions"]["what_ran"]["version_set"] == "release"
    # the adjusted p-values are Holm's over every compared unit test of the session
    names = sorted(tests)
    raw = [tests[n]["compare"]["p_worse"] for n in names]
    _, holm, _, _ = multipletests(raw, method="holm")
    assert [tests[n]["compare"]["p_worse_adjusted"] for n in names] == pytest.approx(list(holm))
    assert greets["p_worse"] == pytest.approx(1 / 12870)
    # the set: one worse, one better, three the same, and the stratified test
    [entry] = data["sets"]
    assert entry["compare"]["worse"] == 1 and entry["compare"]["better"] == 1
    assert entry["compare"]["same"] == 3
    # the terminal and JUnit say it
    assert "candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly WORSE" in (
        text_of(out, "Greets")
    )
    assert "Cochran-Mantel-Haenszel" in out.output
    # one run per set per side, both created before either ended
    assert out.count(CREATE_RUN) == 2
    first, second = sorted(out.runs, key=lambda r: r.created)
    assert second.created < first.end  # simulated side by side


def test_the_adjusted_p_values_follow_benjamini_hochberg_on_request(amigo: AmigoProject) -> None:
    amigo.ini("amigo_compare_correction = bh\n")
    out = amigo.run(AB, *CANDIDATE, "--amigo-json=r.json")
    tests = unit_tests(report(amigo.pytester.path / "r.json"))
    names = sorted(tests)
    for direction in ("worse", "better"):
        raw = [tests[n]["compare"][f"p_{direction}"] for n in names]
        _, bh, _, _ = multipletests(raw, method="fdr_bh")
        found = [tests[n]["compare"][f"p_{direction}_adjusted"] for n in names]
        assert found == pytest.approx(list(bh)), out.output
    assert {t["compare"]["correction"] for t in tests.values()} == {"bh"}


def test_fail_on_worse_fails_only_the_significantly_worse_unit_test(amigo: AmigoProject) -> None:
    out = amigo.run(AB, *CANDIDATE, "--amigo-fail-on=worse", "-rA")
    assert outcomes(out) == {
        "Greets": "failure",  # 0/8 against 8/8
        "Refunds": "passed",
        "Flaky": "skipped",  # xfail: 4/8 against 4/8
        "Slips": "skipped",  # xfail: 7/8 against 8/8 is no evidence of worse
        "Steady": "passed",
    }
    assert out.result.ret == 1
    slips = text_of(out, "Slips")
    assert "not significantly worse than release" in slips
    assert "candidate 7/8 vs release 8/8 sessions passed" in slips
    # the failing unit test's explanation says why, worse first in the summary
    assert "significantly WORSE" in text_of(out, "Greets")
    summary = out.output[out.output.index("Amigo simulation sets") :]
    assert summary.index("WORSE (failed): Greets") < summary.index("Flaky")


def test_fail_on_regression_makes_the_reference_the_baseline(amigo: AmigoProject) -> None:
    out = amigo.run(AB, *CANDIDATE, "--amigo-fail-on=regression")
    assert outcomes(out) == {
        "Greets": "failure",
        "Refunds": "passed",
        "Flaky": "skipped",  # fails on release too
        "Slips": "failure",  # passes on release: a regression, however small
        "Steady": "passed",
    }
    assert "fails on release too: candidate 4/8 vs release 4/8 sessions passed" in text_of(
        out, "Flaky"
    )


def test_the_same_agent_on_both_sides_is_said_loudly(amigo: AmigoProject) -> None:
    out = amigo.run(
        f"--amigo-set={SET['Second']}",
        "--amigo-version-set=pr-same",
        "--amigo-compare=release",
        "--amigo-json=r.json",
    )
    warning = "pr-same and release ran the same agent version: this compares release with itself"
    assert f"WARNING: {warning}" in out.output
    [entry] = report(amigo.pytester.path / "r.json")["sets"]
    assert entry["compare"]["same_agent"] is True
    assert warning in entry["compare"]["warning"]
    # a real candidate is not flagged
    out = amigo.run(f"--amigo-set={SET['Second']}", *CANDIDATE)
    assert "compares release with itself" not in out.output


def test_the_plan_counts_both_sides_and_says_what_the_run_counts_can_detect(
    amigo: AmigoProject,
) -> None:
    out = amigo.run(AB, f"--amigo-set={SET['Second']}", *CANDIDATE, "--amigo-plan")
    assert out.result.ret == 0, out.output
    assert "A/B against version set release (--amigo-compare)" in out.output
    assert "A/B (" in out.output and ": 80 sessions, whole set" in out.output
    assert ": 12 sessions, whole set" in out.output  # Second: 3 + 3, both sides
    assert "total: 92 sessions in 2 sets" in out.output
    # seven compared unit tests: Holm's first step is 0.05/7
    assert "run_count 8: only a drop from 100% to below" in out.output
    assert "one-sided Fisher at 0.05/7, Holm" in out.output
    assert "run_count 3: even a drop from 100% to 0% would not be detected" in out.output
    assert out.runs == [] and out.count(CREATE_UNIT_TEST) == 0
    # the session budget counts both sides too
    out = amigo.run(AB, *CANDIDATE, "--amigo-max-sessions=50")
    assert out.result.ret == 4, out.output
    assert "would simulate 80 sessions" in out.output and "both sides" in out.output
    assert out.runs == []


def test_compare_needs_another_version_set_and_runs_it_starts(amigo: AmigoProject) -> None:
    out = amigo.run(AB, "--amigo-version-set=release", "--amigo-compare=release")
    assert out.result.ret == 4 and "names the candidate's own version set" in out.output
    # issue 24: the two must differ; no suggestion of the very name given ("e.g. release")
    assert "the reference must be another version set of the service" in out.output
    assert "e.g. release" not in out.output
    out = amigo.run(AB, "--amigo-fail-on=worse")
    assert out.result.ret == 4 and "needs a reference to be worse than" in out.output
    assert "Traceback" not in out.output and out.runs == []


def test_sigterm_cancels_both_runs_and_deletes_every_temporary(pytester: pytest.Pytester) -> None:
    """A cancelled CI job while both sides run (the emulator's clock at real speed: a session
    lasts 30 s): both runs are cancelled, then both temporary sets and every copy deleted."""
    pytester.path.joinpath("pytest.ini").write_text(
        "[pytest]\namigo_poll_interval = 0.2 1\namigo_artifacts_wait = 0\n", encoding="utf-8"
    )
    with Emulator(WORLD, speed=1.0) as emu:
        out = sigterm_when(pytester, emu, (AB, *CANDIDATE), lambda ops: polled_after_create(ops, 2))
        runs = list(emu.store.runs.values())
        assert len(runs) == 2 and all(r.cancelled_at is not None for r in runs), out
        temporary = [s for s in emu.store.sets.values() if "pytest-amigo" in s["name"]]
        copies = [u for u in emu.store.unit_tests.values() if "pytest-amigo" in u["name"]]
        assert len(temporary) == 2 and len(copies) == 5, out  # candidate copies only
        assert all(d["is_deleted"] for d in [*temporary, *copies]), out


def test_the_set_gate_under_fail_on_worse_asks_the_set_level_comparison(
    amigo: AmigoProject,
) -> None:
    """2 of 5 unit tests pass on the candidate (the gate needs 80%), but over the set the
    candidate is not worse than release (one worse, one better): xfail, not failure."""
    gate = ("--amigo-set-min-pass-rate=0.8", "-k", "set_gate", "-rA")
    out = amigo.run(AB, *CANDIDATE, "--amigo-fail-on=worse", *gate)
    [case] = out.cases
    assert case.outcome == "skipped", out.output
    assert "not significantly worse overall" in out.output
    assert "Cochran-Mantel-Haenszel" in out.output
    out = amigo.run(AB, *CANDIDATE, *gate)  # fail-on=any: the share decides
    [case] = out.cases
    assert case.outcome == "failure" and "compared: candidate vs release" in case.text
    assert "unit tests: 1 worse, 1 better" in case.text


def test_under_xdist_one_run_per_side_and_the_same_comparison(amigo: AmigoProject) -> None:
    out = amigo.run(AB, *CANDIDATE, "-n", "2", "--amigo-fail-on=worse", "--amigo-json=r.json")
    assert out.count(CREATE_RUN) == 2 and out.count(CREATE_UNIT_TEST) == 5, out.output
    tests = unit_tests(report(amigo.pytester.path / "r.json"))
    assert {n: t["compare"]["label"] for n, t in tests.items()} == {
        "Greets": "worse",
        "Refunds": "better",
        "Flaky": "no detectable difference",
        "Slips": "no detectable difference",
        "Steady": "no detectable difference",
    }
    assert outcomes(out)["Greets"] == "failure" and outcomes(out)["Slips"] == "skipped"


def test_an_unknown_reference_names_the_option_that_named_it(amigo: AmigoProject) -> None:
    """Issue 24: ``--amigo-compare=nope`` without a version set was answered about
    ``--amigo-version-set=nope`` and ``AMIGO_VERSION_SET``, and each item's error named the
    first unit test as if it were that item's."""
    out = amigo.run(AB, "--amigo-compare=nope")
    assert "Traceback" not in out.output
    errors = [line for line in out.output.splitlines() if "has no version set 'nope'" in line]
    assert errors, out.output
    for line in errors:
        assert line.count("--amigo-compare=nope") == 1, line
        assert "--amigo-version-set" not in line and "AMIGO_VERSION_SET" not in line, line
        assert "push the candidate" not in line and "name a version set the service has" in line
        assert "the set's unit tests cannot run on it (the copy of unit test 'Greets'" in line


def summary_of(out: Outcome) -> str:
    """The terminal's set summary (after "Amigo simulation sets")."""
    return out.output[out.output.index("Amigo simulation sets") :]


def test_each_comparison_is_one_sentence_naming_both_sides_counts_with_a_gloss(
    amigo: AmigoProject,
) -> None:
    """Issue 24: "worse than release (8/8, ...)": whose 8/8? Each comparison names both sides'
    counts, the candidate first, says which p-value it is (one-sided, adjusted over which
    family) and what it means in plain words. The set line says a unit test is significantly
    worse although the set is not (worse and better cancel in its stratified test)."""
    out = amigo.run(AB, *CANDIDATE, "--amigo-fail-on=worse", "-rA")
    greets = (
        "candidate 0/8 vs release 8/8 sessions passed (-100 pts): significantly worse, adjusted "
        "p = 0.000389 (one-sided Fisher for worse, Holm over 5 unit tests): a gap this large by "
        "chance is rarer than 1 in 1,000, even allowing for 5 comparisons"
    )
    summary = summary_of(out)
    assert greets in summary, summary
    assert greets.replace("worse,", "WORSE,", 1) in text_of(out, "Greets")
    set_line = next(line for line in summary.splitlines() if "candidate vs release (run" in line)
    assert set_line.strip().endswith(
        "unit tests: 1 worse, 1 better, 3 no detectable difference; overall: no detectable "
        "difference, adjusted p = 0.5 (Cochran-Mantel-Haenszel for worse, Holm over 1 set); "
        "but 1 unit test is significantly worse on its own (the set's test weighs all its unit "
        "tests together, so worse and better cancel)"
    ), set_line
    assert "the candidate no detectable difference" not in out.output
    assert "than release (" not in out.output


def test_no_detectable_difference_of_two_sessions_carries_its_power_everywhere(
    amigo: AmigoProject,
) -> None:
    """Issue 24: with 2 sessions per side even 100% against 0% would go undetected, so 1/2 vs
    1/2 must not read like a calm "no difference": the terminal, the JSON, the step summary and
    the HTML badge say it as --amigo-plan does; the baseline's comparison too, its p-value named
    apart from the A/B's (two-sided and unadjusted, against one-sided and Holm-adjusted)."""
    tiny = f"--amigo-set={SET['Tiny']}"
    amigo.run(tiny, *CANDIDATE, "--amigo-json=base.json")
    amigo.mp.setenv("GITHUB_STEP_SUMMARY", str(amigo.pytester.path / "summary.md"))
    out = amigo.run(
        tiny,
        *CANDIDATE,
        "--amigo-baseline=base.json",
        "--amigo-json=r.json",
        "--amigo-html=r.html",
        "--amigo-fail-on=worse",
    )
    power = "with 2 sessions per side even a drop from 100% to 0% would not be detected"
    compared = (
        "candidate 1/2 vs release 1/2 sessions passed (0 pts): no detectable difference, "
        f"adjusted p = 1 (one-sided Fisher for worse, Holm over 2 unit tests) - but {power}"
    )
    baseline = (
        "Fisher p = 1 (two-sided, unadjusted): no detectable difference - but with 2 sessions "
        "now and 2 then even a drop from 100% to 0% would not be detected"
    )
    (flaky,) = [line for line in summary_of(out).splitlines() if ": Flaky: " in line]
    assert compared in flaky and baseline in flaky, flaky
    assert "(run_count 2: even a drop from 100% to 0% would not be detected" in amigo.run(
        tiny, *CANDIDATE, "--amigo-plan"
    ).output.replace("    run_count", "(run_count")
    tests = unit_tests(report(amigo.pytester.path / "r.json"))
    found = tests["Flaky"]["compare"]
    assert (found["compared"], found["detectable_drop"], found["power"]) == (2, None, power)
    assert tests["Flaky"]["baseline"]["power"].startswith("with 2 sessions now and 2 then")
    step = (amigo.pytester.path / "summary.md").read_text(encoding="utf-8")
    assert f"| 1 | no detectable difference - but {power} |" in step, step
    page = (amigo.pytester.path / "r.html").read_text(encoding="utf-8")
    assert f'cmp-same">No detectable difference from release - but {power}</span>' in page
