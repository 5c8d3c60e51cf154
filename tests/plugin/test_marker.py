"""The ``amigo_set`` marker: parametrized tests requesting ``amigo_result``."""

from __future__ import annotations

from support.plugin import CREATE_RUN, SECRETS, SET, UNIT, AmigoProject

MIXED = SET["Mixed bag"]


def write(amigo: AmigoProject, body: str) -> None:
    amigo.pytester.makepyfile(test_m="import pytest\n\n" + body)


def test_marker_enforces_the_verdict_without_assertions(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("-v")
    out.result.assert_outcomes(passed=1, failed=2)
    out.result.stdout.fnmatch_lines(
        [
            "test_m.py::test_set[[]Greets customer[]] PASSED*",
            "test_m.py::test_set[[]Refund is processed[]] FAILED*",
            "test_m.py::test_set[[]Half and half[]] FAILED*",
        ]
    )
    assert out.created_sets() == [MIXED]
    [run] = out.runs
    refund = out.case("test_m", "test_set[Refund is processed]")
    assert refund.outcome == "failure"
    assert refund.message == "Empathy ✘ 0/1 — 0/1 sessions passed, needs 1/1"
    assert "The agent ignored the customer's frustration twice." in refund.text
    assert f"--amigo-run={run.id}" in refund.text
    assert refund.prop("amigo_set_id") == MIXED
    assert refund.prop("amigo_unit_test_id") == UNIT["Refund is processed"]
    assert refund.prop("amigo_outcome") == "failed"
    assert refund.prop("amigo_run_id") == run.id


def test_marker_with_custom_assertions_and_enforce_verdict_off(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}", enforce_verdict=False)
def test_set(amigo_result):
    assert amigo_result.verdict is not None
    assert amigo_result.run_id
    if amigo_result.ref.unit_test.name == "Refund is processed":
        assert amigo_result.outcome == "failed"
        assert amigo_result.justifications() == [
            "The agent ignored the customer's frustration twice."
        ]
        assert "needs >= 7" in amigo_result.explanation
        assert amigo_result.verdict.outcome == "passed", "custom: empathy too low"
""",
    )
    out = amigo.run("-v")
    out.result.assert_outcomes(passed=2, failed=1)
    refund = out.case("test_m", "test_set[Refund is processed]")
    assert refund.outcome == "failure"
    assert "custom: empathy too low" in (refund.message or "")
    half = out.case("test_m", "test_set[Half and half]")
    assert half.outcome == "passed"  # failed verdict, not enforced
    assert half.prop("amigo_outcome") == "failed"


def test_marker_custom_assertion_adds_to_a_passing_verdict(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{SET["All green"]}")
def test_set(amigo_result):
    assert amigo_result.passed
    assert amigo_result.verdict.sessions_total == 2, "custom: wanted two sessions"
""",
    )
    out = amigo.run()
    out.result.assert_outcomes(failed=1)
    case = out.case("test_m", "test_set[Greets customer]")
    assert "custom: wanted two sessions" in (case.message or "")


def test_marker_min_pass_rate(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}", min_pass_rate=0.5)
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("-k", "Half")
    out.result.assert_outcomes(passed=1, deselected=2)


def test_marker_min_pass_rate_overrides_the_option(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}", min_pass_rate=1.0)
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("-k", "Half", "--amigo-min-pass-rate=0.5")
    out.result.assert_outcomes(failed=1, deselected=2)


def test_marker_error_outcome_is_a_setup_error(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{SET["Broken sessions"]}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run()
    out.result.assert_outcomes(passed=1, errors=1)
    case = out.case("test_m", "test_set[Session crashes]")
    assert case.outcome == "error"
    assert case.message == (
        'failed on setup with "session 1 of 1 errored: The simulator stopped responding."'
    )


def test_marker_and_option_share_one_run_of_a_set(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("--amigo-set", MIXED)
    out.result.assert_outcomes(passed=2, failed=4)
    assert out.created_sets() == [MIXED]
    assert out.count(CREATE_RUN) == 1


def test_marker_collect_only_starts_no_run(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("--collect-only", "-q")
    assert out.result.ret == 0
    assert out.result.stdout.lines[:3] == [
        "test_m.py::test_set[Greets customer]",
        "test_m.py::test_set[Refund is processed]",
        "test_m.py::test_set[Half and half]",
    ]
    assert out.runs == []
    assert out.count(CREATE_RUN) == 0


def test_marker_under_xdist(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run("-n", "2")
    out.result.assert_outcomes(passed=1, failed=2)
    assert out.created_sets() == [MIXED]


def test_marker_amigo_xfail(amigo: AmigoProject) -> None:
    amigo.ini("amigo_xfail =\n    Refund is processed: known\n")
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run()
    out.result.assert_outcomes(passed=1, failed=1, xfailed=1)


def test_marker_without_amigo_result_is_a_clear_collection_error(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}")
def test_set():
    pass
""",
    )
    out = amigo.run()
    assert out.result.ret == 2
    assert "must request the amigo_result fixture" in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_marker_with_bad_id_is_a_clear_collection_error(amigo: AmigoProject) -> None:
    write(
        amigo,
        """
@pytest.mark.amigo_set("not-hex")
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run()
    assert out.result.ret == 2
    assert "24 lowercase hex" in out.output
    assert "not-hex" in out.output
    assert "Traceback" not in out.output
    assert out.runs == []


def test_marker_with_bad_min_pass_rate(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
@pytest.mark.amigo_set("{MIXED}", min_pass_rate=2)
def test_set(amigo_result):
    pass
""",
    )
    out = amigo.run()
    assert out.result.ret == 2
    assert "amigo_set(min_pass_rate=2): the minimum pass rate must be in (0, 1]" in out.output
    assert out.runs == []


def test_api_key_is_scrubbed_from_a_marked_test_report(amigo: AmigoProject) -> None:
    write(
        amigo,
        f"""
import os

@pytest.mark.amigo_set("{SET["All green"]}")
def test_set(amigo_result):
    key = os.environ["AMIGO_API_KEY"]
    print("stdout has", key)
    assert not amigo_result.passed, "message has " + key
""",
    )
    out = amigo.run("-rA", "-o", "junit_logging=all")
    out.result.assert_outcomes(failed=1)
    everything = out.output + out.junit_text
    assert SECRETS[0] not in everything
    assert "message has ***" in everything
    assert "stdout has ***" in everything
