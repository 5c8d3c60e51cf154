"""The plugin's public hooks (``pytest_amigo/plugin/hooks.py``): a conftest.py receives every unit
test's result and the finished report document, once each, in the process that reports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.plugin import SET, AmigoProject, polled_after_create, sigterm_when

MIXED = SET["Mixed bag"]

CONFTEST = """
import json, os


def _log(kind, **data):
    with open("hook-calls.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps({"kind": kind, "pid": os.getpid(), **data}) + "\\n")


def pytest_amigo_unit_test_result(config, nodeid, entry):
    _log("unit_test", nodeid=nodeid, name=entry.unit_test.name, outcome=entry.unit_test.outcome,
         set_id=entry.set_id)


def pytest_amigo_report(config, report):
    _log("report", document=report.to_json())
"""

FAILING = """
def pytest_amigo_unit_test_result(config, nodeid, entry):
    raise RuntimeError("the dashboard is down")


def pytest_amigo_report(config, report):
    raise RuntimeError("the chat is down")
"""


def calls(amigo: AmigoProject) -> list[dict[str, Any]]:
    path = amigo.pytester.path / "hook-calls.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def of_kind(found: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [c for c in found if c["kind"] == kind]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["single", "xdist"])
def test_each_unit_test_and_the_report_reach_the_hooks_once(
    amigo: AmigoProject, workers: list[str]
) -> None:
    """No --amigo-json: the document is built for the hook all the same."""
    amigo.pytester.makeconftest(CONFTEST)
    out = amigo.run("--amigo-set", MIXED, *workers)
    out.result.assert_outcomes(passed=1, failed=2)
    found = calls(amigo)
    units = of_kind(found, "unit_test")
    assert sorted((u["name"], u["outcome"]) for u in units) == [
        ("Greets customer", "passed"),
        ("Half and half", "failed"),
        ("Refund is processed", "failed"),
    ]
    assert {u["nodeid"] for u in units} == {
        "amigo::Mixed bag::Greets customer",
        "amigo::Mixed bag::Refund is processed",
        "amigo::Mixed bag::Half and half",
    }
    assert {u["set_id"] for u in units} == {MIXED}
    [report] = of_kind(found, "report")
    [the_set] = report["document"]["sets"]
    assert the_set["id"] == MIXED
    assert the_set["run_id"] == out.runs[0].id
    document_outcomes = {t["name"]: t["outcome"] for t in the_set["unit_tests"]}
    assert document_outcomes == {u["name"]: u["outcome"] for u in units}
    assert len({c["pid"] for c in found}) == 1  # the process that reports (xdist: controller)
    assert found[-1]["kind"] == "report"  # the document once every result is in


def test_the_hooks_see_amigo_xfail_and_the_marker(amigo: AmigoProject) -> None:
    """A marker-parametrized test reports like an item; an amigo_xfail entry is xfailed."""
    amigo.ini("amigo_xfail =\n    Refund is processed: known\n")
    amigo.pytester.makeconftest(CONFTEST)
    amigo.pytester.makepyfile(
        test_m=f"""
import pytest

@pytest.mark.amigo_set("{MIXED}")
def test_set(amigo_result):
    pass
"""
    )
    out = amigo.run("--amigo-json=r.json")
    out.result.assert_outcomes(passed=1, failed=1, xfailed=1)
    found = calls(amigo)
    units = {u["nodeid"]: u["outcome"] for u in of_kind(found, "unit_test")}
    assert units == {
        "test_m.py::test_set[Greets customer]": "passed",
        "test_m.py::test_set[Refund is processed]": "xfailed",
        "test_m.py::test_set[Half and half]": "failed",
    }
    assert len(of_kind(found, "unit_test")) == 3
    [report] = of_kind(found, "report")
    written = json.loads((amigo.pytester.path / "r.json").read_text(encoding="utf-8"))
    assert report["document"] == written


def test_after_an_interruption_the_hooks_get_what_was_in(
    amigo: AmigoProject, pytester: pytest.Pytester
) -> None:
    pytester.makeconftest(CONFTEST)
    out = sigterm_when(pytester, amigo.emu, ("--amigo-set", SET["Slow set"]), polled_after_create)
    found = calls(amigo)
    [unit] = of_kind(found, "unit_test")
    assert (unit["name"], unit["outcome"]) == ("Takes forever", "error"), out
    [report] = of_kind(found, "report")
    [the_set] = report["document"]["sets"]
    assert [t["outcome"] for t in the_set["unit_tests"]] == ["error"]


def test_a_failing_hook_is_reported_and_loses_no_result(amigo: AmigoProject) -> None:
    amigo.pytester.makeconftest(FAILING)
    out = amigo.run("--amigo-set", MIXED, "--amigo-json=r.json")
    out.result.assert_outcomes(passed=1, failed=2)
    assert out.result.ret == 1  # the verdicts', as without the hooks
    err = out.result.stderr.str()
    assert err.count("pytest-amigo: hook pytest_amigo_unit_test_result failed at ") == 3, err
    assert "RuntimeError: the dashboard is down" in err
    assert "pytest-amigo: hook pytest_amigo_report failed at " in err
    assert "conftest.py" in err
    assert "INTERNALERROR" not in out.output
    written = json.loads((amigo.pytester.path / "r.json").read_text(encoding="utf-8"))
    assert len(written["sets"][0]["unit_tests"]) == 3
    assert "Amigo simulation sets" in out.result.stdout.str()  # the summary
